// Baseline sparsification rules, all on the gate activation s, each with its own knob, measured
// the same way as CETT (real kept fraction in the sparse pass, PPL ratio against the dense pass of a
// Calibration), so that PPL-ratio vs activation-ratio curves of all methods share one plot.
//   zero        active when s_i != 0 (ReLU only)
//   fat         active when |s_i| >= eps, one eps for all layers
//   topk-token  the k-fraction of each token's neurons with the largest |s| (exactly round(k dFF))
//   topk-layer  the k-fraction of all (token, neuron) pairs of a layer with the largest |s|, jointly
//               over the tokens of each evaluation batch (rowsPerChunk rows), as the reference code
//               does per batch (exactly round(k tokens dFF) per batch)
//   quantile    per layer, threshold = q-quantile of |s| on a calibration set (TEAL/CATS style);
//               q is the target sparsity. Exact zeros never count as active.
import { tf, Tensor2D } from '../backend/tf';
import { LayerSparsifier, Model } from '../model/model';
import { UserError } from '../util/errors';
import { forEachChunk, passNll } from '../model/pass';
import { checkEvalSet, MetricSet } from './eval-set';
import { pplRatio } from './ppl';
import { Calibration, rowContext } from './ppl-p';
import { labelOf, LayerRow, meanOf, SparsityRow } from './rows';

export type BaselineSpec =
  | { method: 'zero' }
  | { method: 'fat'; eps: number }
  | { method: 'topk-token'; k: number }
  | { method: 'topk-layer'; k: number }
  | { method: 'quantile'; q: number; thresholds: number[] }; // thresholds from quantileThresholds

/**
 * 0/1 mask keeping exactly K entries of each group of `groupSize` consecutive values, the largest
 * ones; ties at the cut are broken by position (earlier first).
 */
export function topKMask(values: Float32Array, groupSize: number, K: number): Float32Array {
  if (values.length % groupSize !== 0) throw new RangeError(`topKMask: ${values.length} values are not whole groups of ${groupSize}`);
  if (!(Number.isInteger(K) && K >= 0 && K <= groupSize)) throw new RangeError(`topKMask: K = ${K} must be an integer in [0, ${groupSize}]`);
  const mask = new Float32Array(values.length);
  if (K === 0) return mask;
  for (let g = 0; g < values.length; g += groupSize) {
    const grp = values.subarray(g, g + groupSize);
    const thr = grp.slice().sort()[groupSize - K]; // K-th largest
    let greater = 0;
    for (let i = 0; i < groupSize; i++) if (grp[i] > thr) greater++;
    let ties = K - greater;
    for (let i = 0; i < groupSize; i++) {
      if (grp[i] > thr) mask[g + i] = 1;
      else if (grp[i] === thr && ties > 0) { mask[g + i] = 1; ties--; }
    }
  }
  return mask;
}

function absOf(t: Tensor2D): Float32Array {
  const v = t.dataSync() as Float32Array;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.abs(v[i]);
  return out;
}

/** Sorted |s| of every layer over a (calibration) set, for quantile thresholds and eps grids. */
export function sortedAbsGate(model: Model, calib: MetricSet, rowsPerChunk?: number): Float32Array[] {
  checkEvalSet(model, calib);
  const { layers, dFF } = model.config;
  const n = calib.rows * calib.context * dFF;
  const all = Array.from({ length: layers }, () => new Float32Array(n));
  let at = 0;
  forEachChunk(model, calib, { rowsPerChunk, capture: { s: true } }, (ch) => {
    ch.s!.forEach((s, l) => { for (let i = 0; i < s.length; i++) all[l][at + i] = Math.abs(s[i]); });
    at += ch.tokens * dFF;
  });
  return all.map((a) => a.sort());
}

/** Per-layer thresholds: the q-quantile of |s| (so a fraction ~q of |s| lies below it). */
export function quantileThresholds(sorted: Float32Array[], q: number): number[] {
  if (!(q >= 0 && q < 1)) throw new UserError(`quantile q must be in [0, 1), got ${q}`);
  return sorted.map((s) => s[Math.min(s.length - 1, Math.ceil(q * s.length))]);
}

function checkSpec(spec: BaselineSpec, model: Model): void {
  if (spec.method === 'zero' && model.config.act !== 'relu') throw new UserError(`the zero count is for ReLU models only (this one uses ${model.config.act})`);
  if (spec.method === 'fat' && !(spec.eps > 0)) throw new UserError(`FAT eps must be > 0, got ${spec.eps}`);
  if ((spec.method === 'topk-token' || spec.method === 'topk-layer') && !(spec.k > 0 && spec.k <= 1)) {
    throw new UserError(`top-k fraction k must be in (0, 1], got ${spec.k}`);
  }
  if (spec.method === 'quantile') {
    if (!(spec.q >= 0 && spec.q < 1)) throw new UserError(`quantile q must be in [0, 1), got ${spec.q}`);
    if (spec.thresholds.length !== model.config.layers) throw new UserError(`quantile thresholds: ${spec.thresholds.length} given for ${model.config.layers} layers`);
  }
}

