// What a profile costs before it runs (issue #13, item 6): per run, the training tokens, the seconds to
// train them at the measured tokens/s of its preset (data/bench/train-speed-native.json, written from
// bench/train-speed), the seconds to measure its checkpoints (as the profile's own committed snapshot
// measured them where it has the run, else a log-log line through the committed default snapshot's
// measured runs), and the wall time of the whole profile on `cores` processes
// (one run per core, longest first: the pool's schedule). Estimates, printed as such, never timings.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { paramCounts } from '../model/config';
import { presetConfig } from '../model/presets';
import { checkpointSteps } from '../train/schedule';
import { UserError } from '../util/errors';
import type { Profile, RunSpec } from './profiles';

export interface SpeedRow { preset: string; params: number; tokens_per_s: number }
export interface SpeedTable { measured_at: string; command: string; backend: string; note: string; rows: SpeedRow[] }
/** Measurement seconds per checkpoint = exp(a) * totalParams^b. */
export interface MeasureModel { a: number; b: number; source: string }

export const SPEED_FILE = path.join(__dirname, '..', '..', '..', 'data', 'bench', 'train-speed-native.json');

export function readSpeeds(file = SPEED_FILE): SpeedTable {
  let t: SpeedTable;
  try {
    t = JSON.parse(fs.readFileSync(file, 'utf8')) as SpeedTable;
  } catch (e) {
    throw new UserError(`cannot read the measured training speeds ${file}: ${(e as Error).message.split('\n')[0]} (run bench/train-speed and save its rows there)`);
  }
  if (!Array.isArray(t.rows) || !t.rows.every((r) => r.tokens_per_s > 0 && r.params > 0)) throw new UserError(`${file}: rows need preset, params and tokens_per_s > 0`);
  return t;
}

/**
 * Tokens/s for a preset: measured; else, within a width-depth family (same name before "-l"), log tokens/s
 * interpolated in log depth between measured members (depth, not size, sets the speed there); else scaled
 * from the measured preset nearest in parameters (time ~ parameters; width-depth shapes only for their own family).
 */
export function speedFor(preset: string, speeds: SpeedTable): { tokens_per_s: number; source: string } {
  const hit = speeds.rows.find((r) => r.preset === preset);
  if (hit) return { tokens_per_s: hit.tokens_per_s, source: 'measured' };
  const fam = /^(wd\d+k)-l(\d+)$/.exec(preset);
  if (fam) {
    const kin = speeds.rows.map((r) => ({ r, m: /^(wd\d+k)-l(\d+)$/.exec(r.preset) })).filter((x) => x.m && x.m[1] === fam[1]).map((x) => ({ L: Number(x.m![2]), tps: x.r.tokens_per_s }))
      .sort((a, b) => a.L - b.L);
    const L = Number(fam[2]);
    const lo = [...kin].reverse().find((k) => k.L <= L);
    const hi = kin.find((k) => k.L >= L);
    if (lo && hi && hi.L > lo.L) {
      const w = (Math.log(L) - Math.log(lo.L)) / (Math.log(hi.L) - Math.log(lo.L));
      return { tokens_per_s: Math.exp(Math.log(lo.tps) + w * (Math.log(hi.tps) - Math.log(lo.tps))), source: `interpolated in depth (${fam[1]}-l${lo.L}, -l${hi.L})` };
    }
  }
  const P = paramCounts(presetConfig(preset)).total;
  // Width-depth shapes are fast or slow for their size by depth: scale from the d/L-fixed ones when there are any.
  const pool = fam ? speeds.rows : speeds.rows.filter((r) => !/^wd\d+k-/.test(r.preset));
  const near = (pool.length ? pool : speeds.rows).reduce((a, b) => (Math.abs(Math.log(b.params / P)) < Math.abs(Math.log(a.params / P)) ? b : a));
  return { tokens_per_s: (near.tokens_per_s * near.params) / P, source: `scaled from ${near.preset}` };
}

/** The log-log line of measurement seconds per checkpoint against total parameters, from a results folder's runs table. */
export function measureModelFrom(runsJsonl: string, trajectoryJsonl: string): MeasureModel {
  const runs = fs.readFileSync(runsJsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { run: string; total_params: number; measure_seconds: number | null });
  const ck = new Map<string, number>();
  for (const l of fs.readFileSync(trajectoryJsonl, 'utf8').trim().split('\n')) {
    const r = JSON.parse(l) as { run: string; method: string };
    if (r.method === 'ppl-p-stable') ck.set(r.run, (ck.get(r.run) ?? 0) + 1);
  }
  const pts = runs.filter((r) => (r.measure_seconds ?? 0) > 0 && (ck.get(r.run) ?? 0) > 0).map((r) => ({ x: Math.log(r.total_params), y: Math.log((r.measure_seconds as number) / ck.get(r.run)!) }));
  if (pts.length < 2) throw new UserError(`${runsJsonl}: fewer than two runs with measurement times`);
  const mx = pts.reduce((s, p) => s + p.x, 0) / pts.length;
  const my = pts.reduce((s, p) => s + p.y, 0) / pts.length;
  const b = pts.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / pts.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return { a: my - b * mx, b, source: `${pts.length} measured runs of ${path.basename(path.dirname(runsJsonl))}` };
}

