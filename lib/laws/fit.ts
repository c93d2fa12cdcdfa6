// fitLaw: the paper's activation-data law fitted to any (tokens, activation ratio) curve, with the
// warmup rule applied, several starts, fit error and per-parameter uncertainty, as one flat row.
import { UserError } from '../util/errors';
import { requirePoints, toPoints, type CurveInput, type CurvePoint } from './data';
import { FORMS, lawNameForAct, type Activation, type ActivationLaw, type Form } from './forms';
import { ACTIVATION_LAWS, isActivationLaw } from '../model/activations';
import { identifyLimit } from './identify';
import { fitMetrics, infoCriteria } from './metrics';
import { fitForm } from './multistart';
import { parameterIntervals, type UncertaintyMethod } from './uncertainty';
import { convertTokens, isTokenUnit, type TokenUnit } from './units';
import { splitWarmup, type WarmupRule } from './warmup';

export interface FitOptions {
  act: Activation;
  /** The form to fit; defaults to the activation's law (lib/model/activations.ts: relu and fatrelu -> logspace power law, silu -> power law). */
  law?: ActivationLaw;
  /** Unit of D in the input points (default 'tokens'). */
  unit?: TokenUnit;
  /** Unit of D the parameters are reported in (default 'B', the paper's). */
  reportUnit?: TokenUnit;
  warmup?: WarmupRule;
  uncertainty?: UncertaintyMethod;
  /** Bootstrap replicates (default 200). */
  replicates?: number;
  seed?: number;
  /** Confidence level of the intervals (default 0.95). */
  level?: number;
  /** Solver starts (default 6). */
  starts?: number;
}

/**
 * One fit as a dataframe row. A0, the limit, comes first; b is null for the SiLU law, which has none.
 * A0_lo/A0_hi are the profile-likelihood interval of the limit; the other parameters' intervals (and
 * A0_boot_lo/hi) come from `uncertainty_method`. When `limit_identified` is false the limit is not a
 * number the data determine: read `limit_bound_side` / `limit_bound` (e.g. "A0 <= 0.27") instead.
 */
export interface LawFit {
  law: ActivationLaw;
  act: Activation;
  A0: number;
  A0_lo: number;
  A0_hi: number;
  /** The data determine the limit: no parameter at a bound, no interval reaching one. */
  limit_identified: boolean;
  /** For a limit that is not identified: the one-sided bound the data support. */
  limit_bound_side: 'upper' | 'lower' | null;
  limit_bound: number | null;
  /** Parameters at or near a bound of the fit ('' when none). */
  at_bound: string;
  /** Unit-free parameters whose interval reaches a bound ('' when none). */
  interval_at_bound: string;
  A0_interval_method: string;
  A0_boot_lo: number;
  A0_boot_hi: number;
  /** Everything a reader should know before trusting this fit, '; '-separated ('' when none). */
  warnings: string;
  mae: number;
  mse: number;
  rmse: number;
  r2: number;
  alpha: number;
  alpha_lo: number;
  alpha_hi: number;
  b: number | null;
  b_lo: number | null;
  b_hi: number | null;
  c: number;
  c_lo: number;
  c_hi: number;
  n_used: number;
  n_dropped: number;
  /** Distinct D among the used points. */
  n_distinct_D: number;
  aic: number;
  aicc: number;
  bic: number;
  D_min: number;
  D_max: number;
  unit: TokenUnit;
  warmup_rule: string;
  uncertainty_method: string;
  n_boot_ok: number;
  ci_level: number;
  formula: string;
  converged: boolean;
  solver_stop: string;
  iterations: number;
  starts: number;
}

/** The row plus what plots and predictions need: parameters, points (in the row's unit), replicates. */
export interface LawFitDetail {
  fit: LawFit;
  form: Form;
  /** Parameter vector in `form.params` order, D in `fit.unit`. */
  params: number[];
  used: CurvePoint[];
  dropped: CurvePoint[];
  /** Bootstrap replicates of `params` (empty unless a bootstrap was run). */
  samples: number[][];
}

function checkOptions(opts: FitOptions): void {
  lawNameForAct(opts.act); // a UserError for an unknown activation or one without a law
  if (opts.law !== undefined && !isActivationLaw(opts.law)) {
    throw new UserError(`law must be ${ACTIVATION_LAWS.join(' or ')} (got ${String(opts.law)})`);
  }
  for (const k of ['unit', 'reportUnit'] as const) {
    if (opts[k] !== undefined && !isTokenUnit(opts[k])) throw new UserError(`${k} must be tokens, M or B (got ${String(opts[k])})`);
  }
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new UserError(`level must be in (0, 1) (got ${level})`);
  const reps = opts.replicates ?? 200;
  if (!Number.isInteger(reps) || reps < 1) throw new UserError(`replicates must be a positive integer (got ${reps})`);
}

/** Points converted to `to` (from `from`), validated and sorted by D. */
export function pointsIn(input: CurveInput, from: TokenUnit, to: TokenUnit): CurvePoint[] {
  return toPoints(input).map((p) => ({ ...p, D: convertTokens(p.D, from, to) }));
}

