// F1, activation against data: the stabilised PPL-1% activation ratio per checkpoint for ReLU and
// SiLU models of the same shapes, the paper's two laws fitted to it (with linearised diagnostics and
// the log/sigmoid baselines), the loss curves side by side, and the dead-neuron ratio (ReLU).
import type { Results } from '../experiments/results';
import { stableSeries } from '../experiments/schema';
import { convertTokens, curveRows, lawNameForAct, linearised } from '../laws';
import { pplLabel } from '../metrics/rows';
import { lineChart, scatterChart, type TopLevelSpec } from '../plot';
import { hasExactZeros, isActivationLaw } from '../model/activations';
import { actColors, FIT_SHAPES, sizeColors } from './colors';
import {
  ACT_LABEL, fitErrorOf, fitIssue, fitOf, groupBy, identified, lawDescription, lawTrend, LAW_WORDS, limitText, num, profileLine, Row, runsOf, RunInfo,
  trajectoryOf, usedInFit, Verdict, verdictTable, type FindingDef,
} from './common';
import { fmt, fmtCount, pct, round, withInterval } from './format';
import { PAPER, PAPER_ACTS, PAPER_BY_ACT, isPaperAct, type PaperAct } from './paper';
import { DIRECTION_WORD, trendOf } from './trend';

/** Final losses within this relative difference count as "comparable" (the paper's word). */
export const COMPARABLE_LOSS = 0.02;

export function f1Runs(results: Results): RunInfo[] {
  return runsOf(results, 'F1');
}

/** The 95% interval of a checkpoint's ratio from its sampling error over evaluation rows (null where it was not measured). */
function ratioInterval(r: { activation_ratio: unknown; activation_ratio_se?: unknown }): { ratio_lo: number | null; ratio_hi: number | null } {
  const a = num(r.activation_ratio), se = num(r.activation_ratio_se);
  return a === null || se === null ? { ratio_lo: null, ratio_hi: null } : { ratio_lo: round(a - 1.96 * se), ratio_hi: round(a + 1.96 * se) };
}

/** One row per checkpoint: the stabilised ratio (with its 95% sampling interval), its CETT and loss, and whether the law used it. */
export function f1TrajectoryRows(results: Results): Row[] {
  return f1Runs(results).flatMap((run) => {
    const fit = fitOf(results, run.id);
    return trajectoryOf(results, run.id).map((r) => ({
      model: run.label, size: run.size, act: ACT_LABEL[run.act], tokens: r.tokens, tokens_per_param: round(num(r.tokens_per_param), 3),
      activation_ratio: round(num(r.activation_ratio)), ...ratioInterval(r), ppl_ratio: round(num(r.ppl_ratio), 4), cett: round(num(r.cett)), val_loss: round(num(r.val_loss)),
      in_fit: usedInFit(fit, r.tokens) ? 'fitted' : 'left out of the fit', stage: r.stage ?? null,
    }));
  });
}

/** The same checkpoints by three rules: stabilised PPL-1%, a common fixed CETT, the zero count. */
export function f1MethodRows(results: Results): Row[] {
  const cett = results.profile.measure.fixedCett;
  const series: [string, string][] = [['ppl-p-stable', `${pplLabel(results.profile.measure.p)} (stabilised)`], ['cett', `CETT ${fmt(cett)}`], ['zero', 'zero count (ReLU)']];
  return f1Runs(results).flatMap((run) => series.flatMap(([method, name]) => trajectoryOf(results, run.id, method)
    .filter((r) => method !== 'cett' || Math.abs((num(r.param) ?? NaN) - cett) < 1e-9)
    .map((r) => ({ model: run.label, size: run.size, act: ACT_LABEL[run.act], rule: name, tokens: r.tokens, activation_ratio: round(num(r.activation_ratio)) }))));
}

