// Validation loss on a fixed held-out set. The chunked pass itself lives in lib/metrics/capture
// (the same loop serves dense, captured and sparsified passes).
import { Model } from '../model/model';
import { passNll } from '../metrics/capture';

/** Any fixed set of rows of `context` tokens with next-token targets. */
export interface EvalRows { x: Int32Array; y: Int32Array; rows: number; context: number }

/** Per-token negative log-likelihoods over the whole set (row-major), one chunk of rows at a time. */
export function tokenLosses(model: Model, set: EvalRows, rowsPerChunk?: number): Float32Array {
  return passNll(model, set, { rowsPerChunk }).nll;
}

export function meanLoss(model: Model, set: EvalRows, rowsPerChunk?: number): number {
  const l = tokenLosses(model, set, rowsPerChunk);
  let s = 0;
  for (let i = 0; i < l.length; i++) s += l[i];
  return s / l.length;
}
