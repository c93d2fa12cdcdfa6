// The law against the baselines the authors compared it with (logarithmic and sigmoid-like), by MAE
// and MSE, all fitted to exactly the points the law uses (same warmup rule), so the table is fair.
// Raw errors favour the form with more parameters (the ReLU law has 4, the baselines 3), so each row
// also carries AIC, AICc (small-sample corrected; what `rank_aicc` ranks by) and BIC.
import { requirePoints, type CurveInput } from './data';
import { fitLawDetailed, type FitOptions } from './fit';
import { FORMS, type LawName } from './forms';
import { fitMetrics, infoCriteria } from './metrics';
import { fitForm } from './multistart';
import type { TokenUnit } from './units';

export interface CompareRow {
  law: LawName;
  formula: string;
  /** lim A(D); null for the logarithm, which has none. */
  limit: number | null;
  mae: number;
  mse: number;
  rmse: number;
  r2: number;
  /** Free parameters (the baselines' redundant a or b are fixed to 1, see forms.ts). */
  n_params: number;
  n_used: number;
  rank_mae: number;
  rank_mse: number;
  aic: number;
  aicc: number;
  bic: number;
  /** Rank by AICc (by AIC when n is too small for the correction); 1 = best after paying for parameters. */
  rank_aicc: number;
  /** This row's MSE over the best row's. */
  mse_ratio: number;
  A0: number | null;
  alpha: number | null;
  a: number | null;
  b: number | null;
  c: number | null;
  d: number | null;
  unit: TokenUnit;
}

export interface CompareOptions extends Omit<FitOptions, 'uncertainty' | 'replicates' | 'seed' | 'level'> {
  /** Forms besides the law (default: both baselines). */
  baselines?: ('log' | 'sigmoid')[];
}

function ranks(v: number[]): number[] {
  return v.map((x) => 1 + v.filter((y) => y < x).length);
}

/** One row per form, the law first; ranks are 1 for the lowest error. */
export function compareBaselines(input: CurveInput, opts: CompareOptions): CompareRow[] {
  const detail = fitLawDetailed(input, { ...opts, uncertainty: 'none' });
  const D = detail.used.map((p) => p.D);
  const A = detail.used.map((p) => p.A);
  const unit = detail.fit.unit;
  const f = detail.fit;
  const rows: Omit<CompareRow, 'rank_mae' | 'rank_mse' | 'mse_ratio' | 'rank_aicc'>[] = [
    {
      law: f.law,
      formula: f.formula,
      limit: f.A0,
      mae: f.mae,
      mse: f.mse,
      rmse: f.rmse,
      r2: f.r2,
      n_params: detail.form.params.length,
      n_used: f.n_used,
      ...infoCriteria(f.mse * f.n_used, f.n_used, detail.form.params.length),
      A0: f.A0,
      alpha: f.alpha,
      a: null,
      b: f.b,
      c: f.c,
      d: null,
      unit,
    },
  ];
  for (const name of opts.baselines ?? ['log', 'sigmoid']) {
    const form = FORMS[name];
    requirePoints(D.length, form.params.length, `the ${name} baseline`);
    const ff = fitForm(form, D, A, opts.starts ?? 6);
    const met = fitMetrics(A, D.map((x) => form.value(x, ff.p)));
    const p = ff.p;
    rows.push({
      law: name,
      formula: form.formula,
      limit: form.limit(p),
      mae: met.mae,
      mse: met.mse,
      rmse: met.rmse,
      r2: met.r2,
      n_params: form.params.length,
      n_used: D.length,
      ...infoCriteria(met.sse, D.length, form.params.length),
      A0: name === 'log' ? p[0] : null,
      alpha: null,
      a: name === 'log' ? 1 : p[0],
      b: name === 'log' ? p[1] : 1,
      c: name === 'log' ? p[2] : p[1],
      d: name === 'log' ? null : p[2],
      unit,
    });
  }
  const rMae = ranks(rows.map((r) => r.mae));
  const rMse = ranks(rows.map((r) => r.mse));
  const best = Math.min(...rows.map((r) => r.mse));
  const useAicc = rows.every((r) => Number.isFinite(r.aicc));
  const rIc = ranks(rows.map((r) => (useAicc ? r.aicc : r.aic)));
  return rows.map((r, i) => ({
    ...r,
    rank_mae: rMae[i],
    rank_mse: rMse[i],
    rank_aicc: rIc[i],
    mse_ratio: best > 0 ? r.mse / best : r.mse === 0 ? 1 : Infinity,
  }));
}
