// F3's activation patterns: do models of different sizes spread their activity over neurons alike
// (sorted per-neuron frequencies at the first, middle and last layer, and per corpus domain), and
// are the same tokens "hard" (many neurons active) at every size (per-token ratios, token by token)?
// Each comparison across sizes comes with a reference: the same comparison between ReLU and SiLU at
// one size, which is what "different" looks like in this data.
import type { Results } from '../experiments/results';
import type { RunMeasurement } from '../experiments/measure-run';
import { lineChart, scatterChart, type TopLevelSpec } from '../plot';
import { sizeColors } from './colors';
import { ACT_LABEL, groupBy, Row, RunInfo, Verdict } from './common';
import { f3BySize } from './f3-runs';
import { fmt, pct, round } from './format';
import { compareFrequencies, compareTokenRatios, evenIndices, resampleByRank } from './stats';

/** Sorted-frequency curves whose shape distance (KS) is below this count as alike whatever the reference. */
export const ALIKE_KS = 0.1;
/** Spearman correlation of per-token ratios at or above this counts as "the same tokens are hard". */
export const SAME_TOKENS_RHO = 0.5;
const CURVE_POINTS = 50;
const SCATTER_POINTS = 800;

export function measurementOf(results: Results, runId: string): RunMeasurement | undefined {
  return results.measurements.find((m) => m.run.id === runId);
}

/** First, middle and last layer of a model (one layer: the same layer for all three). */
export function layerPositions(layers: number): { position: string; layer: number }[] {
  return [{ position: 'first', layer: 0 }, { position: 'middle', layer: Math.floor((layers - 1) / 2) }, { position: 'last', layer: layers - 1 }];
}

function frequencies(m: RunMeasurement, layer: number): number[] {
  return m.patterns.layers.find((l) => l.layer === layer)?.frequency_sorted ?? [];
}

/** Sorted per-neuron frequency curves, resampled on a common rank axis (0 = most active neuron). */
export function f3FrequencyRows(results: Results): Row[] {
  return [...f3BySize(results)].flatMap(([act, runs]) => runs.flatMap((run) => {
    const m = measurementOf(results, run.id);
    if (!m) return [];
    // A layer is drawn once: a one-layer model's only layer is its first, middle and last.
    const seen = new Set<number>();
    return layerPositions(m.patterns.layers.length).filter(({ layer }) => !seen.has(layer) && !!seen.add(layer)).flatMap(({ position, layer }) => resampleByRank(frequencies(m, layer), CURVE_POINTS).map((p) => ({
      act: ACT_LABEL[act], size: run.size, panel: `${ACT_LABEL[act]}, ${position} layer`, layer, rank_fraction: round(p.rank_fraction), frequency: round(p.value),
    })));
  }));
}

/** Panels in first-seen order (ReLU first/middle/last, then SiLU), not alphabetical. */
function panelOrder(rows: Row[]): string[] {
  return [...new Set(rows.map((r) => String(r.panel)))];
}

export function f3FrequencySpec(results: Results): TopLevelSpec {
  const rows = f3FrequencyRows(results);
  return lineChart(rows, {
    x: 'rank_fraction', y: 'frequency', color: 'size', colorTitle: 'model shape', colorScale: sizeColors(results), points: false, yZero: true,
    facet: { field: 'panel', columns: 3, title: 'activation and layer', independentY: true, sort: panelOrder(rows) }, width: 220, height: 160,
    title: 'Sorted per-neuron activation frequencies (stabilised PPL-1% rule, final checkpoint; each layer once: a one-layer model is in the "first" panels)',
    xTitle: 'neuron rank (0 = most active)', yTitle: 'fraction of tokens active', tooltip: ['layer'],
  });
}

