// F3, parameter scale: at a similar d/L, the limit activation ratio per size for both activations
// (with its interval), how fast each size converges (the fitted law's slope against tokens per
// parameter), and whether the activation patterns look alike across sizes. The patterns are in
// f3-patterns.ts; dead neurons over training reuse the F1 builder.
import type { Results } from '../experiments/results';
import { convergenceRow, slopeAt } from '../laws';
import { lineChart, scatterChart, type TopLevelSpec } from '../plot';
import { actColors, sizeColors } from './colors';
import {
  ACT_LABEL, fitIssue, fitOf, identified, lastOf, limitText, num, profileLine, Row, runsOf, RunInfo, trajectoryOf, usedInFit, Verdict, verdictTable, type FindingDef,
} from './common';
import { f3VocabularyStats } from './f3-vocab';
import { f1DeadRows, f1DeadSpec } from './f1';
import { commonTokens, f3BySize, f3Runs } from './f3-runs';
import { f3PatternFigures, f3PatternNarrative, f3PatternVerdicts } from './f3-patterns';
import { fmt, fmtCount, pct, round, withInterval } from './format';
import { PAPER, PAPER_ACTS, PAPER_BY_ACT, type PaperAct } from './paper';

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
        tokens_per_param: round(run.tokens / run.params, 3), limit: limitText(f),
        A0: identified(f) ? round(f?.A0) : null, A0_lo: identified(f) ? round(f?.A0_lo) : null, A0_hi: identified(f) ? round(f?.A0_hi) : null,
        A0_bound: identified(f) ? null : round(num(f?.limit_bound ?? null)), A0_bound_side: identified(f) ? null : f?.limit_bound_side ?? null,
        last_ratio: round(num(lastOf(results, run.id)?.activation_ratio)), common_tokens: common, ratio_at_common_tokens: round(num(at?.activation_ratio)),
        cett_ratio_at_common_tokens: round(num(fixed.find((t) => t.tokens === common)?.activation_ratio)), val_loss: round(num(lastOf(results, run.id)?.val_loss)),
      };
    });
  });
}

/** Marker of each quantity in the limit figure (the notebook's text names them). */
export const F3_LIMIT_SHAPES = {
  domain: ['A0 (law limit)', 'A0 upper bound (not identified)', 'A0 lower bound (not identified)', 'last PPL-1% ratio', 'at the same tokens'],
  range: ['circle', 'triangle-down', 'triangle-up', 'square', 'diamond'],
};

export function f3LimitSpec(results: Results): TopLevelSpec {
  const rows = f3LimitRows(results).flatMap((r) => [
    { act: r.act, size: r.size, params: r.params, quantity: 'A0 (law limit)', value: r.A0, lo: r.A0_lo, hi: r.A0_hi },
    { act: r.act, size: r.size, params: r.params, quantity: r.A0_bound_side === 'lower' ? 'A0 lower bound (not identified)' : 'A0 upper bound (not identified)', value: r.A0_bound, lo: null, hi: null },
    { act: r.act, size: r.size, params: r.params, quantity: 'last PPL-1% ratio', value: r.last_ratio, lo: null, hi: null },
    { act: r.act, size: r.size, params: r.params, quantity: 'at the same tokens', value: r.ratio_at_common_tokens, lo: null, hi: null },
  ]).filter((r) => r.value !== null);
  // The paper's limits at 0.1B and 1.2B, drawn across our size range as dashed reference lines.
  const xs = rows.map((r) => r.params as number);
  const paper = xs.length ? PAPER_ACTS.flatMap((act) => {
    const p = PAPER_BY_ACT[act].limitBySize;
    return [['0.1B', p.from], ['1.2B', p.to]].flatMap(([scale, v]) => [Math.min(...xs), Math.max(...xs)].map((x) => ({ act: ACT_LABEL[act], params: x, value: v, line: `paper ${ACT_LABEL[act]} ${scale}` })));
  }) : [];
  return scatterChart(rows, {
    x: 'params', y: 'value', color: 'act', colorTitle: 'activation', colorScale: actColors(results), shape: 'quantity', shapeTitle: 'quantity', shapeScale: F3_LIMIT_SHAPES,
    logX: true, yZero: true, size: 45,
    ...(rows.some((r) => r.lo !== null) ? { errorBars: { lower: 'lo', upper: 'hi' } } : {}), ...(paper.length ? { fit: { data: paper, detail: 'line' } } : {}),
    title: `Activation ratio against model size, d/L fixed (A0 with its 95% profile interval where identified, else its one-sided bound; dashed: the paper's limits at ${PAPER.f3Scales[0]} and ${PAPER.f3Scales[1]})`,
    xTitle: 'non-embedding parameters', yTitle: 'activation ratio', width: 420, height: 260, tooltip: ['size'],
  });
}

