// F2, the width-depth ratio: a family of ReLU models with (nearly) the same non-embedding parameter
// count and d/L spread as far as trains at all. Per shape: the limit A0 of the fitted law (with its
// interval) and the last measured ratio, against d/L with a line and a line-then-plateau fit; the
// final loss against d/L with the range of best loss. Seeds, where there are several, give the error
// bars; with one seed the A0 interval is the law fit's bootstrap interval.
//
// A profile may hold several such families at different parameter counts (`long`: wd30k, wd131k,
// wd524k). Shapes are compared only within one family (a d/L trend across families would confound
// d/L with size): every function takes an optional `family` (f2Families lists them). Without one,
// a profile with a single family is analysed as that family; with several, f2Runs, f2RunRows and
// f2ShapeRows list every family's runs, f2Verdicts, f2Narrative and f2Figures take the families one
// at a time, and the functions that compare shapes throw and ask for a family.
import type { Results } from '../experiments/results';
import { comparePiecewise, quadraticMinimum, type PiecewiseRow, type SweetSpot } from '../laws';
import { sampleCurve, scatterChart, type TopLevelSpec } from '../plot';
import { sizeColors } from './colors';
import { fitOf, groupBy, identified, lastOf, limitText, num, profileLine, Row, runsOf, RunInfo, trajectoryOf, Verdict, verdictTable, type FindingDef } from './common';
import { fmt, fmtCount, pct, round, withInterval } from './format';
import { PAPER } from './paper';
import { lineWithSe, mean, sd, tCritical95 } from './stats';

/** Shapes whose final loss is within this fraction of the best count as the "best range" (one seed). */
export const BEST_LOSS_TOLERANCE = 0.01;

/** A preset's width-depth family: its name before the final `-l<layers>` ('wd131k-l4' -> 'wd131k'); a preset without that suffix is a family of its own. */
export function f2FamilyOf(preset: string): string {
  return preset.replace(/-l\d+$/, '');
}

/** ReLU runs tagged F2 (the paper's width-depth family is ReLU), of every family. */
function reluF2Runs(results: Results): RunInfo[] {
  return runsOf(results, 'F2').filter((r) => r.act === 'relu');
}

/** The width-depth families with ReLU runs tagged F2, smallest (mean non-embedding parameter count) first. */
export function f2Families(results: Results): string[] {
  const size = (rs: RunInfo[]) => mean(rs.map((r) => r.params));
  return [...groupBy(reluF2Runs(results), (r) => f2FamilyOf(r.preset)).entries()]
    .sort(([a, ra], [b, rb]) => size(ra) - size(rb) || a.localeCompare(b)).map(([f]) => f);
}

/** "the wd30k family" between `before` and `after` where the results hold several families; nothing where they hold one. */
function familyName(results: Results, family: string | undefined, before = '', after = ''): string {
  return family !== undefined && f2Families(results).length > 1 ? `${before}the ${family} family${after}` : '';
}

/**
 * For the functions that compare shapes: the family given, or none when the results hold at most
 * one (every F2 ReLU run is then that family); several and none given is an error, not a pool.
 */
function oneFamily(results: Results, family: string | undefined, fn: string): string | undefined {
  if (family !== undefined) return family;
  const fams = f2Families(results);
  if (fams.length > 1) {
    throw new Error(`${fn}: profile '${results.profile.name}' holds ${fams.length} width-depth families (${fams.join(', ')}); shapes are compared within one family only (across families d/L is confounded with size): pass one`);
  }
  return undefined;
}

/** The family's ReLU runs tagged F2; without a family, every family's. */
export function f2Runs(results: Results, family?: string): RunInfo[] {
  const runs = reluF2Runs(results);
  if (family === undefined) return runs;
  const mine = runs.filter((r) => f2FamilyOf(r.preset) === family);
  if (!mine.length) throw new Error(`profile '${results.profile.name}' has no width-depth family '${family}' (families: ${f2Families(results).join(', ') || 'none'})`);
  return mine;
}

