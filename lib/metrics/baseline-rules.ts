// The baseline sparsification rules, one entry each: its knob, the rule in words, its checks, its
// per-layer keep mask and its default sweep. All act on the gate activation s and are measured the
// same way as CETT (lib/metrics/baselines.ts). measureBaseline, baselineSweep, the knob names of result
// rows (rows.ts), the activation patterns (patterns.ts) and the F0 tables and figures
// (lib/findings/f0.ts) all read this table.
//
// Adding a baseline is one entry in BASELINES: a spec type ({ method: 'my-rule'; knob: number }) and a
// BaselineDef for it. Its rows, sweep steps, label and F0 colour follow; test/registries.test.ts then
// checks that it has a label and a knob, that its sweep measures, and that docs/metrics.md lists it.
import type { Tensor2D } from '../backend/tf';
import { tf } from '../backend/tf';
import { exactZeroActivations, hasExactZeros, type Activation } from '../model/activations';
import type { ModelConfig } from '../model/config';
import { UserError } from '../util/errors';

/** Default k fractions of the top-k rules. */
export const DEFAULT_FRACTIONS = [0.5, 0.3, 0.2, 0.1, 0.05];
/** Default q of the quantile rule, and the quantiles of |s| the default FAT eps values are taken at. */
export const DEFAULT_QUANTILES = [0.5, 0.7, 0.8, 0.9, 0.95];

/** What a sweep may need from the model being measured. */
export interface SweepContext {
  act: Activation;
  /** Sorted |s| of every layer over the calibration set (computed on first use). */
  sorted(): Float32Array[];
}

export interface BaselineDef<S extends { method: string }> {
  /** Name in tables and figures. */
  label: string;
  /** The knob's name in result rows (param_name), '' when the rule has none. */
  knob: string;
  /** The knob's valid range, in words. */
  knobRange: string;
  /** When a neuron counts as active, in words. */
  activeWhen: string;
  /** Whether the rule applies to a model with this activation (a sweep leaves it out otherwise). */
  appliesTo(act: Activation): boolean;
  /** The knob value written to rows (null when there is none). */
  param(spec: S): number | null;
  /** Throws a UserError naming what is wrong with the spec for this model. */
  check(spec: S, config: ModelConfig): void;
  /** 0/1 keep mask [N, dFF] of layer `layer` from the chunk's gate activations s [N, dFF] (inside tf.tidy). */
  mask(spec: S, layer: number, s: Tensor2D, dFF: number): Tensor2D;
  /** The per-layer threshold written to layer rows, or null. */
  threshold(spec: S, layer: number): number | null;
  /** Measurements in a default sweep (progress counts). */
  sweepSize: number;
  /** The specs a sweep measures: one per given knob value, or the default grid. */
  sweep(ctx: SweepContext, values?: readonly number[]): S[];
}

/** Per-layer thresholds: the q-quantile of |s| (so a fraction ~q of |s| lies below it). */
export function quantileThresholds(sorted: Float32Array[], q: number): number[] {
  if (!(q >= 0 && q < 1)) throw new UserError(`quantile q must be in [0, 1), got ${q}`);
  return sorted.map((s) => s[Math.min(s.length - 1, Math.ceil(q * s.length))]);
}

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

const always = () => true;

function checkFraction(k: number): void {
  if (!(k > 0 && k <= 1)) throw new UserError(`top-k fraction k must be in (0, 1], got ${k}`);
}

type ZeroSpec = { method: 'zero' };
type FatSpec = { method: 'fat'; eps: number };
type TopKTokenSpec = { method: 'topk-token'; k: number };
type TopKLayerSpec = { method: 'topk-layer'; k: number };
type QuantileSpec = { method: 'quantile'; q: number; thresholds: number[] }; // thresholds from quantileThresholds

const zero: BaselineDef<ZeroSpec> = {
  label: 'zero count', knob: '', knobRange: 'none', activeWhen: 's_i != 0 (models whose activation has exact zeros only)',
  appliesTo: hasExactZeros,
  param: () => null,
  check: (_spec, config) => {
    if (!hasExactZeros(config.act)) throw new UserError(`the zero count is for ReLU models only (activations with exact zeros: ${exactZeroActivations()}; this one uses ${config.act})`);
  },
  mask: (_spec, _l, s) => tf.cast(tf.notEqual(s, 0), 'float32') as Tensor2D,
  threshold: () => null,
  sweepSize: 1,
  sweep: () => [{ method: 'zero' }],
};

