// F3, parameter scale: at a similar d/L, the limit activation ratio per size for both activations
// (with its interval), how fast each size converges (the fitted law's slope against tokens per
// parameter), and whether the activation patterns look alike across sizes. The patterns are in
// f3-patterns.ts; dead neurons over training reuse the F1 builder.
import type { Results } from '../experiments/results';
import { convergenceRow, slopeAt } from '../laws';
import { lineChart, scatterChart, type TopLevelSpec } from '../plot';
import { ACT_LABEL, fitIssue, fitOf, lastOf, num, profileLine, Row, runsOf, RunInfo, trajectoryOf, usedInFit, Verdict, verdictTable } from './common';
import { f1DeadRows, f1DeadSpec } from './f1';
import { commonTokens, f3BySize, f3Runs } from './f3-runs';
import { f3PatternFigures, f3PatternNarrative, f3PatternVerdicts } from './f3-patterns';
import { fmt, fmtCount, pct, round, withInterval } from './format';
import { PAPER } from './paper';

/** Absolute distance to the limit used for "data needed to converge" (1 point of activation ratio). */
export const CONVERGENCE_EPS = 0.01;

/** Per run: size, data, the limit with its interval, the last ratio and the ratio at the common data. */
export function f3LimitRows(results: Results): Row[] {
  const cett = results.profile.measure.fixedCett;
  return [...f3BySize(results)].flatMap(([, runs]) => {
    const common = commonTokens(results, runs);
    return runs.map((run) => {
      const f = fitOf(results, run.id);
      const traj = trajectoryOf(results, run.id);
      const at = traj.find((t) => t.tokens === common);
      const fixed = trajectoryOf(results, run.id, 'cett').filter((r) => Math.abs((num(r.param) ?? NaN) - cett) < 1e-9);
      return {
        model: run.label, act: ACT_LABEL[run.act], size: run.size, params: run.params, d_over_l: round(run.dOverL), tokens: run.tokens,
        tokens_per_param: round(run.tokens / run.params, 3), A0: round(f?.A0), A0_lo: round(f?.A0_lo), A0_hi: round(f?.A0_hi),
        last_ratio: round(num(lastOf(results, run.id)?.activation_ratio)), common_tokens: common, ratio_at_common_tokens: round(num(at?.activation_ratio)),
        cett_ratio_at_common_tokens: round(num(fixed.find((t) => t.tokens === common)?.activation_ratio)), val_loss: round(num(lastOf(results, run.id)?.val_loss)),
      };
    });
  });
}

export function f3LimitSpec(results: Results): TopLevelSpec {
  const runs = f3Runs(results);
  const identified = (r: Row) => !fitIssue(fitOf(results, runs.find((x) => x.label === r.model)?.id ?? ''));
  const rows = f3LimitRows(results).flatMap((r) => [
    { act: r.act, size: r.size, params: r.params, quantity: 'A0 (law limit)', value: identified(r) ? r.A0 : null, lo: r.A0_lo, hi: r.A0_hi },
    { act: r.act, size: r.size, params: r.params, quantity: 'last PPL-1% ratio', value: r.last_ratio, lo: null, hi: null },
    { act: r.act, size: r.size, params: r.params, quantity: `at ${fmtCount(r.common_tokens as number)} tokens`, value: r.ratio_at_common_tokens, lo: null, hi: null },
  ]).filter((r) => r.value !== null);
  return scatterChart(rows, {
    x: 'params', y: 'value', color: 'act', colorTitle: 'activation', shape: 'quantity', logX: true, yZero: true, size: 70,
    ...(rows.some((r) => r.lo !== null && r.value !== null && r.quantity.startsWith('A0')) ? { errorBars: { lower: 'lo', upper: 'hi' } } : {}), title: 'Limit activation ratio against model size, d/L fixed (A0 drawn only where the fit identifies it)',
    xTitle: 'non-embedding parameters', yTitle: 'activation ratio', width: 420, height: 260, tooltip: ['size'],
  });
}

/** The fitted law's slope dA/d(tokens per parameter) along each run's own fitted range. */
export function f3SlopeCurveRows(results: Results, n = 30): Row[] {
  return f3Runs(results).flatMap((run) => {
    const f = fitOf(results, run.id);
    const traj = trajectoryOf(results, run.id);
    if (!f || traj.length < 2) return [];
    const used = traj.filter((t) => usedInFit(f, t.tokens as number));
    const from = (used[0]?.tokens as number) ?? (traj[0].tokens as number);
    const to = traj[traj.length - 1].tokens as number;
    return Array.from({ length: n }, (_, i) => {
      const D = Math.exp(Math.log(from) + ((Math.log(to) - Math.log(from)) * i) / (n - 1));
      const s = slopeAt(f, D, 'tokens'); // dA per token, at D tokens
      return { model: run.label, act: ACT_LABEL[run.act], size: run.size, tokens_per_param: D / run.params, abs_slope_per_tpp: Math.abs(s * run.params) };
    });
  });
}

