// F0, the metric: PPL ratio against activation ratio for CETT (the knob behind PPL-p%) and every
// baseline, on the final checkpoint of a ReLU and a SiLU model; the activation ratio each method
// needs to stay within 1+p of the dense perplexity; PPL-1% against the zero count; PPL-1/5/10%.
import type { Results } from '../experiments/results';
import { pplLabel } from '../metrics/rows';
import { lineChart, scatterChart, type TopLevelSpec } from '../plot';
import { actColors } from './colors';
import { BASELINE_METHODS, BASELINES } from '../metrics/baseline-rules';
import { hasExactZeros } from '../model/activations';
import { ACT_LABEL, num, profileLine, Row, runsOf, RunInfo, Verdict, verdictTable, type FindingDef } from './common';
import { fmt, pct, round } from './format';
import { PAPER } from './paper';
import { crossingFromRight } from './stats';

/** Display names; CETT and the PPL-p% points lie on one curve (PPL-p% only picks a CETT on it). Baselines: lib/metrics/baseline-rules.ts. */
export const METHOD_LABEL: Record<string, string> = {
  cett: 'CETT (PPL-p%)', 'ppl-p': 'CETT (PPL-p%)',
  ...Object.fromEntries(BASELINE_METHODS.map((m) => [m, BASELINES[m].label])),
};
const CETT = METHOD_LABEL.cett;

/** The display name of a method ('fat' -> 'FAT-eps'); an unknown one as it is. */
export function methodLabel(method: unknown): string {
  return METHOD_LABEL[String(method)] ?? String(method);
}
/** PPL ratios above this are left off the trade-off plot (they squash the interesting range near 1). */
export const F0_PLOT_MAX_PPL = 1.3;

export function f0Runs(results: Results): RunInfo[] {
  const have = new Set(results.f0.map((r) => r.run));
  return runsOf(results, 'F0').filter((r) => have.has(r.id));
}

/** Every F0 measurement: one row per model x method x knob value. */
export function f0TradeoffRows(results: Results): Row[] {
  return f0Runs(results).flatMap((run) => results.f0.filter((r) => r.run === run.id).map((r) => ({
    model: run.label, act: ACT_LABEL[run.act], method: methodLabel(r.method),
    knob: r.param_name ? `${r.param_name} = ${fmt(num(r.param), 3)}` : '',
    activation_ratio: round(num(r.activation_ratio)), ppl_ratio: round(num(r.ppl_ratio), 5), ppl_ratio_se: round(num(r.ppl_ratio_se), 3),
    cett: round(num(r.cett)),
  }))).sort((a, b) => String(a.model).localeCompare(String(b.model)) || String(a.method).localeCompare(String(b.method)) || (num(a.activation_ratio) ?? 0) - (num(b.activation_ratio) ?? 0));
}

/** Colours and markers by position: CETT first, then the baselines in registry order (a new baseline takes the next pair). */
const METHOD_COLORS = ['#222222', '#d62728', '#8c564b', '#17becf', '#bcbd22', '#e377c2', '#9467bd', '#7f7f7f', '#ff7f0e'];
const METHOD_SHAPES = ['circle', 'diamond', 'square', 'triangle-up', 'triangle-down', 'cross', 'triangle-left', 'triangle-right', 'wedge'];

/** Fixed colours and markers per method (none of them an activation's or a size's colour). */
export const METHOD_STYLE = (() => {
  const domain = [CETT, ...BASELINE_METHODS.map((m) => METHOD_LABEL[m])];
  return { domain, colors: domain.map((_, i) => METHOD_COLORS[i % METHOD_COLORS.length]), shapes: domain.map((_, i) => METHOD_SHAPES[i % METHOD_SHAPES.length]) };
})();