const fat: BaselineDef<FatSpec> = {
  label: 'FAT-eps', knob: 'eps', knobRange: 'eps > 0', activeWhen: '|s_i| >= eps, one eps for all layers',
  appliesTo: always,
  param: (spec) => spec.eps,
  check: (spec) => { if (!(spec.eps > 0)) throw new UserError(`FAT eps must be > 0, got ${spec.eps}`); },
  mask: (spec, _l, s) => tf.cast(tf.greaterEqual(tf.abs(s), tf.scalar(spec.eps)), 'float32') as Tensor2D,
  threshold: (spec) => spec.eps,
  sweepSize: DEFAULT_QUANTILES.length,
  // Default eps: the mean over layers of the DEFAULT_QUANTILES of |s|, so the grid covers the useful
  // range whatever the scale of s.
  sweep: (ctx, values) => (values ?? DEFAULT_QUANTILES.map((q) => {
    const t = quantileThresholds(ctx.sorted(), q);
    return t.reduce((a, b) => a + b, 0) / t.length;
  }).filter((e) => e > 0)).map((eps) => ({ method: 'fat', eps })),
};

const topkToken: BaselineDef<TopKTokenSpec> = {
  label: 'top-k per token', knob: 'k', knobRange: 'k in (0, 1]', activeWhen: "among the round(k dFF) largest |s| of that token (ties by position)",
  appliesTo: always,
  param: (spec) => spec.k,
  check: (spec) => checkFraction(spec.k),
  mask: (spec, _l, s, dFF) => tf.tensor2d(topKMask(absOf(s), dFF, Math.round(spec.k * dFF)), s.shape as [number, number]),
  threshold: () => null,
  sweepSize: DEFAULT_FRACTIONS.length,
  sweep: (_ctx, values) => (values ?? DEFAULT_FRACTIONS).map((k) => ({ method: 'topk-token', k })),
};

const topkLayer: BaselineDef<TopKLayerSpec> = {
  label: 'top-k per layer', knob: 'k', knobRange: 'k in (0, 1]',
  // Jointly over the tokens of each evaluation batch (rowsPerChunk rows), as the reference code does per batch.
  activeWhen: 'among the round(k n dFF) largest |s| of all n tokens of the evaluation batch jointly (per layer)',
  appliesTo: always,
  param: (spec) => spec.k,
  check: (spec) => checkFraction(spec.k),
  mask: (spec, _l, s) => {
    const v = absOf(s);
    return tf.tensor2d(topKMask(v, v.length, Math.round(spec.k * v.length)), s.shape as [number, number]);
  },
  threshold: () => null,
  sweepSize: DEFAULT_FRACTIONS.length,
  sweep: (_ctx, values) => (values ?? DEFAULT_FRACTIONS).map((k) => ({ method: 'topk-layer', k })),
};

const quantile: BaselineDef<QuantileSpec> = {
  // TEAL/CATS style; q is the target sparsity.
  label: 'quantile threshold', knob: 'q', knobRange: 'q in [0, 1)', activeWhen: "|s_i| >= the q-quantile of that layer's |s| on a calibration set, and s_i != 0",
  appliesTo: always,
  param: (spec) => spec.q,
  check: (spec, config) => {
    if (!(spec.q >= 0 && spec.q < 1)) throw new UserError(`quantile q must be in [0, 1), got ${spec.q}`);
    if (spec.thresholds.length !== config.layers) throw new UserError(`quantile thresholds: ${spec.thresholds.length} given for ${config.layers} layers`);
  },
  mask: (spec, l, s) => {
    const abs = tf.abs(s);
    return tf.cast(tf.logicalAnd(tf.greaterEqual(abs, tf.scalar(spec.thresholds[l])), tf.greater(abs, 0)), 'float32') as Tensor2D;
  },
  threshold: (spec, l) => spec.thresholds[l],
  sweepSize: DEFAULT_QUANTILES.length,
  sweep: (ctx, values) => (values ?? DEFAULT_QUANTILES).map((q) => ({ method: 'quantile', q, thresholds: quantileThresholds(ctx.sorted(), q) })),
};

/** Every baseline, in the order a sweep measures them (and F0 lists them). */
export const BASELINES = { zero, fat, 'topk-token': topkToken, 'topk-layer': topkLayer, quantile };

export type BaselineMethod = keyof typeof BASELINES;
type SpecOf<D> = D extends BaselineDef<infer S> ? S : never;
/** A baseline at one knob value, e.g. { method: 'fat', eps: 0.1 }. */
export type BaselineSpec = { [M in BaselineMethod]: SpecOf<(typeof BASELINES)[M]> }[BaselineMethod];

export const BASELINE_METHODS = Object.keys(BASELINES) as BaselineMethod[];

export function isBaselineMethod(name: unknown): name is BaselineMethod {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(BASELINES, name);
}

/** The entry of a spec's method, typed for that spec. */
export function baselineDef<S extends BaselineSpec>(spec: S): BaselineDef<S> {
  return BASELINES[spec.method] as unknown as BaselineDef<S>;
}

/** The entry of a method, for what does not depend on a spec (label, knob, words). */
export function baselineInfo(method: BaselineMethod): BaselineDef<BaselineSpec> {
  return BASELINES[method] as unknown as BaselineDef<BaselineSpec>;
}

/** Throws a UserError naming what is wrong with the spec for this model. */
export function checkBaseline(spec: BaselineSpec, config: ModelConfig): void {
  baselineDef(spec).check(spec, config);
}
