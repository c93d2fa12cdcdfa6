// The `long` profile holds what issue #13 asks for, and its plan (runs, tokens, estimated minutes from
// measured speeds, the total against 150 minutes on 2 cores) is computed, printed and checked.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { f0Cetts } from '../lib/experiments/measure-run';
import { getProfile, PROFILES } from '../lib/experiments/profiles';
import { measuredSecondsFrom, planProfile, planText, readSpeeds, scheduleWall, speedFor, type SpeedTable } from '../lib/experiments/plan';
import { paramCounts } from '../lib/model/config';
import { presetConfig } from '../lib/model/presets';
import { UserError } from '../lib/util/errors';

const params = (preset: string) => paramCounts(presetConfig(preset)).nonEmbedding;

test('long profile: the runs issue #13 asks for', () => {
  const long = getProfile('long');
  const f3 = long.runs.filter((r) => r.findings.includes('F3'));
  const sizes = [...new Set(f3.map((r) => r.preset))];
  assert.ok(sizes.length >= 5);
  const ns = sizes.map(params);
  assert.ok(Math.min(...ns) <= 10_000 && Math.max(...ns) >= 1_000_000, String(ns));
  for (const preset of sizes) for (const act of ['relu', 'silu']) {
    const rs = f3.filter((r) => r.preset === preset && r.act === act);
    assert.ok(new Set(rs.map((r) => r.seed)).size >= 3, `${preset} ${act}`);
    // Every size reaches the common token budget and the common tokens per parameter.
    assert.ok(rs.every((r) => r.tokens >= 2_000_000 && r.tokens >= 2 * params(preset)), preset);
    if (params(preset) <= 40_000) assert.ok(rs.every((r) => r.tokens >= 199 * params(preset)), `${preset} at the paper's tokens per parameter`);
  }
  const wd = long.runs.filter((r) => r.preset.startsWith('wd131k'));
  for (const preset of new Set(wd.map((r) => r.preset))) assert.ok(wd.filter((r) => r.preset === preset).length >= 4, preset);
  const small = long.runs.filter((r) => r.preset.startsWith('wd30k'));
  assert.ok(new Set(small.map((r) => r.preset)).size >= 5 && small.every((r) => r.tokens >= 5_000_000));
  const dl = long.runs.filter((r) => r.findings.includes('F2')).map((r) => { const c = presetConfig(r.preset); return c.d / c.layers; });
  assert.ok(Math.max(...dl) > 114, `widest d/L ${Math.max(...dl)}`);
  assert.ok(long.runs.some((r) => r.act === 'silu' && r.preset === 'd32-l1' && r.tokens >= 16_000_000));
  assert.equal(new Set(long.runs.map((r) => r.id)).size, long.runs.length);
});

test('F0 curves: every profile gets the number of fixed CETTs it asks for (long: 16, no longer cut to 12); more than the grid holds is refused', () => {
  // The grid smoke and default measure is unchanged.
  assert.deepEqual(f0Cetts(12), [0.005, 0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7]);
  assert.deepEqual(f0Cetts(5), [0.005, 0.01, 0.02, 0.04, 0.07]);
  for (const p of Object.values(PROFILES)) {
    const c = f0Cetts(p.measure.f0Points);
    assert.equal(new Set(c).size, p.measure.f0Points, p.name);
    assert.deepEqual(c, [...c].sort((a, b) => a - b), `${p.name}: ascending`);
  }
  assert.equal(f0Cetts(getProfile('long').measure.f0Points).length, 16);
  for (const n of [17, 3, 4.5]) {
    assert.throws(() => f0Cetts(n), (e: unknown) => e instanceof UserError && new RegExp(`from 4 to 16 .*got ${n}$`).test(e.message));
  }
});