/** Points on each fitted law, over the range of checkpoints it was fitted to. */
export function f1CurveRows(results: Results, n = 60): Row[] {
  return f1Runs(results).flatMap((run) => {
    const fit = fitOf(results, run.id);
    const traj = trajectoryOf(results, run.id);
    if (!fit || !traj.length) return [];
    const from = traj.find((r) => usedInFit(fit, r.tokens))?.tokens ?? traj[0].tokens;
    const to = traj[traj.length - 1].tokens;
    return curveRows(fit, { from, to, n, unit: 'tokens' }).map((c) => ({ model: run.label, size: run.size, act: ACT_LABEL[run.act], tokens: c.D, activation_ratio: c.A_fit }));
  });
}

export function f1TrajectorySpec(results: Results): TopLevelSpec {
  const rows = f1TrajectoryRows(results);
  const withError = rows.some((r) => r.ratio_lo !== null);
  return scatterChart(rows, {
    x: 'tokens', y: 'activation_ratio', color: 'act', colorTitle: 'activation', colorScale: actColors(results), shape: 'in_fit', shapeTitle: 'checkpoint', shapeScale: FIT_SHAPES, logX: true,
    fit: { data: f1CurveRows(results) }, facet: { field: 'size', columns: 2, title: 'model shape (non-embedding parameters)' },
    ...(withError ? { errorBars: { lower: 'ratio_lo', upper: 'ratio_hi' } } : {}),
    title: `Stabilised PPL-1% activation ratio against training data, with the fitted laws (dashed); ${withError ? 'bars: 95% sampling interval of each checkpoint (evaluation rows)' : 'per-checkpoint measurement error not measured'}`,
    xTitle: 'training tokens', yTitle: 'activation ratio', tooltip: ['cett', 'val_loss', 'stage'],
  });
}

export function f1MethodSpec(results: Results): TopLevelSpec {
  const rows = f1MethodRows(results);
  return lineChart(rows, {
    x: 'tokens', y: 'activation_ratio', color: 'size', colorTitle: 'model shape', colorScale: sizeColors(results), strokeDash: 'act', logX: true, yZero: true,
    facet: { field: 'rule', columns: 3, title: 'rule that counts a neuron as active', sort: [...new Set(rows.map((r) => String(r.rule)))] }, width: 260, height: 200,
    title: 'The same checkpoints by three rules', xTitle: 'training tokens', yTitle: 'activation ratio',
  });
}

/** The fitted laws: the limit A0 with its interval first, then the shape parameters and the fit error. */
export function f1FitRows(results: Results): Row[] {
  return f1Runs(results).map((run) => {
    const f = fitOf(results, run.id);
    const err = fitErrorOf(results, run.id);
    const ok = identified(f);
    return {
      model: run.label, law: f ? (f.law === 'relu' ? 'exp(-c D^alpha + b) + A0' : '-c D^-alpha + A0') : `fit failed: ${err ?? 'no fit'}`,
      limit: f ? limitText(f) : 'no fit', A0: ok ? round(f?.A0) : null, A0_lo: ok ? round(f?.A0_lo) : null, A0_hi: ok ? round(f?.A0_hi) : null,
      alpha: round(f?.alpha), b: round(f?.b ?? null), c: round(f?.c),
      D_unit: f?.unit ?? null, r2: round(f?.r2), rmse: round(f?.rmse, 3), n_used: f?.n_used ?? null, n_dropped: f?.n_dropped ?? null,
      warnings: f ? [fitIssue(f), f.warnings].filter((x) => x).join('; ') : '',
    };
  });
}

/**
 * One activation's runs by training budget (size, then tokens): does a longer run pin the limit down?
 * The `long` profile trains the smallest SiLU model to ~1000 tokens per parameter for this (issue #13).
 */
export function f1BudgetRows(results: Results, act: RunInfo['act']): Row[] {
  return f1Runs(results).filter((r) => r.act === act).sort((a, b) => a.params - b.params || a.tokens - b.tokens || a.seed - b.seed).map((run) => {
    const f = fitOf(results, run.id);
    const ok = identified(f);
    return {
      run: run.id, params: run.params, tokens: run.tokens, tokens_per_param: round(run.tokens / run.params, 3),
      limit: f ? limitText(f) : `fit failed: ${fitErrorOf(results, run.id) ?? 'no fit'}`,
      A0: ok ? round(f?.A0) : null, A0_lo: ok ? round(f?.A0_lo) : null, A0_hi: ok ? round(f?.A0_hi) : null, r2: round(f?.r2),
    };
  });
}

