// The stabilising strategy for a training trajectory: the CETT found by a PPL-p% search drifts and
// is noisy from checkpoint to checkpoint, so it is searched once, jointly on the last k checkpoints
// of the run (the mean of their PPL ratios must reach 1 + p), and that fixed CETT is then applied to
// every checkpoint. Checkpoints are loaded one at a time; only the last k are held together.
import * as path from 'node:path';
import { loadCheckpoint } from '../checkpoint/hf';
import { ModelConfig } from '../model/config';
import { listCheckpoints } from '../checkpoint/run-dir';
import { UserError } from '../util/errors';
import { MetricSet } from './eval-set';
import { Calibration, calibrate, CettMeasurement, cettLayerRows, cettRow, checkTol, MAX_TOL, measureAtCett, PplPOptions, searchCett, searchSteps } from './ppl-p';
import { LayerRow, SearchRow, SparsityRow } from './rows';

export interface CheckpointRef {
  dir: string;
  tokens: number | null;
  name?: string;
}

export interface StabiliseOptions extends PplPOptions {
  p: number;
  /** How many of the last checkpoints the CETT is searched on (default 3). */
  k?: number;
  rowsPerChunk?: number;
  /** Also measure every checkpoint at these fixed CETT values (e.g. [0.1], comparable across runs). */
  fixedCetts?: number[];
  /** Progress: called once per unit of work (a calibration or a sparse pass). */
  onProgress?: (done: number, total: number, what: string) => void;
}

export interface StabilisedResult {
  p: number;
  k: number;
  cett: number;          // the stabilised CETT (lower end of the final bracket)
  cettHigh: number;
  saturated: boolean;
  searchedOn: string[];  // the checkpoints of the joint search
  rows: SparsityRow[];   // one per checkpoint (method 'ppl-p-stable'), then the fixed-CETT rows
  layers: LayerRow[];
  steps: SearchRow[];
  seconds: { calibrate: number; search: number; apply: number; total: number };
}

/**
 * A run directory's checkpoints, oldest first, as references. Checkpoints of the learning-rate decay
 * stage are left out unless asked for: the paper measures sparsity on stable-stage checkpoints only.
 */
export function runCheckpoints(runDir: string, opts: { includeDecay?: boolean } = {}): CheckpointRef[] {
  const list = listCheckpoints(runDir);
  if (list.length === 0) throw new UserError(`${runDir} holds no finished checkpoints (expected ${path.join(runDir, 'checkpoints', 'tokens-NNNNNNNNNNNN')})`);
  const kept = opts.includeDecay ? list : list.filter((c) => c.stage !== 'decay');
  if (kept.length === 0) throw new UserError(`${runDir}: all ${list.length} checkpoints are from the decay stage (measure them with includeDecay)`);
  return kept.map((c) => ({ dir: c.dir, tokens: c.tokens, name: path.basename(c.dir) }));
}

function sameShape(a: ModelConfig, b: ModelConfig): boolean {
  return a.d === b.d && a.layers === b.layers && a.dFF === b.dFF && a.vocab === b.vocab && a.act === b.act;
}

/** Stabilised PPL-p% over the given checkpoints (oldest first), on one evaluation set. */
export function stabilised(checkpoints: CheckpointRef[], set: MetricSet, opts: StabiliseOptions): StabilisedResult {
  const t0 = Date.now();
  if (checkpoints.length === 0) throw new UserError('no checkpoints to measure');
  const k = opts.k ?? 3;
  if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`k must be a positive integer, got ${k}`);
  const kk = Math.min(k, checkpoints.length);
  const fixed = opts.fixedCetts ?? [];
  for (const c of fixed) if (!(c >= 0 && c <= 1)) throw new UserError(`fixed CETT values must be in [0, 1], got ${c}`);
  const tol = opts.tol ?? MAX_TOL;
  checkTol(tol);
  const n = checkpoints.length;
  const totalWork = n /* calibrations */ + searchSteps(tol) * kk + (n - kk) + n * fixed.length;
  let done = 0;
  const tick = (what: string) => opts.onProgress?.(++done, totalWork, what);

  let config: ModelConfig | undefined;
  const load = (ref: CheckpointRef): Calibration => {
    const model = loadCheckpoint(ref.dir);
    if (config && !sameShape(config, model.config)) {
      model.dispose();
      throw new UserError(`${ref.dir}: its shape (d ${model.config.d}, layers ${model.config.layers}, dFF ${model.config.dFF}, ${model.config.act}) differs from the run's other checkpoints`);
    }
    config = model.config;
    const cal = calibrate(model, set, { rowsPerChunk: opts.rowsPerChunk, name: ref.name ?? path.basename(ref.dir), tokens: ref.tokens });
    tick(`calibrated ${cal.name}`);
    return cal;
  };

  // 1. Joint search on the last k.
  const tail = checkpoints.slice(n - kk);
  let tCal = Date.now();
  const tailCals = tail.map(load);
  let calSeconds = (Date.now() - tCal) / 1000;
  const tSearch = Date.now();
  const search = searchCett(tailCals, opts.p, {
    ...opts, tol,
    onStep: (row, i, tot) => { for (let j = 0; j < kk; j++) tick(`search step ${i}/${tot}: cett ${row.cett.toFixed(4)} ppl ratio ${row.ppl_ratio.toFixed(4)}`); opts.onStep?.(row, i, tot); },
  });
  const searchSeconds = (Date.now() - tSearch) / 1000;

  // 2. Apply the fixed CETT to every checkpoint (the last k were measured there during the search).
  const tApply = Date.now();
  const rows: SparsityRow[] = [];
  const fixedRows: SparsityRow[] = [];
  const layers: LayerRow[] = [];
  const emit = (cal: Calibration, m: CettMeasurement) => {
    rows.push(cettRow(cal, m, 'ppl-p-stable', opts.p, search.saturated));
    layers.push(...cettLayerRows(cal, m, 'ppl-p-stable', opts.p));
    for (const c of fixed) {
      const mf = measureAtCett(cal, c, opts);
      fixedRows.push(cettRow(cal, mf, 'cett', c));
      layers.push(...cettLayerRows(cal, mf, 'cett', c));
      tick(`${cal.name} at CETT ${c}`);
    }
  };
  let applyCal = 0;
  for (let i = 0; i < n - kk; i++) {
    tCal = Date.now();
    const cal = load(checkpoints[i]);
    applyCal += (Date.now() - tCal) / 1000;
    const m = measureAtCett(cal, search.cett, opts);
    tick(`${cal.name} at CETT ${search.cett.toFixed(4)}`);
    emit(cal, m);
    cal.model.dispose();
  }
  tailCals.forEach((cal, j) => { emit(cal, search.at[j]); cal.model.dispose(); });
  calSeconds += applyCal;
  return {
    p: opts.p, k: kk, cett: search.cett, cettHigh: search.cettHigh, saturated: search.saturated,
    searchedOn: tailCals.map((c) => c.name), rows: [...rows, ...fixedRows], layers, steps: search.steps,
    seconds: { calibrate: calSeconds, search: searchSeconds, apply: (Date.now() - tApply) / 1000 - applyCal, total: (Date.now() - t0) / 1000 },
  };
}