/** Slopes below this are drawn as settled (left off the log axis, where they would squash the rest). */
export const SETTLED_SLOPE = 1e-6;

export function f3SlopeSpec(results: Results): TopLevelSpec {
  return lineChart(f3SlopeCurveRows(results).filter((r) => (r.abs_slope_per_tpp as number) >= SETTLED_SLOPE), {
    x: 'tokens_per_param', y: 'abs_slope_per_tpp', color: 'size', colorTitle: 'model shape', logX: true, logY: true, points: false,
    facet: { field: 'act', columns: 2, title: 'activation', independentY: true }, yFormat: '.1e',
    title: `How fast the ratio still moves: |dA/d(tokens per parameter)| of each fitted law (under ${fmt(SETTLED_SLOPE)}: settled, not drawn)`,
    xTitle: 'tokens per parameter', yTitle: '|slope| per token-per-parameter',
  });
}

/** Points across a shared range at which neighbouring sizes' slopes are compared. */
const OVERLAP_POINTS = 7;

/**
 * Adjacent sizes compared where their fitted ranges of tokens per parameter overlap: the fitted
 * |slope| of each at OVERLAP_POINTS log-spaced points of the overlap, and the share of them where the
 * smaller model is the flatter (closer to settled). One point alone could fall in a sharp bend.
 */
export function f3ConvergencePairs(results: Results): Row[] {
  const out: Row[] = [];
  const none = (act: string, a: RunInfo, b: RunInfo, note: string): Row => ({
    act, smaller: a.size, larger: b.size, overlap_from: null, overlap_to: null, smaller_slope_mid: null, larger_slope_mid: null, smaller_flatter_share: null, smaller_is_flatter: null, note,
  });
  const curves = f3SlopeCurveRows(results);
  for (const [act, runs] of f3BySize(results)) {
    for (let i = 0; i + 1 < runs.length; i++) {
      const a = runs[i];
      const b = runs[i + 1];
      const ca = curves.filter((c) => c.model === a.label);
      const cb = curves.filter((c) => c.model === b.label);
      if (!ca.length || !cb.length) { out.push(none(ACT_LABEL[act], a, b, 'a law fit is missing')); continue; }
      const poor = [a, b].find((r) => !((fitOf(results, r.id)?.r2 ?? 0) >= 0.5));
      if (poor) { out.push(none(ACT_LABEL[act], a, b, `the law fits ${poor.size} poorly (R^2 below 0.5)`)); continue; }
      const lo = Math.max(ca[0].tokens_per_param as number, cb[0].tokens_per_param as number);
      const hi = Math.min(ca[ca.length - 1].tokens_per_param as number, cb[cb.length - 1].tokens_per_param as number);
      if (!(lo <= hi)) { out.push(none(ACT_LABEL[act], a, b, 'their tokens-per-parameter ranges do not overlap')); continue; }
      const slope = (run: RunInfo, x: number) => Math.abs(slopeAt(fitOf(results, run.id)!, x * run.params, 'tokens') * run.params);
      const xs = Array.from({ length: OVERLAP_POINTS }, (_, k) => Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * k) / (OVERLAP_POINTS - 1)));
      const share = xs.filter((x) => slope(a, x) < slope(b, x)).length / xs.length;
      const mid = Math.sqrt(lo * hi);
      out.push({
        act: ACT_LABEL[act], smaller: a.size, larger: b.size, overlap_from: round(lo, 3), overlap_to: round(hi, 3),
        smaller_slope_mid: round(slope(a, mid), 3), larger_slope_mid: round(slope(b, mid), 3), smaller_flatter_share: round(share, 3),
        smaller_is_flatter: share > 0.5, note: `${OVERLAP_POINTS} points over the shared range`,
      });
    }
  }
  return out;
}

/** Data each run's law needs to come within CONVERGENCE_EPS of its limit (extrapolated past the budget when larger). */
export function f3ConvergenceRows(results: Results): Row[] {
  return f3Runs(results).flatMap((run) => {
    const f = fitOf(results, run.id);
    if (!f) return [];
    const c = convergenceRow(f, { eps: CONVERGENCE_EPS, unit: 'tokens', nParams: run.params });
    return [{
      model: run.label, A0: round(c.A0), tokens_to_within_eps: round(c.D_within_eps, 3), tokens_per_param_to_within_eps: round(c.tokens_per_param_within_eps, 3),
      trained_tokens_per_param: round(run.tokens / run.params, 3), extrapolated: c.D_within_eps > run.tokens,
    }];
  });
}