/** One row per run: every measure of its final state. */
export function f2RunRows(results: Results, family?: string): Row[] {
  const cett = results.profile.measure.fixedCett;
  return f2Runs(results, family).map((run) => {
    const f = fitOf(results, run.id);
    const fixed = results.trajectory.filter((r) => r.run === run.id && r.method === 'cett' && Math.abs((num(r.param) ?? NaN) - cett) < 1e-9)
      .sort((a, b) => (a.tokens ?? 0) - (b.tokens ?? 0));
    return {
      run: run.id, shape: run.preset, seed: run.seed, d: run.d, layers: run.layers, d_over_l: round(run.dOverL), params: run.params, tokens: run.tokens,
      // A limit the fit does not identify is no number to average or to fit a line through.
      A0: identified(f) ? round(f?.A0) : null, A0_lo: identified(f) ? round(f?.A0_lo) : null, A0_hi: identified(f) ? round(f?.A0_hi) : null,
      limit: limitText(f), fit_r2: round(f?.r2),
      last_ratio: round(num(lastOf(results, run.id)?.activation_ratio)), cett_ratio: round(num(fixed[fixed.length - 1]?.activation_ratio)),
      zero_ratio: round(num(lastOf(results, run.id, 'zero')?.activation_ratio)), val_loss: round(num(lastOf(results, run.id)?.val_loss)),
    };
  });
}

const MEASURES = ['A0', 'last_ratio', 'cett_ratio', 'zero_ratio', 'val_loss'] as const;
type Measure = (typeof MEASURES)[number];

/** One row per shape: each measure's mean over seeds and its 95% interval (from seeds, or A0's bootstrap). */
export function f2ShapeRows(results: Results, family?: string): Row[] {
  // Without a family, several families are listed one after another (each by d/L).
  const rank = new Map(f2Families(results).map((f, i) => [f, i]));
  const rankOf = (s: Row) => rank.get(f2FamilyOf(String(s.shape))) ?? 0;
  return [...groupBy(f2RunRows(results, family), (r) => String(r.shape)).values()].map((rs) => {
    const out: Row = { shape: rs[0].shape, d: rs[0].d, layers: rs[0].layers, d_over_l: rs[0].d_over_l, params: rs[0].params, tokens: rs[0].tokens, seeds: rs.length };
    for (const m of MEASURES) {
      const v = rs.map((r) => num(r[m])).filter((x): x is number => x !== null);
      const mu = mean(v);
      out[m] = round(mu);
      if (v.length >= 2) {
        const h = tCritical95(v.length - 1) * sd(v) / Math.sqrt(v.length);
        out[`${m}_lo`] = round(mu - h);
        out[`${m}_hi`] = round(mu + h);
      } else if (m === 'A0') {
        out.A0_lo = rs[0].A0_lo;
        out.A0_hi = rs[0].A0_hi;
      } else {
        out[`${m}_lo`] = null;
        out[`${m}_hi`] = null;
      }
    }
    out.limit = rs.map((r) => r.limit).join('; ');
    out.error_bars = rs.length >= 2 ? `seeds (n=${rs.length}, 95% t interval)` : 'one seed: A0 from the law fit (profile likelihood); no interval for the rest';
    return out;
  }).sort((a, b) => rankOf(a) - rankOf(b) || (a.d_over_l as number) - (b.d_over_l as number));
}

export const MEASURE_LABEL: Record<Measure, string> = {
  A0: 'A0 (law limit)', last_ratio: 'last PPL-1% ratio', cett_ratio: 'last ratio at fixed CETT', zero_ratio: 'last zero count', val_loss: 'final val loss',
};

/** A straight line of each measure against d/L over every run of the family (seeds as separate points). */
export function f2TrendRows(results: Results, family?: string): Row[] {
  const rows = f2RunRows(results, oneFamily(results, family, 'f2TrendRows'));
  return MEASURES.map((m) => {
    const pts = rows.filter((r) => num(r[m]) !== null);
    const ys = pts.map((r) => r[m] as number);
    const l = lineWithSe(pts.map((r) => r.d_over_l as number), ys);
    // Our d/L values are spaced geometrically: a line in ln(d/L) weighs every shape alike.
    const g = lineWithSe(pts.map((r) => Math.log(r.d_over_l as number)), ys);
    const word = (x: typeof l) => (x.n < 3 ? 'has too few shapes' : x.significant ? (x.slope > 0 ? 'rises' : 'falls') : 'shows no trend beyond noise');
    return {
      measure: MEASURE_LABEL[m], points: l.n, min: round(Math.min(...ys)), max: round(Math.max(...ys)),
      slope_per_unit_d_over_l: round(l.slope, 3), ci95: round(l.ci95, 2), trend: word(l),
      slope_per_doubling_d_over_l: round(g.slope * Math.LN2, 3), ci95_doubling: round(g.ci95 * Math.LN2, 2), trend_in_ln: word(g),
    };
  });
}

