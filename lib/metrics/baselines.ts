// Measuring the baseline sparsification rules of baseline-rules.ts the same way as CETT (real kept
// fraction in the sparse pass, PPL ratio against the dense pass of a Calibration), so that PPL-ratio
// vs activation-ratio curves of all methods share one plot. The rules themselves (zero count, FAT-eps,
// top-k per token and per layer, per-layer quantile) and their knobs are in baseline-rules.ts.
import { LayerSparsifier, Model } from '../model/model';
import { tf } from '../backend/tf';
import { forEachChunk, passNll } from '../model/pass';
import { checkEvalSet, MetricSet } from './eval-set';
import { pplRatio } from './ppl';
import { Calibration, rowContext } from './ppl-p';
import { labelOf, LayerRow, meanOf, SparsityRow } from './rows';
import { BASELINE_METHODS, baselineDef, baselineInfo, checkBaseline, type BaselineMethod, type BaselineSpec, type SweepContext } from './baseline-rules';

export {
  BASELINES, BASELINE_METHODS, DEFAULT_FRACTIONS, DEFAULT_QUANTILES, baselineInfo, checkBaseline, isBaselineMethod, quantileThresholds, topKMask,
} from './baseline-rules';
export type { BaselineDef, BaselineMethod, BaselineSpec } from './baseline-rules';

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

/** The layer sparsifiers of a baseline (per chunk; top-k masks are computed from the chunk's own s). */
export function baselineSparsifiers(spec: BaselineSpec, model: Model): LayerSparsifier[] {
  const { layers, dFF } = model.config;
  const def = baselineDef(spec);
  return Array.from({ length: layers }, (_, l): LayerSparsifier => ({ kind: 'mask', fn: (s) => tf.tidy(() => def.mask(spec, l, s, dFF)) }));
}

/** One baseline at one knob value: the model-level row and per-layer rows. */
export function measureBaseline(cal: Calibration, spec: BaselineSpec): { row: SparsityRow; layers: LayerRow[] } {
  checkBaseline(spec, cal.model.config);
  const def = baselineDef(spec);
  const sp = baselineSparsifiers(spec, cal.model);
  const { nll, active } = passNll(cal.model, cal.set, { rowsPerChunk: cal.rowsPerChunk, sparsify: () => sp });
  const pairs = cal.set.rows * cal.set.context * cal.model.config.dFF;
  const perLayer = active!.map((v) => v / pairs);
  const ppl = pplRatio(cal.denseNll, nll, cal.set.context);
  const label = labelOf(spec.method, def.param(spec), rowContext(cal));
  const act = meanOf(perLayer);
  return {
    row: {
      ...label, activation_ratio: act, activation_ratio_calc: null, sparsity_ratio: 1 - act, ppl_ratio: ppl.ratio, ppl_ratio_se: ppl.se,
      dense_loss: ppl.denseLoss, cett: null, saturated: null,
    },
    layers: perLayer.map((r, l) => ({
      ...label, layer: l, threshold: def.threshold(spec, l),
      threshold_status: '', cett_at_threshold: null, activation_ratio: r, activation_ratio_calc: null,
    })),
  };
}

export interface SweepOptions {
  /** Knob values per method (FAT: eps values; top-k: k fractions; quantile: q); default each rule's own grid. */
  knobs?: { [M in BaselineMethod]?: number[] };
  /** Calibration set of the quantile thresholds and default eps values (default: the evaluation set itself). */
  calib?: MetricSet;
  onStep?: (what: string) => void;
}

/** Measurements in a default sweep of every rule (the zero count included), for progress counts. */
export function baselineSweepSize(): number {
  return BASELINE_METHODS.reduce((n, m) => n + baselineInfo(m).sweepSize, 0);
}

/** Every baseline that applies to the model, over its default (or given) knob values, in registry order. */
export function baselineSweep(cal: Calibration, opts: SweepOptions = {}): { rows: SparsityRow[]; layers: LayerRow[] } {
  const rows: SparsityRow[] = [];
  const layers: LayerRow[] = [];
  let sorted: Float32Array[] | undefined;
  const ctx: SweepContext = {
    act: cal.model.config.act,
    sorted: () => (sorted ??= sortedAbsGate(cal.model, opts.calib ?? cal.set, cal.rowsPerChunk)),
  };
  for (const method of BASELINE_METHODS) {
    const def = baselineInfo(method);
    if (!def.appliesTo(ctx.act)) continue;
    for (const spec of def.sweep(ctx, opts.knobs?.[method])) {
      const r = measureBaseline(cal, spec);
      rows.push(r.row);
      layers.push(...r.layers);
      const param = def.param(spec);
      opts.onStep?.(param === null ? method : `${method} ${param}`);
    }
  }
  return { rows, layers };
}