/** One sentence on the run with the most tokens per parameter of an activation, against the paper's limits. */
export function f1LongestRunText(results: Results, act: RunInfo['act']): string {
  const runs = f1Runs(results).filter((r) => r.act === act);
  if (runs.length === 0) return `No ${ACT_LABEL[act]} runs in F1 here.`;
  const run = runs.reduce((a, b) => (b.tokens / b.params > a.tokens / a.params ? b : a));
  const f = fitOf(results, run.id);
  const paper = isPaperAct(act) ? ` (paper, 0.1B-1.2B: ${pct(PAPER_BY_ACT[act].limitRange[0])}-${pct(PAPER_BY_ACT[act].limitRange[1])})` : '';
  const what = !f ? `the law could not be fitted (${fitErrorOf(results, run.id) ?? 'no fit'})`
    : identified(f) ? `the limit is identified: A0 ${limitText(f)}${paper}`
      : `the limit is ${limitText(f)}${paper}`;
  return `The longest ${ACT_LABEL[act]} run, ${run.label} to ${fmtCount(run.tokens)} tokens (${fmt(run.tokens / run.params, 3)} tokens per parameter): ${what}.`;
}

/** Linearised points: a straight line in ln D when the law holds (method.md section 3). */
export function f1LinearisedRows(results: Results): Row[] {
  return f1Runs(results).flatMap((run) => {
    const f = fitOf(results, run.id);
    // A fit at a bound linearises into a degenerate picture (b = 100 makes every point the same line): skip it.
    if (!f || !identified(f)) return [];
    const pts = trajectoryOf(results, run.id).map((r) => ({ D: r.tokens, A: num(r.activation_ratio)! }));
    const lin = linearised(f, pts, 'tokens');
    return lin.rows.map((r) => ({
      model: run.label, ln_D: round(r.lnD, 5), D_unit: lin.unit, y: round(r.y, 5), y_line: round(r.y_line, 5), y_label: lin.y_label,
      in_fit: usedInFit(f, convertTokens(r.D, lin.unit, 'tokens')) ? 'fitted' : 'left out of the fit',
    }));
  });
}

export function f1LinearisedSpec(results: Results): TopLevelSpec {
  const rows = f1LinearisedRows(results);
  const line = rows.map((r) => ({ model: r.model, ln_D: r.ln_D, y: r.y_line }));
  return scatterChart(rows, {
    x: 'ln_D', y: 'y', shape: 'in_fit', shapeTitle: 'checkpoint', shapeScale: FIT_SHAPES, fit: { data: line }, facet: { field: 'model', columns: 2, independentY: true, title: 'model' },
    title: 'Linearised laws (only fits whose limit is identified): ReLU ln(b - ln(A - A0)), SiLU ln(A0 - A), against ln D (D in millions of tokens)',
    xTitle: 'ln D', yTitle: 'linearised activation ratio', width: 280, height: 180,
  });
}

/** The law against the authors' baselines, fitted to the same points. */
export function f1BaselineRows(results: Results): Row[] {
  const runs = new Map(f1Runs(results).map((r) => [r.id, r]));
  return results.lawBaselines.filter((r) => runs.has(String(r.run)) && r.series === stableSeries(results.profile.measure.p)).map((r) => ({
    model: runs.get(String(r.run))!.label, form: isActivationLaw(r.law) ? `law (${r.law})` : String(r.law), formula: r.formula,
    n_params: r.n_params, mae: round(num(r.mae), 3), mse: round(num(r.mse), 3), r2: round(num(r.r2), 4), rank_mse: r.rank_mse,
    aicc: round(num(r.aicc), 4), rank_aicc: r.rank_aicc ?? null, limit: round(num(r.limit)),
  }));
}