/** Line and line-then-plateau fits of a measure against d/L (null with fewer than 3 distinct d/L). */
export function f2Piecewise(results: Results, measure: 'A0' | 'last_ratio' = 'A0', family?: string): PiecewiseRow[] | null {
  const rows = f2RunRows(results, oneFamily(results, family, 'f2Piecewise')).filter((r) => num(r[measure]) !== null);
  if (new Set(rows.map((r) => r.d_over_l)).size < 3) return null;
  return comparePiecewise(rows.map((r) => r.d_over_l as number), rows.map((r) => r[measure] as number), { replicates: 200, seed: 0 });
}

export function f2PiecewiseRows(results: Results, family?: string): Row[] {
  const fam = oneFamily(results, family, 'f2PiecewiseRows');
  return (['A0', 'last_ratio'] as const).flatMap((m) => (f2Piecewise(results, m, fam) ?? [null]).map((p) => (!p ? { measure: MEASURE_LABEL[m], model: 'not fitted: fewer than 3 shapes' } : {
    measure: MEASURE_LABEL[m], model: p.model, slope: round(p.slope, 3), intercept: round(p.intercept), breakpoint: round(p.breakpoint), breakpoint_lo: round(p.breakpoint_lo),
    breakpoint_hi: round(p.breakpoint_hi), plateau: round(p.plateau), mae: round(p.mae, 3), r2: round(p.r2, 3), aic: round(p.aic, 4),
  })));
}

export function f2LimitSpec(results: Results, family?: string): TopLevelSpec {
  const fam = oneFamily(results, family, 'f2LimitSpec');
  const shapes = f2ShapeRows(results, fam);
  const pts: Row[] = [
    ...shapes.flatMap((s) => [
      { series: `${MEASURE_LABEL.A0}, mean`, shape: s.shape, d_over_l: s.d_over_l, value: s.A0, lo: s.A0_lo ?? null, hi: s.A0_hi ?? null },
      { series: `${MEASURE_LABEL.last_ratio}, mean`, shape: s.shape, d_over_l: s.d_over_l, value: s.last_ratio, lo: s.last_ratio_lo ?? null, hi: s.last_ratio_hi ?? null },
    ]),
    // Every seed on its own, so the spread behind each mean is visible.
    ...f2RunRows(results, fam).flatMap((r) => [
      { series: `${MEASURE_LABEL.A0}, one seed`, shape: r.shape, d_over_l: r.d_over_l, value: r.A0, lo: null, hi: null },
      { series: `${MEASURE_LABEL.last_ratio}, one seed`, shape: r.shape, d_over_l: r.d_over_l, value: r.last_ratio, lo: null, hi: null },
      { series: 'A0 upper bound (not identified), one seed', shape: r.shape, d_over_l: r.d_over_l, value: r.A0 === null ? num(fitOf(results, String(r.run))?.limit_bound ?? null) : null, lo: null, hi: null },
    ]),
  ].filter((r) => r.value !== null);
  const xs = shapes.map((s) => s.d_over_l as number);
  const fits = f2Piecewise(results, 'A0', fam) ?? [];
  const curves = fits.flatMap((p) => sampleCurve(
    (x) => p.intercept + p.slope * (p.breakpoint === null ? x : Math.min(x, p.breakpoint)), Math.min(...xs), Math.max(...xs),
    { n: 80, log: true, x: 'd_over_l', y: 'value', extra: { series: p.model === 'line' ? 'line fit to A0' : 'line + plateau fit' } },
  ));
  const series = [`${MEASURE_LABEL.A0}, mean`, `${MEASURE_LABEL.A0}, one seed`, 'A0 upper bound (not identified), one seed', `${MEASURE_LABEL.last_ratio}, mean`, `${MEASURE_LABEL.last_ratio}, one seed`, 'line fit to A0', 'line + plateau fit'];
  return scatterChart(pts, {
    x: 'd_over_l', y: 'value', color: 'series', logX: true,
    colorScale: { domain: series, range: ['#222222', '#999999', '#d9d9d9', '#7b3294', '#c2a5cf', '#444444', '#b2182b'] },
    // Layers without data make vega warn about empty extents: add them only when there is something to draw.
    ...(pts.some((r) => r.lo !== null) ? { errorBars: { lower: 'lo', upper: 'hi' } } : {}), ...(curves.length ? { fit: { data: curves } } : {}),
    title: `Activation ratio against width/depth, ${familyName(results, fam, '', ', ')}${fmtCount(Math.min(...shapes.map((s) => s.params as number)))}-${fmtCount(Math.max(...shapes.map((s) => s.params as number)))} parameters (bars: 95% interval over seeds; small points: single seeds)`,
    xTitle: 'd / L (width over depth)', yTitle: 'activation ratio', width: 420, height: 260, tooltip: ['shape'],
  });
}

