// PPL-p% sparsity: one CETT value c shared by all layers; every layer's threshold is calibrated on
// dense activations; the model runs with all layers sparsified at once; c is bisected until the
// PPL ratio reaches 1 + p. A Calibration (one dense pass: per-token NLL and each layer's CETT curve)
// is reused by every step of the search, so a step costs one sparse forward pass and nothing else.
import { backendName } from '../backend/select';
import { Model } from '../model/model';
import { UserError } from '../util/errors';
import { defaultRowsPerChunk, downProj, forEachChunk, passNll } from '../model/pass';
import { checkEvalSet, MetricSet } from './eval-set';
import { CettCurve, CettCurveBuilder, cettSparsifiers, GridOptions, ThresholdResult } from './cett';
import { pplRatio, PplRatio } from './ppl';
import { labelOf, LayerRow, meanOf, MethodName, SearchRow, SparsityRow } from './rows';

export interface CalibrateOptions {
  rowsPerChunk?: number;
  /** Label of the checkpoint in result rows. */
  name?: string;
  /** Training tokens of the checkpoint, when known. */
  tokens?: number | null;
  /** Called after each chunk of the calibration pass (rows done, total rows). */
  onProgress?: (rows: number, total: number) => void;
}

/** A model, its evaluation set, its dense per-token NLL and its per-layer CETT curves. */
export interface Calibration {
  model: Model;
  set: MetricSet;
  name: string;
  tokens: number | null;
  rowsPerChunk: number;
  norms: Float32Array[];   // per layer ||W_out[:, i]||, float32
  curves: CettCurve[];     // per layer, calibrated on the dense activations of `set`
  denseNll: Float32Array;  // [rows * context]
}

/** One dense pass with capture: dense NLL and each layer's CETT curve (calibration set = evaluation set). */
export function calibrate(model: Model, set: MetricSet, opts: CalibrateOptions = {}): Calibration {
  checkEvalSet(model, set);
  const c = model.config;
  const rowsPerChunk = opts.rowsPerChunk ?? defaultRowsPerChunk(set.context);
  const norms = model.downProjNorms();
  const total = set.rows * set.context;
  const builders = norms.map((n, l) => new CettCurveBuilder(downProj(model, l), n, c.d, total));
  const denseNll = new Float32Array(total);
  forEachChunk(model, set, { rowsPerChunk, capture: { a: true } }, (ch) => {
    denseNll.set(ch.nll, ch.start * set.context);
    ch.a!.forEach((a, l) => builders[l].add(a, ch.tokens));
    opts.onProgress?.(ch.start + ch.rows, set.rows);
  });
  return {
    model, set, name: opts.name ?? 'model', tokens: opts.tokens ?? null, rowsPerChunk, norms,
    curves: builders.map((b) => b.finish()), denseNll,
  };
}

export interface SearchOptions {
  search?: 'exact' | 'grid';
  grid?: GridOptions;
}

/** Every layer's threshold for a shared CETT; an infeasible layer is an error, never a silent fallback. */
export function thresholdsAt(cal: Calibration, cett: number, opts: SearchOptions = {}): ThresholdResult[] {
  const res = cal.curves.map((cv) => cv.threshold(cett, opts.search ?? 'exact', opts.grid));
  const bad = res.findIndex((r) => r.status === 'infeasible');
  if (bad >= 0) throw new UserError(`${cal.name}: no threshold of layer ${bad} has CETT <= ${cett} (the search range starts above the target)`);
  return res;
}

export interface CettMeasurement {
  cett: number;
  thresholds: ThresholdResult[];
  ppl: PplRatio;
  activeReal: number[];  // per layer kept fraction in the sparse pass (NaN for layers left dense)
  activeCalc: number[];  // per layer kept fraction on the dense calibration activations
  activationRatio: number;     // mean over sparsified layers, real
  activationRatioCalc: number; // mean over sparsified layers, calc
}

