// Predictions from a fitted law: its limit, the data needed to come within eps of the limit, and the
// slope dA/dD (how fast a model converges; compared across sizes against tokens per parameter).
// Every D is in an explicit unit; intervals come from the bootstrap replicates when the fit has them.
// The formulas live in the law's form (lib/laws/forms.ts): here a row's named parameters become the
// form's parameter vector and back.
import { quantileSorted } from 'simple-statistics';
import { UserError } from '../util/errors';
import type { LawFit, LawFitDetail } from './fit';
import { FORMS, type LawForm } from './forms';
import { convertPerToken, convertTokens, TOKENS_PER_UNIT, type TokenUnit } from './units';

/** The named parameters predictions need (a LawFit row has them). */
export type LawParams = Pick<LawFit, 'law' | 'A0' | 'alpha' | 'b' | 'c' | 'unit'>;
export type FitLike = LawParams | LawFitDetail;

/** The row fields the laws' parameter names (form.params) refer to. */
type ParamName = 'A0' | 'alpha' | 'b' | 'c';

function split(f: FitLike): { row: LawParams; samples: number[][] } {
  if ('fit' in f) return { row: f.fit, samples: f.samples };
  return { row: f, samples: [] };
}

/** The row's law and its parameter vector, in `form.params` order (D in the row's unit). */
function lawOf(row: LawParams): { form: LawForm; p: number[] } {
  const form = FORMS[row.law];
  return { form, p: form.params.map((name) => row[name as ParamName] ?? NaN) };
}

/** A parameter vector (a bootstrap replicate) as a row: the inverse of lawOf. */
function fromParams(row: LawParams, p: readonly number[]): LawParams {
  const out: LawParams = { law: row.law, A0: NaN, alpha: NaN, b: null, c: NaN, unit: row.unit };
  FORMS[row.law].params.forEach((name, i) => { out[name as ParamName] = p[i]; });
  return out;
}

/** A(D), D in `unit` (default: the fit's unit). */
export function lawValue(f: FitLike, D: number, unit?: TokenUnit): number {
  const { row } = split(f);
  const { form, p } = lawOf(row);
  return form.value(convertTokens(D, unit ?? row.unit, row.unit), p);
}

/** The limit activation ratio A0 = lim A(D). */
export function limitOf(f: FitLike): number {
  const { form, p } = lawOf(split(f).row);
  return form.limit(p) ?? NaN;
}

/**
 * Training data after which the law stays within `eps` of its limit, in `unit` (default: the fit's);
 * 0 when the curve starts within eps.
 */
export function tokensToWithin(f: FitLike, eps: number, unit?: TokenUnit): number {
  if (!(eps > 0)) throw new UserError(`eps must be a positive number (got ${eps})`);
  const { row } = split(f);
  const { form, p } = lawOf(row);
  return convertTokens(form.tokensWithin(eps, p), row.unit, unit ?? row.unit);
}

/** dA/dD at D, both D and the "per" in `unit` (default: the fit's unit). */
export function slopeAt(f: FitLike, D: number, unit?: TokenUnit): number {
  const { row } = split(f);
  const u = unit ?? row.unit;
  const { form, p } = lawOf(row);
  return convertPerToken(form.slope(convertTokens(D, u, row.unit), p), row.unit, u);
}

function interval(values: number[], level: number): [number, number] {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return [NaN, NaN];
  return [quantileSorted(v, (1 - level) / 2), quantileSorted(v, (1 + level) / 2)];
}

function replicates<T>(f: FitLike, g: (r: LawParams) => T): T[] {
  const { row, samples } = split(f);
  return samples.map((p) => g(fromParams(row, p)));
}

export interface ConvergenceRow {
  law: 'relu' | 'silu';
  A0: number;
  A0_lo: number;
  A0_hi: number;
  eps: number;
  D_within_eps: number;
  D_within_eps_lo: number;
  D_within_eps_hi: number;
  /** D_within_eps / nParams, when nParams is given. */
  tokens_per_param_within_eps: number | null;
  unit: TokenUnit;
}

/** The limit and the data needed to come within eps of it, with bootstrap intervals when available. */
export function convergenceRow(f: FitLike, opts: { eps: number; unit?: TokenUnit; nParams?: number; level?: number }): ConvergenceRow {
  const { row } = split(f);
  const unit = opts.unit ?? row.unit;
  const level = opts.level ?? 0.95;
  const D = tokensToWithin(f, opts.eps, unit);
  const [lo, hi] = interval(replicates(f, (r) => tokensToWithin(r, opts.eps, unit)), level);
  const [a0lo, a0hi] = interval(replicates(f, (r) => r.A0), level);
  return {
    law: row.law,
    A0: row.A0,
    A0_lo: a0lo,
    A0_hi: a0hi,
    eps: opts.eps,
    D_within_eps: D,
    D_within_eps_lo: lo,
    D_within_eps_hi: hi,
    tokens_per_param_within_eps: opts.nParams ? convertTokens(D, unit, 'tokens') / opts.nParams : null,
    unit,
  };
}

export interface SlopeRow {
  D: number;
  tokens_per_param: number | null;
  A: number;
  A_lo: number;
  A_hi: number;
  dA_dD: number;
  dA_dD_lo: number;
  dA_dD_hi: number;
  /** dA / d(tokens per parameter) = nParams * dA/d(token); null without nParams. */
  dA_dTPP: number | null;
  unit: TokenUnit;
}

/**
 * A and dA/dD at several points, given either as D (in `unit`) or as tokens per parameter (needs nParams):
 * the second form puts models of different sizes on one axis, as the paper's scale finding does.
 */
export function slopeRows(
  f: FitLike,
  opts: { at?: number[]; atTokensPerParam?: number[]; unit?: TokenUnit; nParams?: number; level?: number },
): SlopeRow[] {
  const { row } = split(f);
  const unit = opts.unit ?? row.unit;
  const level = opts.level ?? 0.95;
  const N = opts.nParams;
  if (N !== undefined && !(N > 0)) throw new UserError(`nParams must be positive (got ${N})`);
  let Ds: number[];
  if (opts.atTokensPerParam) {
    if (N === undefined) throw new UserError('atTokensPerParam needs nParams');
    Ds = opts.atTokensPerParam.map((t) => (t * N) / TOKENS_PER_UNIT[unit]);
  } else {
    Ds = opts.at ?? [];
  }
  return Ds.map((D) => {
    const [alo, ahi] = interval(replicates(f, (r) => lawValue(r, D, unit)), level);
    const [slo, shi] = interval(replicates(f, (r) => slopeAt(r, D, unit)), level);
    const s = slopeAt(f, D, unit);
    return {
      D,
      tokens_per_param: N ? convertTokens(D, unit, 'tokens') / N : null,
      A: lawValue(f, D, unit),
      A_lo: alo,
      A_hi: ahi,
      dA_dD: s,
      dA_dD_lo: slo,
      dA_dD_hi: shi,
      dA_dTPP: N ? convertPerToken(s, unit, 'tokens') * N : null,
      unit,
    };
  });
}