function flatVerdict(results: Results, act: 'relu' | 'silu'): Verdict {
  const runs = f3BySize(results).get(act) ?? [];
  const rows = f3LimitRows(results).filter((r) => r.act === ACT_LABEL[act] && num(r.A0) !== null);
  const paper = act === 'relu' ? PAPER.f3Relu : PAPER.f3Silu;
  const paperRel = (paper.to - paper.from) / paper.from;
  const base: Verdict = {
    finding: 'F3', claim: `${ACT_LABEL[act]}'s limit changes little with size`, paper: `${pct(paper.from, 3)} (${PAPER.f3Scales[0]}) to ${pct(paper.to, 3)} (${PAPER.f3Scales[1]}): ${paperRel >= 0 ? '+' : ''}${pct(paperRel, 2)} relative`,
    ours: '', verdict: 'not measured', rule: '',
  };
  if (rows.length < 2) return { ...base, ours: `${runs.length} size(s) with a fit` };
  const a = rows[0];
  const b = rows[rows.length - 1];
  const issues = [a, b].map((r) => ({ r, issue: fitIssue(fitOf(results, runs.find((x) => x.label === r.model)!.id)) })).filter((x) => x.issue);
  if (issues.length) {
    return {
      ...base, ours: `limit not identified for ${issues.map((x) => x.r.size).join(' and ')}; last ratios ${pct(num(a.last_ratio))} (${a.size}) and ${pct(num(b.last_ratio))} (${b.size})`,
      verdict: 'inconclusive', rule: `needs the limit of the smallest and the largest size; ${issues[0].issue}`,
    };
  }
  const rel = ((b.A0 as number) - (a.A0 as number)) / (a.A0 as number);
  const overlap = num(a.A0_lo) !== null && num(b.A0_lo) !== null ? (a.A0_lo as number) <= (b.A0_hi as number) && (b.A0_lo as number) <= (a.A0_hi as number) : null;
  const flat = overlap === true || Math.abs(rel) <= Math.abs(paperRel);
  return {
    ...base,
    ours: `${withInterval(num(a.A0), num(a.A0_lo), num(a.A0_hi))} (${fmtCount(a.params as number)}) to ${withInterval(num(b.A0), num(b.A0_lo), num(b.A0_hi))} (${fmtCount(b.params as number)}): ${rel >= 0 ? '+' : ''}${pct(rel, 2)} relative`,
    verdict: flat ? 'agrees' : 'disagrees',
    rule: `flat when the smallest and largest sizes' A0 intervals overlap, or the relative change is no larger than the paper's own (${pct(Math.abs(paperRel), 2)}); intervals ${overlap === null ? 'missing' : overlap ? 'overlap' : 'do not overlap'}`,
  };
}

export function f3Verdicts(results: Results): Verdict[] {
  const vs: Verdict[] = [flatVerdict(results, 'relu'), flatVerdict(results, 'silu')];
  const pairs = f3ConvergencePairs(results).filter((p) => p.smaller_is_flatter !== null);
  const yes = pairs.filter((p) => p.smaller_is_flatter).length;
  vs.push({
    finding: 'F3', claim: 'smaller models approach their limit faster', paper: 'the slope against tokens per parameter vanishes sooner for smaller models',
    ours: pairs.length ? pairs.map((p) => `${p.act} ${p.smaller} vs ${p.larger}: smaller flatter on ${pct(num(p.smaller_flatter_share), 2)} of ${fmt(num(p.overlap_from))}-${fmt(num(p.overlap_to))} tokens/param`).join('; ') : 'no pair of sizes with overlapping fitted ranges',
    verdict: !pairs.length ? 'not measured' : yes === pairs.length ? 'agrees' : yes === 0 ? 'disagrees' : 'partly',
    rule: `over the tokens-per-parameter range two neighbouring sizes share, the smaller one's fitted |slope| is the smaller on most of it (${yes} of ${pairs.length} pairs)`,
  });
  vs.push(...f3PatternVerdicts(results));
  const dead = f1DeadRows(results, 'F3');
  const models = [...new Set(dead.map((d) => String(d.model)))];
  const ends = models.map((m) => { const ds = dead.filter((d) => d.model === m); return { m, v: num(ds[ds.length - 1].dead_ratio) ?? NaN }; });
  vs.push({
    finding: 'F3', claim: 'few dead neurons (ReLU)', paper: `about ${pct(PAPER.deadRatio, 2)} (0.1B)`,
    ours: ends.length ? ends.map((e) => `${e.m}: ${pct(e.v)}`).join('; ') : 'no zero counts',
    verdict: !ends.length ? 'not measured' : ends.every((e) => e.v <= 0.01) ? 'agrees' : 'partly',
    rule: 'dead-neuron ratio at the last checkpoint at most 1% in every size',
  });
  return vs;
}