/**
 * Sparse pass at a shared CETT value. `layers` limits sparsification to some layers (the others
 * stay dense); by default all.
 */
export function measureAtCett(cal: Calibration, cett: number, opts: SearchOptions & { layers?: number[] } = {}): CettMeasurement {
  const L = cal.model.config.layers;
  const thresholds = thresholdsAt(cal, cett, opts);
  const chosen = new Set(opts.layers ?? Array.from({ length: L }, (_, l) => l));
  for (const l of chosen) if (!(Number.isInteger(l) && l >= 0 && l < L)) throw new UserError(`layer ${l} does not exist (the model has ${L})`);
  const ts = thresholds.map((t, l) => (chosen.has(l) ? t.threshold : null));
  const sp = cettSparsifiers(cal.norms, ts);
  const { nll, active } = passNll(cal.model, cal.set, { rowsPerChunk: cal.rowsPerChunk, sparsify: () => sp });
  const pairs = cal.set.rows * cal.set.context * cal.model.config.dFF;
  const activeReal = active!.map((v) => v / pairs);
  const activeCalc = thresholds.map((t, l) => (chosen.has(l) ? t.active : NaN));
  const pick = (xs: number[]) => meanOf(xs.filter((_, l) => chosen.has(l)));
  return {
    cett, thresholds, ppl: pplRatio(cal.denseNll, nll, cal.set.context), activeReal, activeCalc,
    activationRatio: pick(activeReal), activationRatioCalc: pick(activeCalc),
  };
}

export interface PplPOptions extends SearchOptions {
  /** Bisection stops when the bracket on c is at most this wide (default and widest: MAX_TOL). */
  tol?: number;
  /** Called after every sparse pass. */
  onStep?: (step: SearchRow, done: number, total: number) => void;
}

export interface CettSearch {
  p: number;
  cett: number;                 // lower end of the final bracket: PPL ratio <= 1 + p there
  cettHigh: number;             // upper end: PPL ratio > 1 + p there (1 if never exceeded)
  saturated: boolean;           // the ratio never exceeded 1 + p: no information (barely trained model)
  at: CettMeasurement[];        // per calibration, the measurement at `cett`
  steps: SearchRow[];
}

export function checkP(p: number): void {
  if (!(typeof p === 'number' && p > 0 && p < 1)) throw new UserError(`p must be in (0, 1) (a fraction: 0.01 for PPL-1%), got ${p}`);
}

/**
 * The widest CETT bracket the search may stop at, for the library and the command alike: method.md
 * asks for a tolerance of 1e-3 or finer. It is also the default (10 sparse passes).
 */
export const MAX_TOL = 1e-3;

/** Refuses a tolerance outside (0, MAX_TOL]; `name` is how the caller calls it ('--tol' on the command line). */
export function checkTol(tol: number, name = 'tolerance'): void {
  if (!(typeof tol === 'number' && tol > 0 && tol <= MAX_TOL)) {
    throw new UserError(`${name} must be in (0, ${MAX_TOL}] (method.md: 1e-3 or finer), got ${tol}`);
  }
}

export function searchSteps(tol: number): number {
  return Math.ceil(Math.log2(1 / tol));
}

/**
 * Bisection of one CETT value shared by all layers of all `cals` so that the mean of their PPL
 * ratios is 1 + p. One checkpoint: the PPL-p% search; the last k checkpoints of a run: the
 * stabilising strategy. The PPL ratio at c = 0 is 1 (only exact zeros are pruned), so the search
 * starts from the bracket [0, 1].
 */