/** Neighbouring sizes compared per layer position, with the ReLU-vs-SiLU distance at one size as reference. */
export function f3FrequencyStats(results: Results): Row[] {
  const out: Row[] = [];
  const bySize = f3BySize(results);
  const compare = (kind: string, a: RunInfo, b: RunInfo) => {
    const ma = measurementOf(results, a.id);
    const mb = measurementOf(results, b.id);
    if (!ma || !mb) return;
    const pa = layerPositions(ma.patterns.layers.length);
    const pb = layerPositions(mb.patterns.layers.length);
    const seen = new Set<string>();
    pa.forEach((p, i) => {
      // A one-layer model's first, middle and last layer are the same layer: compare it once.
      const key = `${p.layer}|${pb[i].layer}`;
      if (seen.has(key)) return;
      seen.add(key);
      const c = compareFrequencies(frequencies(ma, p.layer), frequencies(mb, pb[i].layer));
      out.push({
        kind, a: a.label, b: b.label, position: p.position, layer_a: p.layer, layer_b: pb[i].layer, mean_a: round(c.mean_a), mean_b: round(c.mean_b), gini_a: round(c.gini_a, 3), gini_b: round(c.gini_b, 3),
        ks: round(c.ks, 3), ks_shape: round(c.ks_shape, 3),
      });
    });
  };
  for (const [, runs] of bySize) for (let i = 0; i + 1 < runs.length; i++) compare('across sizes', runs[i], runs[i + 1]);
  const relu = bySize.get('relu') ?? [];
  const silu = bySize.get('silu') ?? [];
  for (const r of relu) { const s = silu.find((x) => x.preset === r.preset); if (s) compare('reference: ReLU vs SiLU', r, s); }
  return out;
}

/** Per run and domain: the activation ratio, its departure from the run's mean over domains, dead neurons. */
export function f3DomainRows(results: Results): Row[] {
  return [...f3BySize(results)].flatMap(([act, runs]) => runs.flatMap((run) => {
    const ds = measurementOf(results, run.id)?.patterns.domains ?? [];
    const mu = ds.reduce((s, d) => s + d.activation_ratio, 0) / Math.max(1, ds.length);
    return ds.map((d) => ({
      act: ACT_LABEL[act], size: run.size, domain: d.domain, tokens: d.tokens, activation_ratio: round(d.activation_ratio),
      // 95% interval from the row-clustered standard error, where the measurement recorded it.
      activation_ratio_lo: d.activation_ratio_se !== undefined ? round(d.activation_ratio - 1.96 * d.activation_ratio_se) : null,
      activation_ratio_hi: d.activation_ratio_se !== undefined ? round(d.activation_ratio + 1.96 * d.activation_ratio_se) : null,
      relative_to_mean: round(d.activation_ratio / mu - 1, 3), dead_ratio: round(d.dead_ratio),
    }));
  }));
}

export function f3DomainSpec(results: Results): TopLevelSpec {
  const rows = f3DomainRows(results);
  const withSe = rows.some((r) => r.activation_ratio_lo !== null);
  return lineChart(rows, {
    ...(withSe ? { errorBars: { lower: 'activation_ratio_lo', upper: 'activation_ratio_hi' } } : {}),
    x: 'domain', xType: 'nominal', y: 'activation_ratio', color: 'size', colorTitle: 'model shape', colorScale: sizeColors(results),
    facet: { field: 'act', columns: 2, title: 'activation', independentY: true }, width: 300, height: 200,
    title: `Activation ratio per corpus domain (parallel lines: the domains rank alike at every size; ${withSe ? 'bars: 95% interval, clustered by evaluation row' : 'no interval: these measurements predate its recording'})`, xTitle: 'domain', yTitle: 'activation ratio',
  });
}

/** Last layer's sorted frequencies per domain (resampled), for the per-domain panels. */
export function f3DomainFrequencyRows(results: Results): Row[] {
  return [...f3BySize(results)].flatMap(([act, runs]) => runs.flatMap((run) => {
    const ds = measurementOf(results, run.id)?.patterns.domains ?? [];
    return ds.flatMap((d) => resampleByRank(d.frequency_sorted[d.frequency_sorted.length - 1] ?? [], 30).map((p) => ({
      act: ACT_LABEL[act], size: run.size, panel: `${ACT_LABEL[act]}, ${d.domain}`, rank_fraction: round(p.rank_fraction), frequency: round(p.value),
    })));
  }));
}

export function f3DomainFrequencySpec(results: Results): TopLevelSpec {
  const rows = f3DomainFrequencyRows(results);
  return lineChart(rows, {
    x: 'rank_fraction', y: 'frequency', color: 'size', colorTitle: 'model shape', colorScale: sizeColors(results), points: false, yZero: true,
    facet: { field: 'panel', columns: 5, title: 'activation and domain', independentY: true, sort: panelOrder(rows) }, width: 150, height: 120,
    title: 'Sorted per-neuron frequencies per domain, last layer', xTitle: 'neuron rank (0 = most active)', yTitle: 'fraction of tokens active',
  });
}

