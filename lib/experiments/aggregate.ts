// After every run of a profile is measured: fit the laws to each trajectory, and write the tidy
// tables the notebooks read (data/results/<profile>/*.jsonl and .csv) with a manifest of provenance.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareBaselines, fitLaw, slopeRows } from '../laws';
import { writeFileAtomic } from '../util/atomic';
import { damaged, readJsonChecked, Shape } from '../util/checked-read';
import { provenance } from '../util/provenance';
import { Row, writeTable } from '../util/tables';
import { RunMeasurement } from './measure-run';
import { MANIFEST_FILE, measureFile, resultsDir } from './paths';
import { Profile } from './profiles';

/** Tokens-per-parameter points at which the slopes of fitted laws are compared (F3). */
export const SLOPE_TOKENS_PER_PARAM = [2, 5, 10, 20];

/** A fitted limit above this sits at the upper bound (1) of the fit: not determined by the data. */
export const A0_BOUND = 0.995;

const MEASUREMENT_SHAPE: Shape = {
  run: 'object', params: 'object', d_over_l: 'number', provenance: 'object', seconds: 'number', stabilised: 'object', trajectory: 'array', f0: 'array', patterns: 'object',
};

/** The measurements written so far, each checked as it is read. */
export function readMeasurements(profile: Profile): RunMeasurement[] {
  return profile.runs.filter((r) => fs.existsSync(measureFile(profile.name, r.id))).map((r) => {
    const m = readJsonChecked<RunMeasurement>(measureFile(profile.name, r.id), MEASUREMENT_SHAPE,
      `move it aside and rerun \`reproduce --profile ${profile.name}\` to measure run ${r.id} again (its checkpoints are intact)`);
    if (m.run.id !== r.id) throw damaged(measureFile(profile.name, r.id), `it holds run '${m.run.id}'`, `move it aside and rerun \`reproduce --profile ${profile.name}\` to measure run ${r.id} again`);
    return m;
  });
}

/** The trajectory series a law is fitted to: method + parameter. */
export function seriesOf(row: Row): string {
  return row.method === 'ppl-p-stable' ? 'ppl-1%-stable' : row.method === 'cett' ? `cett-${row.param}` : String(row.method);
}

function runSummary(m: RunMeasurement, fits: Row[]): Row {
  const traj = m.trajectory;
  const stable = traj.filter((r) => r.method === 'ppl-p-stable');
  const last = stable[stable.length - 1] ?? {};
  const fit = fits.find((f) => f.run === m.run.id && f.series === 'ppl-1%-stable' && !f.error) ?? {};
  const zero = traj.filter((r) => r.method === 'zero');
  return {
    run: m.run.id, preset: m.run.preset, act: m.run.act, seed: m.run.seed, findings: m.run.findings.join(' '),
    d: (last as Row).d ?? null, layers: (last as Row).layers ?? null, d_over_l: m.d_over_l,
    non_embedding_params: m.params.nonEmbedding, total_params: m.params.total, tokens: m.run.tokens,
    tokens_per_param: m.run.tokens / m.params.nonEmbedding,
    final_val_loss: (last as Row).val_loss ?? null, stabilised_cett: m.stabilised.cett, saturated: m.stabilised.saturated,
    last_ratio: (last as Row).activation_ratio ?? null, last_ppl_ratio: (last as Row).ppl_ratio ?? null,
    A0: (fit as Row).A0 ?? null, A0_lo: (fit as Row).A0_lo ?? null, A0_hi: (fit as Row).A0_hi ?? null, fit_r2: (fit as Row).r2 ?? null,
    // A limit pinned at the bound of 1 means the curve has not bent over yet: the data do not determine A0.
    A0_at_bound: typeof (fit as Row).A0 === 'number' ? ((fit as Row).A0 as number) > A0_BOUND : null,
    final_dead_ratio: zero.length ? zero[zero.length - 1].dead_ratio : null,
    measure_seconds: m.seconds, backend: m.provenance.backend,
  };
}

export function fitTrajectories(ms: RunMeasurement[]): { fits: Row[]; baselines: Row[]; slopes: Row[] } {
  const fits: Row[] = [], baselines: Row[] = [], slopes: Row[] = [];
  for (const m of ms) {
    const bySeries = new Map<string, Row[]>();
    for (const r of m.trajectory) {
      const key = seriesOf(r);
      if (!bySeries.has(key)) bySeries.set(key, []);
      bySeries.get(key)!.push(r);
    }
    for (const [series, rows] of bySeries) {
      const pts = rows.filter((r) => typeof r.tokens === 'number' && typeof r.activation_ratio === 'number')
        .map((r) => ({ D: r.tokens as number, A: r.activation_ratio as number }));
      const base = { run: m.run.id, preset: m.run.preset, act: m.run.act, seed: m.run.seed, d_over_l: m.d_over_l, non_embedding_params: m.params.nonEmbedding, series };
      try {
        const fit = fitLaw(pts, { act: m.run.act, unit: 'tokens', reportUnit: 'M', seed: 0 });
        fits.push({ ...base, ...fit });
        if (series === 'ppl-1%-stable') {
          for (const b of compareBaselines(pts, { act: m.run.act, unit: 'tokens', reportUnit: 'M' })) baselines.push({ ...base, ...b });
          for (const s of slopeRows(fit, { atTokensPerParam: SLOPE_TOKENS_PER_PARAM, nParams: m.params.nonEmbedding, unit: 'tokens' })) slopes.push({ ...base, ...s });
        }
      } catch (e) {
        fits.push({ ...base, error: (e as Error).message, n_points: pts.length });
      }
    }
  }
  return { fits, baselines, slopes };
}

/** Writes every table, then the manifest (last: it lists each table's sha256, so a set of tables
 * left half-replaced by a crash is detected when read); returns the file names written. */
export function aggregate(profile: Profile, wallSeconds: number): string[] {
  const dir = resultsDir(profile.name);
  const ms = readMeasurements(profile);
  const { fits, baselines, slopes } = fitTrajectories(ms);
  const tables: Record<string, Row[]> = {
    runs: ms.map((m) => runSummary(m, fits)),
    trajectory: ms.flatMap((m) => m.trajectory),
    f0: ms.flatMap((m) => m.f0),
    fits, law_baselines: baselines, slopes,
  };
  const written: Record<string, { sha256: string; rows: number }> = {};
  for (const [name, rows] of Object.entries(tables)) written[name] = writeTable(path.join(dir, name), rows);
  writeFileAtomic(path.join(dir, MANIFEST_FILE), JSON.stringify({
    profile: profile.name, description: profile.description, measure: profile.measure, aggregated: provenance(), sweep_wall_seconds: wallSeconds,
    tables: written,
    runs: ms.map((m) => ({ id: m.run.id, spec: m.run, provenance: m.provenance, measure_seconds: m.seconds })),
  }, null, 2) + '\n');
  return [...Object.keys(tables).map((t) => `${t}.jsonl/.csv`), MANIFEST_FILE];
}
