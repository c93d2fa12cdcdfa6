// Curve input: (D, A) points, validated once at the library's edge so fits never see NaN, D <= 0 or
// ratios outside [0, 1]. Errors are UserErrors: the command prints them as one line.
import { UserError } from '../util/errors';

/** One checkpoint: D training tokens (in the unit the caller states), A its activation ratio. */
export interface CurvePoint {
  D: number;
  A: number;
  /** Training stage of the checkpoint when known ('warmup', 'stable', 'decay'); warmup points are left out of fits. */
  stage?: string | null;
}

/** Either a list of points or two parallel columns. */
export type CurveInput = readonly CurvePoint[] | { readonly D: readonly number[]; readonly A: readonly number[] };

function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
}

/** Throws a one-line UserError unless D is positive and finite and A a number in [0, 1]; `where` names the point. */
export function checkPoint(D: unknown, A: unknown, where: string): void {
  if (typeof D !== 'number' || Number.isNaN(D)) throw new UserError(`${where}: tokens is not a number (got ${describe(D)})`);
  if (!Number.isFinite(D) || D <= 0) throw new UserError(`${where}: tokens must be positive and finite (got ${describe(D)})`);
  if (typeof A !== 'number' || Number.isNaN(A)) {
    throw new UserError(`${where}: activation ratio is not a number (got ${describe(A)})`);
  }
  if (!(A >= 0 && A <= 1)) throw new UserError(`${where}: activation ratio must be in [0, 1] (got ${describe(A)})`);
}

/** Validates and returns a copy sorted by D (stable, so duplicate D keep their order). */
export function toPoints(input: CurveInput): CurvePoint[] {
  let pts: CurvePoint[];
  if (Array.isArray(input)) {
    pts = (input as readonly CurvePoint[]).map((p) => (p?.stage ? { D: p?.D, A: p?.A, stage: p.stage } : { D: p?.D, A: p?.A }));
  } else {
    const cols = input as { D: readonly number[]; A: readonly number[] };
    if (!Array.isArray(cols.D) || !Array.isArray(cols.A)) throw new UserError('curve needs columns D and A');
    if (cols.D.length !== cols.A.length) {
      throw new UserError(`curve columns differ in length (D has ${cols.D.length}, A has ${cols.A.length})`);
    }
    pts = cols.D.map((D, i) => ({ D, A: cols.A[i] }));
  }
  pts.forEach((p, i) => checkPoint(p.D, p.A, `point ${i + 1}`));
  return pts.map((p, i) => ({ p, i })).sort((x, y) => x.p.D - y.p.D || x.i - y.i).map((x) => x.p);
}

/** Throws unless there are at least `k` points; `what` names the model needing them. */
export function requirePoints(n: number, k: number, what: string): void {
  if (n < k) {
    throw new UserError(`${what} has ${k} parameters but only ${n} point${n === 1 ? '' : 's'} to fit`);
  }
}
