// After every run of a profile is measured: fit the laws to each trajectory, and write the tidy
// tables the notebooks read (data/results/<profile>/*.jsonl and .csv) with a manifest of provenance.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareBaselines, fitLaw, slopeRows, type LawFit } from '../laws';
import { writeFileAtomic } from '../util/atomic';
import { damaged, readJsonChecked, Shape } from '../util/checked-read';
import { provenance } from '../backend/provenance';
import { UserError } from '../util/errors';
import { writeTable } from '../util/tables';
import { RunMeasurement } from './measure-run';
import { MANIFEST_FILE, measureFile, resultsDir, runDir } from './paths';
import { DONE_FILE } from '../checkpoint/run-dir';
import { Profile } from './profiles';
import { seededTrainSeconds } from './seed';
import { FitOkRow, FitTableRow, isFitOk, LawBaselineRow, RunRow, SlopeTableRow, stableSeries, Tables, TrajectoryRow } from './schema';

/** Tokens-per-parameter points at which the slopes of fitted laws are compared (F3). */
export const SLOPE_TOKENS_PER_PARAM = [2, 5, 10, 20];

/** A fitted limit above this sits at the upper bound (1) of the fit: not determined by the data. */
export const A0_BOUND = 0.995;

const MEASUREMENT_SHAPE: Shape = {
  run: 'object', params: 'object', d_over_l: 'number', provenance: 'object', seconds: 'number', stabilised: 'object', trajectory: 'array', f0: 'array', patterns: 'object',
};

/** The measurements written so far, each checked as it is read; from the results folder or another folder of the same layout (a snapshot). */
export function readMeasurements(profile: Profile, dir?: string): RunMeasurement[] {
  const file = (id: string) => (dir ? path.join(dir, 'measure', `${id}.json`) : measureFile(profile.name, id));
  return profile.runs.filter((r) => fs.existsSync(file(r.id))).map((r) => {
    const m = readJsonChecked<RunMeasurement>(file(r.id), MEASUREMENT_SHAPE,
      `move it aside and rerun \`reproduce --profile ${profile.name}\` to measure run ${r.id} again (its checkpoints are intact)`);
    if (m.run.id !== r.id) throw damaged(file(r.id), `it holds run '${m.run.id}'`, `move it aside and rerun \`reproduce --profile ${profile.name}\` to measure run ${r.id} again`);
    return m;
  });
}

/** The trajectory series a law is fitted to: method + parameter. */
export function seriesOf(row: Pick<TrajectoryRow, 'method' | 'param'>): string {
  return row.method === 'ppl-p-stable' ? stableSeries(row.param ?? NaN) : row.method === 'cett' ? `cett-${row.param}` : String(row.method);
}

function runSummary(profileName: string, m: RunMeasurement, fits: FitTableRow[]): RunRow {
  const traj = m.trajectory;
  const stable = traj.filter((r) => r.method === 'ppl-p-stable');
  const last: TrajectoryRow | undefined = stable[stable.length - 1];
  const fit: FitOkRow | undefined = fits.filter(isFitOk).find((f) => f.run === m.run.id && f.series === stableSeries(m.stabilised.p));
  const zero = traj.filter((r) => r.method === 'zero');
  return {
    run: m.run.id, preset: m.run.preset, act: m.run.act, seed: m.run.seed, findings: m.run.findings.join(' '),
    d: last?.d ?? null, layers: last?.layers ?? null, d_over_l: m.d_over_l,
    non_embedding_params: m.params.nonEmbedding, total_params: m.params.total, tokens: m.run.tokens,
    tokens_per_param: m.run.tokens / m.params.nonEmbedding,
    final_val_loss: last?.val_loss ?? null, stabilised_cett: m.stabilised.cett, saturated: m.stabilised.saturated,
    last_ratio: last?.activation_ratio ?? null, last_ppl_ratio: last?.ppl_ratio ?? null,
    A0: fit?.A0 ?? null, A0_lo: fit?.A0_lo ?? null, A0_hi: fit?.A0_hi ?? null, fit_r2: fit?.r2 ?? null,
    // A fit with a parameter at a bound does not determine A0: only a one-sided bound is reported.
    limit_identified: fit?.limit_identified ?? null, limit_bound_side: fit?.limit_bound_side ?? null, limit_bound: fit?.limit_bound ?? null,
    fit_warnings: fit?.warnings ?? null,
    final_dead_ratio: zero.length ? zero[zero.length - 1].dead_ratio ?? null : null,
    train_seconds: trainSeconds(profileName, m.run.id), measure_seconds: m.seconds, backend: m.provenance.backend,
  };
}

/**
 * Seconds the trainer spent on a run, from its done.json (null when the run folder is not here).
 * A run resumed after an interruption records only its last session.
 */
