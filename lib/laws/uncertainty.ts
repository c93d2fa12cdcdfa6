// Parameter uncertainty. The default is a residual bootstrap: checkpoints sit at fixed token counts, so
// resampling residuals (not points) keeps the design, including the late points that pin A0 down.
// Resampling points and the linearised covariance are offered too; each row says which was used.
import { Matrix, pseudoInverse } from 'ml-matrix';
import { quantileSorted } from 'simple-statistics';
import type { Form } from './forms';
import { boundSide } from './identify';
import { solveNormalised, type FormFit } from './multistart';
import { tQuantile } from './quantiles';
import { rngFor } from '../util/rng';

export type UncertaintyMethod = 'bootstrap-residual' | 'bootstrap-points' | 'covariance' | 'none';

export interface Intervals {
  lo: number[];
  hi: number[];
  /** Bootstrap replicates (parameters in the data's unit); empty for covariance and none. */
  samples: number[][];
  /** Replicates that produced a finite fit. */
  nOk: number;
  method: string;
}

export interface UncertaintyOptions {
  method: UncertaintyMethod;
  replicates: number;
  seed: number;
  level: number;
}

function percentile(samples: readonly number[][], m: number, level: number): { lo: number[]; hi: number[] } {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j < m; j++) {
    const col = samples.map((s) => s[j]).sort((a, b) => a - b);
    lo.push(col.length ? quantileSorted(col, (1 - level) / 2) : NaN);
    hi.push(col.length ? quantileSorted(col, (1 + level) / 2) : NaN);
  }
  return { lo, hi };
}

function nanIntervals(m: number, method: string): Intervals {
  return { lo: Array(m).fill(NaN), hi: Array(m).fill(NaN), samples: [], nOk: 0, method };
}

export function parameterIntervals(
  form: Form,
  D: readonly number[],
  A: readonly number[],
  fit: FormFit,
  opts: UncertaintyOptions,
): Intervals {
  const m = form.params.length;
  const n = D.length;
  const pct = Math.round(opts.level * 100);
  if (opts.method === 'none') return nanIntervals(m, 'none');
  if (n <= m) return nanIntervals(m, 'none (no residual degrees of freedom)');

  if (opts.method === 'covariance') {
    // s^2 (J^T J)^+ at the solution, in the data's unit; pseudo-inverse because the ReLU Jacobian can be
    // numerically rank-deficient (b, c, alpha trade off), where a plain inverse would blow up.
    const J = new Matrix(n, m);
    const g = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      form.grad(D[i], fit.p, g);
      for (let j = 0; j < m; j++) J.set(i, j, g[j]);
    }
    const cov = pseudoInverse(J.transpose().mmul(J)).mul(fit.sse / (n - m));
    // Student's t with n - m degrees of freedom: the variance is estimated from the residuals.
    const z = tQuantile((1 + opts.level) / 2, n - m);
    const se = fit.p.map((_, j) => Math.sqrt(Math.max(cov.get(j, j), 0)));
    // A parameter pinned at a bound has no Wald interval (its column is inactive: the width came out 0).
    const box = form.bounds(D.map((d) => d / fit.scale));
    const pinned = fit.pNorm.map((v, j) => boundSide(v, box.lower[j], box.upper[j]) !== null);
    return {
      lo: fit.p.map((v, j) => (pinned[j] ? NaN : v - z * se[j])),
      hi: fit.p.map((v, j) => (pinned[j] ? NaN : v + z * se[j])),
      samples: [],
      nOk: 0,
      method: `covariance (Wald ${pct}%, t with ${n - m} df${pinned.some((x) => x) ? '; none for parameters at a bound' : ''})`,
    };
  }

  const rng = rngFor(opts.seed);
  const Dn = D.map((d) => d / fit.scale);
  const yHat = Dn.map((d) => form.value(d, fit.pNorm));
  const samples: number[][] = [];
  if (opts.method === 'bootstrap-residual') {
    const res = A.map((a, i) => a - yHat[i]);
    const mean = res.reduce((s, v) => s + v, 0) / n;
    const inflate = Math.sqrt(n / (n - m)); // undo the shrinkage of fitted residuals
    const e = res.map((r) => (r - mean) * inflate);
    for (let b = 0; b < opts.replicates; b++) {
      const yStar = yHat.map((y) => y + e[rng.int(n)]);
      const lm = solveNormalised(form, Dn, yStar, fit.pNorm);
      if (Number.isFinite(lm.sse)) samples.push(form.rescale(lm.p, 1 / fit.scale));
    }
  } else {
    const distinctNeeded = m;
    for (let b = 0; b < opts.replicates; b++) {
      let idx: number[] = [];
      // A resample needs at least as many distinct token counts as parameters.
      for (let tries = 0; tries < 100; tries++) {
        idx = Array.from({ length: n }, () => rng.int(n));
        if (new Set(idx.map((i) => Dn[i])).size >= distinctNeeded) break;
      }
      const lm = solveNormalised(form, idx.map((i) => Dn[i]), idx.map((i) => A[i]), fit.pNorm);
      if (Number.isFinite(lm.sse)) samples.push(form.rescale(lm.p, 1 / fit.scale));
    }
  }
  const { lo, hi } = percentile(samples, m, opts.level);
  const kind = opts.method === 'bootstrap-residual' ? 'residuals' : 'points';
  return { lo, hi, samples, nOk: samples.length, method: `bootstrap over ${kind} (B=${opts.replicates}, seed ${opts.seed}, ${pct}% percentile)` };
}
