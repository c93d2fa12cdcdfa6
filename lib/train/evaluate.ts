// Validation loss on a fixed held-out set, through the model's chunked pass (lib/model/pass.ts: the
// same loop serves dense, captured and sparsified passes).
import { Model } from '../model/model';
import { EvalRows, passNll } from '../model/pass';

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