/** Tokens per parameter at which sizes are compared (those inside a run's trajectory are used). */
export const EQUAL_TPP = [1, 2, 5, 10, 20, 30, 50, 100, 200];

/**
 * F3 at equal tokens per parameter: each run's stabilised ratio interpolated (linearly in ln tokens)
 * at fixed tokens-per-parameter values inside its trajectory, so undertraining and size can be told apart.
 */
export function f3EqualTppRows(results: Results): Row[] {
  return [...f3BySize(results)].flatMap(([act, runs]) => runs.flatMap((run) => {
    const t = trajectoryOf(results, run.id).filter((r) => num(r.activation_ratio) !== null);
    if (t.length < 2) return [];
    const tpp = t.map((r) => r.tokens / run.params);
    return EQUAL_TPP.filter((x) => x >= tpp[0] && x <= tpp[tpp.length - 1]).map((x) => {
      const i = Math.max(1, tpp.findIndex((v) => v >= x));
      const w = (Math.log(x) - Math.log(tpp[i - 1])) / (Math.log(tpp[i]) - Math.log(tpp[i - 1]));
      const a = t[i - 1].activation_ratio;
      const b = t[i].activation_ratio;
      const stage = [t[i - 1].stage, t[i].stage].includes('warmup') ? 'warmup' : 'stable';
      return { act: ACT_LABEL[act], size: run.size, params: run.params, tokens_per_param: x, tokens: Math.round(x * run.params), activation_ratio: round(a + w * (b - a)), stage };
    });
  }));
}

export function f3EqualTppSpec(results: Results): TopLevelSpec {
  return lineChart(f3EqualTppRows(results), {
    x: 'tokens_per_param', y: 'activation_ratio', color: 'size', colorTitle: 'model shape', colorScale: sizeColors(results), logX: true, yZero: true,
    facet: { field: 'act', columns: 2, title: 'activation', independentY: true }, width: 300, height: 220, tooltip: ['tokens', 'stage'],
    title: 'Stabilised PPL-1% ratio at equal tokens per parameter: does size matter once training is matched?',
    xTitle: 'tokens per parameter', yTitle: 'activation ratio',
  });
}

