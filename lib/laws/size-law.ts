// The limit activation ratio as a function of model size (issue #13, item 2):
//   A0(N) = A_inf + k * N^(-gamma),  N = non-embedding parameters,
// fitted to per-size limits weighted by their intervals.
//
// Inputs and the rule for limits that are not identified. Each per-size limit that IS identified enters
// the weighted least squares with sigma = (A0_hi - A0_lo) / (2 z) (its profile interval read as a normal
// one). A per-size limit that is NOT identified has no value to weight, only a one-sided bound
// ("A0 <= 0.13"): it does not enter the fit (a bound in the likelihood would let the least-bounded size
// steer the asymptote); afterwards the fitted curve is checked against every such bound, and a curve
// that breaks one is reported (a `bound_violations` count and a warning).
//
// Fit. For a fixed gamma the model is linear in (A_inf, k), so chi^2(gamma) is a weighted linear least
// squares solved in closed form (A_inf clamped to its box [0, 1]); gamma is searched on a log grid and
// refined by golden section. This is exact up to the 1-D search, needs no starts, and cannot wander.
//
// Interval on A_inf: profile likelihood with the sigmas taken as known (chi^2 with 1 df), inflated by
// the reduced chi^2 when the points scatter more than their intervals say (chi^2/dof > 1). A_inf is
// identified only when: at least m + 1 = 4 identified per-size limits (one residual degree of freedom;
// with 3 the curve passes through the points), no parameter at a bound of the box, and the profile
// interval off A_inf's bounds 0 and 1. Otherwise the one statement the fit can make is a one-sided bound
// or nothing, and `A_inf` is withheld by the findings.
import { UserError } from '../util/errors';
import { sizeLimitForm as form } from './forms';
import { boundSide } from './identify';
import { normalQuantile } from './quantiles';

export interface SizePoint {
  /** Non-embedding parameters. */
  N: number;
  /** The per-size limit (used only when `identified`). */
  A0: number | null;
  A0_lo: number | null;
  A0_hi: number | null;
  identified: boolean;
  /** For a limit that is not identified: its one-sided bound. */
  bound?: number | null;
  boundSide?: 'upper' | 'lower' | null;
  label?: string;
}

export interface SizeLawFit {
  formula: string;
  /** Fitted values (NaN when fewer than 3 identified points). */
  A_inf: number;
  A_inf_lo: number;
  A_inf_hi: number;
  gamma: number;
  k: number;
  identified: boolean;
  /** Why A_inf is not identified ('' when it is). */
  not_identified_because: string;
  chi2: number;
  dof: number;
  n_fitted: number;
  n_bounds: number;
  /** One-sided bounds of non-identified sizes that the fitted curve breaks. */
  bound_violations: number;
  ci_level: number;
  interval_method: string;
  warnings: string;
}

const GRID = 241;

interface Wls { a: number; k: number; chi2: number }

/** Weighted LS of y on (1, x) with A_inf clamped to [0, 1] (or fixed when `aFixed` is given). */
function wls(x: readonly number[], y: readonly number[], w: readonly number[], aFixed?: number): Wls {
  let sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < x.length; i++) {
    sw += w[i]; sx += w[i] * x[i]; sy += w[i] * y[i]; sxx += w[i] * x[i] * x[i]; sxy += w[i] * x[i] * y[i];
  }
  const withA = (a: number): Wls => {
    // k given a: minimise sum w (y - a - k x)^2.
    const k = sxx > 0 ? (sxy - a * sx) / sxx : 0;
    let chi2 = 0;
    for (let i = 0; i < x.length; i++) chi2 += w[i] * (y[i] - a - k * x[i]) ** 2;
    return { a, k, chi2 };
  };
  if (aFixed !== undefined) return withA(aFixed);
  const det = sw * sxx - sx * sx;
  if (!(Math.abs(det) > 1e-300 * sw * sxx)) return withA(Math.min(1, Math.max(0, sy / sw)));
  const a = (sxx * sy - sx * sxy) / det;
  return withA(Math.min(1, Math.max(0, a)));
}

/** min over gamma (and k) of chi^2, optionally with A_inf fixed. */
function profileGamma(N: readonly number[], y: readonly number[], w: readonly number[], lo: number, hi: number, aFixed?: number): { gamma: number } & Wls {
  const at = (g: number) => ({ gamma: g, ...wls(N.map((n) => Math.pow(n, -g)), y, w, aFixed) });
  const lg0 = Math.log(lo);
  const lg1 = Math.log(hi);
  let best = at(lo);
  let bi = 0;
  const grid: number[] = [];
  for (let i = 0; i < GRID; i++) grid.push(Math.exp(lg0 + ((lg1 - lg0) * i) / (GRID - 1)));
  grid.forEach((g, i) => {
    const r = at(g);
    if (r.chi2 < best.chi2) { best = r; bi = i; }
  });
  // Golden section in ln gamma between the grid neighbours of the best point.
  let a = Math.log(grid[Math.max(0, bi - 1)]);
  let b = Math.log(grid[Math.min(GRID - 1, bi + 1)]);
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 60 && b - a > 1e-10; it++) {
    const c = b - phi * (b - a);
    const d = a + phi * (b - a);
    if (at(Math.exp(c)).chi2 < at(Math.exp(d)).chi2) b = d; else a = c;
  }
  const r = at(Math.exp((a + b) / 2));
  return r.chi2 <= best.chi2 ? r : best;
}

