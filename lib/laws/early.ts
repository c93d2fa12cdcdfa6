// Early prediction (issue #13, item 5; the use the paper proposes in its discussion): fit the law to
// the first part of a run and predict (a) the ratio at the run's final checkpoint and (b) the limit,
// then score both against what the full run shows. Also: the tokens needed to reach a target ratio.
//
// Which checkpoints are "the first 25%": the points the full run's fit keeps (warmup dropped by the
// same rule as every fit), of which the first ceil(f * n) are used; the prefix is refitted with
// warmup rule 'none' because its warmup is already out.
//
// Intervals. The final ratio gets a prediction interval: for each residual-bootstrap replicate of the
// early fit, its curve at D_final plus one resampled (inflated) residual, so checkpoint noise counts as
// well as parameter uncertainty. The limit gets the early fit's profile interval, and when the early
// limit is not identified the prediction is only its one-sided bound.
import { quantileSorted } from 'simple-statistics';
import { UserError } from '../util/errors';
import type { CurveInput, CurvePoint } from './data';
import { fitLawDetailed, type FitOptions, type LawFitDetail } from './fit';
import { FORMS, type ActivationLaw } from './forms';
import { rngFor } from '../util/rng';

export interface TokensToRatio {
  target: number;
  /** Tokens (in the fit's unit) at which the law reaches the target; NaN when it never does. */
  D: number;
  D_lo: number;
  D_hi: number;
  /** Bootstrap replicates whose curve never reaches the target (they push the upper end to Infinity). */
  n_never: number;
  unit: string;
  level: number;
}

/** D at which the law with parameters `p` equals `target`, or Infinity when it never does (target beyond the limit). */
export function tokensAtRatio(law: ActivationLaw, p: readonly number[], target: number): number {
  return FORMS[law].tokensAt(target, p);
}

/**
 * Tokens needed to reach `target`, with a bootstrap percentile interval. Refuses (UserError, one line)
 * when the limit is not identified or the target lies at or beyond the limit.
 */
export function tokensToRatio(detail: LawFitDetail, target: number, level = 0.95): TokensToRatio {
  const f = detail.fit;
  if (!(target > 0 && target < 1)) throw new UserError(`--target-ratio must be in (0, 1) (got ${target})`);
  if (!f.limit_identified) {
    throw new UserError(`cannot predict tokens to reach ${target}: the limit is not identified (the data support only A0 ${f.limit_bound_side === 'upper' ? '<=' : '>='} ${Number((f.limit_bound ?? NaN).toPrecision(4))})`);
  }
  const falls = FORMS[f.law].direction === 'decreasing';
  const beyond = falls ? !(target > f.A0) : !(target < f.A0);
  if (beyond) {
    throw new UserError(`cannot predict tokens to reach ${target}: the ${f.law} law ${falls ? 'falls' : 'rises'} toward its limit A0 = ${Number(f.A0.toPrecision(4))} and never gets ${falls ? 'below' : 'above'} it`);
  }
  const D = tokensAtRatio(f.law, detail.params, target);
  const reps = detail.samples.map((p) => tokensAtRatio(f.law, p, target)).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const never = reps.filter((v) => v === Infinity).length;
  const q = (x: number) => (reps.length ? quantileSorted(reps, x) : NaN);
  return { target, D, D_lo: q((1 - level) / 2), D_hi: q((1 + level) / 2), n_never: never, unit: f.unit, level };
}

export interface EarlyPrediction {
  fraction: number;
  /** Points of the full fit available to the prefix, and how many the prefix used. */
  n_full: number;
  n_used: number;
  /** Tokens (fit unit) of the last point used, and of the run's final checkpoint. */
  D_cut: number;
  D_final: number;
  /** 'ok', or why no prediction was made (e.g. fewer points than parameters). */
  status: string;
  ratio_pred: number;
  ratio_lo: number;
  ratio_hi: number;
  ratio_final: number;
  ratio_error: number;
  ratio_covered: boolean | null;
  limit_identified: boolean;
  A0_pred: number;
  A0_lo: number;
  A0_hi: number;
  limit_bound_side: 'upper' | 'lower' | null;
  limit_bound: number | null;
  /** The full run's limit (null when it is not identified: then the limit prediction cannot be scored). */
  A0_full: number | null;
  A0_error: number | null;
  /** Whether the full run's limit lies in the early interval (or, for an unidentified early limit, satisfies its bound). */
  A0_covered: boolean | null;
}