/** The layer sparsifiers of a baseline (per chunk; top-k masks are computed from the chunk's own s). */
export function baselineSparsifiers(spec: BaselineSpec, model: Model): LayerSparsifier[] {
  const { layers, dFF } = model.config;
  const fn = (l: number) => (s: Tensor2D, _a: Tensor2D): Tensor2D => tf.tidy(() => {
    switch (spec.method) {
      case 'zero': return tf.cast(tf.notEqual(s, 0), 'float32') as Tensor2D;
      case 'fat': return tf.cast(tf.greaterEqual(tf.abs(s), tf.scalar(spec.eps)), 'float32') as Tensor2D;
      case 'quantile': {
        const abs = tf.abs(s);
        return tf.cast(tf.logicalAnd(tf.greaterEqual(abs, tf.scalar(spec.thresholds[l])), tf.greater(abs, 0)), 'float32') as Tensor2D;
      }
      case 'topk-token': {
        const v = absOf(s);
        return tf.tensor2d(topKMask(v, dFF, Math.round(spec.k * dFF)), s.shape as [number, number]);
      }
      case 'topk-layer': {
        const v = absOf(s);
        return tf.tensor2d(topKMask(v, v.length, Math.round(spec.k * v.length)), s.shape as [number, number]);
      }
    }
  });
  return Array.from({ length: layers }, (_, l) => ({ kind: 'mask' as const, fn: fn(l) }));
}

function paramOf(spec: BaselineSpec): number | null {
  switch (spec.method) {
    case 'zero': return null;
    case 'fat': return spec.eps;
    case 'topk-token': case 'topk-layer': return spec.k;
    case 'quantile': return spec.q;
  }
}

/** One baseline at one knob value: the model-level row and per-layer rows. */
export function measureBaseline(cal: Calibration, spec: BaselineSpec): { row: SparsityRow; layers: LayerRow[] } {
  checkSpec(spec, cal.model);
  const sp = baselineSparsifiers(spec, cal.model);
  const { nll, active } = passNll(cal.model, cal.set, { rowsPerChunk: cal.rowsPerChunk, sparsify: () => sp });
  const pairs = cal.set.rows * cal.set.context * cal.model.config.dFF;
  const perLayer = active!.map((v) => v / pairs);
  const ppl = pplRatio(cal.denseNll, nll, cal.set.context);
  const label = labelOf(spec.method, paramOf(spec), rowContext(cal));
  const act = meanOf(perLayer);
  return {
    row: {
      ...label, activation_ratio: act, activation_ratio_calc: null, sparsity_ratio: 1 - act, ppl_ratio: ppl.ratio, ppl_ratio_se: ppl.se,
      dense_loss: ppl.denseLoss, cett: null, saturated: null,
    },
    layers: perLayer.map((r, l) => ({
      ...label, layer: l, threshold: spec.method === 'quantile' ? spec.thresholds[l] : spec.method === 'fat' ? spec.eps : null,
      threshold_status: '', cett_at_threshold: null, activation_ratio: r, activation_ratio_calc: null,
    })),
  };
}

export interface SweepOptions {
  fat?: number[];        // eps values; default: quantiles 0.5..0.95 of |s| pooled over layers
  topkToken?: number[];  // k fractions
  topkLayer?: number[];
  quantile?: number[];   // q values (target sparsities)
  /** Calibration set of the quantile thresholds (default: the evaluation set itself). */
  calib?: MetricSet;
  onStep?: (what: string) => void;
}

export const DEFAULT_FRACTIONS = [0.5, 0.3, 0.2, 0.1, 0.05];
export const DEFAULT_QUANTILES = [0.5, 0.7, 0.8, 0.9, 0.95];

/** All baselines over their default (or given) knob values; the zero count too for ReLU. */
export function baselineSweep(cal: Calibration, opts: SweepOptions = {}): { rows: SparsityRow[]; layers: LayerRow[] } {
  const rows: SparsityRow[] = [];
  const layers: LayerRow[] = [];
  const add = (spec: BaselineSpec, what: string) => {
    const r = measureBaseline(cal, spec);
    rows.push(r.row);
    layers.push(...r.layers);
    opts.onStep?.(what);
  };
  if (cal.model.config.act === 'relu') add({ method: 'zero' }, 'zero');
  const sorted = sortedAbsGate(cal.model, opts.calib ?? cal.set, cal.rowsPerChunk);
  const pooled = (q: number) => meanOf(quantileThresholds(sorted, q)); // a typical |s| at quantile q
  const eps = opts.fat ?? DEFAULT_QUANTILES.map(pooled).filter((e) => e > 0);
  for (const e of eps) add({ method: 'fat', eps: e }, `fat ${e}`);
  for (const k of opts.topkToken ?? DEFAULT_FRACTIONS) add({ method: 'topk-token', k }, `topk-token ${k}`);
  for (const k of opts.topkLayer ?? DEFAULT_FRACTIONS) add({ method: 'topk-layer', k }, `topk-layer ${k}`);
  for (const q of opts.quantile ?? DEFAULT_QUANTILES) add({ method: 'quantile', q, thresholds: quantileThresholds(sorted, q) }, `quantile ${q}`);
  return { rows, layers };
}