export function searchCett(cals: Calibration[], p: number, opts: PplPOptions = {}): CettSearch {
  checkP(p);
  if (cals.length === 0) throw new UserError('the CETT search needs at least one checkpoint');
  const tol = opts.tol ?? MAX_TOL;
  checkTol(tol);
  const total = searchSteps(tol);
  let lo = 0;
  let hi = 1;
  let atLo: CettMeasurement[] | undefined;
  const steps: SearchRow[] = [];
  while (hi - lo > tol) {
    const mid = (lo + hi) / 2;
    const ms = cals.map((cal) => measureAtCett(cal, mid, opts));
    const ratio = meanOf(ms.map((m) => m.ppl.ratio));
    const accepted = ratio <= 1 + p;
    const row: SearchRow = {
      iteration: steps.length + 1, cett: mid, ppl_ratio: ratio, ppl_ratio_se: Math.max(...ms.map((m) => m.ppl.se)),
      activation_ratio: meanOf(ms.map((m) => m.activationRatio)), accepted,
    };
    steps.push(row);
    if (accepted) { lo = mid; atLo = ms; } else hi = mid;
    opts.onStep?.(row, steps.length, total);
  }
  if (!atLo) atLo = cals.map((cal) => measureAtCett(cal, lo, opts));
  return { p, cett: lo, cettHigh: hi, saturated: hi === 1, at: atLo, steps };
}

export interface RowContext { checkpoint: string; tokens: number | null; evalTokens: number; backend: string }

export function rowContext(cal: Calibration): RowContext {
  return { checkpoint: cal.name, tokens: cal.tokens, evalTokens: cal.set.rows * cal.set.context, backend: backendName() };
}

/** The model-level row of a CETT measurement. */
export function cettRow(cal: Calibration, m: CettMeasurement, method: MethodName, param: number, saturated: boolean | null = null): SparsityRow {
  return {
    ...labelOf(method, param, rowContext(cal)),
    activation_ratio: m.activationRatio,
    activation_ratio_calc: m.activationRatioCalc,
    sparsity_ratio: 1 - m.activationRatio,
    ppl_ratio: m.ppl.ratio,
    ppl_ratio_se: m.ppl.se,
    dense_loss: m.ppl.denseLoss,
    cett: m.cett,
    saturated,
  };
}

/** Per-layer rows of a CETT measurement. */
export function cettLayerRows(cal: Calibration, m: CettMeasurement, method: MethodName, param: number): LayerRow[] {
  const label = labelOf(method, param, rowContext(cal));
  return m.thresholds.map((t, l) => ({
    ...label,
    layer: l,
    threshold: Number.isFinite(t.threshold) ? t.threshold : null,
    threshold_status: t.status,
    cett_at_threshold: Number.isFinite(t.cett) ? t.cett : null,
    activation_ratio: m.activeReal[l],
    activation_ratio_calc: Number.isFinite(m.activeCalc[l]) ? m.activeCalc[l] : null,
  }));
}

export interface PplPResult {
  row: SparsityRow;
  layers: LayerRow[];
  steps: SearchRow[];
  search: CettSearch;
}

/** PPL-p% sparsity of one calibrated checkpoint. */
export function pplPSparsity(cal: Calibration, p: number, opts: PplPOptions = {}): PplPResult {
  const search = searchCett([cal], p, opts);
  const m = search.at[0];
  return {
    row: cettRow(cal, m, 'ppl-p', p, search.saturated),
    layers: cettLayerRows(cal, m, 'ppl-p', p),
    steps: search.steps,
    search,
  };
}

/** Measurement rows at a fixed CETT value (no search). */
export function fixedCett(cal: Calibration, cett: number, opts: SearchOptions = {}): { row: SparsityRow; layers: LayerRow[]; measurement: CettMeasurement } {
  if (!(cett >= 0 && cett <= 1)) throw new UserError(`CETT must be in [0, 1], got ${cett}`);
  const m = measureAtCett(cal, cett, opts);
  return { row: cettRow(cal, m, 'cett', cett), layers: cettLayerRows(cal, m, 'cett', cett), measurement: m };
}

/** Dense reference NLL only (e.g. to measure PPL-ratio noise). */
export function denseNll(model: Model, set: MetricSet, rowsPerChunk?: number): Float32Array {
  checkEvalSet(model, set);
  return passNll(model, set, { rowsPerChunk }).nll;
}