/**
 * The shapes compared at equal validation loss rather than equal tokens: each run's stabilised ratio
 * at the checkpoint where its loss first reaches the level every run reaches (the highest of the
 * runs' lowest losses), interpolated linearly in loss between the two checkpoints around it.
 */
export function f2EqualLossRows(results: Results, family?: string): { target_loss: number | null; rows: Row[] } {
  const runs = f2Runs(results, oneFamily(results, family, 'f2EqualLossRows'));
  const trajs = runs.map((run) => ({
    run, t: trajectoryOf(results, run.id).filter((r): r is typeof r & { val_loss: number } => num(r.val_loss) !== null && num(r.activation_ratio) !== null),
  }));
  const mins = trajs.filter((x) => x.t.length).map((x) => Math.min(...x.t.map((r) => r.val_loss)));
  if (!mins.length) return { target_loss: null, rows: [] };
  const target = Math.max(...mins);
  const rows = trajs.filter((x) => x.t.length).map(({ run, t }) => {
    const i = t.findIndex((r) => r.val_loss <= target);
    const b = t[i];
    const a = i > 0 ? t[i - 1] : null;
    const w = a ? (a.val_loss - target) / (a.val_loss - b.val_loss) : 1;
    const lerp = (k: 'activation_ratio') => (a ? a[k] + w * (b[k] - a[k]) : b[k]);
    return {
      shape: run.preset, seed: run.seed, d_over_l: round(run.dOverL), target_loss: round(target), tokens_at_loss: Math.round(a ? Math.exp(Math.log(a.tokens) + w * (Math.log(b.tokens) - Math.log(a.tokens))) : b.tokens),
      ratio_at_loss: round(lerp('activation_ratio')), ratio_at_end: round(num(t[t.length - 1].activation_ratio)), censored: !a,
    };
  });
  return { target_loss: target, rows };
}

/** Trend of the ratio at equal loss against ln(d/L), over every run. */
export function f2EqualLossTrend(results: Results, family?: string): { slope_per_doubling: number; ci95: number; trend: string; n: number } {
  const { rows } = f2EqualLossRows(results, oneFamily(results, family, 'f2EqualLossTrend'));
  const l = lineWithSe(rows.map((r) => Math.log(r.d_over_l as number)), rows.map((r) => r.ratio_at_loss as number));
  return { slope_per_doubling: l.slope * Math.LN2, ci95: l.ci95 * Math.LN2, n: l.n, trend: l.n < 3 ? 'has too few runs' : l.significant ? (l.slope > 0 ? 'rises' : 'falls') : 'shows no trend beyond noise' };
}

/** Shapes whose loss is within the tolerance of the best (seeds: within the interval of the best). */
export function f2BestRange(results: Results, family?: string): { best: Row | undefined; inRange: Row[]; tolerance: number; rule: string } {
  const shapes = f2ShapeRows(results, oneFamily(results, family, 'f2BestRange')).filter((s) => num(s.val_loss) !== null);
  const best = [...shapes].sort((a, b) => (a.val_loss as number) - (b.val_loss as number))[0];
  if (!best) return { best, inRange: [], tolerance: NaN, rule: 'no losses' };
  const seedHalf = num(best.val_loss_hi) !== null ? (best.val_loss_hi as number) - (best.val_loss as number) : null;
  const tolerance = seedHalf ?? BEST_LOSS_TOLERANCE * (best.val_loss as number);
  const rule = seedHalf !== null ? 'within the 95% seed interval of the best shape' : `within ${pct(BEST_LOSS_TOLERANCE, 2)} of the best loss (one seed)`;
  return { best, inRange: shapes.filter((s) => (s.val_loss as number) <= (best.val_loss as number) + tolerance), tolerance, rule };
}

