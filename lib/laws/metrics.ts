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
  return { mae: sae / n, mse, rmse: Math.sqrt(mse), r2: isFlat(y, sst) ? NaN : 1 - sse / sst, sse };
}

/**
 * A curve is flat when its spread is at the level of floating-point rounding of its values: then R^2
 * is undefined (NaN says so). Comparing the total sum of squares with zero in absolute terms is not
 * enough: rounding in the mean of a constant curve leaves about 1e-33, and R^2 came out as -161.9.
 */
export function isFlat(y: readonly number[], sst: number): boolean {
  let scale = 0;
  for (const v of y) scale = Math.max(scale, Math.abs(v));
  return !(sst > y.length * (1e3 * Number.EPSILON * Math.max(scale, 1e-300)) ** 2);
}

export interface InfoCriteria {
  aic: number;
  /** AIC with the small-sample correction; NaN when n <= k + 1. */
  aicc: number;
  bic: number;
}

/**
 * Information criteria of a least-squares fit with k free parameters in the mean (the noise variance
 * counts as one more): a model must lower the SSE enough to pay for each extra parameter.
 */
export function infoCriteria(sse: number, n: number, k: number): InfoCriteria {
  const ll = n * Math.log(Math.max(sse, 1e-300) / n);
  const kk = k + 1;
  const aic = ll + 2 * kk;
  return { aic, aicc: n - kk - 1 > 0 ? aic + (2 * kk * (kk + 1)) / (n - kk - 1) : NaN, bic: ll + Math.log(n) * kk };
}