/** The trade-off plot: points per knob value, each method's curve through them, and the 1+p target as a reference line. */
export function f0TradeoffSpec(results: Results, p = 0.01): TopLevelSpec {
  const rows = f0TradeoffRows(results).filter((r) => (num(r.ppl_ratio) ?? Infinity) <= F0_PLOT_MAX_PPL);
  return scatterChart(rows, {
    x: 'activation_ratio', y: 'ppl_ratio', color: 'method', colorTitle: 'method', colorScale: { domain: METHOD_STYLE.domain, range: METHOD_STYLE.colors },
    shape: 'method', shapeTitle: 'method', shapeScale: { domain: METHOD_STYLE.domain, range: METHOD_STYLE.shapes }, size: 45,
    fit: { data: rows, dashed: false }, facet: { field: 'model', columns: 2, title: 'model' }, hRules: [1 + p],
    title: `PPL ratio against activation ratio, final checkpoint (lower-left is better; dotted: the ${pplLabel(p)} target ${fmt(1 + p)}; PPL ratio > ${F0_PLOT_MAX_PPL} not drawn)`,
    xTitle: 'activation ratio (fraction of neurons kept)', yTitle: 'PPL ratio (sparse / dense)', width: 320, height: 220, tooltip: ['knob'],
  });
}

export interface MatchedRow extends Row {
  model: string;
  method: string;
  target_ppl_ratio: number;
  /** false: no knob value measured got the PPL ratio down to the target. */
  reached: boolean;
  activation_ratio: number | null;
  activation_ratio_lo: number | null;
  activation_ratio_hi: number | null;
  /** The least sparse setting measured (a method that never reached the target needs more than this). */
  densest_measured: number | null;
  /** All of the method's points were below the target: the true crossing is at or below this ratio. */
  censored: boolean;
  rank: number | null;
}

/**
 * The activation ratio each method needs to keep the PPL ratio at 1+p: where its curve crosses 1+p
 * (linear interpolation between knob values), with an interval from moving the target by +-2
 * standard errors of the PPL ratio there. Rank 1 is the sparsest method; methods that never reach
 * the target come last.
 */
export function f0MatchedRows(results: Results, p = 0.01): MatchedRow[] {
  const out: MatchedRow[] = [];
  for (const run of f0Runs(results)) {
    const rows = results.f0.filter((r) => r.run === run.id);
    const methods = [...new Set(rows.map((r) => methodLabel(r.method)))];
    const mine: MatchedRow[] = methods.map((method) => {
      const pts = rows.filter((r) => methodLabel(r.method) === method)
        .map((r) => ({ x: num(r.activation_ratio) ?? NaN, y: num(r.ppl_ratio) ?? NaN, se: num(r.ppl_ratio_se) ?? 0 }));
      const densest = pts.length ? Math.max(...pts.map((q) => q.x)) : null;
      const c = crossingFromRight(pts, 1 + p);
      // The PPL ratio's standard error near the crossing: the largest of the two nearest points.
      const near = c ? [...pts].sort((a, b) => Math.abs(a.x - c.x) - Math.abs(b.x - c.x)).slice(0, 2) : [];
      const se = Math.max(0, ...near.map((q) => q.se));
      const lo = c ? crossingFromRight(pts, 1 + p + 2 * se) : null;
      const hi = c ? crossingFromRight(pts, 1 + p - 2 * se) : null;
      return {
        model: run.label, method, target_ppl_ratio: 1 + p, reached: !!c,
        activation_ratio: c ? round(c.x) : null, activation_ratio_lo: lo ? round(lo.x) : c ? round(c.x) : null, activation_ratio_hi: hi ? round(hi.x) : c ? round(c.x) : null,
        densest_measured: round(densest), censored: c?.censored ?? false, rank: null,
      };
    });
    const ranked = mine.filter((m) => m.reached).sort((a, b) => a.activation_ratio! - b.activation_ratio!);
    ranked.forEach((m, i) => { m.rank = i + 1; });
    out.push(...mine.sort((a, b) => (a.rank ?? 99) - (b.rank ?? 99)));
  }
  return out;
}

/** Is CETT the sparsest at 1+p on this model, and by more than the uncertainty? */
export interface CettStanding {
  model: string;
  cett: MatchedRow | undefined;
  /** The sparsest other method that reached the target. */
  best_other: MatchedRow | undefined;
  /** Other methods that never reached the target within their knob range. */
  unreached: MatchedRow[];
  lowest: boolean;
  /** CETT's upper end is below the lower end of every other method. */
  clearly_lowest: boolean;
  /** Some other method's upper end is below CETT's lower end. */
  clearly_beaten: boolean;
}

