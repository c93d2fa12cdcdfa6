// The standard error of a mean over per-token values (an activation ratio over an evaluation set),
// with the evaluation row as the unit: the tokens of one row share their context and are correlated.

function meanOfArray(v: readonly number[]): number {
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
}

/** Sample standard deviation (n - 1); NaN for fewer than two values. */
function sampleSd(v: readonly number[]): number {
  if (v.length < 2) return NaN;
  const m = meanOfArray(v);
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1));
}

/**
 * Mean of per-token values and its standard error, clustered by evaluation row: the tokens of one row
 * share their context and are correlated, so rows (`clusterSize` consecutive tokens) are the units.
 */
export function clusteredMeanSe(values: ArrayLike<number>, clusterSize: number): { mean: number; se: number; clusters: number } {
  const k = Math.max(1, Math.floor(clusterSize));
  const means: number[] = [];
  for (let i = 0; i < values.length; i += k) {
    let s = 0;
    let n = 0;
    for (let j = i; j < Math.min(values.length, i + k); j++) { s += values[j]; n++; }
    means.push(s / n);
  }
  return { mean: meanOfArray(Array.from(values)), se: means.length >= 2 ? sampleSd(means) / Math.sqrt(means.length) : NaN, clusters: means.length };
}
