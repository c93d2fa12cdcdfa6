// Tiny dense linear algebra for 2-4 parameter problems. Solving in place on a few numbers is much
// faster than building ml-matrix objects inside the solver's inner loop (called ~10^5 times in a bootstrap).
// The one least-squares line of the library lives here: the solver's starts call `ols` in their grids,
// and the findings ask `lineWithSe` whether a trend is there at all.
import { tQuantile } from './quantiles';

/**
 * Solves A x = b for a symmetric positive definite n x n matrix A (row-major) by Cholesky.
 * Returns null when A is not numerically positive definite.
 */
export function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/**
 * Ordinary least squares y = intercept + slope * x over the first x.length points, with its residual
 * sum of squares and the spread of x (sxx = sum (x - mean x)^2, what the slope's error needs).
 * null when x is (numerically) constant: no slope is defined.
 */
export function ols(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number; sse: number; sxx: number } | null {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    sxx += dx * dx;
    sxy += dx * (y[i] - my);
  }
  if (!(sxx > 1e-300) || !Number.isFinite(sxx)) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i] - intercept - slope * x[i];
    sse += r * r;
  }
  return { slope, intercept, sse, sxx };
}

/** The t value a 95% two-sided interval needs with `df` degrees of freedom (exact, not a table). */
export function tCritical95(df: number): number {
  if (!(df >= 1)) return Infinity;
  return tQuantile(0.975, df);
}

export interface LineFit {
  n: number;
  slope: number;
  intercept: number;
  /** Standard error of the slope (NaN with fewer than 3 points). */
  se: number;
  /** slope / se. */
  t: number;
  /** Half-width of the 95% interval of the slope. */
  ci95: number;
  /** The 95% interval of the slope excludes zero. */
  significant: boolean;
}

/** `ols` with the slope's standard error and 95% interval: is there a trend at all? NaNs when x is constant. */
export function lineWithSe(x: readonly number[], y: readonly number[]): LineFit {
  const n = Math.min(x.length, y.length);
  const f = n >= 2 ? ols(x.slice(0, n), y.slice(0, n)) : null;
  if (!f) return { n, slope: NaN, intercept: NaN, se: NaN, t: NaN, ci95: NaN, significant: false };
  const { slope, intercept } = f;
  const se = n > 2 ? Math.sqrt(f.sse / (n - 2) / f.sxx) : NaN;
  const t = se > 0 ? slope / se : se === 0 && slope !== 0 ? Math.sign(slope) * Infinity : NaN;
  const ci95 = n > 2 ? tCritical95(n - 2) * se : NaN;
  return { n, slope, intercept, se, t, ci95, significant: Number.isFinite(ci95) ? Math.abs(slope) > ci95 : Math.abs(t) === Infinity };
}
