// For the width-depth finding (method.md F2): the limit activation ratio against d/L is a straight line
// up to a bottleneck, then flat. We fit a line and a line-then-plateau with its breakpoint, and give
// AIC/BIC so the plateau must earn its extra parameter. For a fixed breakpoint xb the model
// y = intercept + slope * min(x, xb) is linear, so the breakpoint is found by profiling: an exact OLS at
// every candidate, a grid inside each gap between data x values, then golden-section refinement.
import { quantileSorted } from 'simple-statistics';
import { UserError } from '../util/errors';
import { ols } from './linalg';
import { fitMetrics, infoCriteria } from './metrics';
import { rngFor } from '../util/rng';

export interface PiecewiseRow {
  model: 'line' | 'line-plateau';
  slope: number;
  intercept: number;
  /** x where the line meets the plateau; null for the line. */
  breakpoint: number | null;
  breakpoint_lo: number | null;
  breakpoint_hi: number | null;
  /** The plateau level (intercept + slope * breakpoint); null for the line. */
  plateau: number | null;
  plateau_lo: number | null;
  plateau_hi: number | null;
  mae: number;
  mse: number;
  r2: number;
  n: number;
  n_params: number;
  /** n ln(SSE/n) + 2(k+1), k fitted parameters plus the noise variance; lower is better. */
  aic: number;
  bic: number;
  uncertainty_method: string;
}

function check(x: readonly number[], y: readonly number[], minDistinct: number, what: string): void {
  if (x.length !== y.length) throw new UserError(`${what}: x has ${x.length} values but y has ${y.length}`);
  x.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new UserError(`${what}: x[${i}] is not a finite number (got ${v})`);
    if (!Number.isFinite(y[i])) throw new UserError(`${what}: y[${i}] is not a finite number (got ${y[i]})`);
  });
  const distinct = new Set(x).size;
  if (distinct < minDistinct) {
    throw new UserError(`${what} needs at least ${minDistinct} distinct x values (got ${distinct})`);
  }
}

export function fitLine(x: readonly number[], y: readonly number[]): PiecewiseRow {
  check(x, y, 2, 'line fit');
  const f = ols(x, y)!;
  const met = fitMetrics(y, x.map((v) => f.intercept + f.slope * v));
  return {
    model: 'line',
    slope: f.slope,
    intercept: f.intercept,
    breakpoint: null,
    breakpoint_lo: null,
    breakpoint_hi: null,
    plateau: null,
    plateau_lo: null,
    plateau_hi: null,
    mae: met.mae,
    mse: met.mse,
    r2: met.r2,
    n: x.length,
    n_params: 2,
    ...infoCriteria(met.sse, x.length, 2),
    uncertainty_method: 'none',
  };
}

interface Profile {
  xb: number;
  slope: number;
  intercept: number;
  sse: number;
}

function profileAt(x: readonly number[], y: readonly number[], xb: number, z: Float64Array): Profile {
  for (let i = 0; i < x.length; i++) z[i] = Math.min(x[i], xb);
  const f = ols(z, y);
  return f ? { xb, slope: f.slope, intercept: f.intercept, sse: f.sse } : { xb, slope: NaN, intercept: NaN, sse: Infinity };
}