export function f1LossRows(results: Results): Row[] {
  return f1TrajectoryRows(results).filter((r) => r.val_loss !== null).map((r) => ({ size: r.size, act: r.act, tokens: r.tokens, val_loss: r.val_loss }));
}

export function f1LossSpec(results: Results): TopLevelSpec {
  return lineChart(f1LossRows(results), {
    x: 'tokens', y: 'val_loss', color: 'act', colorTitle: 'activation', colorScale: actColors(results), logX: true, facet: { field: 'size', columns: 2, title: 'model shape' },
    title: 'Validation loss per checkpoint: ReLU and SiLU side by side', xTitle: 'training tokens', yTitle: 'validation loss (nats per byte)',
  });
}

/** ReLU (activations with exact zeros): the fraction of neurons active on under 0.1% of tokens (zero count), per checkpoint. */
export function f1DeadRows(results: Results, finding: 'F1' | 'F3' = 'F1'): Row[] {
  return runsOf(results, finding).filter((r) => hasExactZeros(r.act)).flatMap((run) => trajectoryOf(results, run.id, 'zero').map((r) => ({
    model: run.label, size: run.size, tokens: r.tokens, dead_ratio: round(num(r.dead_ratio)), zero_count_ratio: round(num(r.activation_ratio)),
  })));
}

export function f1DeadSpec(results: Results, finding: 'F1' | 'F3' = 'F1'): TopLevelSpec {
  return lineChart(f1DeadRows(results, finding), {
    x: 'tokens', y: 'dead_ratio', color: 'size', colorTitle: 'model shape', colorScale: sizeColors(results), logX: true, yZero: true,
    title: `Dead neurons over training (ReLU; active on under 0.1% of tokens). Paper: about ${pct(PAPER.deadRatio, 2)}`,
    xTitle: 'training tokens', yTitle: 'dead-neuron ratio', tooltip: ['zero_count_ratio'],
  });
}

/** Per run: the trend of the stabilised ratio and of the fixed-CETT ratio over the fitted range. */
export function f1TrendRows(results: Results): Row[] {
  return f1Runs(results).flatMap((run) => (['ppl-p-stable', 'cett'] as const).map((method) => {
    const t = trendOf(results, run.id, method);
    return {
      model: run.label, rule: method === 'cett' ? `CETT ${fmt(results.profile.measure.fixedCett)}` : `${pplLabel(results.profile.measure.p)} (stabilised)`, checkpoints: t.n,
      from_tokens: t.first_tokens, from_ratio: round(t.first_ratio), to_tokens: t.last_tokens, to_ratio: round(t.last_ratio),
      change_per_doubling: round(t.per_doubling, 3), ci95: round(t.per_doubling_ci95, 2), trend: DIRECTION_WORD[t.direction],
      paper_direction: lawTrend(run.act),
    };
  }));
}

interface Pair { size: string; relu: RunInfo; silu: RunInfo }

function pairs(results: Results): Pair[] {
  return [...groupBy(f1Runs(results), (r) => `${r.size}|${r.seed}`).values()].flatMap((rs) => {
    const relu = rs.find((r) => r.act === 'relu');
    const silu = rs.find((r) => r.act === 'silu');
    return relu && silu ? [{ size: relu.size, relu, silu }] : [];
  });
}

function finalLoss(results: Results, runId: string): number | null {
  const t = trajectoryOf(results, runId);
  return num(t[t.length - 1]?.val_loss);
}

function trendVerdict(results: Results, act: PaperAct): Verdict {
  const runs = f1Runs(results).filter((r) => r.act === act);
  const ts = runs.map((r) => ({ r, t: trendOf(results, r.id) }));
  const want = lawTrend(act) === 'falls' ? -1 : 1;
  const ok = ts.filter((x) => x.t.direction === want).length;
  const wrong = ts.filter((x) => x.t.direction === -want).length;
  return {
    finding: 'F1', claim: `${ACT_LABEL[act]}'s activation ratio ${lawTrend(act)} as training data grows`,
    paper: lawDescription(act),
    ours: ts.length ? ts.map((x) => `${x.r.size}: ${fmt(x.t.first_ratio)} -> ${fmt(x.t.last_ratio)} (${x.t.per_doubling >= 0 ? '+' : ''}${fmt(x.t.per_doubling, 2)} +- ${fmt(x.t.per_doubling_ci95, 2)} per doubling)`).join('; ') : 'no runs',
    verdict: !ts.length ? 'not measured' : ok === ts.length ? 'agrees' : wrong === ts.length ? 'disagrees' : ok > 0 ? 'partly' : 'inconclusive',
    rule: 'slope of the stabilised ratio against ln(tokens) over the fitted checkpoints; a trend counts when its 95% interval excludes zero',
  };
}

