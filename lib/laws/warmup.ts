// Which early checkpoints a fit leaves out. The laws describe the stable stage only: during warmup the
// ratio moves the "wrong" way (SiLU first dips, method.md section 5) or the PPL-p% search saturates.
// The default rule needs no tuning: a decreasing law (ReLU) starts at the curve's highest point, an
// increasing law (SiLU) at its lowest point (the dip). Points before it are warmup, but only those that
// lie clearly (more than 3 noise sd of a difference) on the wrong side of it: a curve that starts flat
// would otherwise lose its first points to noise alone. The noise sd comes from second differences,
// which cancel the smooth trend.
import { UserError } from '../util/errors';
import type { CurvePoint } from './data';
import type { Form } from './forms';
import { convertTokens, type TokenUnit } from './units';

export type WarmupRule =
  | 'extremum'
  | 'none'
  | { minTokens: number; unit?: TokenUnit }
  | { dropFirst: number };

export interface WarmupSplit {
  used: CurvePoint[];
  dropped: CurvePoint[];
  /** The rule in words, for the fit row. */
  rule: string;
}

/** Robust noise sd of a curve: MAD of second differences (var of a second difference = 6 sigma^2). */
export function noiseSd(points: readonly CurvePoint[]): number {
  if (points.length < 3) return 0;
  const d: number[] = [];
  for (let i = 1; i + 1 < points.length; i++) d.push(Math.abs(points[i + 1].A - 2 * points[i].A + points[i - 1].A));
  d.sort((a, b) => a - b);
  const mid = d.length >> 1;
  const med = d.length % 2 ? d[mid] : (d[mid - 1] + d[mid]) / 2;
  return med / 0.6745 / Math.sqrt(6);
}

/** Splits points (sorted by D, D in `unit`) into those the fit uses and the warmup points it drops. */
export function splitWarmup(points: readonly CurvePoint[], form: Form, rule: WarmupRule, unit: TokenUnit): WarmupSplit {
  if (rule === 'none') return { used: points.slice(), dropped: [], rule: 'none' };
  if (rule === 'extremum') {
    if (form.direction === 'either' || points.length === 0) {
      return { used: points.slice(), dropped: [], rule: 'none (form has no direction)' };
    }
    const decreasing = form.direction === 'decreasing';
    let k = 0;
    for (let i = 1; i < points.length; i++) {
      if (decreasing ? points[i].A > points[k].A : points[i].A < points[k].A) k = i;
    }
    const tol = 3 * Math.SQRT2 * noiseSd(points);
    let j = -1; // last point before the extreme one that is clearly on the wrong side of it
    for (let i = 0; i < k; i++) {
      if (Math.abs(points[i].A - points[k].A) > tol && points[i].D < points[k].D) j = i;
    }
    const cut = j >= 0 ? points[j].D : -Infinity;
    const where = decreasing ? 'below the maximum' : 'above the minimum (the dip)';
    return {
      used: points.filter((p) => p.D > cut),
      dropped: points.filter((p) => p.D <= cut),
      rule: `extremum: drop up to the last point >3 noise sd ${where}`,
    };
  }
  if ('dropFirst' in rule) {
    const k = rule.dropFirst;
    if (!Number.isInteger(k) || k < 0) throw new UserError(`dropFirst must be a non-negative integer (got ${k})`);
    return { used: points.slice(k), dropped: points.slice(0, k), rule: `drop the first ${k} points` };
  }
  const u = rule.unit ?? unit;
  const cut = convertTokens(rule.minTokens, u, unit);
  if (!(cut >= 0)) throw new UserError(`minTokens must be a non-negative number (got ${rule.minTokens})`);
  return {
    used: points.filter((p) => p.D >= cut),
    dropped: points.filter((p) => p.D < cut),
    rule: `drop points below ${rule.minTokens} ${u === 'tokens' ? 'tokens' : u + ' tokens'}`,
  };
}