/** Sigma of an identified limit from its interval (half-width / z), floored so no point gets infinite weight. */
export function sigmaOf(p: SizePoint, level: number): number {
  const z = normalQuantile((1 + level) / 2);
  const w = (p.A0_hi ?? NaN) - (p.A0_lo ?? NaN);
  return Math.max(Number.isFinite(w) ? w / (2 * z) : NaN, 1e-4);
}

export function fitSizeLaw(points: readonly SizePoint[], level = 0.95): SizeLawFit {
  if (!(level > 0 && level < 1)) throw new UserError(`level must be in (0, 1) (got ${level})`);
  const m = form.params.length;
  const used = points.filter((p) => p.identified && Number.isFinite(p.A0) && p.N > 0 && Number.isFinite(sigmaOf(p, level)));
  const bounds = points.filter((p) => !p.identified && Number.isFinite(p.bound ?? NaN) && p.boundSide);
  const box = form.bounds([]);
  const base = {
    formula: form.formula, n_fitted: used.length, n_bounds: bounds.length, ci_level: level,
    interval_method: `profile likelihood (${Math.round(level * 100)}%, chi^2(1) with sigmas from the per-size intervals, inflated by chi^2/dof when > 1)`,
  };
  const distinctN = new Set(used.map((p) => p.N)).size;
  if (distinctN < m) {
    return {
      ...base, A_inf: NaN, A_inf_lo: NaN, A_inf_hi: NaN, gamma: NaN, k: NaN, identified: false, chi2: NaN, dof: used.length - m, bound_violations: 0,
      not_identified_because: `${distinctN} size${distinctN === 1 ? '' : 's'} with an identified limit, ${m} parameters: no fit`, warnings: '',
    };
  }
  const N = used.map((p) => p.N);
  const y = used.map((p) => p.A0 as number);
  const w = used.map((p) => 1 / sigmaOf(p, level) ** 2);
  const best = profileGamma(N, y, w, box.lower[1], box.upper[1]);
  const dof = used.length - m;
  const inflate = dof > 0 ? Math.max(1, best.chi2 / dof) : 1;
  const thr = best.chi2 + normalQuantile((1 + level) / 2) ** 2 * inflate;
  // Profile of A_inf on a grid over its box, then bisection at each crossing.
  const prof = (a: number) => profileGamma(N, y, w, box.lower[1], box.upper[1], a).chi2;
  const walk = (dir: 1 | -1): { end: number; atBound: boolean } => {
    const limit = dir > 0 ? box.upper[0] : box.lower[0];
    let inside = best.a;
    const steps = 400;
    const h = (limit - best.a) / steps;
    for (let i = 1; i <= steps; i++) {
      const next = best.a + h * i;
      if (prof(next) > thr) {
        let lo = inside, hi = next;
        for (let it = 0; it < 40; it++) {
          const mid = (lo + hi) / 2;
          if (prof(mid) > thr) hi = mid; else lo = mid;
        }
        return { end: (lo + hi) / 2, atBound: false };
      }
      inside = next;
    }
    return { end: limit, atBound: true };
  };
  const up = walk(1);
  const down = walk(-1);
  const why: string[] = [];
  if (dof < 1) why.push(`${used.length} identified per-size limits for ${m} parameters: the curve passes through them, nothing is left to test it`);
  const pv = [best.a, best.gamma, best.k];
  form.params.forEach((name, j) => {
    const side = boundSide(pv[j], box.lower[j], box.upper[j]);
    if (side) why.push(`${name} = ${Number(pv[j].toPrecision(4))} (${side} bound)`);
  });
  if (up.atBound || down.atBound) why.push(`the interval of A_inf reaches its ${down.atBound ? 'lower' : 'upper'} bound ${down.atBound ? 0 : 1}`);
  const fitted = (n: number) => form.value(n, pv);
  const violations = bounds.filter((p) => (p.boundSide === 'upper' ? fitted(p.N) > (p.bound as number) : fitted(p.N) < (p.bound as number)));
  const warnings: string[] = [];
  if (violations.length) warnings.push(`the fitted curve breaks the one-sided bound of ${violations.map((p) => p.label ?? `N = ${p.N}`).join(', ')}`);
  if (inflate > 1) warnings.push(`the limits scatter more than their intervals say (chi^2/dof ${Number((best.chi2 / dof).toPrecision(3))}); the interval is widened by it`);
  return {
    ...base, A_inf: best.a, A_inf_lo: down.end, A_inf_hi: up.end, gamma: best.gamma, k: best.k,
    identified: why.length === 0, not_identified_because: why.join('; '), chi2: best.chi2, dof, bound_violations: violations.length,
    warnings: warnings.join('; '),
  };
}

/** A0(N) of a fitted size law. */
export function sizeLawValue(f: Pick<SizeLawFit, 'A_inf' | 'gamma' | 'k'>, N: number): number {
  return form.value(N, [f.A_inf, f.gamma, f.k]);
}

/**
 * The smallest size from which the fitted curve stays within `tol` of A_inf (|k| N^-gamma <= tol): where
 * the limit becomes scale-insensitive within noise. NaN when the fit has no finite k or gamma.
 */
export function sizeInsensitiveFrom(f: Pick<SizeLawFit, 'gamma' | 'k'>, tol: number): number {
  if (!(tol > 0) || !Number.isFinite(f.k) || !(f.gamma > 0)) return NaN;
  if (f.k === 0) return 0;
  return Math.pow(Math.abs(f.k) / tol, 1 / f.gamma);
}
