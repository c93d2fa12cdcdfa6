// One least-squares fit of a form to (D, A): normalise D, generate variable-projection starts, run the
// bounded LM from several of them, keep the lowest SSE, and express the parameters in the caller's unit.
// D is normalised by its geometric mean because in raw tokens D^alpha reaches 1e15 and c 1e-15.
import type { Bounds, Form } from './forms';
import { levenbergMarquardt, type LmResult } from './solver';
import { gridStarts, pickStarts } from './starts';

export interface FormFit {
  /** Parameters for D in the unit the data came in. */
  p: number[];
  /** Parameters for the normalised D (D / scale); the start for refits such as bootstrap replicates. */
  pNorm: number[];
  scale: number;
  sse: number;
  lm: LmResult;
  startsTried: number;
  startSource: string;
}

export function geometricMeanScale(D: readonly number[]): number {
  let s = 0;
  for (const d of D) s += Math.log(d);
  return Math.exp(s / D.length);
}

/** Runs the bounded LM for `form` on normalised data `Dn` from `p0` (in `box`, default the form's bounds). */
export function solveNormalised(form: Form, Dn: readonly number[], A: readonly number[], p0: readonly number[], box?: Bounds): LmResult {
  const m = form.params.length;
  const n = Dn.length;
  const { lower, upper } = box ?? form.bounds(Dn);
  const grad = new Float64Array(m);
  return levenbergMarquardt(
    {
      m,
      n,
      lower,
      upper,
      evaluate(p, r, J) {
        for (let i = 0; i < n; i++) {
          r[i] = form.value(Dn[i], p) - A[i];
          if (J) {
            form.grad(Dn[i], p, grad);
            for (let j = 0; j < m; j++) J[i * m + j] = grad[j];
          }
        }
      },
    },
    p0,
  );
}

/** Multi-start fit; deterministic (grid starts, ties broken by start order). */
export function fitForm(form: Form, D: readonly number[], A: readonly number[], nStarts = 6): FormFit {
  const scale = geometricMeanScale(D);
  const Dn = D.map((d) => d / scale);
  const starts = pickStarts(form, gridStarts(form, Dn, A), nStarts);
  if (starts.length === 0) {
    // No start with the law's sign: fall back to the middle of the box; the fit will sit on a bound.
    const { lower, upper } = form.bounds(Dn);
    starts.push({ p: lower.map((l, j) => Math.max(l, Math.min(upper[j], (l + upper[j]) / 2))), sse: Infinity, source: 'box-centre' });
  }
  let best: { lm: LmResult; source: string } | null = null;
  for (const s of starts) {
    const lm = solveNormalised(form, Dn, A, s.p);
    if (!best || lm.sse < best.lm.sse) best = { lm, source: s.source };
  }
  const b = best!;
  return {
    p: form.rescale(b.lm.p, 1 / scale),
    pNorm: b.lm.p,
    scale,
    sse: b.lm.sse,
    lm: b.lm,
    startsTried: starts.length,
    startSource: b.source,
  };
}