/**
 * The loss sweet spot located with an interval: a parabola in ln(d/L) through every run's final loss
 * (each seed a point), its minimum and a residual-bootstrap 95% interval (lib/laws/quadratic.ts, which
 * says when it is not located and why). null with fewer than 4 runs at 3 shapes.
 */
export function f2SweetSpot(results: Results, family?: string): SweetSpot | null {
  return sweetSpotOf(f2RunRows(results, oneFamily(results, family, 'f2SweetSpot')));
}

function sweetSpotOf(runRows: Row[]): SweetSpot | null {
  const runs = runRows.filter((r) => num(r.val_loss) !== null);
  return quadraticMinimum(runs.map((r) => r.d_over_l as number), runs.map((r) => r.val_loss as number), { seed: 0 });
}

/** One line on the sweet spot, for a verdict and the narrative. */
export function sweetSpotText(s: SweetSpot | null): string {
  if (!s) return 'no parabola fitted (fewer than 4 runs at 3 shapes)';
  const where = `d/L ${fmt(s.x)} [${fmt(s.lo)}, ${fmt(s.hi)}]`;
  // The parabola assumes a valley symmetric in ln(d/L); with few seeds its lack-of-fit test is weak, so the text gives the test's p for the reader to weigh.
  const lof = s.lack_of_fit_p === null ? 'one seed per shape, so its fit cannot be tested' : `lack of fit p = ${fmt(s.lack_of_fit_p, 2)}`;
  return s.located ? `a parabola in ln(d/L) puts the minimum at ${where} (${lof})` : `a parabola in ln(d/L) does not locate it (${s.why}; its minimum ${where})`;
}

export function f2LossSpec(results: Results, family?: string): TopLevelSpec {
  const fam = oneFamily(results, family, 'f2LossSpec');
  const { inRange, rule } = f2BestRange(results, fam);
  const keep = new Set(inRange.map((s) => s.shape));
  const rows: Row[] = [
    ...f2ShapeRows(results, fam).map((s) => ({ ...s, loss: keep.has(s.shape) ? 'mean, best range' : 'mean, outside' })),
    ...f2RunRows(results, fam).map((r) => ({ shape: r.shape, layers: r.layers, d_over_l: r.d_over_l, val_loss: r.val_loss, val_loss_lo: null, val_loss_hi: null, loss: 'one seed' })),
  ];
  return scatterChart(rows, {
    x: 'd_over_l', y: 'val_loss', color: 'loss', colorTitle: 'loss', logX: true, size: 80,
    ...(rows.some((r) => r.val_loss_lo !== null && r.val_loss_lo !== undefined) ? { errorBars: { lower: 'val_loss_lo', upper: 'val_loss_hi' } } : {}),
    colorScale: { domain: ['mean, best range', 'mean, outside', 'one seed'], range: ['#54a24b', '#e45756', '#bab0ac'] },
    title: `Final validation loss against width/depth${familyName(results, fam, ', ')} (best range: ${rule}; grey: single seeds)`, xTitle: 'd / L (width over depth)', yTitle: 'validation loss (nats per byte)', width: 420, height: 220, tooltip: ['shape', 'layers'],
  });
}

/**
 * The fit places the breakpoint between the second-smallest and the largest d/L (so that two points
 * lie on the line); an interval covering all of that locates nothing.
 */
export function breakpointUnlocated(pl: PiecewiseRow, dls: readonly number[]): boolean {
  const u = [...new Set(dls)].sort((a, b) => a - b);
  return u.length >= 3 && pl.breakpoint_lo !== null && pl.breakpoint_hi !== null && pl.breakpoint_lo <= u[1] * 1.01 && pl.breakpoint_hi >= u[u.length - 1] * 0.99;
}

/** The verdicts of one family; without a family, of each family in turn, every claim naming its family where there are several. */
export function f2Verdicts(results: Results, family?: string): Verdict[] {
  const fams = f2Families(results);
  if (family === undefined && fams.length > 1) return fams.flatMap((f) => f2Verdicts(results, f));
  const named = familyName(results, family, '', ': ');
  return familyVerdicts(results, family).map((v) => (named ? { ...v, claim: named + v.claim } : v));
}

