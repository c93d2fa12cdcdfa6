// The result tables of a profile, one typed row each: what measuring writes (measure/<id>.json),
// what aggregating writes (runs, trajectory, f0, fits, law_baselines, slopes .jsonl/.csv), and
// what loading results and the findings read. Renaming or dropping a column here is a compile
// error wherever it is used. Like lib/metrics/rows.ts, rows are type aliases of plain scalar
// fields (a list of them is a dataframe); units are in the comments.
// On disk a number that was NaN or infinite is written as null: read such fields with num().
import type { CompareRow, LawFit, SlopeRow } from '../laws';
import { pplLabel, type RowLabel, type SparsityRow } from '../metrics/rows';
import type { Shape } from '../util/checked-read';
import type { RunSpec } from './profiles';

/** Which run a row belongs to: the key every table starts with. */
export type RunKey = {
  run: string;                   // run id (profiles.ts)
  preset: string;                // model shape, e.g. 'd64-l2'
  act: RunSpec['act'];
  seed: number;
  d_over_l: number;              // width over depth
  non_embedding_params: number;
};

/** The run key plus the model's shape, on every measured row. */
export type ModelFields = RunKey & {
  d: number;
  layers: number;
  tokens_per_param: number | null;  // training tokens of the checkpoint / non-embedding parameters
};

/** Where a checkpoint sits in training (from its checkpoint metadata). */
export type CheckpointFields = {
  val_loss: number | null;       // validation loss at the checkpoint, nats per token
  stage?: string | null;         // 'warmup', 'stable', ...; absent in tables written before it was recorded
};

/** One checkpoint x method of a run: the PPL-p% / fixed-CETT series, and ReLU's zero count
 * ('zero' rows measured before the schema existed lack `backend`). */
export type TrajectoryRow = ModelFields & RowLabel & CheckpointFields & {
  activation_ratio: number;
  // The sparsity fields, present for 'ppl-p-stable' and 'cett' rows (not for 'zero').
  activation_ratio_calc?: number | null;
  sparsity_ratio?: number;
  ppl_ratio?: number;
  ppl_ratio_se?: number;
  /** 'ppl-p-stable' rows: standard error of activation_ratio over evaluation rows (clustered), absent in measurements made before it was recorded. */
  activation_ratio_se?: number | null;
  dense_loss?: number;
  cett?: number | null;
  saturated?: boolean | null;
  dead_ratio?: number;           // 'zero' rows: mean over layers of the fraction of neurons active on < 0.1% of tokens
};

/** One F0 measurement of a run's final checkpoint: every method and knob. */
export type F0Row = ModelFields & SparsityRow;

/** The series name of a run's stabilised PPL-p% trajectory in the fit tables: 'ppl-1%-stable' for p = 0.01. */
export function stableSeries(p: number): string {
  return `${pplLabel(p).toLowerCase()}-stable`;
}

/** A law fitted to one series of one run (series: stableSeries(p), 'cett-<value>' or 'zero'). */
export type FitOkRow = RunKey & { series: string } & LawFit;
/** A series whose fit failed: the message, and how many points it had. */
export type FitErrorRow = RunKey & { series: string; error: string; n_points: number };
export type FitTableRow = FitOkRow | FitErrorRow;

export function isFitOk(r: FitTableRow): r is FitOkRow {
  return !('error' in r);
}

/** The law against the authors' baselines on one run's stabilised series. */
export type LawBaselineRow = RunKey & { series: string } & CompareRow;

/** A and dA/dD of a run's fitted law at set tokens per parameter (F3). */
export type SlopeTableRow = RunKey & { series: string } & SlopeRow;

/** One run: its spec, last stabilised point, fitted limit and timings. */
export type RunRow = {
  run: string; preset: string; act: RunSpec['act']; seed: number;
  findings: string;              // space-separated finding ids
  d: number | null; layers: number | null; d_over_l: number;
  non_embedding_params: number; total_params: number;
  tokens: number;                // training budget
  tokens_per_param: number;
  final_val_loss: number | null;
  stabilised_cett: number; saturated: boolean;
  last_ratio: number | null; last_ppl_ratio: number | null;
  A0: number | null; A0_lo: number | null; A0_hi: number | null; fit_r2: number | null;
  limit_identified: boolean | null; limit_bound_side: 'upper' | 'lower' | null; limit_bound: number | null;
  fit_warnings: string | null;
  final_dead_ratio: number | null;
  train_seconds: number | null;  // from the run's done.json (null when the run folder is not here)
  measure_seconds: number;
  backend: string;
};

/** Every table of a results folder, by file name (without .jsonl). */
export type Tables = {
  runs: RunRow[];
  trajectory: TrajectoryRow[];
  f0: F0Row[];
  fits: FitTableRow[];
  law_baselines: LawBaselineRow[];
  slopes: SlopeTableRow[];
};
export type TableName = keyof Tables;

const KEY: Shape = { run: 'string', preset: 'string', act: 'string', seed: 'integer', d_over_l: 'number', non_embedding_params: 'integer' };
const MEASURED: Shape = { ...KEY, method: 'string', checkpoint: 'string', tokens: 'number', activation_ratio: 'number' };

/** What each table's rows must hold when read back (checked line by line; see lib/util/checked-read.ts). */
export const TABLE_SHAPES: Record<TableName, Shape> = {
  runs: { ...KEY, findings: 'string', tokens: 'number', stabilised_cett: 'number' },
  trajectory: MEASURED,
  f0: { ...MEASURED, ppl_ratio: 'number', param_name: 'string' },
  fits: { ...KEY, series: 'string' },   // a failed fit has only the key, its error and n_points
  law_baselines: { ...KEY, series: 'string', law: 'string', mse: 'number' },
  slopes: { ...KEY, series: 'string', D: 'number', A: 'number' },
};
