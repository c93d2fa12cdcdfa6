// The evaluation sets the metrics take: rows of tokens (the model's chunked pass, lib/model/pass.ts)
// with, optionally, each target token's corpus domain; their default size, and the one-line check
// every metric runs on a set before its first pass.
import type { Model } from '../model/model';
import type { EvalRows } from '../model/pass';
import { UserError } from '../util/errors';

/** An evaluation set, optionally with the corpus domain of every target token (as from evalSet). */
export interface MetricSet extends EvalRows {
  domain?: Int32Array; // [rows * context]
}

/**
 * Default evaluation-set size in tokens: the PPL ratio's standard error at the PPL-1% point is then
 * about 0.001, a tenth of p (measured, see docs/metrics.md).
 */
export const DEFAULT_EVAL_TOKENS = 16384;

/** Throws a one-line UserError for an empty set, mismatched shapes or tokens the model cannot read. */
export function checkEvalSet(model: Model, set: MetricSet): void {
  const c = model.config;
  if (!set || !(set.rows >= 1) || !set.x || set.x.length === 0) throw new UserError('the evaluation set is empty (0 rows)');
  if (!Number.isInteger(set.context) || set.context < 1) throw new UserError(`evaluation set: context must be a positive integer, got ${set.context}`);
  const n = set.rows * set.context;
  if (set.x.length !== n || set.y.length !== n) {
    throw new UserError(`evaluation set: shapes do not match (rows ${set.rows} x context ${set.context} = ${n}, but x has ${set.x.length} and y has ${set.y.length} tokens)`);
  }
  if (set.domain && set.domain.length !== n) throw new UserError(`evaluation set: domain has ${set.domain.length} entries, expected ${n}`);
  if (set.context > c.context) throw new UserError(`evaluation set: context ${set.context} exceeds the model's context ${c.context}`);
  for (const [name, arr] of [['x', set.x], ['y', set.y]] as const) {
    for (let i = 0; i < arr.length; i++) {
      if (!(arr[i] >= 0 && arr[i] < c.vocab)) throw new UserError(`evaluation set: ${name}[${i}] = ${arr[i]} is outside the model's vocabulary [0, ${c.vocab})`);
    }
  }
}
