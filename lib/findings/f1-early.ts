// Early prediction (issue #13, item 5): the paper proposes using the law to predict a model's sparsity
// from early in training. Here every measured run's law is refitted on the first 25% and 50% of the
// checkpoints the full fit keeps (lib/laws/early.ts), predicts the final stabilised PPL-1% ratio and
// the limit with intervals, and is scored against the full run: interval coverage and error.
import type { Results } from '../experiments/results';
import { earlyPredictions, type EarlyPrediction } from '../laws';
import { scatterChart, type TopLevelSpec } from '../plot';
import { ACT_LABEL, num, profileLine, Row, runsOf, RunInfo, trajectoryOf, Verdict, verdictTable, type FindingDef } from './common';
import { fmt, pct, round, withInterval } from './format';

export const EARLY_FRACTIONS = [0.25, 0.5];
/** A prediction within this of the final ratio counts as accurate (1 point of activation ratio). */
export const EARLY_TOLERANCE = 0.01;
/** Nominal 95% intervals should cover at least this share of runs before we call them calibrated (slack for few runs). */
export const EARLY_MIN_COVERAGE = 0.8;
/** Fewer predicted runs than this cannot support a verdict. */
export const EARLY_MIN_RUNS = 4;

export interface RunPrediction extends EarlyPrediction { run: RunInfo }

/** Predictions for every measured run (memoised per results object: each costs a few bootstrap fits). */
const cache = new WeakMap<Results, RunPrediction[]>();
export function earlyRunPredictions(results: Results): RunPrediction[] {
  const hit = cache.get(results);
  if (hit) return hit;
  const out = runsOf(results).flatMap((run) => {
    const pts = trajectoryOf(results, run.id)
      .filter((r) => num(r.activation_ratio) !== null)
      .map((r) => ({ D: r.tokens as number, A: r.activation_ratio as number, stage: typeof r.stage === 'string' ? r.stage : null }));
    if (pts.length < 2) return [];
    try {
      // The same options as the committed fits (aggregate.ts), so the full fit is the table's.
      return earlyPredictions(pts, { act: run.act, unit: 'tokens', reportUnit: 'M', seed: 0, fractions: EARLY_FRACTIONS }).map((p) => ({ ...p, run }));
    } catch {
      return []; // a run whose full fit cannot be made (too few points) has nothing to score
    }
  });
  cache.set(results, out);
  return out;
}

export function f1EarlyRows(results: Results): Row[] {
  return earlyRunPredictions(results).map((p) => ({
    model: p.run.label, seed: p.run.seed, fraction: p.fraction, points: `${p.n_used} of ${p.n_full}`, tokens_cut_M: round(p.D_cut, 3), tokens_final_M: round(p.D_final, 3),
    status: p.status,
    ratio_pred: round(p.ratio_pred), ratio_lo: round(p.ratio_lo), ratio_hi: round(p.ratio_hi), ratio_final: round(p.ratio_final),
    ratio_error: round(p.ratio_error), ratio_covered: p.ratio_covered,
    limit_pred: p.status !== 'ok' ? null : p.limit_identified ? withInterval(p.A0_pred, p.A0_lo, p.A0_hi) : p.limit_bound !== null ? `not identified (A0 ${p.limit_bound_side === 'upper' ? '<=' : '>='} ${fmt(p.limit_bound)})` : 'not identified',
    limit_full: p.A0_full === null ? 'not identified' : fmt(p.A0_full), A0_error: round(p.A0_error), A0_covered: p.A0_covered,
  }));
}

export interface EarlyScore {
  fraction: number;
  runs: number;
  predicted: number;
  ratio_covered: number;
  ratio_coverage: number | null;
  median_abs_error: number | null;
  max_abs_error: number | null;
  limit_scored: number;
  limit_covered: number;
  limit_identified_early: number;
}

export function f1EarlyScores(results: Results): EarlyScore[] {
  const all = earlyRunPredictions(results);
  return EARLY_FRACTIONS.map((fraction) => {
    const ps = all.filter((p) => p.fraction === fraction);
    const ok = ps.filter((p) => p.status === 'ok' && p.ratio_covered !== null);
    const errs = ok.map((p) => Math.abs(p.ratio_error)).sort((a, b) => a - b);
    const lim = ps.filter((p) => p.A0_covered !== null);
    const cov = ok.filter((p) => p.ratio_covered).length;
    return {
      fraction, runs: ps.length, predicted: ok.length, ratio_covered: cov, ratio_coverage: ok.length ? cov / ok.length : null,
      median_abs_error: errs.length ? errs[Math.floor((errs.length - 1) / 2)] : null, max_abs_error: errs.length ? errs[errs.length - 1] : null,
      limit_scored: lim.length, limit_covered: lim.filter((p) => p.A0_covered).length, limit_identified_early: ps.filter((p) => p.limit_identified).length,
    };
  });
}