export function f0CettStanding(results: Results, p = 0.01): CettStanding[] {
  const rows = f0MatchedRows(results, p);
  return f0Runs(results).map((run) => {
    const mine = rows.filter((r) => r.model === run.label);
    const c = mine.find((r) => r.method === CETT && r.reached);
    const others = mine.filter((r) => r.method !== CETT);
    const reached = others.filter((o) => o.reached);
    const unreached = others.filter((o) => !o.reached);
    // An unreached method needs more than its densest setting: that is its lower end.
    const lowerEnd = (o: MatchedRow) => (o.reached ? o.activation_ratio_lo ?? o.activation_ratio! : o.densest_measured ?? 0);
    const lowest = !!c && reached.every((o) => c.activation_ratio! < o.activation_ratio!) && unreached.every((o) => c.activation_ratio! < lowerEnd(o));
    const clearly = !!c && others.every((o) => (c.activation_ratio_hi ?? c.activation_ratio!) < lowerEnd(o));
    const beaten = !!c && reached.some((o) => (o.activation_ratio_hi ?? o.activation_ratio!) < (c.activation_ratio_lo ?? c.activation_ratio!));
    return { model: run.label, cett: c, best_other: reached[0], unreached, lowest, clearly_lowest: clearly, clearly_beaten: beaten };
  });
}

/** ReLU models (activations with exact zeros): the PPL-1% activation ratio against the plain zero count, and the relative cut. */
export function f0ZeroRows(results: Results, p = 0.01): Row[] {
  return f0Runs(results).filter((r) => hasExactZeros(r.act)).flatMap((run) => {
    const rows = results.f0.filter((r) => r.run === run.id);
    const zero = rows.find((r) => r.method === 'zero');
    const ppl = rows.find((r) => r.method === 'ppl-p' && Math.abs((num(r.param) ?? NaN) - p) < 1e-9);
    if (!zero || !ppl) return [];
    const z = num(zero.activation_ratio)!;
    const a = num(ppl.activation_ratio)!;
    return [{
      model: run.label, zero_count_ratio: round(z), ppl_1pct_ratio: round(a), ppl_1pct_ppl_ratio: round(num(ppl.ppl_ratio), 5),
      relative_reduction: round(1 - a / z), paper_relative_reduction: PAPER.f0ReductionVsZero,
    }];
  });
}

/** PPL-p% at each p of the profile: the CETT found, the activation ratio, the PPL ratio it costs. */
export function f0LevelRows(results: Results): Row[] {
  return f0Runs(results).flatMap((run) => results.f0
    .filter((r) => r.run === run.id && r.method === 'ppl-p')
    .sort((a, b) => (num(a.param) ?? 0) - (num(b.param) ?? 0))
    .map((r) => ({
      model: run.label, act: ACT_LABEL[run.act], size: run.size, level: pplLabel(num(r.param) ?? NaN), p: num(r.param), cett: round(num(r.cett)),
      activation_ratio: round(num(r.activation_ratio)), ppl_ratio: round(num(r.ppl_ratio), 5), ppl_ratio_se: round(num(r.ppl_ratio_se), 3),
      loss_cost_nats: round(Math.log(num(r.ppl_ratio) ?? NaN), 3), saturated: r.saturated ?? null,
    })));
}

export function f0LevelSpec(results: Results): TopLevelSpec {
  const rows = f0LevelRows(results);
  // PPL-1%, 5%, 10% in the order of p (as strings, "PPL-10%" would sort before "PPL-5%").
  const order = [...new Map(rows.map((r) => [r.level as string, num(r.p) ?? 0])).entries()].sort((a, b) => a[1] - b[1]).map(([l]) => l);
  return lineChart(rows, {
    x: 'level', xType: 'ordinal', xSort: order, y: 'activation_ratio', color: 'act', colorTitle: 'activation', colorScale: actColors(results), strokeDash: 'size', yZero: true,
    title: 'Activation ratio at PPL-1%, 5% and 10%', xTitle: 'tolerated PPL increase', yTitle: 'activation ratio', tooltip: ['cett', 'ppl_ratio'],
  });
}

