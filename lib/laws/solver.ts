// Bounded Levenberg-Marquardt with analytic Jacobians.
//
// Why not ml-levenberg-marquardt: it differentiates by finite differences (the ReLU law's Jacobian spans
// many orders of magnitude, and a pilot needed gradientDifference <= 1e-6 to move at all), silently
// returns [1] without initial values, and stops on an absolute error tolerance, so on noisy curves it
// always runs to the iteration limit and cannot tell convergence from giving up. Here the Jacobian is
// exact, convergence is relative, bounds are handled by an active set plus projection, and the result
// says why it stopped.
import { solveSpd } from './linalg';

export interface LmOptions {
  maxIterations?: number;
  /** Stop when an accepted step lowers the SSE by less than this fraction. */
  ftol?: number;
  /** Stop when no parameter moves by more than this (relative to max(|p|, 1e-8)). */
  xtol?: number;
  /** Stop when the projected gradient is this small relative to the SSE. */
  gtol?: number;
  lambda0?: number;
}

export interface LmResult {
  p: number[];
  sse: number;
  iterations: number;
  converged: boolean;
  reason: 'ftol' | 'xtol' | 'gtol' | 'zero-residual' | 'stalled' | 'max-iterations';
}

/** Least-squares problem: m parameters, n residuals r_i = model_i(p) - y_i. */
export interface LsProblem {
  m: number;
  n: number;
  /** Fills r (length n) and, when J is given, the row-major n x m Jacobian dr_i/dp_j. */
  evaluate(p: readonly number[], r: Float64Array, J: Float64Array | null): void;
  lower: readonly number[];
  upper: readonly number[];
}

function sumSq(r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * r[i];
  return Number.isFinite(s) ? s : Infinity;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

export function levenbergMarquardt(prob: LsProblem, p0: readonly number[], opts: LmOptions = {}): LmResult {
  const { m, n, lower, upper } = prob;
  const maxIt = opts.maxIterations ?? 500;
  const ftol = opts.ftol ?? 1e-15;
  const xtol = opts.xtol ?? 1e-13;
  const gtol = opts.gtol ?? 1e-14;
  let lambda = opts.lambda0 ?? 1e-3;

  let p = p0.map((v, j) => clamp(v, lower[j], upper[j]));
  const r = new Float64Array(n);
  const J = new Float64Array(n * m);
  const rTry = new Float64Array(n);
  prob.evaluate(p, r, J);
  let sse = sumSq(r);
  if (!Number.isFinite(sse)) return { p, sse, iterations: 0, converged: false, reason: 'stalled' };

  const H = new Float64Array(m * m);
  const g = new Float64Array(m);
  let it = 0;
  while (it < maxIt) {
    it++;
    if (sse < 1e-30) return { p, sse, iterations: it, converged: true, reason: 'zero-residual' };
    // Normal equations: H = J^T J, g = J^T r (the gradient of sse/2).
    H.fill(0);
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * m;
      for (let a = 0; a < m; a++) {
        const ja = J[row + a];
        g[a] += ja * r[i];
        for (let b = 0; b <= a; b++) H[a * m + b] += ja * J[row + b];
      }
    }
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) H[b * m + a] = H[a * m + b];

    // Active set: a parameter on a bound whose descent direction points outward stays put.
    const free: number[] = [];
    for (let j = 0; j < m; j++) {
      const atLo = p[j] <= lower[j] && g[j] > 0;
      const atHi = p[j] >= upper[j] && g[j] < 0;
      if (!atLo && !atHi) free.push(j);
    }
    const k = free.length;
    let gmax = 0;
    let hmax = 0;
    for (const j of free) {
      gmax = Math.max(gmax, Math.abs(g[j]) / Math.sqrt(Math.max(H[j * m + j], 1e-300)));
      hmax = Math.max(hmax, H[j * m + j]);
    }
    // Scale-free gradient test: |g_j| / sqrt(H_jj) is the SSE change per unit of scaled step.
    if (k === 0 || gmax <= gtol * Math.sqrt(sse)) {
      return { p, sse, iterations: it, converged: true, reason: 'gtol' };
    }

    let accepted = false;
    while (!accepted) {
      const A = new Float64Array(k * k);
      const rhs = new Float64Array(k);
      for (let a = 0; a < k; a++) {
        const ja = free[a];
        rhs[a] = -g[ja];
        for (let b = 0; b < k; b++) A[a * k + b] = H[ja * m + free[b]];
        // Marquardt scaling by diag(H), floored so a column that vanished (e.g. exp underflow) still damps.
        A[a * k + a] += lambda * Math.max(H[ja * m + ja], 1e-12 * hmax, 1e-300);
      }
      const step = solveSpd(A, rhs, k);
      if (step) {
        const pTry = p.slice();
        let moved = 0;
        for (let a = 0; a < k; a++) {
          const j = free[a];
          pTry[j] = clamp(p[j] + step[a], lower[j], upper[j]);
          moved = Math.max(moved, Math.abs(pTry[j] - p[j]) / Math.max(Math.abs(p[j]), 1e-8));
        }
        prob.evaluate(pTry, rTry, null);
        const sseTry = sumSq(rTry);
        if (sseTry < sse) {
          const drop = sse - sseTry;
          p = pTry;
          sse = sseTry;
          prob.evaluate(p, r, J);
          lambda = Math.max(lambda / 5, 1e-15);
          accepted = true;
          if (drop <= ftol * sse) return { p, sse, iterations: it, converged: true, reason: 'ftol' };
          if (moved <= xtol) return { p, sse, iterations: it, converged: true, reason: 'xtol' };
          continue;
        }
        if (moved <= xtol) return { p, sse, iterations: it, converged: true, reason: 'xtol' };
      }
      lambda *= 4;
      if (lambda > 1e16) return { p, sse, iterations: it, converged: true, reason: 'stalled' };
    }
  }
  return { p, sse, iterations: it, converged: false, reason: 'max-iterations' };
}