export function fitLawDetailed(input: CurveInput, opts: FitOptions): LawFitDetail {
  checkOptions(opts);
  const unit = opts.unit ?? 'tokens';
  const reportUnit = opts.reportUnit ?? 'B';
  const law = opts.law ?? lawNameForAct(opts.act);
  const form = FORMS[law];
  const m = form.params.length;
  const points = pointsIn(input, unit, reportUnit);
  requirePoints(points.length, m, `the ${law} law`);
  const split = splitWarmup(points, form, opts.warmup ?? 'extremum', reportUnit);
  if (split.used.length < m) {
    throw new UserError(
      `the ${law} law has ${m} parameters but only ${split.used.length} points are left after dropping ` +
        `${split.dropped.length} warmup points (rule: ${split.rule})`,
    );
  }
  const D = split.used.map((p) => p.D);
  const A = split.used.map((p) => p.A);
  const ff = fitForm(form, D, A, opts.starts ?? 6);
  const met = fitMetrics(A, D.map((d) => form.value(d, ff.p)));
  const level = opts.level ?? 0.95;
  const iv = parameterIntervals(form, D, A, ff, {
    method: opts.uncertainty ?? 'bootstrap-residual',
    replicates: opts.replicates ?? 200,
    seed: opts.seed ?? 0,
    level,
  });
  const id = identifyLimit(form, D.map((d) => d / ff.scale), A, ff, iv.lo, iv.hi, level);
  const distinct = new Set(D).size;
  const warnings = fitWarnings({ law, direction: form.direction, D, A, m, distinct, r2: met.r2, converged: ff.lm.converged, atBound: id.atBound, intervalAtBound: id.intervalAtBound });
  const ic = infoCriteria(met.sse, D.length, m);
  const at = (name: string) => form.params.indexOf(name);
  const get = (arr: number[], name: string) => (at(name) >= 0 ? arr[at(name)] : null);
  const fit: LawFit = {
    law,
    act: opts.act,
    A0: ff.p[0],
    A0_lo: id.profile.lo,
    A0_hi: id.profile.hi,
    limit_identified: id.identified,
    limit_bound_side: id.supported?.side ?? null,
    limit_bound: id.supported?.value ?? null,
    at_bound: id.atBound.join('; '),
    interval_at_bound: id.intervalAtBound.join('; '),
    A0_interval_method: `profile likelihood (${Math.round(level * 100)}%, F(1, n - m))`,
    A0_boot_lo: iv.lo[0],
    A0_boot_hi: iv.hi[0],
    warnings: warnings.join('; '),
    mae: met.mae,
    mse: met.mse,
    rmse: met.rmse,
    r2: met.r2,
    alpha: ff.p[1],
    alpha_lo: iv.lo[1],
    alpha_hi: iv.hi[1],
    b: get(ff.p, 'b'),
    b_lo: get(iv.lo, 'b'),
    b_hi: get(iv.hi, 'b'),
    c: get(ff.p, 'c')!,
    c_lo: get(iv.lo, 'c')!,
    c_hi: get(iv.hi, 'c')!,
    n_used: D.length,
    n_dropped: split.dropped.length,
    n_distinct_D: distinct,
    aic: ic.aic,
    aicc: ic.aicc,
    bic: ic.bic,
    D_min: D[0],
    D_max: D[D.length - 1],
    unit: reportUnit,
    warmup_rule: split.rule,
    uncertainty_method: iv.method,
    n_boot_ok: iv.nOk,
    ci_level: level,
    formula: form.formula,
    converged: ff.lm.converged,
    solver_stop: ff.lm.reason,
    iterations: ff.lm.iterations,
    starts: ff.startsTried,
  };
  return { fit, form, params: ff.p, used: split.used, dropped: split.dropped, samples: iv.samples };
}

/** Slope of A against ln D with its standard error (is the curve rising or falling at all?). */
function trendInLnD(D: readonly number[], A: readonly number[]): { slope: number; se: number } {
  const x = D.map(Math.log);
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = A.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) { sxx += (x[i] - mx) ** 2; sxy += (x[i] - mx) * (A[i] - my); }
  const slope = sxx > 0 ? sxy / sxx : NaN;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (A[i] - my - slope * (x[i] - mx)) ** 2;
  return { slope, se: n > 2 && sxx > 0 ? Math.sqrt(sse / (n - 2) / sxx) : NaN };
}

/** What a reader must know before trusting a fit, in words. */
export function fitWarnings(o: {
  law: string; direction: string; D: readonly number[]; A: readonly number[]; m: number; distinct: number; r2: number;
  converged: boolean; atBound: string[]; intervalAtBound: string[];
}): string[] {
  const w: string[] = [];
  if (o.distinct < o.m) w.push(`only ${o.distinct} distinct token count${o.distinct === 1 ? '' : 's'} for ${o.m} parameters: the fit is not determined`);
  else if (o.distinct === o.m) w.push(`${o.distinct} distinct token counts for ${o.m} parameters: the fit passes through the points, nothing is left to test it`);
  if (Number.isNaN(o.r2)) w.push('the curve is flat: R^2 is undefined');
  else if (o.r2 <= 0) w.push(`R^2 ${Number(o.r2.toPrecision(3))} <= 0: the law does no better than a constant`);
  if (o.atBound.length) w.push(`at a bound of the fit: ${o.atBound.join(', ')}`);
  if (o.intervalAtBound.length) w.push(`interval reaching a bound: ${o.intervalAtBound.join(', ')}`);
  const t = trendInLnD(o.D, o.A);
  const want = o.direction === 'decreasing' ? -1 : o.direction === 'increasing' ? 1 : 0;
  if (want !== 0 && Number.isFinite(t.se) && Math.sign(t.slope) === -want && Math.abs(t.slope) > 2 * t.se) {
    w.push(`the curve ${want < 0 ? 'rises' : 'falls'} with D, against the ${o.law} law's direction (${want < 0 ? 'decreasing' : 'increasing'})`);
  }
  if (!o.converged) w.push('the solver did not converge');
  return w;
}

/** Fits the law for `opts.act` (or `opts.law`) and returns the row. */
export function fitLaw(input: CurveInput, opts: FitOptions): LawFit {
  return fitLawDetailed(input, opts).fit;
}