export function f0Verdicts(results: Results, p = 0.01): Verdict[] {
  const st = f0CettStanding(results, p).filter((s) => s.cett);
  const zero = f0ZeroRows(results, p);
  const levels = f0LevelRows(results);
  const vs: Verdict[] = [];
  const nClear = st.filter((s) => s.clearly_lowest).length;
  const nLow = st.filter((s) => s.lowest).length;
  const nBeaten = st.filter((s) => s.clearly_beaten).length;
  vs.push({
    finding: 'F0', claim: 'the CETT curve (PPL-p%) gives the lowest activation ratio at a given PPL ratio',
    paper: 'CETT curve lowest for every model shown',
    ours: st.length ? st.map((s) => `${s.model}: CETT ${fmt(s.cett!.activation_ratio)}, ${s.best_other ? `best other ${s.best_other.method} ${fmt(s.best_other.activation_ratio)}` : `no other method reaches PPL ratio ${fmt(1 + p)} below ${pct(Math.min(...s.unreached.map((u) => u.densest_measured ?? 1)))} active`}`).join('; ') : 'no F0 measurements',
    verdict: !st.length ? 'not measured' : nLow === st.length ? 'agrees' : nLow > 0 ? 'partly' : nBeaten > 0 ? 'disagrees' : 'inconclusive',
    rule: `activation ratio where each method's curve crosses PPL ratio ${fmt(1 + p)}; "clearly" when the intervals from +-2 standard errors of the PPL ratio do not overlap (${nClear} of ${st.length} models clearly, ${nLow} lowest at all, ${nBeaten} clearly beaten)`,
  });
  vs.push({
    finding: 'F0', claim: 'PPL-1% cuts the activation ratio relative to the ReLU zero count',
    paper: `${pct(PAPER.f0ReductionVsZero, 2)} relative cut (${PAPER.f0ReductionModel})`,
    ours: zero.length ? zero.map((z) => `${z.model}: ${pct(num(z.relative_reduction))}`).join('; ') : 'no ReLU F0 model',
    verdict: !zero.length ? 'not measured' : zero.every((z) => (num(z.relative_reduction) ?? 0) > 0) ? 'agrees' : 'disagrees',
    rule: 'sign of 1 - (PPL-1% ratio / zero-count ratio) on the final checkpoint; the size of the cut is shown, not judged (models 10,000x smaller)',
  });
  const models = [...new Set(levels.map((l) => String(l.model)))];
  const monotone = models.every((m) => {
    const a = levels.filter((l) => l.model === m).map((l) => num(l.activation_ratio) ?? NaN);
    return a.every((v, i) => i === 0 || v <= a[i - 1]);
  });
  vs.push({
    finding: 'F0', claim: 'PPL-1% keeps quality within noise; 5% and 10% buy more sparsity at a cost',
    paper: 'downstream scores: 1% within noise of dense, 5% and 10% lower',
    ours: levels.length ? `activation ratio falls as p grows on ${models.length} model(s); no downstream tasks here` : 'no PPL-p% levels measured',
    verdict: !levels.length ? 'not measured' : monotone ? 'partly' : 'inconclusive',
    rule: 'we check only that the activation ratio falls monotonically from 1% to 10%; downstream quality is not measured at this scale',
  });
  return vs;
}

