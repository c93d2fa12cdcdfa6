// Validation loss on a fixed held-out set, in batches of rows.
import { tf } from '../backend/tf';
import { Model } from '../model/model';

/** Any fixed set of rows of `context` tokens with next-token targets. */
export interface EvalRows { x: Int32Array; y: Int32Array; rows: number; context: number }

/** Per-token negative log-likelihoods over the whole set (row-major), one batch of rows at a time. */
export function tokenLosses(model: Model, set: EvalRows, rowsPerBatch = 64): Float32Array {
  const T = set.context;
  const out = new Float32Array(set.rows * T);
  for (let r = 0; r < set.rows; r += rowsPerBatch) {
    const B = Math.min(rowsPerBatch, set.rows - r);
    const ids = set.x.subarray(r * T, (r + B) * T);
    const targets = set.y.subarray(r * T, (r + B) * T);
    const nll = tf.tidy(() => model.tokenNll(model.forward(ids, B, T).logits, targets));
    out.set(nll.dataSync(), r * T);
    nll.dispose();
  }
  return out;
}

export function meanLoss(model: Model, set: EvalRows, rowsPerBatch = 64): number {
  const l = tokenLosses(model, set, rowsPerBatch);
  let s = 0;
  for (let i = 0; i < l.length; i++) s += l[i];
  return s / l.length;
}