export function f3Narrative(results: Results): string {
  const bySize = f3BySize(results);
  if (!bySize.size) return `${profileLine(results)}\n\nThis profile has no run tagged F3.`;
  const parts: string[] = [profileLine(results), '', '**Limit against size.**'];
  const limits = f3LimitRows(results);
  for (const [act, runs] of bySize) {
    const rs = limits.filter((r) => r.act === ACT_LABEL[act]);
    const a0 = (r: Row) => (fitIssue(fitOf(results, runs.find((x) => x.label === r.model)!.id)) ? 'A0 not identified' : `A0 = ${withInterval(num(r.A0), num(r.A0_lo), num(r.A0_hi))}`);
    parts.push(`- ${ACT_LABEL[act]} (d/L ${[...new Set(runs.map((r) => fmt(r.dOverL)))].join(', ')}): ` + rs.map((r) =>
      `${r.size} ${a0(r)}, last ${pct(num(r.last_ratio))} after ${fmt(num(r.tokens_per_param))} tokens/param`).join('; ') + '.');
    const c = rs[0]?.common_tokens as number | null;
    if (c) parts.push(`  At the same data (${fmtCount(c)} tokens, every size): ${rs.map((r) => `${r.size} ${pct(num(r.ratio_at_common_tokens))}`).join(', ')}.`);
    for (let i = 0; i + 1 < rs.length; i++) {
      const a = rs[i];
      const b = rs[i + 1];
      if (num(a.A0) === null || num(b.A0) === null) continue;
      const bad = [a, b].find((r) => fitIssue(fitOf(results, runs.find((x) => x.label === r.model)!.id)));
      if (bad) { parts.push(`  ${a.size} to ${b.size}: not compared, the limit of ${bad.size} is not identified.`); continue; }
      const over = num(a.A0_lo) !== null && num(b.A0_lo) !== null && (a.A0_lo as number) <= (b.A0_hi as number) && (b.A0_lo as number) <= (a.A0_hi as number);
      parts.push(`  From ${a.size} to ${b.size}, A0 changes by ${pct(((b.A0 as number) - (a.A0 as number)) / (a.A0 as number), 2)} (intervals ${over ? 'overlap: no size dependence the data can tell' : 'do not overlap'}).`);
    }
  }
  const tpp = limits.map((r) => num(r.tokens_per_param) ?? NaN);
  parts.push(`- The paper trained every size on at least ${PAPER.tokensPerParam} tokens per parameter; here the budgets span ${fmt(Math.min(...tpp))} to ${fmt(Math.max(...tpp))} tokens per parameter, so the larger models' limits are extrapolated further.`);
  const pairs = f3ConvergencePairs(results);
  if (pairs.length) {
    parts.push('', '**Convergence speed.**');
    for (const p of pairs) {
      parts.push(p.smaller_is_flatter === null ? `- ${p.act} ${p.smaller} vs ${p.larger}: not compared (${p.note}).`
        : `- ${p.act} ${p.smaller} vs ${p.larger}, over the shared ${fmt(num(p.overlap_from))}-${fmt(num(p.overlap_to))} tokens per parameter: the smaller model's fitted curve is the flatter on ${pct(num(p.smaller_flatter_share), 2)} of it ` +
          `(in the middle, |slope| ${fmt(num(p.smaller_slope_mid), 2)} vs ${fmt(num(p.larger_slope_mid), 2)}), so the ${p.smaller_is_flatter ? 'smaller' : 'larger'} model is mostly closer to settled.`);
    }
    const conv = f3ConvergenceRows(results).filter((c) => !fitIssue(fitOf(results, f3Runs(results).find((r) => r.label === c.model)!.id)));
    if (conv.length) parts.push(`- Data each law needs to come within ${CONVERGENCE_EPS} of its own limit: ${conv.map((c) => `${c.model} ${fmtCount(num(c.tokens_to_within_eps))} tokens (${fmt(num(c.tokens_per_param_to_within_eps))} per parameter${c.extrapolated ? ', extrapolated' : ''})`).join('; ')}.`);
  }
  parts.push('', f3PatternNarrative(results));
  parts.push('', verdictTable(f3Verdicts(results)));
  return parts.join('\n');
}

export function f3Figures(results: Results): { name: string; spec: TopLevelSpec }[] {
  if (!f3Runs(results).length) return [];
  return [
    { name: 'f3-limit-vs-size', spec: f3LimitSpec(results) },
    { name: 'f3-convergence-slopes', spec: f3SlopeSpec(results) },
    ...f3PatternFigures(results),
    { name: 'f3-dead-neurons', spec: f1DeadSpec(results, 'F3') },
  ];
}
