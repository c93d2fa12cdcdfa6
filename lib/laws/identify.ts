// Is the fitted limit a number the data determine? A bounded least-squares fit can "succeed" with a
// parameter pinned at the edge of its box: b = 100 (the ReLU law collapses to a plain power law and
// A0 becomes an extrapolation), alpha = 20 (a step), A0 = 1 (the curve has not bent over yet). Then
// the limit is not identified, and the one honest statement is a one-sided bound.
//
// The limit's interval is a profile-likelihood interval: A0 is fixed on a path away from the optimum,
// the other parameters refitted, and the interval is where the SSE stays below
// SSE_min * (1 + F(1, n - m) / (n - m)) (the F-test for one parameter). Unlike a bootstrap percentile
// it does not depend on the replicates staying away from the bounds, and it reaches a bound exactly
// when the data cannot exclude that bound.
import type { Bounds, Form } from './forms';
import { solveNormalised, type FormFit } from './multistart';
import { f1Quantile } from './quantiles';

/** A parameter within this fraction of its box width (in log space for wide positive ranges) of a bound is "at" it. */
export const NEAR_BOUND = 5e-3;

/** Parameters that do not change with the token unit (they can be compared with the box in any unit). */
export function scaleFreeParams(form: Form): boolean[] {
  const p = form.params.map((_, j) => 0.37 + 0.11 * j);
  const q = form.rescale(p, 10);
  return p.map((v, j) => Math.abs(q[j] - v) < 1e-12);
}

function logScaled(lo: number, hi: number): boolean {
  return lo > 0 && hi / lo > 1e3;
}

/** 'lower', 'upper' or null: where `v` sits relative to the box [lo, hi]. */
export function boundSide(v: number, lo: number, hi: number, tol = NEAR_BOUND): 'lower' | 'upper' | null {
  if (!Number.isFinite(v)) return null;
  if (logScaled(lo, hi)) {
    const w = Math.log(hi) - Math.log(lo);
    if (v <= lo || Math.log(v) - Math.log(lo) <= tol * w) return 'lower';
    if (v >= hi || Math.log(hi) - Math.log(v) <= tol * w) return 'upper';
    return null;
  }
  const w = hi - lo;
  if (v - lo <= tol * w) return 'lower';
  if (hi - v <= tol * w) return 'upper';
  return null;
}

export interface ProfileInterval {
  lo: number;
  hi: number;
  /** The interval runs into the box's bound on that side: the data do not exclude the bound. */
  loAtBound: boolean;
  hiAtBound: boolean;
  level: number;
}

/**
 * Profile-likelihood interval for parameter `j` (default 0, the limit A0) of a fit on normalised data.
 * NaN ends when there are no residual degrees of freedom.
 */
