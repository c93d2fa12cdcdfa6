// Goodness of fit, computed the same way for the laws and the baselines so the comparison is fair.

export interface FitMetrics {
  mae: number;
  mse: number;
  rmse: number;
  r2: number;
  sse: number;
}

export function fitMetrics(y: readonly number[], yHat: readonly number[]): FitMetrics {
  const n = y.length;
  let sse = 0;
  let sae = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i] - yHat[i];
    sse += r * r;
    sae += Math.abs(r);
    sst += (y[i] - mean) * (y[i] - mean);
  }
  const mse = sse / n;
  // R^2 is undefined for a flat curve; NaN says so instead of a misleading 0 or 1.
  return { mae: sae / n, mse, rmse: Math.sqrt(mse), r2: sst > 0 ? 1 - sse / sst : NaN, sse };
}