export interface EarlyOptions extends Omit<FitOptions, 'warmup'> {
  fractions?: number[];
}

function percentile(v: number[], level: number): [number, number] {
  const s = v.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? [quantileSorted(s, (1 - level) / 2), quantileSorted(s, (1 + level) / 2)] : [NaN, NaN];
}

/**
 * Early predictions for one run from the first `fractions` (default 25% and 50%) of its fitted points.
 * `full` is the full run's fit (pass it when already computed); the final ratio is the last point's.
 */
export function earlyPredictions(input: CurveInput, opts: EarlyOptions, full?: LawFitDetail): EarlyPrediction[] {
  const level = opts.level ?? 0.95;
  const whole = full ?? fitLawDetailed(input, { ...opts, warmup: 'extremum' });
  const used: CurvePoint[] = whole.used;
  const m = whole.form.params.length;
  const last = used[used.length - 1];
  const A0full = whole.fit.limit_identified ? whole.fit.A0 : null;
  return (opts.fractions ?? [0.25, 0.5]).map((fraction) => {
    if (!(fraction > 0 && fraction <= 1)) throw new UserError(`fraction must be in (0, 1] (got ${fraction})`);
    const k = Math.ceil(fraction * used.length);
    const prefix = used.slice(0, k);
    const base: EarlyPrediction = {
      fraction, n_full: used.length, n_used: k, D_cut: prefix[prefix.length - 1]?.D ?? NaN, D_final: last.D, status: 'ok',
      ratio_pred: NaN, ratio_lo: NaN, ratio_hi: NaN, ratio_final: last.A, ratio_error: NaN, ratio_covered: null,
      limit_identified: false, A0_pred: NaN, A0_lo: NaN, A0_hi: NaN, limit_bound_side: null, limit_bound: null,
      A0_full: A0full, A0_error: null, A0_covered: null,
    };
    if (new Set(prefix.map((p) => p.D)).size <= m) {
      return { ...base, status: `${k} points for ${m} parameters: no residual to test the fit, no prediction` };
    }
    // The prefix is already past warmup; its D are in the full fit's unit.
    const early = fitLawDetailed(prefix, { ...opts, unit: whole.fit.unit, reportUnit: whole.fit.unit, warmup: 'none' });
    const ef = early.fit;
    const value = (p: readonly number[]) => early.form.value(last.D, p);
    const resid = early.used.map((pt) => pt.A - early.form.value(pt.D, early.params));
    const n = resid.length;
    const mean = resid.reduce((s, v) => s + v, 0) / n;
    const inflate = Math.sqrt(n / Math.max(1, n - m));
    const rng = rngFor((opts.seed ?? 0) + 7919);
    const draws = early.samples.map((p) => value(p) + (resid[rng.int(n)] - mean) * inflate);
    const [lo, hi] = percentile(draws, level);
    const pred = value(early.params);
    const out: EarlyPrediction = {
      ...base,
      ratio_pred: pred, ratio_lo: lo, ratio_hi: hi, ratio_error: pred - last.A,
      ratio_covered: Number.isFinite(lo) ? last.A >= lo && last.A <= hi : null,
      limit_identified: ef.limit_identified, A0_pred: ef.A0, A0_lo: ef.A0_lo, A0_hi: ef.A0_hi,
      limit_bound_side: ef.limit_bound_side, limit_bound: ef.limit_bound,
    };
    if (A0full !== null) {
      if (ef.limit_identified) {
        out.A0_error = ef.A0 - A0full;
        out.A0_covered = A0full >= ef.A0_lo && A0full <= ef.A0_hi;
      } else if (ef.limit_bound !== null && ef.limit_bound_side) {
        out.A0_covered = ef.limit_bound_side === 'upper' ? A0full <= ef.limit_bound : A0full >= ef.limit_bound;
      }
    }
    return out;
  });
}
