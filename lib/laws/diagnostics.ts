// Data for diagnostic plots. Each law becomes a straight line in ln D when linearised with its own A0:
//   SiLU: ln(A0 - A)         = ln c - alpha ln D
//   ReLU: ln(b - ln(A - A0)) = ln c + alpha ln D
// Points off the line show where the law stops holding (warmup, or a bend the law cannot follow).
import type { CurveInput } from './data';
import type { LawFit } from './fit';
import type { ActivationLaw } from './forms';
import { pointsIn } from './fit';
import { lawValue } from './predict';
import { convertTokens, type TokenUnit } from './units';

export interface LinearisedRow {
  D: number;
  lnD: number;
  A: number;
  /** The linearised value; only points where it is defined are returned. */
  y: number;
  /** The fitted law's straight line at this D. */
  y_line: number;
}

export interface Linearised {
  law: ActivationLaw;
  y_label: string;
  slope: number;
  intercept: number;
  rows: LinearisedRow[];
  /** Points whose linearised value is undefined (e.g. A above A0 for SiLU). */
  n_excluded: number;
  unit: TokenUnit;
}

type Fit = Pick<LawFit, 'law' | 'A0' | 'alpha' | 'b' | 'c' | 'unit'>;

/** Linearised points and the fitted line; `unit` is the unit of D in `points` (default: the fit's). */
export function linearised(fit: Fit, points: CurveInput, unit?: TokenUnit): Linearised {
  const pts = pointsIn(points, unit ?? fit.unit, fit.unit);
  const relu = fit.law === 'relu';
  const slope = relu ? fit.alpha : -fit.alpha;
  const intercept = Math.log(fit.c);
  const rows: LinearisedRow[] = [];
  for (const p of pts) {
    const y = relu ? Math.log((fit.b ?? NaN) - Math.log(p.A - fit.A0)) : Math.log(fit.A0 - p.A);
    if (!Number.isFinite(y)) continue;
    const lnD = Math.log(p.D);
    rows.push({ D: p.D, lnD, A: p.A, y, y_line: intercept + slope * lnD });
  }
  return {
    law: fit.law,
    y_label: relu ? 'ln(b - ln(A - A0))' : 'ln(A0 - A)',
    slope,
    intercept,
    rows,
    n_excluded: pts.length - rows.length,
    unit: fit.unit,
  };
}

/** The fitted curve on `n` log-spaced D in [from, to] (in `unit`, default the fit's), for overlays. */
export function curveRows(fit: Fit, opts: { from: number; to: number; n?: number; unit?: TokenUnit }): { D: number; A_fit: number; unit: TokenUnit }[] {
  const unit = opts.unit ?? fit.unit;
  const n = Math.max(2, opts.n ?? 100);
  const lo = Math.log(opts.from);
  const hi = Math.log(opts.to);
  return Array.from({ length: n }, (_, i) => {
    const D = Math.exp(lo + ((hi - lo) * i) / (n - 1));
    return { D, A_fit: lawValue(fit, convertTokens(D, unit, fit.unit)), unit };
  });
}