/** How much the activation ratio varies across domains within each model (max - min over the mean). */
export function f3DomainSpread(results: Results): Row[] {
  return [...groupBy(f3DomainRows(results), (r) => `${r.act}|${r.size}`).values()].map((rs) => {
    const v = rs.map((r) => r.activation_ratio as number);
    const mu = v.reduce((s, x) => s + x, 0) / v.length;
    const lo = rs.reduce((a, b) => ((a.activation_ratio as number) <= (b.activation_ratio as number) ? a : b));
    const hi = rs.reduce((a, b) => ((a.activation_ratio as number) >= (b.activation_ratio as number) ? a : b));
    return { act: rs[0].act, size: rs[0].size, domains: rs.length, lowest: lo.domain, highest: hi.domain, relative_spread: round((Math.max(...v) - Math.min(...v)) / mu, 3) };
  });
}

/** Pairs of runs whose per-token ratios are on the same evaluation tokens. */
export function tokenPairs(results: Results): { kind: string; a: RunInfo; b: RunInfo }[] {
  const bySize = f3BySize(results);
  const same = (a: RunInfo, b: RunInfo) => {
    const ma = measurementOf(results, a.id);
    const mb = measurementOf(results, b.id);
    return !!ma && !!mb && ma.run.seqLen === mb.run.seqLen && ma.patterns.token_ratio.length === mb.patterns.token_ratio.length && ma.patterns.token_ratio.length > 1;
  };
  const out: { kind: string; a: RunInfo; b: RunInfo }[] = [];
  for (const [, runs] of bySize) for (let i = 0; i + 1 < runs.length; i++) if (same(runs[i], runs[i + 1])) out.push({ kind: 'across sizes', a: runs[i], b: runs[i + 1] });
  for (const r of bySize.get('relu') ?? []) {
    const s = (bySize.get('silu') ?? []).find((x) => x.preset === r.preset);
    if (s && same(r, s)) out.push({ kind: 'reference: ReLU vs SiLU', a: r, b: s });
  }
  return out;
}

export function f3TokenStats(results: Results): Row[] {
  return tokenPairs(results).map(({ kind, a, b }) => {
    const c = compareTokenRatios(measurementOf(results, a.id)!.patterns.token_ratio, measurementOf(results, b.id)!.patterns.token_ratio);
    return { kind, a: a.label, b: b.label, tokens: c.n, mean_a: round(c.mean_a), mean_b: round(c.mean_b), pearson: round(c.pearson, 3), spearman: round(c.spearman, 3), mean_abs_diff_relative: round(c.mean_abs_diff_relative, 3) };
  });
}

/** Per-token ratios of neighbouring sizes, each divided by its model's mean, on a thinned set of tokens. */
export function f3TokenScatterRows(results: Results): Row[] {
  return tokenPairs(results).filter((p) => p.kind === 'across sizes').flatMap(({ a, b }) => {
    const ta = measurementOf(results, a.id)!.patterns.token_ratio;
    const tb = measurementOf(results, b.id)!.patterns.token_ratio;
    const ma = ta.reduce((s, x) => s + x, 0) / ta.length;
    const mb = tb.reduce((s, x) => s + x, 0) / tb.length;
    const pair = `${ACT_LABEL[a.act]}: ${a.size} vs ${b.size}`;
    return evenIndices(ta.length, SCATTER_POINTS).map((i) => ({ pair, smaller: round(ta[i] / ma, 3), larger: round(tb[i] / mb, 3) }));
  });
}

export function f3TokenScatterSpec(results: Results): TopLevelSpec {
  const rows = f3TokenScatterRows(results);
  const hi = Math.max(1, ...rows.map((r) => Math.max(r.smaller as number, r.larger as number)));
  const diagonal = [...new Set(rows.map((r) => r.pair))].flatMap((pair) => [{ pair, smaller: 0, larger: 0 }, { pair, smaller: hi, larger: hi }]);
  return scatterChart(rows, {
    x: 'smaller', y: 'larger', size: 8, fit: { data: diagonal }, facet: { field: 'pair', columns: 2, title: 'pair of sizes' }, width: 260, height: 260,
    title: 'Per-token activation ratio, one size against the next (each divided by its model\'s mean; dashed: the diagonal)',
    xTitle: 'smaller model (ratio / its mean)', yTitle: 'larger model (ratio / its mean)',
  });
}

