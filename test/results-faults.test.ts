// Results directories: shards of a sweep running at the same time never write the same file (the
// shared tables are written only by --aggregate-only, under the lock); damaged tables, manifest and
// measurements are refused in one line saying how to rebuild them; a full disk while measuring or
// aggregating keeps every measurement, and rerunning completes the work.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILES } from '../lib/experiments/profiles';
import { selectShard } from '../lib/experiments/shard';
import { loadResults } from '../lib/experiments/results';
import { UserError } from '../lib/util/errors';
import { runCommand, snapshot, startCommand, tmpDir, unchangedFiles } from './helpers';

const data = tmpDir('sl-data-');
const env = { SPARSING_DATA_DIR: data };
const results = path.join(data, 'results', 'smoke');
const measureDir = path.join(results, 'measure');
const writeLog = (i: number) => path.join(data, `writes-${i}.log`);
const TABLES = ['runs', 'trajectory', 'f0', 'fits', 'law_baselines', 'slopes'];
const REBUILD = /; rebuild the tables from the measurements with `node dist\/lib\/cli\/reproduce\.js --profile smoke --aggregate-only`$/;

test.before(async () => {
  const shards = [0, 1].map((i) => startCommand('reproduce', ['--profile', 'smoke', '--shard', `${i}/2`, '--jobs', '1'], { ...env, SPARSING_WRITE_LOG: writeLog(i) }));
  for (const s of shards) {
    const r = await s.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /write the tables with --aggregate-only/);
  }
  assert.ok(!fs.existsSync(path.join(results, 'manifest.json')), 'a shard writes no shared table');
  const agg = runCommand('reproduce', ['--profile', 'smoke', '--aggregate-only'], env);
  assert.equal(agg.code, 0, agg.stderr);
  process.env.SPARSING_DATA_DIR = data;
});

test('two shards running at once write disjoint files, each only under its own runs', () => {
  const written = [0, 1].map((i) => new Set(fs.readFileSync(writeLog(i), 'utf8').trim().split('\n').map((l) => l.split('\t')[1])));
  const both = [...written[0]].filter((p) => written[1].has(p));
  assert.deepEqual(both, [], 'files written by both shards');
  for (const i of [0, 1]) {
    const ids = selectShard(PROFILES.smoke.runs, { index: i, count: 2 }).map((r) => r.id);
    const own = (p: string) => ids.some((id) => p.startsWith(path.join(data, 'runs', 'smoke', id) + path.sep) || p === path.join(measureDir, `${id}.json`));
    assert.deepEqual([...written[i]].filter((p) => !own(p)), [], `shard ${i} wrote outside its runs`);
    assert.ok(ids.every((id) => written[i].has(path.join(measureDir, `${id}.json`))));
  }
});

/** Damages `file`, checks what reading the results says, and puts the file back. */
function withDamage(file: string, damage: (f: string) => void, check: () => void): void {
  const original = fs.readFileSync(file);
  try {
    damage(file);
    check();
  } finally {
    fs.writeFileSync(file, original);
  }
}

const refusal = (re: RegExp) => () => assert.throws(() => loadResults('smoke'), (e: Error) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'));
const cutMidLine = (f: string) => { const b = fs.readFileSync(f); fs.writeFileSync(f, b.subarray(0, b.length - 7)); };
const cutAtLine = (f: string) => { const l = fs.readFileSync(f, 'utf8').trim().split('\n'); fs.writeFileSync(f, l.slice(0, -1).join('\n') + '\n'); };
const garbage = (f: string) => fs.writeFileSync(f, Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 31 + 7) % 251)));