/** Best breakpoint in [u[1], u[last]] (u: sorted distinct x), so at least two x values lie on the line. */
function bestBreakpoint(x: readonly number[], y: readonly number[], u: readonly number[]): Profile {
  const z = new Float64Array(x.length);
  const GRID = 16;
  let best = profileAt(x, y, u[1], z);
  let bestGap = 1;
  for (let j = 1; j + 1 < u.length; j++) {
    for (let g = 0; g <= GRID; g++) {
      const p = profileAt(x, y, u[j] + ((u[j + 1] - u[j]) * g) / GRID, z);
      if (p.sse < best.sse) {
        best = p;
        bestGap = j;
      }
    }
  }
  // Golden-section refinement within one grid cell either side of the best grid point.
  const h = u.length > 2 ? (u[Math.min(bestGap + 1, u.length - 1)] - u[bestGap]) / GRID : 0;
  let a = Math.max(u[1], best.xb - h);
  let b = Math.min(u[u.length - 1], best.xb + h);
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let pc = profileAt(x, y, c, z);
  let pd = profileAt(x, y, d, z);
  for (let it = 0; it < 60 && b - a > 1e-12 * Math.max(1, Math.abs(b)); it++) {
    if (pc.sse <= pd.sse) {
      b = d;
      d = c;
      pd = pc;
      c = b - phi * (b - a);
      pc = profileAt(x, y, c, z);
    } else {
      a = c;
      c = d;
      pc = pd;
      d = a + phi * (b - a);
      pd = profileAt(x, y, d, z);
    }
  }
  for (const p of [pc, pd]) if (p.sse < best.sse) best = p;
  return best;
}

/**
 * Line up to a fitted breakpoint, flat after it. Uncertainty of the breakpoint and plateau by a residual
 * bootstrap (seeded); replicates = 0 skips it.
 */
export function fitLinePlateau(
  x: readonly number[],
  y: readonly number[],
  opts: { replicates?: number; seed?: number; level?: number } = {},
): PiecewiseRow {
  check(x, y, 3, 'line-plateau fit');
  const u = [...new Set(x)].sort((a, b) => a - b);
  const best = bestBreakpoint(x, y, u);
  const fitted = x.map((v) => best.intercept + best.slope * Math.min(v, best.xb));
  const met = fitMetrics(y, fitted);
  const n = x.length;
  const reps = opts.replicates ?? 200;
  const level = opts.level ?? 0.95;
  let bLo: number | null = null;
  let bHi: number | null = null;
  let pLo: number | null = null;
  let pHi: number | null = null;
  let method = 'none';
  if (reps > 0 && n > 3) {
    const rng = rngFor(opts.seed ?? 0);
    const res = y.map((v, i) => v - fitted[i]);
    const mean = res.reduce((s, v) => s + v, 0) / n;
    const e = res.map((r) => (r - mean) * Math.sqrt(n / (n - 3)));
    const bs: number[] = [];
    const ps: number[] = [];
    for (let r = 0; r < reps; r++) {
      const yStar = fitted.map((f) => f + e[rng.int(n)]);
      const p = bestBreakpoint(x, yStar, u);
      bs.push(p.xb);
      ps.push(p.intercept + p.slope * p.xb);
    }
    bs.sort((a, b) => a - b);
    ps.sort((a, b) => a - b);
    bLo = quantileSorted(bs, (1 - level) / 2);
    bHi = quantileSorted(bs, (1 + level) / 2);
    pLo = quantileSorted(ps, (1 - level) / 2);
    pHi = quantileSorted(ps, (1 + level) / 2);
    method = `bootstrap over residuals (B=${reps}, seed ${opts.seed ?? 0}, ${Math.round(level * 100)}% percentile)`;
  }
  return {
    model: 'line-plateau',
    slope: best.slope,
    intercept: best.intercept,
    breakpoint: best.xb,
    breakpoint_lo: bLo,
    breakpoint_hi: bHi,
    plateau: best.intercept + best.slope * best.xb,
    plateau_lo: pLo,
    plateau_hi: pHi,
    mae: met.mae,
    mse: met.mse,
    r2: met.r2,
    n,
    n_params: 3,
    ...infoCriteria(met.sse, n, 3),
    uncertainty_method: method,
  };
}

/** Both models, line first; compare their aic/bic columns. */
export function comparePiecewise(
  x: readonly number[],
  y: readonly number[],
  opts: { replicates?: number; seed?: number; level?: number } = {},
): PiecewiseRow[] {
  return [fitLine(x, y), fitLinePlateau(x, y, opts)];
}
