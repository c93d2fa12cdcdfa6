// PPL ratio of a sparsified model to the dense one on the same tokens, with its standard error.
// The two passes see identical tokens, so the per-token differences are paired: their spread is far
// smaller than that of either loss. Tokens inside one evaluation row share context and are
// correlated, so the standard error treats rows as the independent units (cluster-robust mean).
import { UserError } from '../util/errors';

export interface PplRatio {
  ratio: number;      // exp(mean sparse NLL - mean dense NLL)
  se: number;         // standard error of ratio (delta method on the row-clustered mean difference)
  seIid: number;      // the same if tokens were independent (smaller; for comparison)
  logRatio: number;   // mean NLL difference, nats per token
  logSe: number;      // its standard error (row-clustered)
  denseLoss: number;  // mean dense NLL
  sparseLoss: number; // mean sparse NLL
  tokens: number;
  rows: number;
}

export function pplRatio(dense: Float32Array, sparse: Float32Array, context: number): PplRatio {
  const n = dense.length;
  if (n === 0) throw new UserError('PPL ratio: the evaluation set is empty');
  if (sparse.length !== n) throw new UserError(`PPL ratio: dense and sparse losses differ in length (${n} vs ${sparse.length})`);
  if (!(context >= 1) || n % context !== 0) throw new UserError(`PPL ratio: ${n} tokens are not whole rows of ${context}`);
  const rows = n / context;
  let sd = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) { sd += dense[i]; ss += sparse[i]; }
  const mean = (ss - sd) / n;
  // Row-clustered variance of the mean difference, and the iid one.
  let vRows = 0;
  let vTok = 0;
  for (let r = 0; r < rows; r++) {
    let rowSum = 0;
    for (let t = 0; t < context; t++) {
      const diff = sparse[r * context + t] - dense[r * context + t];
      rowSum += diff;
      vTok += (diff - mean) * (diff - mean);
    }
    const dev = rowSum / context - mean;
    vRows += dev * dev;
  }
  const logSe = rows > 1 ? Math.sqrt(vRows / (rows - 1) / rows) : NaN;
  const iid = n > 1 ? Math.sqrt(vTok / (n - 1) / n) : NaN;
  const ratio = Math.exp(mean);
  return {
    ratio, se: ratio * logSe, seIid: ratio * iid, logRatio: mean, logSe,
    denseLoss: sd / n, sparseLoss: ss / n, tokens: n, rows,
  };
}
