// Small statistics the findings need and lib/laws does not give: rank and linear correlation (are the
// same tokens "hard" at every size?), and distances between distributions of per-neuron frequencies
// (do models of different sizes spread their activity over neurons alike?). Pure functions of arrays.
// The line in ln(x) with the standard error of its slope (is there a trend at all?) is lib/laws's one
// least-squares line, re-exported here for the findings.
export { lineWithSe, tCritical95 } from '../laws/linalg';
export type { LineFit } from '../laws/linalg';

export function mean(v: readonly number[]): number {
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
}

/** Sample standard deviation (n - 1); NaN for fewer than two values. */
export function sd(v: readonly number[]): number {
  if (v.length < 2) return NaN;
  const m = mean(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
}

/** Pearson's linear correlation; NaN when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n < 2) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Ranks from 1, ties given their mean rank (so Spearman stays exact with many equal ratios). */
export function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i] - v[j]);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = mid;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson on mid-ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  return pearson(ranks(Array.prototype.slice.call(a, 0, n)), ranks(Array.prototype.slice.call(b, 0, n)));
}

/** Two-sample Kolmogorov-Smirnov distance: the largest gap between the two empirical CDFs (0..1). */
export function ksDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  if (!x.length || !y.length) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * Gini coefficient of non-negative values: 0 when every neuron is equally often active, towards 1
 * when a few neurons carry all the activity.
 */
export function gini(v: ArrayLike<number>): number {
  const x = Float64Array.from(v).sort();
  const n = x.length;
  const total = x.reduce((s, a) => s + a, 0);
  if (n === 0 || total <= 0) return NaN;
  let weighted = 0;
  for (let i = 0; i < n; i++) weighted += (i + 1) * x[i];
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

/** An activation matrix: one 0/1 (or boolean) flag per (token, neuron), row-major [tokens x neurons]. */
export interface ActivationMatrix {
  tokens: number;
  neurons: number;
  active: ArrayLike<number>;
}

/** Fraction of tokens on which each neuron is active. */
export function neuronFrequencies(m: ActivationMatrix): Float64Array {
  const f = new Float64Array(m.neurons);
  for (let t = 0; t < m.tokens; t++) for (let i = 0; i < m.neurons; i++) f[i] += m.active[t * m.neurons + i] ? 1 : 0;
  return f.map((v) => v / Math.max(1, m.tokens));
}

/** Fraction of neurons active on each token. */
export function tokenRatios(m: ActivationMatrix): Float64Array {
  const r = new Float64Array(m.tokens);
  for (let t = 0; t < m.tokens; t++) {
    let s = 0;
    for (let i = 0; i < m.neurons; i++) s += m.active[t * m.neurons + i] ? 1 : 0;
    r[t] = s / Math.max(1, m.neurons);
  }
  return r;
}

/** Values sorted from the largest down (the paper's "sorted activation frequency" curve). */
export function sortedDescending(v: ArrayLike<number>): number[] {
  return Array.from(v).sort((a, b) => b - a);
}

/**
 * A descending curve resampled at `n` evenly spaced rank fractions 0..1 (nearest rank), so models
 * with different numbers of neurons share one x axis and a plot stays small.
 */
export function resampleByRank(sortedDesc: readonly number[], n: number): { rank_fraction: number; value: number }[] {
  const m = sortedDesc.length;
  if (m === 0) return [];
  const k = Math.max(2, Math.min(n, m));
  return Array.from({ length: k }, (_, j) => {
    const q = j / (k - 1);
    return { rank_fraction: q, value: sortedDesc[Math.round(q * (m - 1))] };
  });
}

export interface DistributionComparison {
  mean_a: number;
  mean_b: number;
  gini_a: number;
  gini_b: number;
  /** KS distance of the raw frequencies: differs when the overall level differs. */
  ks: number;
  /** KS distance after dividing each side by its mean: compares the shape only. */
  ks_shape: number;
}

/**
 * Compares two per-neuron frequency distributions: their level (mean = the activation ratio), their
 * inequality (Gini), and how far apart they are with and without the level (KS distance).
 */
export function compareFrequencies(a: ArrayLike<number>, b: ArrayLike<number>): DistributionComparison {
  const ma = mean(Array.from(a));
  const mb = mean(Array.from(b));
  const scale = (v: ArrayLike<number>, m: number) => Array.from(v, (x) => (m > 0 ? x / m : x));
  return { mean_a: ma, mean_b: mb, gini_a: gini(a), gini_b: gini(b), ks: ksDistance(a, b), ks_shape: ksDistance(scale(a, ma), scale(b, mb)) };
}

export interface TokenComparison {
  n: number;
  mean_a: number;
  mean_b: number;
  pearson: number;
  spearman: number;
  /** Mean |a/mean_a - b/mean_b|: distance from the diagonal once each model's level is divided out. */
  mean_abs_diff_relative: number;
}

/** Per-token activation ratios of two models on the same tokens, token by token. */
export function compareTokenRatios(a: ArrayLike<number>, b: ArrayLike<number>): TokenComparison {
  const n = Math.min(a.length, b.length);
  const aa = Array.prototype.slice.call(a, 0, n) as number[];
  const bb = Array.prototype.slice.call(b, 0, n) as number[];
  const ma = mean(aa);
  const mb = mean(bb);
  let dev = 0;
  for (let i = 0; i < n; i++) dev += Math.abs(aa[i] / ma - bb[i] / mb);
  return { n, mean_a: ma, mean_b: mb, pearson: pearson(aa, bb), spearman: spearman(aa, bb), mean_abs_diff_relative: n ? dev / n : NaN };
}

/** `k` indices spread evenly over 0..n-1 (deterministic thinning for scatter plots). */
export function evenIndices(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, j) => Math.floor((j * n) / k));
}

/**
 * Linear interpolation of x where a polyline through (x_i, y_i), sorted by x, first crosses `target`
 * going from y > target to y <= target, searching from the side where it stays below: the smallest x
 * beyond which every point is at or below the target. null if no point is at or below it; the first
 * x (with `censored` true) when all are.
 */
export function crossingFromRight(pts: readonly { x: number; y: number }[], target: number): { x: number; censored: boolean } | null {
  const p = [...pts].filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y)).sort((u, v) => u.x - v.x);
  if (!p.length || p[p.length - 1].y > target) return null;
  let i = p.length - 1;
  while (i > 0 && p[i - 1].y <= target) i--;
  if (i === 0) return { x: p[0].x, censored: true };
  const lo = p[i - 1];
  const hi = p[i];
  const w = (lo.y - target) / (lo.y - hi.y);
  return { x: lo.x + w * (hi.x - lo.x), censored: false };
}

// Measured in lib/experiments (a domain's activation ratio), so it lives below both; re-exported here.
export { clusteredMeanSe } from '../metrics/clustered-se';
