// Which early checkpoints a fit leaves out. The laws describe the stable stage only: during warmup the
// ratio moves the "wrong" way (SiLU first dips, method.md section 5), the PPL-p% search saturates, or
// the first points sit off the curve in either direction.
//
// The default rule ('extremum') works in three steps, and the fit row lists the points it dropped:
//  1. Points whose training stage is known to be warmup are dropped (method.md keeps them out of fits).
//  2. A decreasing law (ReLU) starts at the curve's highest point, an increasing law (SiLU) at its
//     lowest point (the dip). Points before it are dropped, but only those that lie clearly (more than
//     3 noise sd of a difference) on the wrong side of it: a curve that starts flat would otherwise lose
//     its first points to noise alone. The noise sd comes from second differences, which cancel the
//     smooth trend. This catches a transient that runs against the law's direction.
//  3. A transient that runs WITH the law's direction (the first points a little above a falling ReLU
//     curve) is not an extremum. The first remaining point is dropped while it is an outlier to the
//     law fitted to the points after it: the F statistic of adding it, (SSE_with - SSE_without) /
//     (SSE_without / (n - 1 - m)), exceeds the 99.9% quantile of F(1, n - 1 - m). At most a third of
//     the points go, and at least m + 3 stay.
import { UserError } from '../util/errors';
import type { CurvePoint } from './data';
import type { Form } from './forms';
import { fitForm } from './multistart';
import { fQuantile } from './quantiles';
import { convertTokens, type TokenUnit } from './units';

export type WarmupRule =
  | 'extremum'
  | 'none'
  | { minTokens: number; unit?: TokenUnit }
  | { dropFirst: number };

export interface WarmupSplit {
  used: CurvePoint[];
  dropped: CurvePoint[];
  /** The rule in words, and what it did, for the fit row. */
  rule: string;
}

/** Level of the leading-outlier test of step 3. */
export const TRANSIENT_LEVEL = 0.999;

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

/** Step 2: the points before the extreme one that lie clearly on the wrong side of it. */
function extremumCut(points: readonly CurvePoint[], decreasing: boolean): number {
  let k = 0;
  for (let i = 1; i < points.length; i++) {
    if (decreasing ? points[i].A > points[k].A : points[i].A < points[k].A) k = i;
  }
  const tol = 3 * Math.SQRT2 * noiseSd(points);
  let j = -1; // last point before the extreme one that is clearly on the wrong side of it
  for (let i = 0; i < k; i++) {
    if (Math.abs(points[i].A - points[k].A) > tol && points[i].D < points[k].D) j = i;
  }
  return j + 1;
}

function sseOf(form: Form, pts: readonly CurvePoint[]): number {
  return fitForm(form, pts.map((p) => p.D), pts.map((p) => p.A), 4).sse;
}

/**
 * Step 3: how many leading points are outliers to the law fitted to the rest. A block of up to three
 * points is tested at once, since two transient points side by side mask each other in a one-point test:
 * F = ((SSE_with - SSE_without) / j) / (SSE_without / (n_rest - m)) against F(j, n_rest - m).
 */
function leadingTransients(points: readonly CurvePoint[], form: Form): number {
  const m = form.params.length;
  const maxDrop = Math.min(Math.floor(points.length / 3), points.length - (m + 3));
  let k = 0;
  while (k < maxDrop) {
    const withIt = sseOf(form, points.slice(k));
    let dropped = 0;
    for (let j = 1; j <= 3 && k + j <= maxDrop; j++) {
      const rest = points.slice(k + j);
      if (new Set(rest.map((p) => p.D)).size <= m) break;
      const without = sseOf(form, rest);
      const df = rest.length - m;
      const f = (withIt - without) / j / Math.max(without / df, 1e-300);
      if (f > fQuantile(TRANSIENT_LEVEL, j, df)) { dropped = j; break; }
    }
    if (!dropped) break;
    k += dropped;
  }
  return k;
}

function fmtD(D: number): string {
  return String(Number(D.toPrecision(4)));
}

/** Splits points (sorted by D, D in `unit`) into those the fit uses and the warmup points it drops. */
export function splitWarmup(points: readonly CurvePoint[], form: Form, rule: WarmupRule, unit: TokenUnit): WarmupSplit {
  if (rule === 'none') return { used: points.slice(), dropped: [], rule: 'none' };
  if (rule === 'extremum') {
    const staged = points.filter((p) => p.stage === 'warmup');
    const rest = points.filter((p) => p.stage !== 'warmup');
    const steps: string[] = [];
    if (staged.length) steps.push(`${staged.length} in the warmup stage`);
    if (form.direction === 'either' || rest.length === 0) {
      return { used: rest, dropped: staged, rule: `extremum: dropped ${steps.length ? steps.join('') : 'none'} (form has no direction)` };
    }
    const decreasing = form.direction === 'decreasing';
    const cut = extremumCut(rest, decreasing);
    if (cut > 0) steps.push(`${cut} ${decreasing ? 'below the maximum' : 'above the minimum (the dip)'}`);
    const afterCut = rest.slice(cut);
    const lead = leadingTransients(afterCut, form);
    if (lead > 0) steps.push(`${lead} leading outlier${lead === 1 ? '' : 's'} to the law fitted to the later points`);
    const used = afterCut.slice(lead);
    const keep = new Set(used);
    const dropped = points.filter((p) => !keep.has(p));
    return {
      used,
      dropped,
      rule: `extremum: dropped ${steps.length ? steps.join(', ') : 'none'}` +
        (dropped.length ? ` (D = ${dropped.map((p) => fmtD(p.D)).join(', ')} ${unit === 'tokens' ? 'tokens' : unit})` : ''),
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
