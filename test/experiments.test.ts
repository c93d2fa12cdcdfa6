import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { parseShard, selectShard } from '../lib/experiments/shard';
import { PROFILES } from '../lib/experiments/profiles';
import { presetConfig } from '../lib/model/presets';
import { loadResults, runProfile } from '../lib/experiments/results';
import { LOCK_FILE } from '../lib/util/lock';
import { runCommand, tmpDir } from './helpers';

test('shards cover every run exactly once, from --shard or a Slurm array index', () => {
  const runs = PROFILES.long.runs.map((r) => r.id);
  for (const n of [1, 2, 3, 7]) {
    const seen = Array.from({ length: n }, (_, i) => selectShard(runs, parseShard(`${i}/${n}`)!)).flat();
    assert.deepEqual([...seen].sort(), [...runs].sort());
  }
  assert.deepEqual(parseShard(undefined, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '4' }), { index: 3, count: 4 });
  assert.deepEqual(parseShard(undefined, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '2' }), { index: 3, count: 4 });
  assert.equal(parseShard(undefined, {}), undefined);
  assert.throws(() => parseShard('4/4'), /need 0 <= i < n/);
  assert.throws(() => parseShard('x'), /expects i\/n/);
});

test('profiles are consistent: unique ids, valid presets, sequence within context', () => {
  for (const p of Object.values(PROFILES)) {
    const ids = p.runs.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, `${p.name}: duplicate run ids`);
    for (const r of p.runs) assert.ok(r.seqLen <= presetConfig(r.preset, r.act).context);
    assert.ok(p.runs.some((r) => r.findings.includes('F2')) && p.runs.some((r) => r.findings.includes('F0')), p.name);
  }
});

/** Generous: the first smoke run is measured in about 10 s here; five minutes covers a heavily loaded machine. */
const FIRST_RUN_LIMIT_MS = 5 * 60_000;

test('reproduce: an interrupted sweep resumes without redoing finished runs, and writes tables with provenance', async () => {
  const data = tmpDir('sl-data-');
  const env = { SPARSING_DATA_DIR: data, SPARSING_JOBS: '2' };
  const measureDir = path.join(data, 'results', 'smoke', 'measure');
  // First attempt: killed as soon as one run is measured.
  const script = fs.existsSync(path.join(__dirname, '..', 'lib', 'cli', 'reproduce.js'))
    ? [path.join(__dirname, '..', 'lib', 'cli', 'reproduce.js')] : ['--import', 'tsx', path.join(__dirname, '..', 'lib', 'cli', 'reproduce.ts')];
  const child = spawn(process.execPath, [...script, '--profile', 'smoke'], { env: { ...process.env, ...env, SPARSING_QUIET_BACKEND: '1' }, stdio: 'ignore', detached: true });
  // Poll for the first measured run, but not forever: a child that dies or hangs fails the test
  // (and is killed) instead of leaving the suite waiting.
  const failure = await new Promise<string>((resolve) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const measured = fs.existsSync(measureDir) && fs.readdirSync(measureDir).some((f) => f.endsWith('.json'));
      const why = measured ? ''
        : child.exitCode !== null ? `reproduce exited with code ${child.exitCode} before measuring any run`
        : Date.now() - started > FIRST_RUN_LIMIT_MS ? `no run measured within ${FIRST_RUN_LIMIT_MS / 1000} s`
        : undefined;
      if (why === undefined) return;
      clearInterval(poll);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      resolve(why);
    }, 200);
  });
  assert.equal(failure, '', failure);
  await new Promise((r) => setTimeout(r, 300));
  const firstDone = fs.readdirSync(measureDir).filter((f) => f.endsWith('.json'));
  assert.ok(firstDone.length >= 1 && firstDone.length < PROFILES.smoke.runs.length, `measured before the kill: ${firstDone}`);
  const mtimes = new Map(firstDone.map((f) => [f, fs.statSync(path.join(measureDir, f)).mtimeMs]));

  const r = runCommand('reproduce', ['--profile', 'smoke'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`${firstDone.length} already measured`));
  // the children's progress arrives as JSON lines and is shown as text (here a finished stage), never as raw JSON
  assert.match(r.stderr, /^\[[\w,-]+\] \S+ measure measured: stabilised CETT \d/m);
  assert.doesNotMatch(r.stderr, /"event"/);
  for (const [f, t] of mtimes) assert.equal(fs.statSync(path.join(measureDir, f)).mtimeMs, t, `${f} was recomputed`);
  const results = path.join(data, 'results', 'smoke');
  for (const t of ['runs', 'trajectory', 'f0', 'fits']) assert.ok(fs.existsSync(path.join(results, `${t}.jsonl`)), t);
  const manifest = JSON.parse(fs.readFileSync(path.join(results, 'manifest.json'), 'utf8'));
  assert.equal(manifest.runs.length, PROFILES.smoke.runs.length);
  for (const run of manifest.runs) for (const k of ['commit', 'backend', 'date']) assert.ok(run.provenance[k], `${run.id} lacks ${k}`);
  const trajectory = fs.readFileSync(path.join(results, 'trajectory.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(trajectory.every((row) => row.activation_ratio >= 0 && row.activation_ratio <= 1));
  // Every stabilised point carries its sampling error (F1's error bars): positive and small against the ratio.
  const stable = trajectory.filter((row) => row.method === 'ppl-p-stable');
  assert.ok(stable.length > 0 && stable.every((row) => row.activation_ratio_se > 0 && row.activation_ratio_se < 0.2), 'activation_ratio_se on every ppl-p-stable row');

  // A third call finds everything done and recomputes nothing.
  const again = runCommand('reproduce', ['--profile', 'smoke'], env);
  assert.equal(again.code, 0);
  assert.match(again.stderr, /0 to do/);

  // The notebooks' way in, runProfile, runs the same sweep in this process: with every run
  // measured, it only writes the tables again, and leaves the results directory unlocked.
  const old = process.env.SPARSING_DATA_DIR;
  process.env.SPARSING_DATA_DIR = data;
  try {
    const before = fs.statSync(path.join(results, 'manifest.json')).mtimeMs;
    await runProfile('smoke');
    assert.ok(fs.statSync(path.join(results, 'manifest.json')).mtimeMs > before, 'the tables were written again');
    assert.equal(loadResults('smoke').runs.length, PROFILES.smoke.runs.length);
    assert.ok(!fs.existsSync(path.join(results, LOCK_FILE)), 'the lock is released');
    for (const [f, t] of mtimes) assert.equal(fs.statSync(path.join(measureDir, f)).mtimeMs, t, `${f} was recomputed`);
  } finally {
    if (old === undefined) delete process.env.SPARSING_DATA_DIR; else process.env.SPARSING_DATA_DIR = old;
  }
});

test('reproduce: bad flags and unknown profiles get one clear line', () => {
  const r = runCommand('reproduce', ['--profile', 'huge']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown profile 'huge'/);
  const s = runCommand('reproduce', ['--shard', '9/2', '--list']);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /need 0 <= i < n/);
});