test('plan: schedule, speeds interpolated in depth, totals and the fit against the limit', () => {
  assert.equal(scheduleWall([5, 4, 3, 3, 3], 2), 10); // longest first (the optimum, 9, is not what a pool does)
  assert.equal(scheduleWall([10], 2), 10);
  const speeds: SpeedTable = { measured_at: 'x', command: 'x', backend: 'test', note: 'synthetic', rows: [
    { preset: 'wd131k-l1', params: 159252, tokens_per_s: 16000 }, { preset: 'wd131k-l16', params: 154392, tokens_per_s: 1000 }, { preset: 'd64-l2', params: 147776, tokens_per_s: 8000 },
  ] };
  assert.equal(speedFor('d64-l2', speeds).source, 'measured');
  const l4 = speedFor('wd131k-l4', speeds);
  assert.ok(Math.abs(l4.tokens_per_s - 4000) < 1e-6, String(l4.tokens_per_s)); // halfway in log depth: geometric mean
  assert.match(speedFor('d96-l3', speeds).source, /scaled from d64-l2/);
  const measure = { a: Math.log(2), b: 0, source: 'test: 2 s per checkpoint' };
  const plan = planProfile(getProfile('default'), speeds, measure, 2, 150);
  const run = plan.rows.find((r) => r.id === 'd64-l2-relu-s0-4M')!;
  assert.ok(Math.abs(run.train_min - 4_000_000 / 8000 / 60) < 1e-9);
  assert.ok(Math.abs(run.measure_min - (run.checkpoints * 2) / 60) < 1e-9);
  assert.ok(run.checkpoints >= 8 && run.checkpoints <= 12, String(run.checkpoints));
  assert.ok(Math.abs(plan.core_minutes - plan.rows.reduce((s, r) => s + r.minutes, 0)) < 1e-9);
  assert.ok(plan.wall_minutes >= plan.core_minutes / 2 && plan.wall_minutes <= plan.core_minutes);
  assert.equal(plan.fits, plan.wall_minutes <= 150);
  assert.match(planText(plan), /total: [\d.]+ core-minutes; on 2 cores .* about [\d.]+ minutes: (fits|does NOT fit) in 150 minutes/);
  assert.ok(readSpeeds().rows.length >= 10, 'the committed speed table');
  assert.equal(plan.measured_runs, 0);
  assert.ok(plan.rows.every((r) => r.measure_source === 'line'));

  // A run the profile's own snapshot measured is planned at its measured time, not the line's.
  const own = planProfile(getProfile('default'), speeds, measure, 2, 150, new Map([['d64-l2-relu-s0-4M', 600]]));
  const mine = own.rows.find((r) => r.id === 'd64-l2-relu-s0-4M')!;
  assert.equal(mine.measure_min, 10);
  assert.equal(mine.measure_source, 'measured');
  assert.equal(own.measured_runs, 1);
  assert.ok(Math.abs(own.core_minutes - plan.core_minutes - (10 - run.measure_min)) < 1e-9);
  assert.match(planText(own), new RegExp(`measurement time: 1 of ${own.rows.length} runs as this profile's committed snapshot measured them, the rest from test: 2 s per checkpoint`));
});

test('plan: measured seconds are read from a runs table, runs without a time left out', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-plan-'));
  const f = path.join(dir, 'runs.jsonl');
  fs.writeFileSync(f, [{ run: 'a', measure_seconds: 12.5 }, { run: 'b', measure_seconds: null }, { run: 'c' }].map((r) => JSON.stringify(r)).join('\n') + '\n');
  assert.deepEqual([...measuredSecondsFrom(f)], [['a', 12.5]]);
  assert.equal(measuredSecondsFrom(path.join(dir, 'none.jsonl')).size, 0, 'no snapshot: nothing measured');
});

test('reproduce --plan prints the long profile\'s runs and total without training', async () => {
  const ext = path.extname(__filename);
  const cli = path.join(__dirname, '..', 'lib', 'cli', `reproduce${ext}`);
  const args = ext === '.ts' ? ['--import', 'tsx', cli] : [cli];
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [...args, '--profile', 'long', '--plan'], (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^profile long: \d+ runs/);
  assert.match(out.stdout, /^d128-l4-silu-s2-2\.1M\t1049728\t2100000\t/m);
  assert.match(out.stdout, /in 150 minutes/);
});