/** Measured measurement seconds per run id, from a results folder's runs table (runs without a time are left out). */
export function measuredSecondsFrom(runsJsonl: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!fs.existsSync(runsJsonl)) return out;
  for (const l of fs.readFileSync(runsJsonl, 'utf8').trim().split('\n')) {
    if (!l) continue;
    const r = JSON.parse(l) as { run: string; measure_seconds?: number | null };
    if (typeof r.measure_seconds === 'number' && r.measure_seconds > 0) out.set(r.run, r.measure_seconds);
  }
  return out;
}

export interface PlanRow {
  id: string; preset: string; act: string; seed: number; params: number; tokens: number; tokens_per_param: number;
  checkpoints: number; tokens_per_s: number; speed_source: string; train_min: number; measure_min: number; minutes: number;
  /** 'measured' where the profile's own snapshot timed this run's measurement, else 'line'. */
  measure_source: 'measured' | 'line';
}

export interface Plan { profile: string; rows: PlanRow[]; core_minutes: number; cores: number; wall_minutes: number; limit_minutes: number; fits: boolean; speeds: SpeedTable; measure: MeasureModel; measured_runs: number }

/** Wall time of jobs on `cores` workers, longest first to the first free worker. */
export function scheduleWall(minutes: readonly number[], cores: number): number {
  const free = Array(Math.max(1, cores)).fill(0);
  for (const m of [...minutes].sort((a, b) => b - a)) {
    const i = free.indexOf(Math.min(...free));
    free[i] += m;
  }
  return Math.max(...free);
}

/**
 * `measured`: measurement seconds the profile's own snapshot recorded per run. They replace the
 * line's estimate where present: the line through size alone misses single runs by about 2x (depth,
 * and the F0 and pattern passes of some runs, cost more than size says).
 */
export function planProfile(profile: Profile, speeds: SpeedTable, measure: MeasureModel, cores = 2, limitMinutes = profile.budgetMinutes ?? 150, measured: ReadonlyMap<string, number> = new Map()): Plan {
  const rows = profile.runs.map((r: RunSpec) => {
    const cfg = presetConfig(r.preset, r.act);
    const p = paramCounts(cfg);
    const sp = speedFor(r.preset, speeds);
    // Checkpoints the measurement visits: those at or above the profile's minTokens.
    const perStep = r.batchSize * r.seqLen;
    const checkpoints = checkpointSteps(perStep, Math.round(r.tokens / perStep), r.ckptFirstTokens, r.ckptFactor).filter((s) => s * perStep >= profile.measure.minTokens).length;
    const train = r.tokens / sp.tokens_per_s / 60;
    const seen = measured.get(r.id);
    const meas = seen !== undefined ? seen / 60 : (checkpoints * Math.exp(measure.a + measure.b * Math.log(p.total))) / 60;
    return {
      id: r.id, preset: r.preset, act: r.act, seed: r.seed, params: p.nonEmbedding, tokens: r.tokens, tokens_per_param: r.tokens / p.nonEmbedding,
      checkpoints, tokens_per_s: sp.tokens_per_s, speed_source: sp.source, train_min: train, measure_min: meas, minutes: train + meas,
      measure_source: seen !== undefined ? 'measured' as const : 'line' as const,
    };
  });
  const core = rows.reduce((s, r) => s + r.minutes, 0);
  const wall = scheduleWall(rows.map((r) => r.minutes), cores);
  return { profile: profile.name, rows, core_minutes: core, cores, wall_minutes: wall, limit_minutes: limitMinutes, fits: wall <= limitMinutes, speeds, measure, measured_runs: rows.filter((r) => r.measure_source === 'measured').length };
}

/** The plan as the text `reproduce --plan` prints. */
export function planText(plan: Plan): string {
  const f = (x: number, d = 1) => x.toFixed(d);
  const lines = [
    `profile ${plan.profile}: ${plan.rows.length} runs (estimates from measured speeds, not timings)`,
    'id\tparams\ttokens\ttokens/param\tcheckpoints\ttokens/s\ttrain min\tmeasure min\ttotal min\tspeed',
    ...plan.rows.map((r) => `${r.id}\t${r.params}\t${r.tokens}\t${f(r.tokens_per_param)}\t${r.checkpoints}\t${Math.round(r.tokens_per_s)}\t${f(r.train_min)}\t${f(r.measure_min)}\t${f(r.minutes)}\t${r.speed_source}`),
    `total: ${f(plan.core_minutes)} core-minutes; on ${plan.cores} cores (one run per core, longest first) about ${f(plan.wall_minutes)} minutes: ` +
      `${plan.fits ? 'fits' : 'does NOT fit'} in ${plan.limit_minutes} minutes`,
    `speeds: ${plan.speeds.backend}, measured ${plan.speeds.measured_at} (${plan.speeds.note}); measurement time: ` +
      (plan.measured_runs === plan.rows.length ? `all ${plan.rows.length} runs as this profile's committed snapshot measured them`
        : `${plan.measured_runs ? `${plan.measured_runs} of ${plan.rows.length} runs as this profile's committed snapshot measured them, the rest from ` : ''}${plan.measure.source}`),
  ];
  return lines.join('\n') + '\n';
}