/** The closing section: what this run shows, computed from the numbers, next to the paper. */
export function f0Narrative(results: Results, p = 0.01): string {
  const runs = f0Runs(results);
  if (!runs.length) return `${profileLine(results)}\n\nThis profile has no F0 measurements (no run tagged F0 with a final-checkpoint sweep).`;
  const st = f0CettStanding(results, p);
  const zero = f0ZeroRows(results, p);
  const levels = f0LevelRows(results);
  const parts: string[] = [profileLine(results), '', '**The trade-off.**'];
  for (const s of st) {
    if (!s.cett) { parts.push(`- ${s.model}: the CETT curve never reaches PPL ratio ${fmt(1 + p)} within the knob values measured.`); continue; }
    const c = s.cett;
    const o = s.best_other;
    const how = s.clearly_lowest ? 'clearly the lowest (its interval lies below every other method\'s)'
      : s.lowest ? 'the lowest, but its interval overlaps that of another method'
      : s.clearly_beaten ? 'NOT the lowest: another method is sparser by more than the uncertainty'
      : s.unreached.some((u) => (u.densest_measured ?? 0) <= c.activation_ratio!) ? 'possibly not the lowest: a method that never reached the target was not measured densely enough to tell'
      : 'not the lowest, though within the uncertainty';
    const un = s.unreached.length ? ` ${s.unreached.map((u) => u.method).join(', ')} never got the PPL ratio down to ${fmt(1 + p)}, even at ${pct(Math.min(...s.unreached.map((u) => u.densest_measured ?? 1)))} active or more (the densest settings measured).` : '';
    parts.push(`- ${s.model}: to stay within PPL ratio ${fmt(1 + p)}, CETT keeps ${pct(c.activation_ratio)} of neurons active ` +
      `(interval ${pct(c.activation_ratio_lo)} to ${pct(c.activation_ratio_hi)})${o ? `; the best other method, ${o.method}, keeps ${pct(o.activation_ratio)}${o.censored ? ' (or less: all its points were below the target)' : ''}` : ''}.${un} CETT is ${how}.`);
  }
  const knobs = (pred: (m: string) => boolean) => {
    const counts = runs.flatMap((run) => [...new Set(results.f0.filter((r) => r.run === run.id).map((r) => methodLabel(r.method)))]
      .filter(pred).map((m) => results.f0.filter((r) => r.run === run.id && methodLabel(r.method) === m).length));
    return counts.length ? `${Math.min(...counts)}${Math.max(...counts) !== Math.min(...counts) ? `-${Math.max(...counts)}` : ''}` : '0';
  };
  parts.push(`- Each crossing is interpolated linearly between measured knob values (${knobs((m) => m === CETT)} for CETT, ${knobs((m) => m !== CETT && m !== METHOD_LABEL.zero)} for each other rule). ` +
    'These curves bend upwards, so a straight line between two far-apart knob values crosses the target later than the curve itself: the coarser grids of the other rules make them look somewhat worse than they are.');
  if (zero.length) {
    parts.push('', '**Against the zero count (ReLU).**');
    for (const z of zero) {
      parts.push(`- ${z.model}: the zero count says ${pct(num(z.zero_count_ratio))} of neurons are active; ${pplLabel(p)} keeps ${pct(num(z.ppl_1pct_ratio))}, ` +
        `a relative cut of ${pct(num(z.relative_reduction))}. The paper reports ${pct(PAPER.f0ReductionVsZero, 2)} for its ${PAPER.f0ReductionModel} model.`);
    }
  }
  if (levels.length) {
    parts.push('', '**PPL-1%, 5%, 10%.**');
    for (const m of [...new Set(levels.map((l) => String(l.model)))]) {
      const ls = levels.filter((l) => l.model === m);
      parts.push(`- ${m}: ${ls.map((l) => `${l.level} keeps ${pct(num(l.activation_ratio))} active (CETT ${fmt(num(l.cett))}, loss +${fmt(num(l.loss_cost_nats))} nats/token)`).join('; ')}.`);
    }
    const sat = levels.filter((l) => l.saturated === true);
    if (sat.length) parts.push(`- **Saturated:** the PPL-p% search never raised perplexity by p even at the largest CETT for ${sat.map((l) => `${l.model} ${l.level}`).join(', ')}; those ratios are the end of the search, not a measurement of sparsity at that p.`);
    parts.push('- The paper judges the levels by downstream task scores; this project has no downstream tasks at this scale, so only the PPL cost is shown.');
  }
  parts.push('', verdictTable(f0Verdicts(results, p)));
  return parts.join('\n');
}

export function f0Figures(results: Results): { name: string; spec: TopLevelSpec }[] {
  if (!f0Runs(results).length) return [];
  return [
    { name: 'f0-tradeoff', spec: f0TradeoffSpec(results) },
    { name: 'f0-ppl-levels', spec: f0LevelSpec(results) },
  ];
}

export const F0_FINDING: FindingDef = {
  id: 'F0', tag: 'F0', title: 'F0: how to measure activation sparsity', notebook: 'notebooks/01-f0-metric.ipynb',
  runs: f0Runs, figures: f0Figures, verdicts: (r) => f0Verdicts(r), narrative: (r) => f0Narrative(r),
};
