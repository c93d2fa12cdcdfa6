// lib/findings: every builder runs on synthetic results (and on the smoke results when present),
// every figure compiles with vega-lite, narratives carry the computed numbers and verdicts follow
// their rules, and the pattern statistics are right on hand-made activation matrices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasResults, loadResults } from '../lib/experiments/results';
import * as F from '../lib/findings';
import { toVega } from '../lib/plot';
import { syntheticResults, SYNTH_RUNS, tokenRatios } from './findings-fixture';
import { tmpDir } from './helpers';

const results = syntheticResults();

const BUILDERS: [string, (r: typeof results) => unknown][] = [
  ['f0TradeoffRows', F.f0TradeoffRows], ['f0MatchedRows', (r) => F.f0MatchedRows(r)], ['f0ZeroRows', (r) => F.f0ZeroRows(r)], ['f0LevelRows', F.f0LevelRows],
  ['f1TrajectoryRows', F.f1TrajectoryRows], ['f1MethodRows', F.f1MethodRows], ['f1FitRows', F.f1FitRows], ['f1LinearisedRows', F.f1LinearisedRows],
  ['f1BaselineRows', F.f1BaselineRows], ['f1LossRows', F.f1LossRows], ['f1DeadRows', (r) => F.f1DeadRows(r)], ['f1TrendRows', F.f1TrendRows],
  ['f2ShapeRows', F.f2ShapeRows], ['f2TrendRows', F.f2TrendRows], ['f2PiecewiseRows', F.f2PiecewiseRows],
  ['f3LimitRows', F.f3LimitRows], ['f3ConvergencePairs', F.f3ConvergencePairs], ['f3ConvergenceRows', F.f3ConvergenceRows], ['f3FrequencyRows', F.f3FrequencyRows],
  ['f3FrequencyStats', F.f3FrequencyStats], ['f3DomainRows', F.f3DomainRows], ['f3DomainSpread', F.f3DomainSpread], ['f3TokenStats', F.f3TokenStats], ['f3TokenScatterRows', F.f3TokenScatterRows],
];
const NARRATIVES = [F.f0Narrative, F.f1Narrative, F.f2Narrative, F.f3Narrative];