export function f1Verdicts(results: Results): Verdict[] {
  const vs: Verdict[] = PAPER_ACTS.map((act) => trendVerdict(results, act));
  const ps = pairs(results);
  const lastOf = (id: string) => { const t = trajectoryOf(results, id); return num(t[t.length - 1]?.activation_ratio); };
  const sparser = ps.filter((p) => (lastOf(p.relu.id) ?? 1) < (lastOf(p.silu.id) ?? 0)).length;
  vs.push({
    finding: 'F1', claim: 'ReLU ends far sparser than SiLU', paper: `A0 ${pct(PAPER_BY_ACT.relu.limitRange[0], 2)}-${pct(PAPER_BY_ACT.relu.limitRange[1], 2)} (ReLU) vs ${pct(PAPER_BY_ACT.silu.limitRange[0], 3)}-${pct(PAPER_BY_ACT.silu.limitRange[1], 3)} (SiLU)`,
    ours: ps.length ? ps.map((p) => `${p.size}: ${pct(lastOf(p.relu.id))} vs ${pct(lastOf(p.silu.id))}`).join('; ') : 'no ReLU/SiLU pair',
    verdict: !ps.length ? 'not measured' : sparser === ps.length ? 'agrees' : sparser === 0 ? 'disagrees' : 'partly',
    rule: 'last stabilised ratio of ReLU below that of SiLU at the same shape',
  });
  // Only the activations the paper reports a limit for.
  const limits = f1Runs(results).filter((r) => isPaperAct(r.act)).map((r) => ({ r, f: fitOf(results, r.id) })).filter((x) => x.f);
  const reliable = limits.filter((x) => !fitIssue(x.f));
  const inRange = (x: { r: RunInfo; f: ReturnType<typeof fitOf> }) => {
    const [lo, hi] = PAPER_BY_ACT[x.r.act as PaperAct].limitRange;
    const a = x.f!.A0_lo ?? x.f!.A0;
    const b = x.f!.A0_hi ?? x.f!.A0;
    return a <= hi && b >= lo;
  };
  const nIn = reliable.filter(inRange).length;
  vs.push({
    finding: 'F1', claim: 'limit activation ratios (A0)', paper: `ReLU ${pct(PAPER_BY_ACT.relu.limitRange[0], 2)}-${pct(PAPER_BY_ACT.relu.limitRange[1], 2)}, SiLU ${pct(PAPER_BY_ACT.silu.limitRange[0], 3)}-${pct(PAPER_BY_ACT.silu.limitRange[1], 3)} (0.1B-1.2B)`,
    ours: limits.length ? limits.map((x) => `${x.r.label}: ${limitText(x.f)}`).join('; ') : 'no successful fit',
    verdict: !reliable.length ? (limits.length ? 'inconclusive' : 'not measured') : nIn === 0 ? 'disagrees' : nIn === limits.length ? 'agrees' : 'partly',
    rule: "A0's 95% profile-likelihood interval overlaps the paper's range for that activation; a limit not identified (a parameter or interval at a bound of the fit) or from a poor fit does not count, and its one-sided bound is shown instead",
  });
  const base = f1BaselineRows(results);
  const models = [...new Set(base.map((b) => String(b.model)))];
  const isLaw = (b: Row) => String(b.form).startsWith('law');
  const lawBest = models.filter((m) => base.some((b) => b.model === m && isLaw(b) && b.rank_mse === 1)).length;
  const lawBestIc = models.filter((m) => base.some((b) => b.model === m && isLaw(b) && b.rank_aicc === 1)).length;
  vs.push({
    finding: 'F1', claim: 'the laws fit better than the log and sigmoid baselines', paper: 'lower MAE and MSE than both baselines',
    ours: models.length ? `law best by AICc for ${lawBestIc} of ${models.length} models (by raw MSE: ${lawBest} of ${models.length})` : 'no comparison',
    verdict: !models.length ? 'not measured' : lawBestIc === models.length ? 'agrees' : lawBestIc === 0 ? 'disagrees' : 'partly',
    rule: 'rank by AICc on the same fitted points (law and baselines fitted alike): the 4-parameter ReLU law must lower the error enough to pay for its extra parameter; raw MSE always favours it',
  });
  const lossPairs = ps.map((p) => ({ p, a: finalLoss(results, p.relu.id), b: finalLoss(results, p.silu.id) })).filter((x) => x.a !== null && x.b !== null);
  const close = lossPairs.filter((x) => Math.abs(x.a! - x.b!) / ((x.a! + x.b!) / 2) <= COMPARABLE_LOSS).length;
  vs.push({
    finding: 'F1', claim: 'ReLU and SiLU reach comparable loss', paper: 'comparable performance',
    ours: lossPairs.length ? lossPairs.map((x) => `${x.p.size}: ${fmt(x.a, 4)} vs ${fmt(x.b, 4)}`).join('; ') : 'no pair',
    verdict: !lossPairs.length ? 'not measured' : close === lossPairs.length ? 'agrees' : close === 0 ? 'disagrees' : 'partly',
    rule: `final validation losses within ${pct(COMPARABLE_LOSS, 2)} of each other`,
  });
  const dead = f1Runs(results).filter((r) => hasExactZeros(r.act)).map((r) => {
    const z = trajectoryOf(results, r.id, 'zero');
    const t = trendOf(results, r.id);
    const fall = (t.first_ratio ?? NaN) - (t.last_ratio ?? NaN);
    return { r, end: num(z[z.length - 1]?.dead_ratio), max: Math.max(...z.map((x) => num(x.dead_ratio) ?? 0)), fall };
  }).filter((x) => x.end !== null);
  const explains = dead.filter((x) => !(x.fall > 0) || x.end! >= x.fall / 2).length;
  vs.push({
    finding: 'F1', claim: 'dying neurons do not explain the falling ReLU ratio', paper: `dead neurons stay near ${pct(PAPER.deadRatio, 2)} (0.1B ReLU)`,
    ours: dead.length ? dead.map((x) => `${x.r.size}: ${pct(x.end)} dead at the end (max ${pct(x.max)}), ratio fell by ${fmt(x.fall)}`).join('; ') : 'no ReLU zero counts',
    verdict: !dead.length ? 'not measured' : explains === 0 ? 'agrees' : explains === dead.length ? 'disagrees' : 'partly',
    rule: 'dead neurons can have removed at most their own share of the ratio; they do not explain the fall when the final dead fraction is under half of it',
  });
  return vs;
}