test('damaged result tables and manifest are refused in one line naming the file and how to rebuild them', () => {
  assert.equal(loadResults('smoke').runs.length, PROFILES.smoke.runs.length);
  for (const t of TABLES) {
    const file = path.join(results, `${t}.jsonl`);
    withDamage(file, cutMidLine, refusal(new RegExp(`^${file} is damaged \\(line \\d+ is not valid JSON \\(the file is cut short\\)\\)${REBUILD.source}`)));
    withDamage(file, garbage, refusal(new RegExp(`^${file} is damaged \\(line 1 is not valid JSON`)));
    if (fs.readFileSync(file, 'utf8').trim()) withDamage(file, cutAtLine, refusal(new RegExp(`^${file} is damaged \\(it does not match the sha256 in manifest\\.json: changed since, or left half-replaced by a crash\\)${REBUILD.source}`)));
    withDamage(file, (f) => fs.rmSync(f), refusal(new RegExp(`^${file} is missing${REBUILD.source}`)));
  }
  const manifest = path.join(results, 'manifest.json');
  withDamage(manifest, cutMidLine, refusal(new RegExp(`^${manifest} is damaged \\(not valid JSON, \\d+ bytes: cut short or overwritten\\)${REBUILD.source}`)));
  withDamage(manifest, garbage, refusal(/manifest\.json is damaged \(not valid JSON/));
  withDamage(manifest, (f) => { const j = JSON.parse(fs.readFileSync(f, 'utf8')); delete j.runs; fs.writeFileSync(f, JSON.stringify(j)); }, refusal(/manifest\.json is damaged \(missing key 'runs'\)/));
  assert.equal(loadResults('smoke').runs.length, PROFILES.smoke.runs.length, 'all restored');
});

test('a damaged measurement stops aggregation in one line, exit 2, nothing changed; a damaged table is rebuilt by --aggregate-only', () => {
  const id = PROFILES.smoke.runs[1].id;
  const file = path.join(measureDir, `${id}.json`);
  for (const [damage, why] of [[cutMidLine, /not valid JSON/], [garbage, /not valid JSON/], [(f: string) => fs.writeFileSync(f, '{"run": {"id": "x"}}'), /missing key 'params'/]] as const) {
    withDamage(file, damage, () => {
      const before = snapshot(results);
      const r = runCommand('reproduce', ['--profile', 'smoke', '--aggregate-only'], env);
      assert.equal(r.code, 2, r.stderr);
      const line = r.stderr.trim().split('\n').pop()!;
      assert.match(line, new RegExp(`^error: ${file} is damaged \\(.*\\); move it aside and rerun \`reproduce --profile smoke\` to measure run ${id} again \\(its checkpoints are intact\\)$`));
      assert.match(line, why);
      assert.ok(!r.stderr.includes('\n    at '), 'no stack trace');
      assert.deepEqual(unchangedFiles(before, results), { changed: [], added: [] });
    });
  }
  cutMidLine(path.join(results, 'fits.jsonl'));
  const r = runCommand('reproduce', ['--profile', 'smoke', '--aggregate-only'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(loadResults('smoke').runs.length, PROFILES.smoke.runs.length);
});

test('a full disk while aggregating or measuring: one line, every measurement kept, and rerunning completes the work', () => {
  const measurements = snapshot(measureDir);
  const agg = runCommand('reproduce', ['--profile', 'smoke', '--aggregate-only'], { ...env, SPARSING_FAIL_WRITES_AFTER_BYTES: '20000' });
  assert.equal(agg.code, 2, agg.stderr);
  assert.match(agg.stderr.trim().split('\n').pop()!, new RegExp(`^error: could not write ${results}/\\S+: no space left on device \\(ENOSPC\\); the measurements in ${measureDir} are intact: free space \\(or fix permissions\\) and rerun with --aggregate-only$`));
  assert.deepEqual(unchangedFiles(measurements, measureDir), { changed: [], added: [] });
  assert.deepEqual([...snapshot(results).keys()].filter((p) => p.endsWith('.tmp')), [], 'no temporary files left');
  const again = runCommand('reproduce', ['--profile', 'smoke', '--aggregate-only'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(loadResults('smoke').runs.length, PROFILES.smoke.runs.length);

  // Measuring: the run is trained; its measurement cannot be written.
  const spec = PROFILES.smoke.runs[0];
  const file = path.join(measureDir, `${spec.id}.json`);
  const aside = `${file}.aside`;
  fs.renameSync(file, aside);
  const runDir = path.join(data, 'runs', 'smoke', spec.id);
  const run = snapshot(runDir);
  const m = runCommand('run-one', ['--profile', 'smoke', '--run', spec.id, '--quiet'], { ...env, SPARSING_FAIL_WRITES_AFTER_BYTES: '1000' });
  assert.equal(m.code, 2, m.stderr);
  assert.equal(m.stderr.trim(), `error: could not write ${file}: no space left on device (ENOSPC); the checkpoints of ${spec.id} and the other measurements are intact: free space (or fix permissions) and rerun to measure it`);
  assert.deepEqual(unchangedFiles(run, runDir), { changed: [], added: [] });
  assert.ok(!fs.existsSync(file));
  const m2 = runCommand('run-one', ['--profile', 'smoke', '--run', spec.id, '--quiet'], env);
  assert.equal(m2.code, 0, m2.stderr);
  const strip = (f: string) => { const j = JSON.parse(fs.readFileSync(f, 'utf8')); delete j.provenance; delete j.seconds; return j; };
  assert.deepEqual(strip(file), strip(aside), 'the same measurement');
});