/** The fitted law's slope dA/d(tokens per parameter) along each run's own fitted range. */
export function f3SlopeCurveRows(results: Results, n = 30): Row[] {
  return f3Runs(results).flatMap((run) => {
    const f = fitOf(results, run.id);
    const traj = trajectoryOf(results, run.id);
    // Only fits whose limit is identified: the slope of a fit at a bound is an artefact of the bound.
    if (!f || !identified(f) || traj.length < 2) return [];
    const used = traj.filter((t) => usedInFit(f, t.tokens));
    const from = used[0]?.tokens ?? traj[0].tokens;
    const to = traj[traj.length - 1].tokens;
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
    x: 'tokens_per_param', y: 'abs_slope_per_tpp', color: 'size', colorTitle: 'model shape', colorScale: sizeColors(results), logX: true, logY: true, points: false,
    facet: { field: 'act', columns: 2, title: 'activation', independentY: true }, yFormat: '.1e',
    title: `How fast the ratio still moves: |dA/d(tokens per parameter)| of each fitted law whose limit is identified (under ${fmt(SETTLED_SLOPE)}: settled, not drawn)`,
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
      if (!ca.length || !cb.length) {
        const bad = [a, b].filter((r) => !identified(fitOf(results, r.id))).map((r) => r.size);
        out.push(none(ACT_LABEL[act], a, b, bad.length ? `the limit of ${bad.join(' and ')} is not identified` : 'a law fit is missing'));
        continue;
      }
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
  return f3Runs(results).flatMap((run): Row[] => {
    const f = fitOf(results, run.id);
    if (!f) return [];
    // Derived from a limit the data do not determine, the data needed to reach it is no number either.
    if (!identified(f)) {
      return [{ model: run.label, limit: limitText(f), tokens_to_within_eps: null, tokens_per_param_to_within_eps: null, trained_tokens_per_param: round(run.tokens / run.params, 3), extrapolated: null, note: 'not computed: the limit is not identified' }];
    }
    const c = convergenceRow(f, { eps: CONVERGENCE_EPS, unit: 'tokens', nParams: run.params });
    return [{
      model: run.label, limit: limitText(f), tokens_to_within_eps: round(c.D_within_eps, 3), tokens_per_param_to_within_eps: round(c.tokens_per_param_within_eps, 3),
      trained_tokens_per_param: round(run.tokens / run.params, 3), extrapolated: c.D_within_eps > run.tokens, note: '',
    }];
  });
}

function flatVerdict(results: Results, act: PaperAct): Verdict {
  const runs = f3BySize(results).get(act) ?? [];
  const rows = f3LimitRows(results).filter((r) => r.act === ACT_LABEL[act]);
  const paper = PAPER_BY_ACT[act].limitBySize;
  const paperRel = (paper.to - paper.from) / paper.from;
  const base: Verdict = {
    finding: 'F3', claim: `${ACT_LABEL[act]}'s limit changes little with size`, paper: `${pct(paper.from, 3)} (${PAPER.f3Scales[0]}) to ${pct(paper.to, 3)} (${PAPER.f3Scales[1]}): ${paperRel >= 0 ? '+' : ''}${pct(paperRel, 2)} relative`,
    ours: '', verdict: 'not measured', rule: '',
  };
  if (rows.length < 2) return { ...base, ours: `${runs.length} size(s) with a fit` };
  const a = rows[0];
  const b = rows[rows.length - 1];
  const ours = `${a.size}: ${a.limit}; ${b.size}: ${b.limit}`;
  const idA = num(a.A0) !== null;
  const idB = num(b.A0) !== null;
  if (!idA || !idB) {
    // One-sided bounds can still settle it: an identified interval lying wholly beyond the other size's bound.
    const [id, other] = idA ? [a, b] : idB ? [b, a] : [null, null];
    const bound = other ? num(other.A0_bound) : null;
    const apart = !!id && bound !== null && ((other!.A0_bound_side === 'upper' && bound < (id.A0_lo as number)) || (other!.A0_bound_side === 'lower' && bound > (id.A0_hi as number)));
    return {
      ...base, ours: `${ours}; last ratios ${pct(num(a.last_ratio))} and ${pct(num(b.last_ratio))}`,
      verdict: apart ? 'disagrees' : 'inconclusive',
      rule: apart
        ? `the ${other!.size} limit is not identified, but the bound the data support (A0 ${other!.A0_bound_side === 'upper' ? '<=' : '>='} ${fmt(bound)}) lies outside the ${id!.size} interval: the limit changes with size by more than the paper's ${pct(Math.abs(paperRel), 2)}`
        : 'needs the limit of the smallest and the largest size, or a one-sided bound that excludes the other; neither is available',
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
  const vs: Verdict[] = PAPER_ACTS.map((act) => flatVerdict(results, act));
  const all = f3ConvergencePairs(results);
  const pairs = all.filter((p) => p.smaller_is_flatter !== null);
  const yes = pairs.filter((p) => p.smaller_is_flatter).length;
  vs.push({
    finding: 'F3', claim: 'smaller models approach their limit faster', paper: 'the slope against tokens per parameter vanishes sooner for smaller models',
    ours: pairs.length ? pairs.map((p) => `${p.act} ${p.smaller} vs ${p.larger}: smaller flatter on ${pct(num(p.smaller_flatter_share), 2)} of ${fmt(num(p.overlap_from))}-${fmt(num(p.overlap_to))} tokens/param`).join('; ')
      : all.length ? `no pair compared: ${all.map((p) => `${p.act} ${p.smaller} vs ${p.larger} (${p.note})`).join('; ')}` : 'fewer than two sizes',
    verdict: !pairs.length ? (all.length ? 'inconclusive' : 'not measured') : yes === pairs.length ? 'agrees' : yes === 0 ? 'disagrees' : 'partly',
    rule: `over the tokens-per-parameter range two neighbouring sizes share, the smaller one's fitted |slope| is the smaller on most of it (${yes} of ${pairs.length} pairs)`,
  });
  vs.push(...f3PatternVerdicts(results));
  const voc = f3VocabularyStats(results).filter((r) => r.kind === 'across sizes' && num(r.spearman) !== null);
  const strongV = voc.filter((r) => (r.spearman as number) >= 0.5).length;
  vs.push({
    finding: 'F3', claim: 'the same vocabulary tokens are "hard" at every size (the paper\'s per-token average)', paper: 'per-token activation ratios alike across scales',
    ours: voc.length ? voc.map((r) => `${r.a} vs ${r.b}: Spearman ${fmt(num(r.spearman), 2)} over ${r.vocabulary_tokens} byte values`).join('; ') : 'evaluation tokens not available',
    verdict: !voc.length ? 'not measured' : strongV === voc.length ? 'agrees' : strongV === 0 ? 'disagrees' : 'partly',
    rule: 'Spearman correlation of each byte value\'s mean activation ratio (over its occurrences) at least 0.5 for every pair of neighbouring sizes',
  });
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
    const a0 = (r: Row) => `A0 ${String(r.limit).startsWith('not') ? r.limit : `= ${r.limit}`}`;
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
  const eq = f3EqualTppRows(results);
  for (const [act] of bySize) {
    const mine = eq.filter((r) => r.act === ACT_LABEL[act]);
    const shared = EQUAL_TPP.filter((x) => new Set(mine.filter((r) => r.tokens_per_param === x).map((r) => r.size)).size >= 2);
    if (shared.length) {
      parts.push(`- ${ACT_LABEL[act]} at equal tokens per parameter: ` + shared.map((x) => `${x} tokens/param: ${mine.filter((r) => r.tokens_per_param === x).map((r) => `${r.size} ${fmt(num(r.activation_ratio))}${r.stage === 'warmup' ? ' (warmup)' : ''}`).join(', ')}`).join('; ') + '.');
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
    const conv = f3ConvergenceRows(results).filter((c) => num(c.tokens_to_within_eps) !== null);
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
    { name: 'f3-equal-tokens-per-param', spec: f3EqualTppSpec(results) },
    ...(f3SlopeCurveRows(results).length ? [{ name: 'f3-convergence-slopes', spec: f3SlopeSpec(results) }] : []),
    ...f3PatternFigures(results),
    { name: 'f3-dead-neurons', spec: f1DeadSpec(results, 'F3') },
  ];
}

export const F3_FINDING: FindingDef = {
  id: 'F3', tag: 'F3', title: 'F3: model size', notebook: 'notebooks/04-f3-scale.ipynb',
  runs: f3Runs, figures: f3Figures, verdicts: f3Verdicts, narrative: f3Narrative,
};