function runAll(r: typeof results): void {
  for (const [name, b] of BUILDERS) {
    const rows = b(r) as unknown[];
    assert.ok(Array.isArray(rows), name);
    assert.doesNotThrow(() => JSON.stringify(rows), name);
  }
  for (const n of NARRATIVES) {
    const text = n(r);
    assert.ok(text.includes(`Profile **${r.profile.name}**`), 'the narrative names the profile');
    assert.ok(!/NaN|undefined|\[object/.test(text), `no broken values in:\n${text}`);
  }
  for (const f of F.findingFigures(r)) assert.doesNotThrow(() => toVega(f.spec), f.name);
}

test('findings: every builder, narrative and figure works on synthetic results', () => {
  runAll(results);
  for (const [name, b] of BUILDERS) assert.ok((b(results) as unknown[]).length > 0, `${name} is empty on the synthetic results`);
  const names = F.findingFigures(results).map((f) => f.name);
  for (const n of ['f0-tradeoff', 'f1-activation-vs-data', 'f1-linearised', 'f2-limit-vs-width-depth', 'f2-loss-vs-width-depth', 'f3-limit-vs-size', 'f3-neuron-frequencies', 'f3-token-ratios', 'f3-dead-neurons']) {
    assert.ok(names.includes(n), `figure ${n}`);
  }
});

test('findings: builders survive the smoke results (if present) and a profile with one finding only', () => {
  if (hasResults('smoke')) runAll(loadResults('smoke'));
  const onlyF0 = syntheticResults(SYNTH_RUNS.filter((r) => r.id === 'd32-l1-relu').map((r) => ({ ...r, findings: ['F0' as const] })));
  runAll(onlyF0);
  assert.match(F.f2Narrative(onlyF0), /no ReLU run tagged F2/);
  assert.match(F.f3Narrative(onlyF0), /no run tagged F3/);
});

test('F0: CETT is found lowest, the zero-count cut and the levels are the computed numbers', () => {
  const st = F.f0CettStanding(results);
  assert.equal(st.length, 2);
  for (const s of st) {
    assert.ok(s.clearly_lowest, s.model);
    assert.ok(Math.abs(s.cett!.activation_ratio! - Math.sqrt(0.0005 / 0.01)) < 0.01, 'CETT crosses 1.01 near a = 0.2236');
    // top-k per token crosses 1.01 at a = 0.3236 (interpolated between knob values 0.3 and 0.4).
    assert.ok(Math.abs(s.best_other!.activation_ratio! - 0.3236) < 0.02, `${s.best_other!.method} ${s.best_other!.activation_ratio}`);
  }
  const z = F.f0ZeroRows(results)[0];
  assert.equal(z.zero_count_ratio, 0.4);
  const cut = 1 - 0.2236 / 0.4;
  assert.ok(Math.abs((z.relative_reduction as number) - cut) < 1e-3);
  const text = F.f0Narrative(results);
  assert.ok(text.includes(F.pct(z.relative_reduction as number)), 'the narrative prints the computed cut');
  assert.ok(text.includes(F.pct(F.PAPER.f0ReductionVsZero, 2)), "and quotes the paper's figure next to it");
  assert.equal(F.f0Verdicts(results)[0].verdict, 'agrees');
  // A method that never reaches the target is reported with its densest setting, not ranked.
  const worse = { ...results, f0: results.f0.map((r) => (r.method === 'fat' ? { ...r, ppl_ratio: (r.ppl_ratio as number) + 0.1 } : r)) };
  const fat = F.f0MatchedRows(worse).find((m) => m.method === 'FAT-eps' && m.model.startsWith('ReLU'))!;
  assert.equal(fat.reached, false);
  assert.equal(fat.rank, null);
  assert.equal(fat.densest_measured, 0.45);
  assert.ok(F.f0CettStanding(worse).every((s) => s.clearly_lowest && s.unreached.length === 1));
  assert.match(F.f0Narrative(worse), /FAT-eps never got the PPL ratio down to 1\.01, even at 45% active/);
});

test('F1: trends have the right signs, the narrative carries the first and last ratios', () => {
  const trends = F.f1TrendRows(results).filter((t) => t.rule === 'PPL-1% (stabilised)');
  for (const t of trends) assert.equal(t.trend, t.paper_direction, `${t.model}: ${t.trend}`);
  const v = F.f1Verdicts(results);
  assert.equal(v.find((x) => x.claim.startsWith("ReLU's"))!.verdict, 'agrees');
  assert.equal(v.find((x) => x.claim.startsWith("SiLU's"))!.verdict, 'agrees');
  assert.equal(v.find((x) => x.claim.startsWith('ReLU ends'))!.verdict, 'agrees');
  assert.equal(v.find((x) => x.claim.startsWith('ReLU and SiLU reach'))!.verdict, 'agrees');
  const relu = F.trendOf(results, 'd64-l2-relu');
  const text = F.f1Narrative(results);
  assert.ok(text.includes(`${F.pct(relu.first_ratio)} at ${F.fmtCount(relu.first_tokens)} tokens to ${F.pct(relu.last_ratio)}`), text);
  const fit = F.fitOf(results, 'd64-l2-relu')!;
  assert.ok(Math.abs(fit.A0 - 0.101) < 0.01, `A0 ${fit.A0}`);
  // The linearised ReLU law is a straight line in ln D: points near the fitted line.
  const lin = F.f1LinearisedRows(results).filter((r) => String(r.model).includes('d64-l2') && String(r.model).startsWith('ReLU'));
  assert.ok(lin.length >= 5);
});

test('F2: a limit that grows with d/L is found to grow; loss best range and verdicts follow the rules', () => {
  const shapes = F.f2ShapeRows(results);
  assert.deepEqual(shapes.map((s) => s.layers), [8, 4, 2, 1]);
  const t = F.f2TrendRows(results).find((r) => r.measure === F.MEASURE_LABEL.A0)!;
  assert.equal(t.trend, 'rises');
  const v = F.f2Verdicts(results);
  assert.equal(v[0].verdict, 'agrees');
  const br = F.f2BestRange(results);
  assert.equal(br.best!.layers, 2, 'a middle shape has the best loss');
  assert.equal(v[2].verdict, 'agrees');
  assert.equal(F.f2Piecewise(results)!.length, 2);
  const pl = F.f2Piecewise(results)![1];
  const dls = [1.5, 4, 11, 32, 92];
  assert.equal(F.breakpointUnlocated({ ...pl, breakpoint_lo: 4, breakpoint_hi: 92 }, dls), true, 'an interval over the whole allowed range locates nothing');
  assert.equal(F.breakpointUnlocated({ ...pl, breakpoint_lo: 10, breakpoint_hi: 30 }, dls), false);
  assert.match(F.f2Narrative(results), /rises/);
});

test('F3: limits per size, convergence pairs and pattern verdicts', () => {
  const limits = F.f3LimitRows(results);
  assert.equal(limits.length, 4);
  assert.equal(limits[0].common_tokens, 4_000_000);
  const v = F.f3Verdicts(results);
  assert.equal(v.find((x) => x.claim.startsWith("ReLU's limit"))!.verdict, 'agrees', 'A0 0.100 vs 0.101: flat');
  assert.equal(v.find((x) => x.claim.startsWith('the same tokens'))!.verdict, 'agrees');
  assert.equal(v.find((x) => x.claim.startsWith('per-neuron'))!.verdict, 'agrees', 'the same ramp at every size');
  const pairs = F.f3ConvergencePairs(results);
  assert.equal(pairs.length, 2);
  const spread = F.f3DomainSpread(results);
  assert.ok(spread.every((s) => Math.abs((s.relative_spread as number) - 0.02 / 1.01) < 1e-3));
});

test('fit issues: a limit at the bound of the fit is not read as a limit', () => {
  const f = F.fitOf(results, 'd64-l2-relu')!;
  assert.equal(F.fitIssue(f), null);
  assert.match(F.fitIssue({ ...f, limit_identified: false, at_bound: 'b = 100 (upper bound)', limit_bound: 0.13, limit_bound_side: 'upper' })!, /not identified.*b = 100/);
  assert.equal(F.limitText({ ...f, limit_identified: false, limit_bound: 0.13, limit_bound_side: 'upper' }), 'not identified (A0 <= 0.13)');
  // Tables written before fits reported identification: A0 at its bound is still caught.
  assert.match(F.fitIssue({ ...f, limit_identified: undefined, A0: 1 })!, /bound/);
  assert.match(F.fitIssue({ ...f, r2: 0.2 })!, /explains little/);
});

test('pattern statistics on hand-made activation matrices', () => {
  // 4 tokens x 5 neurons: neuron 0 always on, neuron 4 never, token 3 all on but the last.
  const m = { tokens: 4, neurons: 5, active: [
    1, 0, 0, 0, 0,
    1, 1, 0, 0, 0,
    1, 1, 1, 0, 0,
    1, 1, 1, 1, 0,
  ] };
  assert.deepEqual(Array.from(F.neuronFrequencies(m)), [1, 0.75, 0.5, 0.25, 0]);
  assert.deepEqual(Array.from(F.tokenRatios(m)), [0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(F.sortedDescending([0.25, 1, 0, 0.5]), [1, 0.5, 0.25, 0]);
  // Gini: 0 for equal activity, (n-1)/n when one neuron carries it all.
  assert.equal(F.gini([0.3, 0.3, 0.3, 0.3]), 0);
  assert.ok(Math.abs(F.gini([0, 0, 0, 1]) - 0.75) < 1e-12);
  // KS: identical 0, disjoint 1; the shape distance ignores a common scale, the raw one does not.
  const f = F.neuronFrequencies(m);
  assert.equal(F.ksDistance(f, f), 0);
  assert.equal(F.ksDistance([0, 0.1], [0.5, 0.9]), 1);
  const c = F.compareFrequencies([0.1, 0.2, 0.3, 0.4], [0.2, 0.4, 0.6, 0.8]);
  assert.ok(Math.abs(c.mean_a - 0.25) < 1e-12 && Math.abs(c.mean_b - 0.5) < 1e-12);
  assert.equal(c.ks_shape, 0);
  assert.ok(c.ks > 0);
  assert.ok(Math.abs(c.gini_a - c.gini_b) < 1e-12, 'Gini is scale-free');
  // Token by token: a larger model three times as sparse on the same tokens lies on the scaled diagonal.
  const a = F.tokenRatios(m);
  const t = F.compareTokenRatios(a, Array.from(a, (x) => x / 3));
  assert.ok(Math.abs(t.pearson - 1) < 1e-12 && Math.abs(t.spearman - 1) < 1e-12);
  assert.ok(t.mean_abs_diff_relative < 1e-12);
  const rev = F.compareTokenRatios(a, Array.from(a).reverse());
  assert.ok(Math.abs(rev.spearman + 1) < 1e-12);
  // Spearman with ties uses mid-ranks.
  assert.deepEqual(Array.from(F.ranks([3, 1, 3, 2])), [3.5, 1, 3.5, 2]);
  assert.ok(Math.abs(F.spearman([1, 2, 2, 3], [10, 20, 20, 30]) - 1) < 1e-12);
  // Resampling a sorted curve onto a rank axis keeps its ends.
  const rs = F.resampleByRank([1, 0.75, 0.5, 0.25, 0], 3);
  assert.deepEqual(rs, [{ rank_fraction: 0, value: 1 }, { rank_fraction: 0.5, value: 0.5 }, { rank_fraction: 1, value: 0 }]);
  assert.deepEqual(F.evenIndices(10, 4), [0, 2, 5, 7]);
});

test('trend and crossing helpers', () => {
  const x = [0, 1, 2, 3, 4];
  const exact = F.lineWithSe(x, x.map((v) => 2 + 0.5 * v));
  assert.ok(Math.abs(exact.slope - 0.5) < 1e-12 && exact.se < 1e-12 && exact.significant);
  const flat = F.lineWithSe(x, [1, 1.1, 0.9, 1.05, 0.95]);
  assert.equal(flat.significant, false);
  assert.ok(Math.abs(F.tCritical95(3) - 3.182446305284263) < 1e-12);
  assert.ok(Math.abs(F.tCritical95(40) - 2.021075390306273) < 1e-12); // the old table said 1.96 beyond 30 dof
  // Crossing: interpolated between the last point above the target and the first below.
  const c = F.crossingFromRight([{ x: 0.1, y: 1.2 }, { x: 0.2, y: 1.02 }, { x: 0.3, y: 1.0 }, { x: 0.4, y: 1.0 }], 1.01)!;
  assert.ok(Math.abs(c.x - 0.25) < 1e-12 && !c.censored);
  assert.equal(F.crossingFromRight([{ x: 0.5, y: 1.2 }], 1.01), null);
  assert.deepEqual(F.crossingFromRight([{ x: 0.5, y: 1.0 }, { x: 0.6, y: 1.0 }], 1.01), { x: 0.5, censored: true });
});

test('formatting used by the narratives', () => {
  assert.equal(F.fmt(0.123456), '0.123');
  assert.equal(F.pct(0.1134), '11.3%');
  assert.equal(F.fmtCount(4_000_000), '4M');
  assert.equal(F.fmtCount(131_392), '131k');
  assert.equal(F.withInterval(0.1, 0.09, 0.11), '0.1 [0.09, 0.11]');
  assert.equal(F.fmt(NaN), 'n/a');
  const md = F.verdictTable([{ finding: 'F1', claim: 'a|b', paper: 'p', ours: 'o', verdict: 'agrees', rule: 'r' }]);
  assert.match(md, /a\\\|b/);
});

test('quick start: options and narrative from a measurement', () => {
  process.env.SPARSING_PROFILE = 'smoke';
  const o = F.quickStartOptions({ dir: tmpDir('sl-qs-') });
  delete process.env.SPARSING_PROFILE;
  assert.equal(o.totalTokens, F.QUICK_START_TOKENS.smoke);
  assert.match(F.describeQuickStart(o), /non-embedding parameters/);
  const row = (a: number, r: number, cett: number) => ({ activation_ratio: a, ppl_ratio: r, cett } as unknown as F.QuickStartMeasurement['ppl1']);
  const m: F.QuickStartMeasurement = {
    act: 'relu', evalTokens: 2048, zeroRatio: 0.5, ppl1: row(0.2, 1.01, 0.09),
    sweep: [row(0.3, 1.002, 0.05), row(0.1, 1.05, 0.2)], checkpoints: [{ tokens: 1000, val_loss: 5 }, { tokens: 2000, val_loss: 4 }],
  };
  assert.match(F.quickStartNarrative(m), /20% of the FFN neurons/);
  assert.match(F.quickStartNarrative(m), /60% sparser/);
  assert.equal(F.quickStartTable(m).length, 4);
  assert.doesNotThrow(() => toVega(F.quickStartSpec(m)));
});

test('saveFindingFigures writes every figure as spec, SVG and PNG', async () => {
  const dir = tmpDir('sl-figs-');
  const small = syntheticResults(SYNTH_RUNS.filter((r) => r.id.startsWith('wd-')));
  const saved = await F.saveFindingFigures(small, dir);
  assert.equal(saved.length, F.findingFigures(small).length);
  for (const s of saved) for (const file of [s.spec, s.svg, s.png]) assert.ok(fs.statSync(file).size > 0, file);
  assert.ok(fs.existsSync(path.join(dir, 'f2-limit-vs-width-depth.png')));
  assert.ok(tokenRatios(0.1).length > 0);
});