export function profileInterval(form: Form, Dn: readonly number[], A: readonly number[], fit: FormFit, level = 0.95, j = 0): ProfileInterval {
  const n = Dn.length;
  const m = form.params.length;
  const none = { lo: NaN, hi: NaN, loAtBound: false, hiAtBound: false, level };
  if (n <= m || !(fit.sse >= 0)) return none;
  const box = form.bounds(Dn);
  const thr = Math.max(fit.sse, 1e-300) * (1 + f1Quantile(level, n - m) / (n - m));
  const fixed = (v: number, start: readonly number[]) => {
    const b: Bounds = { lower: box.lower.slice(), upper: box.upper.slice() };
    b.lower[j] = v;
    b.upper[j] = v;
    const p0 = start.slice();
    p0[j] = v;
    const a = solveNormalised(form, Dn, A, p0, b);
    const from = fit.pNorm.slice();
    from[j] = v;
    const c = solveNormalised(form, Dn, A, from, b);
    return c.sse < a.sse ? c : a;
  };
  const walk = (dir: 1 | -1): { end: number; atBound: boolean } => {
    const limit = dir > 0 ? box.upper[j] : box.lower[j];
    const width = box.upper[j] - box.lower[j];
    let inside = fit.pNorm[j];
    let start = fit.pNorm;
    let step = 1e-3 * width;
    for (let k = 0; k < 200; k++) {
      if (inside === limit) return { end: limit, atBound: true };
      const next = dir > 0 ? Math.min(limit, inside + step) : Math.max(limit, inside - step);
      const s = fixed(next, start);
      if (s.sse > thr) {
        // Bisect between the last value inside and the first outside.
        let a = inside;
        let b = next;
        let st = start;
        for (let it = 0; it < 40 && Math.abs(b - a) > 1e-7 * width; it++) {
          const mid = (a + b) / 2;
          const sm = fixed(mid, st);
          if (sm.sse > thr) b = mid; else { a = mid; st = sm.p; }
        }
        return { end: (a + b) / 2, atBound: false };
      }
      inside = next;
      start = s.p;
      step *= 1.6;
    }
    return { end: inside, atBound: boundSide(inside, box.lower[j], box.upper[j]) !== null };
  };
  const up = walk(1);
  const down = walk(-1);
  return { lo: down.end, hi: up.end, loAtBound: down.atBound, hiAtBound: up.atBound, level };
}

export interface Identification {
  /** Parameters at or near a bound at the optimum, as "b = 100 (upper bound)". */
  atBound: string[];
  /** Unit-free parameters whose interval (bootstrap or Wald) reaches a bound. */
  intervalAtBound: string[];
  profile: ProfileInterval;
  /** The limit is a number the data determine. */
  identified: boolean;
  /** When not identified: the one-sided bound the data support, and which side it is. */
  supported: { side: 'upper' | 'lower'; value: number } | null;
}

/**
 * Whether the limit (parameter 0) of a fit is identified. `lo`/`hi` are the per-parameter interval
 * ends in the data's unit (NaN when none). `A` are the fitted points.
 */
export function identifyLimit(form: Form, Dn: readonly number[], A: readonly number[], fit: FormFit, lo: readonly number[], hi: readonly number[], level = 0.95): Identification {
  const box = form.bounds(Dn);
  const free = scaleFreeParams(form);
  const fmtV = (v: number) => String(Number(v.toPrecision(4)));
  const atBound: string[] = [];
  const intervalAtBound: string[] = [];
  form.params.forEach((name, j) => {
    const side = boundSide(fit.pNorm[j], box.lower[j], box.upper[j]);
    if (side) atBound.push(`${name} = ${fmtV(fit.pNorm[j])} (${side} bound${free[j] ? '' : ', in the fit\'s normalised unit'})`);
    else if (free[j]) {
      const ends = [lo[j], hi[j]].filter((v) => Number.isFinite(v)).map((v) => boundSide(v, box.lower[j], box.upper[j])).filter((s) => s);
      if (ends.length) intervalAtBound.push(`${name} (its interval reaches the ${ends[0]} bound)`);
    }
  });
  const profile = profileInterval(form, Dn, A, fit, level, 0);
  const identified = atBound.length === 0 && intervalAtBound.length === 0 && !profile.loAtBound && !profile.hiAtBound && Number.isFinite(profile.lo);
  let supported: Identification['supported'] = null;
  if (!identified && A.length) {
    // The law approaches its limit from above (decreasing) or below (increasing): that side is the
    // bound the data can support: the profile's end when it is off the bound, else the last points.
    if (form.direction === 'decreasing') {
      supported = { side: 'upper', value: !profile.hiAtBound && Number.isFinite(profile.hi) ? profile.hi : Math.min(...A) };
    } else if (form.direction === 'increasing') {
      supported = { side: 'lower', value: !profile.loAtBound && Number.isFinite(profile.lo) ? profile.lo : Math.max(...A) };
    }
  }
  return { atBound, intervalAtBound, profile, identified, supported };
}
