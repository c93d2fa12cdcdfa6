// Is there a trend in a trajectory, and which way? A straight line of the activation ratio against
// ln(tokens), over the checkpoints the law was fitted to (warmup left out), with the 95% interval of
// its slope: the trend counts only when that interval excludes zero. Expressed per doubling of the
// training data, which reads more easily than per unit of ln D.
import type { Results } from '../experiments/results';
import { fitOf, num, trajectoryOf, usedInFit } from './common';
import { lineWithSe } from './stats';

export interface Trend {
  method: string;
  n: number;
  first_tokens: number | null;
  first_ratio: number | null;
  last_tokens: number | null;
  last_ratio: number | null;
  /** Change of the activation ratio per doubling of training tokens, with its 95% half-width. */
  per_doubling: number;
  per_doubling_ci95: number;
  /** -1 falling, +1 rising, 0 no trend the data can tell from noise. */
  direction: -1 | 0 | 1;
}

/**
 * The trend of one series of a run ('ppl-p-stable', 'cett', 'zero') over the checkpoints used by
 * the stabilised PPL-1% law fit (all checkpoints when the fit failed).
 */
export function trendOf(results: Results, runId: string, method = 'ppl-p-stable'): Trend {
  const fit = fitOf(results, runId);
  const all = trajectoryOf(results, runId, method);
  const rows = fit ? all.filter((r) => usedInFit(fit, r.tokens)) : all;
  const x = rows.map((r) => Math.log(r.tokens));
  const y = rows.map((r) => num(r.activation_ratio) ?? NaN);
  const line = lineWithSe(x, y);
  const first = rows[0];
  const last = rows[rows.length - 1];
  return {
    method, n: rows.length,
    first_tokens: first ? first.tokens : null, first_ratio: first ? num(first.activation_ratio) : null,
    last_tokens: last ? last.tokens : null, last_ratio: last ? num(last.activation_ratio) : null,
    per_doubling: line.slope * Math.LN2, per_doubling_ci95: line.ci95 * Math.LN2,
    direction: line.significant ? (line.slope < 0 ? -1 : 1) : 0,
  };
}

export const DIRECTION_WORD: Record<-1 | 0 | 1, string> = { [-1]: 'falls', 0: 'shows no trend beyond noise', 1: 'rises' };