export function trainSeconds(profileName: string, id: string): number | null {
  try {
    const done = JSON.parse(fs.readFileSync(path.join(runDir(profileName, id), DONE_FILE), 'utf8')) as { seconds?: unknown };
    return typeof done.seconds === 'number' ? done.seconds : null;
  } catch {
    return seededTrainSeconds(profileName, id) ?? null; // measured elsewhere, taken from the snapshot
  }
}

/**
 * The law fitted to every trajectory series of every run. A series the fitting library refuses (a
 * UserError: too few points, a bad point) becomes a row with its reason; any other exception is a bug
 * and propagates. `fit` is the law fitter (tests pass one that fails).
 */
export function fitTrajectories(ms: RunMeasurement[], fit: typeof fitLaw = fitLaw): { fits: FitTableRow[]; baselines: LawBaselineRow[]; slopes: SlopeTableRow[] } {
  const fits: FitTableRow[] = [], baselines: LawBaselineRow[] = [], slopes: SlopeTableRow[] = [];
  for (const m of ms) {
    const bySeries = new Map<string, TrajectoryRow[]>();
    for (const r of m.trajectory) {
      const key = seriesOf(r);
      if (!bySeries.has(key)) bySeries.set(key, []);
      bySeries.get(key)!.push(r);
    }
    for (const [series, rows] of bySeries) {
      // The stage travels with each point: checkpoints taken during the learning-rate warmup are left out.
      const pts = rows.filter((r): r is TrajectoryRow & { tokens: number } => typeof r.tokens === 'number' && typeof r.activation_ratio === 'number')
        .map((r) => ({ D: r.tokens, A: r.activation_ratio, stage: typeof r.stage === 'string' ? r.stage : null }));
      const base = { run: m.run.id, preset: m.run.preset, act: m.run.act, seed: m.run.seed, d_over_l: m.d_over_l, non_embedding_params: m.params.nonEmbedding, series };
      let law: LawFit;
      try {
        law = fit(pts, { act: m.run.act, unit: 'tokens', reportUnit: 'M', seed: 0 });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        fits.push({ ...base, error: e.message, n_points: pts.length });
        continue;
      }
      fits.push({ ...base, ...law });
      if (series === stableSeries(m.stabilised.p)) {
        for (const b of compareBaselines(pts, { act: m.run.act, unit: 'tokens', reportUnit: 'M' })) baselines.push({ ...base, ...b });
        for (const s of slopeRows(law, { atTokensPerParam: SLOPE_TOKENS_PER_PARAM, nParams: m.params.nonEmbedding, unit: 'tokens' })) slopes.push({ ...base, ...s });
      }
    }
  }
  return { fits, baselines, slopes };
}

/** Sums of the per-run seconds (CPU-parallel runs overlap: sweep_wall_seconds is the wall clock of the last sweep). */
export function timingTotals(runs: readonly Pick<RunRow, 'train_seconds' | 'measure_seconds'>[]): Record<string, number | null> {
  const sum = (k: 'train_seconds' | 'measure_seconds') => {
    const v = runs.map((r) => r[k]).filter((x): x is number => typeof x === 'number');
    return { total: v.length ? v.reduce((s, x) => s + x, 0) : null, runs_with_time: v.length };
  };
  const t = sum('train_seconds');
  const m = sum('measure_seconds');
  return { train_seconds_total: t.total, runs_with_train_time: t.runs_with_time, measure_seconds_total: m.total, runs: runs.length };
}

/** Writes every table, then the manifest (last: it lists each table's sha256, so a set of tables
 * left half-replaced by a crash is detected when read); returns the file names written.
 * `dir` defaults to the profile's results folder (a snapshot is refitted in place); `extra` adds manifest fields. */
export function aggregate(profile: Profile, wallSeconds: number, dir = resultsDir(profile.name), extra: Record<string, unknown> = {}): string[] {
  const ms = readMeasurements(profile, dir);
  const { fits, baselines, slopes } = fitTrajectories(ms);
  const tables: Tables = {
    runs: ms.map((m) => runSummary(profile.name, m, fits)),
    trajectory: ms.flatMap((m) => m.trajectory),
    f0: ms.flatMap((m) => m.f0),
    fits, law_baselines: baselines, slopes,
  };
  const written: Record<string, { sha256: string; rows: number }> = {};
  for (const [name, rows] of Object.entries(tables)) written[name] = writeTable(path.join(dir, name), rows);
  writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify({
    profile: profile.name, description: profile.description, measure: profile.measure, aggregated: provenance(), sweep_wall_seconds: wallSeconds,
    tables: written,
    timings: timingTotals(tables.runs), ...extra,
    runs: ms.map((m) => ({ id: m.run.id, spec: m.run, provenance: m.provenance, train_seconds: trainSeconds(profile.name, m.run.id), measure_seconds: m.seconds })),
  }, null, 2) + '\n');
  return [...Object.keys(tables).map((t) => `${t}.jsonl/.csv`), MANIFEST_FILE];
}