function familyVerdicts(results: Results, family: string | undefined): Verdict[] {
  const shapes = f2ShapeRows(results, family);
  const trends = f2TrendRows(results, family);
  const runRows = f2RunRows(results, family); // computed once: the A0 row and the sweet spot read it
  const tA0 = trends.find((t) => t.measure === MEASURE_LABEL.A0)!;
  const tLast = trends.find((t) => t.measure === MEASURE_LABEL.last_ratio)!;
  const dl = shapes.map((s) => s.d_over_l as number);
  const few = shapes.length < 3;
  const word = (t: Row) => String(t.trend);
  const vs: Verdict[] = [{
    finding: 'F2', claim: `A0 grows linearly with d/L below the bottleneck (our d/L ${fmt(Math.min(...dl))}-${fmt(Math.max(...dl))})`,
    paper: `linear up to d/L about ${PAPER.f2Bottleneck}, then flat near ${pct(PAPER.f2Plateau, 2)} (0.1B)`,
    ours: few ? `${shapes.length} shape(s)` : (num(tA0.points) ?? 0) < 3
      ? `A0 not identified for ${runRows.filter((r) => r.A0 === null).length} of ${runRows.length} runs (${runRows.some((r) => String(r.limit).startsWith('not')) ? 'one-sided bounds only' : ''}); the last ratio ${word(tLast)} against d/L, at equal loss the ratio ${f2EqualLossTrend(results, family).trend}`
      : `A0 ${word(tA0)} against d/L (slope ${fmt(num(tA0.slope_per_unit_d_over_l), 2)} +- ${fmt(num(tA0.ci95), 2)} per unit d/L); the last ratio ${word(tLast)}`,
    verdict: few ? 'not measured' : tA0.trend === 'rises' ? 'agrees' : tA0.trend === 'falls' ? 'disagrees' : 'inconclusive',
    rule: 'slope of a line through the identified A0s against d/L over every run; a trend counts when its 95% interval excludes zero (no trend, or fewer than 3 identified limits = the data cannot tell)',
  }];
  // Without three identified limits, the last measured ratio stands in for A0 (and the row says so).
  const onA0 = f2Piecewise(results, 'A0', family);
  const pw = onA0 ?? f2Piecewise(results, 'last_ratio', family);
  const plateau = pw?.[1];
  vs.push({
    finding: 'F2', claim: 'a bottleneck: flat beyond some d/L', paper: `breakpoint about ${PAPER.f2Bottleneck} (0.1B; swept d/L ${PAPER.f2DlRange[0]}-${PAPER.f2DlRange[1]})`,
    ours: plateau ? `${onA0 ? 'A0' : 'on the last ratio (A0 not identified)'}: breakpoint ${withInterval(plateau.breakpoint, plateau.breakpoint_lo, plateau.breakpoint_hi)}; AIC line ${fmt(pw![0].aic, 3)} vs line-plateau ${fmt(plateau.aic, 3)}` : 'too few shapes to fit',
    verdict: !plateau ? 'not measured' : plateau.aic < pw![0].aic - 2 && !breakpointUnlocated(plateau, dl) ? 'partly' : 'inconclusive',
    // At most "partly" either way: a range short of the paper's bottleneck cannot show it, and one past it is still far below the paper's size.
    rule: `the plateau must lower AIC by more than 2 and its breakpoint's interval must not span the whole range; even then ${Math.max(...dl) < PAPER.f2Bottleneck ? 'our range lies below the paper\'s bottleneck' : 'our models are far smaller than the paper\'s 0.1B, where its bottleneck was measured'}, so at most "partly"`,
  });
  const br = f2BestRange(results, family);
  const deepest = shapes[0];
  const deepWorse = !!deepest && !!br.best && !br.inRange.some((s) => s.shape === deepest.shape);
  // "A middle range": the best shape is neither the deepest nor the widest.
  const middle = !!br.best && br.best.shape !== deepest?.shape && br.best.shape !== shapes[shapes.length - 1]?.shape;
  vs.push({
    finding: 'F2', claim: 'loss is best in a middle range of d/L; very deep, narrow models train worse', paper: `best loss at d/L ${PAPER.f2BestLossRange[0]}-${PAPER.f2BestLossRange[1]} (0.1B)`,
    ours: br.best ? `best ${br.best.shape} (d/L ${fmt(num(br.best.d_over_l))}, loss ${fmt(num(br.best.val_loss), 4)}); best range d/L ${br.inRange.map((s) => fmt(num(s.d_over_l))).join(', ')}${few ? '' : `; ${sweetSpotText(sweetSpotOf(runRows))}`}` : 'no losses',
    verdict: !br.best || few ? 'not measured' : deepWorse && middle ? 'agrees' : deepWorse || middle ? 'partly' : 'disagrees',
    rule: `the best shape is neither the deepest nor the widest (${middle ? 'yes' : 'no'}), and the deepest lies outside the best range, ${br.rule} (${deepWorse ? 'yes' : 'no'})`,
  });
  return vs;
}