export function f3PatternVerdicts(results: Results): Verdict[] {
  const fs = f3FrequencyStats(results);
  const across = fs.filter((r) => r.kind === 'across sizes');
  const ref = fs.filter((r) => r.kind !== 'across sizes');
  const refMean = ref.length ? ref.reduce((s, r) => s + (r.ks_shape as number), 0) / ref.length : NaN;
  const alike = (r: Row) => (r.ks_shape as number) < ALIKE_KS || (r.ks_shape as number) <= refMean;
  const below = across.filter(alike).length;
  const ts = f3TokenStats(results);
  const tAcross = ts.filter((r) => r.kind === 'across sizes');
  const strong = tAcross.filter((r) => (r.spearman as number) >= SAME_TOKENS_RHO).length;
  return [{
    finding: 'F3', claim: 'per-neuron frequency distributions look alike across sizes', paper: 'similar distributions from 0.1B to 1.2B',
    ours: across.length ? `shape distance (KS after dividing by the mean) across sizes ${across.map((r) => fmt(r.ks_shape as number, 2)).join(', ')}; ReLU vs SiLU reference ${fmt(refMean, 2)}` : 'fewer than two sizes',
    verdict: !across.length ? 'not measured' : below === across.length ? 'agrees' : below === 0 ? 'disagrees' : 'partly',
    rule: `alike when the across-size distance is under ${ALIKE_KS} (the two CDFs never differ by more than ${ALIKE_KS * 100} points) or at most the mean distance between ReLU and SiLU at the same size, what "different" looks like here (${below} of ${across.length} comparisons alike)`,
  }, {
    finding: 'F3', claim: 'the same tokens are "hard" at every size', paper: 'per-token activation ratios alike across scales',
    ours: tAcross.length ? tAcross.map((r) => `${r.a} vs ${r.b}: Spearman ${fmt(r.spearman as number, 2)}`).join('; ') : 'no pair on the same tokens',
    verdict: !tAcross.length ? 'not measured' : strong === tAcross.length ? 'agrees' : strong === 0 ? 'disagrees' : 'partly',
    rule: `Spearman rank correlation of per-token ratios at least ${SAME_TOKENS_RHO} for every pair of neighbouring sizes`,
  }];
}

export function f3PatternNarrative(results: Results): string {
  const parts: string[] = ['**Activation patterns.**'];
  const fs = f3FrequencyStats(results);
  for (const r of fs.filter((x) => x.kind === 'across sizes')) {
    parts.push(`- ${r.a} vs ${r.b}, ${r.position} layer: mean frequency ${fmt(r.mean_a as number)} vs ${fmt(r.mean_b as number)}, Gini ${fmt(r.gini_a as number, 2)} vs ${fmt(r.gini_b as number, 2)}, shape distance ${fmt(r.ks_shape as number, 2)}.`);
  }
  const ref = fs.filter((x) => x.kind !== 'across sizes');
  if (ref.length) parts.push(`- For reference, ReLU against SiLU at the same size: shape distance ${ref.map((r) => fmt(r.ks_shape as number, 2)).join(', ')}.`);
  const spread = f3DomainSpread(results);
  if (spread.length) {
    const worst = spread.reduce((a, b) => ((a.relative_spread as number) >= (b.relative_spread as number) ? a : b));
    parts.push(`- Across ${worst.domains} corpus domains the activation ratio of a model varies by at most ${pct(worst.relative_spread as number, 2)} of its mean (${worst.act} ${worst.size}: lowest ${worst.lowest}, highest ${worst.highest}).`);
  }
  for (const r of f3TokenStats(results)) {
    parts.push(`- Per-token ratios, ${r.a} vs ${r.b} (${r.kind}): Pearson ${fmt(r.pearson as number, 2)}, Spearman ${fmt(r.spearman as number, 2)} over ${r.tokens} tokens; mean distance from the diagonal ${fmt(r.mean_abs_diff_relative as number, 2)} (in units of each model's mean).`);
  }
  return parts.join('\n');
}

export function f3PatternFigures(results: Results): { name: string; spec: TopLevelSpec }[] {
  const figs = [{ name: 'f3-neuron-frequencies', spec: f3FrequencySpec(results) }];
  if (f3DomainRows(results).length) figs.push({ name: 'f3-domains', spec: f3DomainSpec(results) }, { name: 'f3-domain-frequencies', spec: f3DomainFrequencySpec(results) });
  if (f3TokenScatterRows(results).length) figs.push({ name: 'f3-token-ratios', spec: f3TokenScatterSpec(results) });
  return figs;
}
