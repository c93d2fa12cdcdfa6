// Predictions from a fitted law: its limit, the data needed to come within eps of the limit, and the
// slope dA/dD (how fast a model converges; compared across sizes against tokens per parameter).
// Every D is in an explicit unit; intervals come from the bootstrap replicates when the fit has them.
import { quantileSorted } from 'simple-statistics';
import { UserError } from '../util/errors';
import type { LawFit, LawFitDetail } from './fit';
import { convertPerToken, convertTokens, TOKENS_PER_UNIT, type TokenUnit } from './units';

/** The named parameters predictions need (a LawFit row has them). */
export type LawParams = Pick<LawFit, 'law' | 'A0' | 'alpha' | 'b' | 'c' | 'unit'>;
export type FitLike = LawParams | LawFitDetail;

function split(f: FitLike): { row: LawParams; samples: number[][] } {
  if ('fit' in f) return { row: f.fit, samples: f.samples };
  return { row: f, samples: [] };
}

function fromParams(row: LawParams, p: number[]): LawParams {
  return row.law === 'relu'
    ? { law: 'relu', A0: p[0], alpha: p[1], b: p[2], c: p[3], unit: row.unit }
    : { law: 'silu', A0: p[0], alpha: p[1], b: null, c: p[2], unit: row.unit };
}

/** A(D), D in `unit` (default: the fit's unit). */
export function lawValue(f: FitLike, D: number, unit?: TokenUnit): number {
  const { row } = split(f);
  const x = convertTokens(D, unit ?? row.unit, row.unit);
  if (row.law === 'relu') return Math.exp(-row.c * Math.pow(x, row.alpha) + (row.b ?? NaN)) + row.A0;
  return -row.c * Math.pow(x, -row.alpha) + row.A0;
}

/** The limit activation ratio A0 = lim A(D). */
export function limitOf(f: FitLike): number {
  return split(f).row.A0;
}

/**
 * Training data after which the law stays within `eps` of its limit, in `unit` (default: the fit's).
 * ReLU: exp(-c D^alpha + b) = eps gives D = ((b - ln eps)/c)^(1/alpha); 0 when the curve starts within eps.
 * SiLU: c D^-alpha = eps gives D = (c/eps)^(1/alpha).
 */
export function tokensToWithin(f: FitLike, eps: number, unit?: TokenUnit): number {
  if (!(eps > 0)) throw new UserError(`eps must be a positive number (got ${eps})`);
  const { row } = split(f);
  let D: number;
  if (row.law === 'relu') {
    const z = (row.b ?? NaN) - Math.log(eps);
    D = z <= 0 ? 0 : Math.pow(z / row.c, 1 / row.alpha);
  } else {
    D = Math.pow(row.c / eps, 1 / row.alpha);
  }
  return convertTokens(D, row.unit, unit ?? row.unit);
}

/** dA/dD at D, both D and the "per" in `unit` (default: the fit's unit). */
export function slopeAt(f: FitLike, D: number, unit?: TokenUnit): number {
  const { row } = split(f);
  const u = unit ?? row.unit;
  const x = convertTokens(D, u, row.unit);
  let s: number;
  if (row.law === 'relu') {
    const xa = Math.pow(x, row.alpha);
    s = -row.c * row.alpha * (xa / x) * Math.exp(-row.c * xa + (row.b ?? NaN));
  } else {
    s = row.c * row.alpha * Math.pow(x, -row.alpha - 1);
  }
  return convertPerToken(s, row.unit, u);
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