/**
 * The closing text: one family's, or without a family each family's in turn under its own heading
 * where there are several. A family's text opens with a short line instead of the profile line
 * when the results hold several (a notebook shows the families one after another).
 */
export function f2Narrative(results: Results, family?: string): string {
  const fams = f2Families(results);
  if (fams.length <= 1) return [profileLine(results), '', ...familyNarrative(results, family)].join('\n');
  if (family !== undefined) {
    return [`Profile **${results.profile.name}**, width-depth family **${family}** (one of ${fams.length}: ${fams.join(', ')}; each analysed on its own).`, '', ...familyNarrative(results, family)].join('\n');
  }
  return [profileLine(results), '',
    `This profile holds ${fams.length} width-depth families at different parameter counts (${fams.join(', ')}). Shapes are compared within each family only: a trend of d/L across families would confound d/L with size.`,
    ...fams.flatMap((f) => ['', `### The ${f} family`, '', ...familyNarrative(results, f)])].join('\n');
}

function familyNarrative(results: Results, family: string | undefined): string[] {
  const shapes = f2ShapeRows(results, family);
  if (!shapes.length) return ['This profile has no ReLU run tagged F2.'];
  const parts: string[] = [];
  const seeds = Math.max(...shapes.map((s) => s.seeds as number));
  parts.push(`**The ${familyName(results, family) ? `${family} ` : ''}family.** ${shapes.length} ReLU shape${shapes.length === 1 ? '' : 's'} at ${fmtCount(Math.min(...shapes.map((s) => s.params as number)))}-${fmtCount(Math.max(...shapes.map((s) => s.params as number)))} non-embedding parameters, ` +
    `d/L from ${fmt(num(shapes[0].d_over_l))} (${shapes[0].layers} layers) to ${fmt(num(shapes[shapes.length - 1].d_over_l))} (${shapes[shapes.length - 1].layers} layer${shapes[shapes.length - 1].layers === 1 ? '' : 's'}), ` +
    `${fmtCount(shapes[0].tokens as number)} tokens each, ${seeds} seed${seeds === 1 ? '' : 's'} per shape.`);
  if (shapes.length < 3) {
    parts.push('', 'Fewer than three shapes: no trend can be fitted on this profile. The `default` profile has five shapes; `long` adds seeds.');
  } else {
    parts.push('', '**Sparsity against d/L.**');
    for (const t of f2TrendRows(results, family).filter((t) => t.measure !== MEASURE_LABEL.val_loss)) {
      // A line needs three points: say so rather than print an empty slope.
      if ((num(t.points) ?? 0) < 3) { parts.push(`- ${t.measure}: known for ${num(t.points) ?? 0} run(s) only, too few for a trend.`); continue; }
      parts.push(`- ${t.measure}: between ${fmt(num(t.min))} and ${fmt(num(t.max))} across shapes; against d/L it ${t.trend} (slope ${fmt(num(t.slope_per_unit_d_over_l), 2)} +- ${fmt(num(t.ci95), 2)} per unit d/L), ` +
        `against ln(d/L) it ${t.trend_in_ln} (${fmt(num(t.slope_per_doubling_d_over_l), 2)} +- ${fmt(num(t.ci95_doubling), 2)} per doubling of d/L).`);
    }
    const a0 = shapes.filter((s) => num(s.A0_lo) !== null && num(s.A0_hi) !== null);
    if (a0.length >= 2) {
      const half = mean(a0.map((s) => ((s.A0_hi as number) - (s.A0_lo as number)) / 2));
      const spread = Math.max(...shapes.map((s) => num(s.A0) ?? NaN)) - Math.min(...shapes.map((s) => num(s.A0) ?? NaN));
      parts.push(`- The spread of A0 across shapes (${fmt(spread)}) is ${spread > 2 * half ? 'larger' : 'not larger'} than twice the typical half-width of one A0 interval (${fmt(half)}).`);
    }
    const u = [...new Set(shapes.map((s) => s.d_over_l as number))].sort((a, b) => a - b);

    for (const m of ['A0', 'last_ratio'] as const) {
      const pw = f2Piecewise(results, m, family);
      if (!pw) continue;
      const [line, pl] = pw;
      const prefers = pl.aic < line.aic - 2 ? 'prefers the plateau' : line.aic < pl.aic - 2 ? 'prefers the line' : 'cannot choose (difference under 2)';
      const spans = breakpointUnlocated(pl, u);
      parts.push(`- Line-then-plateau fit to the ${MEASURE_LABEL[m]}: breakpoint at d/L ${withInterval(pl.breakpoint, pl.breakpoint_lo, pl.breakpoint_hi)}, plateau ${fmt(pl.plateau)}; ` +
        `AIC ${fmt(pl.aic, 3)} against ${fmt(line.aic, 3)} for the straight line, so AIC ${prefers}` +
        `${spans ? '; and the breakpoint\'s 95% interval spans the whole range where the fit may place it, so no bottleneck is located' : ''}.`);
    }
    const eq = f2EqualLossRows(results, family);
    if (eq.rows.length) {
      const tr = f2EqualLossTrend(results, family);
      const v = eq.rows.map((r) => r.ratio_at_loss as number);
      parts.push(`- At equal validation loss (${fmt(eq.target_loss, 4)}, the lowest loss every run reaches), the stabilised ratio lies between ${fmt(Math.min(...v))} and ${fmt(Math.max(...v))}; ` +
        `against ln(d/L) it ${tr.trend} (${fmt(tr.slope_per_doubling, 2)} +- ${fmt(tr.ci95, 2)} per doubling of d/L).`);
    }
    const br = f2BestRange(results, family);
    if (br.best) parts.push('', `**Loss.** The best final loss is ${fmt(num(br.best.val_loss), 4)} at d/L ${fmt(num(br.best.d_over_l))} (${br.best.shape}); ` +
      `the shapes ${br.rule}: ${br.inRange.map((s) => `${s.shape} (d/L ${fmt(num(s.d_over_l))})`).join(', ')}. ` +
      `The deepest shape (${shapes[0].shape}) ends at ${fmt(num(shapes[0].val_loss), 4)}. ` +
      `Located with an interval, ${sweetSpotText(f2SweetSpot(results, family))}.`);
    const sparsest = [...shapes].filter((s) => num(s.last_ratio) !== null).sort((a, b) => (a.last_ratio as number) - (b.last_ratio as number))[0];
    const lasts = shapes.map((s) => num(s.last_ratio)).filter((x): x is number => x !== null);
    if (sparsest) parts.push('', `The sparsest shape by the last stabilised ratio is ${sparsest.shape} (d/L ${fmt(num(sparsest.d_over_l))}, ${pct(num(sparsest.last_ratio))}), ` +
      `though the last ratios of all shapes lie within ${fmt(Math.max(...lasts) - Math.min(...lasts))} of each other. ` +
      `The paper's bottleneck (d/L about ${PAPER.f2Bottleneck}) lies ${Math.max(...shapes.map((s) => s.d_over_l as number)) < PAPER.f2Bottleneck ? 'beyond our widest shape, so its linear part is what this range could show' : 'within our range'}.`);
  }
  parts.push('', verdictTable(f2Verdicts(results, family)));
  return parts;
}

/** The two figures of one family; without a family, of each in turn, named after their family ('f2-limit-vs-width-depth-wd30k') where there are several. */
export function f2Figures(results: Results, family?: string): { name: string; spec: TopLevelSpec }[] {
  const fams = f2Families(results);
  if (family === undefined && fams.length > 1) return fams.flatMap((f) => f2Figures(results, f));
  if (!f2Runs(results, family).length) return [];
  const suffix = familyName(results, family) ? `-${family}` : '';
  return [
    { name: `f2-limit-vs-width-depth${suffix}`, spec: f2LimitSpec(results, family) },
    { name: `f2-loss-vs-width-depth${suffix}`, spec: f2LossSpec(results, family) },
  ];
}

export const F2_FINDING: FindingDef = {
  id: 'F2', tag: 'F2', title: 'F2: width against depth', notebook: 'notebooks/03-f2-width-depth.ipynb',
  runs: f2Runs, figures: f2Figures, verdicts: f2Verdicts, narrative: f2Narrative,
};