export function f1Narrative(results: Results): string {
  const runs = f1Runs(results);
  if (!runs.length) return `${profileLine(results)}\n\nThis profile has no run tagged F1.`;
  const parts: string[] = [profileLine(results), '', '**How the activation ratio moves with data.**'];
  for (const run of runs) {
    const t = trendOf(results, run.id);
    const c = trendOf(results, run.id, 'cett');
    const f = fitOf(results, run.id);
    const all = trajectoryOf(results, run.id);
    const dropped = all.length - t.n;
    parts.push(`- ${run.label}: the stabilised PPL-1% ratio ${DIRECTION_WORD[t.direction]}: ${pct(t.first_ratio)} at ${fmtCount(t.first_tokens)} tokens to ${pct(t.last_ratio)} at ${fmtCount(t.last_tokens)} ` +
      `(${t.per_doubling >= 0 ? '+' : ''}${fmt(t.per_doubling, 2)} +- ${fmt(t.per_doubling_ci95, 2)} per doubling of data)` +
      `${dropped > 0 ? `, leaving out ${dropped} early checkpoint${dropped === 1 ? '' : 's'} before the ${lawTrend(run.act) === 'falls' ? 'peak' : 'dip'}` : ''}. ` +
      `At the fixed CETT ${fmt(results.profile.measure.fixedCett)} it ${DIRECTION_WORD[c.direction]} (${pct(c.first_ratio)} to ${pct(c.last_ratio)}). ` +
      (!f ? 'The law could not be fitted.' : `The ${LAW_WORDS[lawNameForAct(run.act)]} fits with R^2 ${fmt(f.r2, 3)}; ` +
        (fitIssue(f) ? `its limit is ${limitText(f)}: ${fitIssue(f)}.` : `limit A0 = ${limitText(f)}.`)));
  }
  const sat = results.runs.filter((r) => r.saturated === true && runs.some((x) => x.id === r.run));
  if (sat.length) parts.push(`- **Saturated:** the stabilised PPL-1% search of ${sat.map((r) => String(r.run)).join(', ')} never raised perplexity by 1%: those ratios are where the search stopped, not measurements.`);
  const base = f1BaselineRows(results);
  if (base.length) {
    parts.push('', '**Law against baselines.**');
    for (const m of [...new Set(base.map((b) => String(b.model)))]) {
      const bs = base.filter((b) => b.model === m).sort((a, b) => (num(a.aicc) ?? 0) - (num(b.aicc) ?? 0));
      parts.push(`- ${m}: by AICc ${bs.map((b) => `${b.form} ${fmt(num(b.aicc), 3)}`).join(', ')} (lower is better); MSE ${bs.map((b) => `${b.form} ${fmt(num(b.mse), 2)}`).join(', ')}.`);
    }
  }
  const ps = pairs(results);
  if (ps.length) {
    parts.push('', '**Loss.**');
    for (const p of ps) {
      const a = finalLoss(results, p.relu.id);
      const b = finalLoss(results, p.silu.id);
      parts.push(`- ${p.size}: final validation loss ReLU ${fmt(a, 4)}, SiLU ${fmt(b, 4)} (difference ${pct(a !== null && b !== null ? Math.abs(a - b) / ((a + b) / 2) : null, 2)} of the mean).`);
    }
  }
  const dead = f1DeadRows(results);
  if (dead.length) {
    parts.push('', '**Dead neurons (ReLU).**');
    for (const m of [...new Set(dead.map((d) => String(d.model)))]) {
      const ds = dead.filter((d) => d.model === m);
      const mx = ds.reduce((best, d) => ((num(d.dead_ratio) ?? 0) > (num(best.dead_ratio) ?? 0) ? d : best), ds[0]);
      parts.push(`- ${m}: ${pct(num(ds[ds.length - 1].dead_ratio))} of neurons dead at the last checkpoint; the most was ${pct(num(mx.dead_ratio))} at ${fmtCount(num(mx.tokens))} tokens (paper: about ${pct(PAPER.deadRatio, 2)}).`);
    }
  }
  parts.push('', verdictTable(f1Verdicts(results)));
  return parts.join('\n');
}

export function f1Figures(results: Results): { name: string; spec: TopLevelSpec }[] {
  if (!f1Runs(results).length) return [];
  return [
    { name: 'f1-activation-vs-data', spec: f1TrajectorySpec(results) },
    { name: 'f1-three-rules', spec: f1MethodSpec(results) },
    { name: 'f1-linearised', spec: f1LinearisedSpec(results) },
    { name: 'f1-loss', spec: f1LossSpec(results) },
    { name: 'f1-dead-neurons', spec: f1DeadSpec(results) },
  ];
}

export const F1_FINDING: FindingDef = {
  id: 'F1', tag: 'F1', title: 'F1: activation ratio against training data', notebook: 'notebooks/02-f1-activation-vs-data.ipynb',
  runs: f1Runs, figures: f1Figures, verdicts: f1Verdicts, narrative: f1Narrative,
};
