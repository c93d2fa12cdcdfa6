// Which results a notebook shows (fresh, else the committed snapshot, else smoke), and that it says so
// in its first output; snapshots refuse a dirty tree; manifests record training and measuring time.
import { PROFILES } from '../lib/experiments/profiles';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { timingTotals, trainSeconds } from '../lib/experiments/aggregate';
import { projectRoot } from '../lib/experiments/paths';
import { resultsForNotebook } from '../lib/experiments/results';
import { makeSnapshot } from '../lib/experiments/snapshot';
import { tmpDir } from './helpers';

function withEnv<T>(env: Record<string, string | undefined>, f: () => T): T {
  const old: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) { old[k] = process.env[k]; if (env[k] === undefined) delete process.env[k]; else process.env[k] = env[k]; }
  try { return f(); } finally { for (const k of Object.keys(env)) { if (old[k] === undefined) delete process.env[k]; else process.env[k] = old[k]; } }
}

/** withEnv for an async f: the environment stays set until f has finished. */
async function withEnvAsync<T>(env: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const old: Record<string, string | undefined> = {};
  for (const k of Object.keys(env)) { old[k] = process.env[k]; if (env[k] === undefined) delete process.env[k]; else process.env[k] = env[k]; }
  try { return await f(); } finally { for (const k of Object.keys(env)) { if (old[k] === undefined) delete process.env[k]; else process.env[k] = old[k]; } }
}

test('a fresh clone (no data/results) shows the committed default snapshot and says so', async () => {
  const empty = tmpDir('sl-fresh-clone-');
  const r = await withEnvAsync({ SPARSING_DATA_DIR: empty, SPARSING_PROFILE: undefined, SPARSING_RECOMPUTE: undefined }, () => resultsForNotebook());
  assert.equal(r.source, 'snapshot');
  assert.equal(r.results.profile.name, 'default');
  assert.equal(r.results.dir, path.join(projectRoot(), 'data', 'snapshots', 'default'));
  assert.match(r.note, /committed results of the 'default' profile/);
  assert.ok(r.results.measurements.length > 0);
});

test('fresh results of the chosen profile come first; with no fallback allowed, a missing profile is an error', async () => {
  const dir = tmpDir('sl-fresh-');
  const snap = path.join(projectRoot(), 'data', 'snapshots', 'default');
  fs.mkdirSync(path.join(dir, 'results'), { recursive: true });
  fs.cpSync(snap, path.join(dir, 'results', 'default'), { recursive: true });
  const r = await withEnvAsync({ SPARSING_DATA_DIR: dir, SPARSING_PROFILE: 'default' }, () => resultsForNotebook());
  assert.equal(r.source, 'fresh');
  assert.match(r.note, /trained and measured on this machine/);
  // A profile with neither fresh results nor a committed snapshot (every real profile may have one).
  PROFILES['no-results'] = { ...PROFILES.smoke, name: 'no-results' };
  try {
    await assert.rejects(withEnvAsync({ SPARSING_DATA_DIR: tmpDir(), SPARSING_PROFILE: 'no-results', SPARSING_NO_FALLBACK: '1' }, () => resultsForNotebook()), /no results for profile 'no-results'/);
  } finally {
    delete PROFILES['no-results'];
  }
});

test('the committed notebooks say first which results they show, and carry execution counts', () => {
  for (const name of ['01-f0-metric', '02-f1-activation-vs-data', '03-f2-width-depth', '04-f3-scale']) {
    const nb = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'notebooks', `${name}.ipynb`), 'utf8'));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
    assert.match(code[0].source.join(''), /resultsForNotebook\(\)[\s\S]*showMarkdown\(note\)/, name);
    const first = code[0].outputs[0];
    const text = [].concat(first?.data?.['text/markdown'] ?? first?.text ?? []).join('');
    assert.match(text, /'default' profile/, `${name}: first output names the profile`);
    assert.equal(nb.metadata?.sparsing_law?.profile, 'default', name);
    code.forEach((c: { execution_count: number | null }, i: number) => assert.equal(c.execution_count, i + 1, `${name} cell ${i}`));
  }
});

test('snapshots refuse results aggregated from a dirty tree', () => {
  const dir = tmpDir('sl-dirty-');
  const res = path.join(dir, 'results', 'smoke');
  fs.mkdirSync(path.join(res, 'measure'), { recursive: true });
  fs.writeFileSync(path.join(res, 'manifest.json'), JSON.stringify({ aggregated: { commit: 'a'.repeat(40) + '-dirty' } }));
  assert.throws(() => withEnv({ SPARSING_DATA_DIR: dir }, () => makeSnapshot('smoke')), /dirty/);
  assert.ok(!fs.existsSync(path.join(projectRoot(), 'data', 'snapshots', 'smoke')));
});

test('manifest timings: training seconds from the run folder, totals over runs', () => {
  const dir = tmpDir('sl-times-');
  const run = path.join(dir, 'runs', 'smoke', 'r1');
  fs.mkdirSync(run, { recursive: true });
  fs.writeFileSync(path.join(run, 'done.json'), JSON.stringify({ seconds: 12.5 }));
  assert.equal(withEnv({ SPARSING_DATA_DIR: dir }, () => trainSeconds('smoke', 'r1')), 12.5);
  assert.equal(withEnv({ SPARSING_DATA_DIR: dir }, () => trainSeconds('smoke', 'missing')), null);
  assert.deepEqual(timingTotals([{ train_seconds: 12.5, measure_seconds: 3 }, { train_seconds: null, measure_seconds: 4 }]),
    { train_seconds_total: 12.5, runs_with_train_time: 1, measure_seconds_total: 7, runs: 2 });
});
