// Starting points for the solver. Each law is linear in some of its parameters once the others are
// fixed, so a grid over the nonlinear ones with ordinary least squares for the linear ones (variable
// projection) gives starts near every basin. The ReLU form's b, c and alpha trade off, which is why
// LM from a single guess is not enough there.
import type { Form } from './forms';
import { ols } from './linalg';

export interface Start {
  p: number[];
  sse: number;
  source: string;
}

function geomGrid(lo: number, hi: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(lo * Math.pow(hi / lo, i / (n - 1)));
  return out;
}

function linGrid(lo: number, hi: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(lo + ((hi - lo) * i) / (n - 1));
  return out;
}

function sseOf(form: Form, D: readonly number[], A: readonly number[], p: number[]): number {
  let s = 0;
  for (let i = 0; i < D.length; i++) {
    const r = form.value(D[i], p) - A[i];
    s += r * r;
  }
  return Number.isFinite(s) ? s : Infinity;
}

const ALPHAS = geomGrid(0.02, 4, 36);

/** ReLU: for fixed (alpha, c), A = A0 + e^b * exp(-c D^alpha) is linear in A0 and e^b. */
function reluVarPro(D: readonly number[], A: readonly number[]): Start[] {
  const out: Start[] = [];
  const g = new Float64Array(D.length);
  for (const alpha of ALPHAS) {
    for (const c of geomGrid(1e-3, 1e3, 43)) {
      for (let i = 0; i < D.length; i++) g[i] = Math.exp(-c * Math.pow(D[i], alpha));
      const f = ols(g, A);
      if (!f || !(f.slope > 0)) continue;
      out.push({ p: [f.intercept, alpha, Math.log(f.slope), c], sse: f.sse, source: 'varpro(alpha,c)' });
    }
  }
  return out;
}

/** ReLU, linearised as the issue describes: fix A0 < min A and alpha, then ln(A - A0) = b - c D^alpha. */
function reluLinearised(form: Form, D: readonly number[], A: readonly number[]): Start[] {
  const out: Start[] = [];
  const minA = Math.min(...A);
  const spread = Math.max(...A) - minA;
  if (!(minA > 0) || !(spread > 0)) return out;
  const x = new Float64Array(D.length);
  const y = new Float64Array(D.length);
  for (const gap of geomGrid(Math.max(1e-6, spread * 1e-4), Math.min(minA * 0.999, spread * 3), 24)) {
    const A0 = minA - gap;
    for (let i = 0; i < D.length; i++) y[i] = Math.log(A[i] - A0);
    for (const alpha of ALPHAS) {
      for (let i = 0; i < D.length; i++) x[i] = Math.pow(D[i], alpha);
      const f = ols(x, y);
      if (!f || !(f.slope < 0)) continue;
      const p = [A0, alpha, f.intercept, -f.slope];
      out.push({ p, sse: sseOf(form, D, A, p), source: 'linearised(A0,alpha)' });
    }
  }
  return out;
}

/** SiLU: for fixed alpha, A = A0 - c D^-alpha is linear in A0 and c. */
function siluVarPro(D: readonly number[], A: readonly number[]): Start[] {
  const out: Start[] = [];
  const x = new Float64Array(D.length);
  for (const alpha of geomGrid(0.01, 6, 80)) {
    for (let i = 0; i < D.length; i++) x[i] = Math.pow(D[i], -alpha);
    const f = ols(x, A);
    if (!f || !(f.slope < 0)) continue;
    out.push({ p: [f.intercept, alpha, -f.slope], sse: f.sse, source: 'varpro(alpha)' });
  }
  return out;
}

/** Log baseline: for fixed b, A = A0 + c ln(D + b) is linear in A0 and c. */
function logVarPro(D: readonly number[], A: readonly number[]): Start[] {
  const out: Start[] = [];
  const lo = Math.min(...D);
  const hi = Math.max(...D);
  const x = new Float64Array(D.length);
  for (const shift of geomGrid(lo * 1e-6, hi * 1e4, 60)) {
    const b = shift - lo; // D + b >= shift > 0
    for (let i = 0; i < D.length; i++) x[i] = Math.log(D[i] + b);
    const f = ols(x, A);
    if (!f) continue;
    out.push({ p: [f.intercept, b, f.slope], sse: f.sse, source: 'varpro(b)' });
  }
  return out;
}

/** Sigmoid baseline: for fixed (c, d), A = a - 1/(1+e^(cD+d)) gives a as a mean. */
function sigmoidVarPro(form: Form, D: readonly number[], A: readonly number[]): Start[] {
  const out: Start[] = [];
  const hi = Math.max(...D);
  const cs = geomGrid(1e-3, 1e2, 26).map((v) => v / hi);
  for (const c of [...cs.map((v) => -v), ...cs]) {
    for (const d of linGrid(-20, 20, 41)) {
      let a = 0;
      for (let i = 0; i < D.length; i++) a += A[i] + 1 / (1 + Math.exp(c * D[i] + d));
      const p = [a / D.length, c, d];
      out.push({ p, sse: sseOf(form, D, A, p), source: 'varpro(c,d)' });
    }
  }
  return out;
}

/** All grid candidates for `form`, best first. */
export function gridStarts(form: Form, D: readonly number[], A: readonly number[]): Start[] {
  let all: Start[];
  switch (form.name) {
    case 'relu':
      all = [...reluVarPro(D, A), ...reluLinearised(form, D, A)];
      break;
    case 'silu':
      all = siluVarPro(D, A);
      break;
    case 'log':
      all = logVarPro(D, A);
      break;
    case 'sigmoid':
      all = sigmoidVarPro(form, D, A);
      break;
    default:
      // The size law (size-law.ts) is fitted by its own variable projection, never from these starts.
      all = [];
  }
  return all.filter((s) => Number.isFinite(s.sse)).sort((a, b) => a.sse - b.sse);
}

/**
 * Up to `k` starts, best first, whose shape parameters differ by a factor of at least 1.5 (or in sign),
 * so the multi-start explores different basins rather than neighbours on one grid.
 */
export function pickStarts(form: Form, candidates: readonly Start[], k: number): Start[] {
  const j = form.shapeIndex;
  const chosen: Start[] = [];
  for (const s of candidates) {
    if (chosen.length >= k) break;
    const v = s.p[j];
    const close = chosen.some((c) => {
      const u = c.p[j];
      if (Math.sign(u) !== Math.sign(v)) return false;
      return Math.abs(Math.log(Math.abs(v) / Math.abs(u))) < Math.log(1.5);
    });
    if (!close) chosen.push(s);
  }
  return chosen;
}