/** Predicted against observed final ratio, with the prediction interval; the diagonal is a perfect prediction. */
export function f1EarlySpec(results: Results): TopLevelSpec {
  const rows = earlyRunPredictions(results).filter((p) => p.status === 'ok').map((p) => ({
    model: p.run.label, act: ACT_LABEL[p.run.act], first: `first ${Math.round(p.fraction * 100)}%`, final_ratio: p.ratio_final,
    predicted: p.ratio_pred, lo: p.ratio_lo, hi: p.ratio_hi,
  }));
  const xs = rows.flatMap((r) => [r.final_ratio, r.lo, r.hi]).filter((v) => Number.isFinite(v));
  const diag = xs.length ? [Math.min(...xs), Math.max(...xs)].map((v) => ({ final_ratio: v, predicted: v, line: 'perfect prediction' })) : [];
  return scatterChart(rows, {
    x: 'final_ratio', y: 'predicted', color: 'first', colorTitle: 'law fitted to', shape: 'act', shapeTitle: 'activation', size: 50,
    ...(rows.length ? { errorBars: { lower: 'lo', upper: 'hi' } } : {}), ...(diag.length ? { fit: { data: diag, detail: 'line' } } : {}),
    title: 'Early prediction: the final stabilised PPL-1% ratio predicted from the first 25% / 50% of checkpoints (95% prediction interval) against the observed one',
    xTitle: 'observed final activation ratio', yTitle: 'predicted final activation ratio', width: 360, height: 300, tooltip: ['model'],
  });
}

/**
 * Verdict on the paper's proposal, at 50% of the checkpoints: agrees when at least EARLY_MIN_RUNS runs
 * could be predicted, their 95% intervals cover the final ratio in >= 80% of runs and the median
 * |error| is <= 0.01; partly when one of the two holds; disagrees when neither; inconclusive with fewer runs.
 */
export function f1EarlyVerdict(results: Results): Verdict {
  const s = f1EarlyScores(results).find((x) => x.fraction === 0.5)!;
  const rule = `at 50% of the checkpoints, >= ${EARLY_MIN_RUNS} runs predicted, 95% intervals cover the final ratio in >= ${pct(EARLY_MIN_COVERAGE, 2)} of them and median |error| <= ${EARLY_TOLERANCE}: agrees; one of the two: partly; neither: disagrees; fewer runs: inconclusive`;
  const base = { finding: 'F1' as const, claim: 'the law fitted early in training predicts the final activation ratio', paper: 'proposed in the discussion (no number given)', rule };
  if (!s || s.runs === 0) return { ...base, ours: 'no runs', verdict: 'not measured' };
  const ours = `${s.predicted} of ${s.runs} runs predicted; covered ${s.ratio_covered} of ${s.predicted}; median |error| ${fmt(s.median_abs_error)}`;
  if (s.predicted < EARLY_MIN_RUNS) return { ...base, ours, verdict: 'inconclusive' };
  const cal = (s.ratio_coverage ?? 0) >= EARLY_MIN_COVERAGE;
  const acc = (s.median_abs_error ?? Infinity) <= EARLY_TOLERANCE;
  return { ...base, ours, verdict: cal && acc ? 'agrees' : cal || acc ? 'partly' : 'disagrees' };
}

export function f1EarlyNarrative(results: Results): string {
  const parts = [profileLine(results), ''];
  const scores = f1EarlyScores(results);
  const all = earlyRunPredictions(results);
  for (const s of scores) {
    const ps = all.filter((p) => p.fraction === s.fraction);
    const refused = ps.filter((p) => p.status !== 'ok');
    parts.push(`- **First ${Math.round(s.fraction * 100)}% of the fitted checkpoints** (${ps.length ? `${Math.min(...ps.map((p) => p.n_used))}-${Math.max(...ps.map((p) => p.n_used))} points` : 'no runs'}): ` +
      (s.predicted
        ? `${s.predicted} of ${s.runs} runs predicted; the 95% prediction interval covered the final ratio in ${s.ratio_covered} of ${s.predicted} (${pct(s.ratio_coverage, 2)}), median |error| ${fmt(s.median_abs_error)}, largest ${fmt(s.max_abs_error)}.`
        : `no run could be predicted.`) +
      (refused.length ? ` ${refused.length} run${refused.length === 1 ? '' : 's'} had no more points than the law has parameters: no prediction.` : '') +
      ` The early fit identified the limit in ${s.limit_identified_early} of ${s.runs}; of the ${s.limit_scored} run(s) whose full-run limit is identified and whose early fit says something about it, ${s.limit_covered} were covered (interval, or one-sided bound that holds).`);
  }
  parts.push('', `An interval that covers less than ${pct(EARLY_MIN_COVERAGE, 2)} of runs is too narrow for its nominal 95%: the early law then claims more than it knows. ` +
    `Predictions are scored against the same run's last checkpoint and its full-run fit, so they say how well the law extrapolates in tokens, not whether it holds at other sizes.`);
  parts.push('', verdictTable([f1EarlyVerdict(results)]));
  return parts.join('\n');
}

export function f1EarlyFigures(results: Results): { name: string; spec: TopLevelSpec }[] {
  return earlyRunPredictions(results).some((p) => p.status === 'ok') ? [{ name: 'f1-early-prediction', spec: f1EarlySpec(results) }] : [];
}

export const F1_EARLY_FINDING: FindingDef = {
  id: 'F1-early', tag: 'F1', title: 'F1: early prediction', notebook: 'notebooks/02-f1-activation-vs-data.ipynb',
  runs: (r) => runsOf(r), figures: f1EarlyFigures, verdicts: (r) => [f1EarlyVerdict(r)], narrative: f1EarlyNarrative,
};
