// F2 with several width-depth families (the `long` profile's wd30k, wd131k, wd524k): each family is
// found by its preset prefix and analysed on its own, never pooled; a profile with one family gives
// exactly what it gave before families existed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../lib/findings';
import { toVega } from '../lib/plot';
import { reluLaw, syntheticResults, SYNTH_RUNS, type SynthRun } from './findings-fixture';

const SHAPES = [[16, 8], [32, 4], [64, 2], [128, 1]];
/** The fixture's F2 family: presets wd-l8 .. wd-l1, 130k parameters, A0 rising with d/L. */
const WD = SYNTH_RUNS.filter((r) => r.findings.includes('F2'));
/** A smaller family whose A0 falls with d/L, so that a pooled analysis could not match either family's. */
const SMALL: SynthRun[] = SHAPES.map(([d, L]) => ({
  id: `small-l${L}-relu`, act: 'relu', d, layers: L, params: 30_000, findings: ['F2'],
  law: reluLaw(0.15 - 0.0004 * (d / L), -1.5, 1.2, 0.6), loss: 2.2 + 0.01 * L, zero: 0.3,
}));

const single = syntheticResults();
const two = syntheticResults([...SYNTH_RUNS, ...SMALL]);

test('F2 families: named by the preset before its final -l<N>, ordered by size', () => {
  assert.equal(F.f2FamilyOf('wd131k-l16'), 'wd131k');
  assert.equal(F.f2FamilyOf('wd30k-l1'), 'wd30k');
  assert.equal(F.f2FamilyOf('micro-l2'), 'micro', "smoke's F2 runs");
  assert.equal(F.f2FamilyOf('micro'), 'micro', 'no -l<N>: a family of its own');
  assert.deepEqual(F.f2Families(single), ['wd']);
  assert.deepEqual(F.f2Families(two), ['small', 'wd'], 'smallest parameter count first');
  assert.deepEqual(F.f2Families(syntheticResults(SYNTH_RUNS.filter((r) => !r.findings.includes('F2')))), []);
  assert.throws(() => F.f2Runs(two, 'nope'), /no width-depth family 'nope'.*small, wd/);
});

test('F2 families: each family analysed on its own, never pooled', () => {
  assert.equal(F.f2Runs(two).length, 8, 'without a family: every F2 ReLU run');
  assert.deepEqual(F.f2Runs(two, 'small').map((r) => r.preset).sort(), SMALL.map((r) => r.id.replace(/-relu$/, '')).sort());
  const small = F.f2ShapeRows(two, 'small');
  assert.deepEqual(small.map((s) => s.shape), ['small-l8', 'small-l4', 'small-l2', 'small-l1'], "a family's shape rows hold only its runs, by d/L");
  assert.deepEqual(F.f2ShapeRows(two).map((s) => s.shape), [...small.map((s) => s.shape), 'wd-l8', 'wd-l4', 'wd-l2', 'wd-l1'], 'the listing without a family: family by family');
  // The wd family's numbers are what they were with it alone.
  assert.deepEqual(F.f2ShapeRows(two, 'wd'), F.f2ShapeRows(single));
  assert.deepEqual(F.f2TrendRows(two, 'wd'), F.f2TrendRows(single));
  assert.deepEqual(F.f2BestRange(two, 'wd'), F.f2BestRange(single));
  assert.equal(F.f2TrendRows(two, 'small').find((t) => t.measure === F.MEASURE_LABEL.A0)!.trend, 'falls');
  assert.ok(F.f2EqualLossRows(two, 'small').rows.every((r) => String(r.shape).startsWith('small-')));
  // Comparing shapes across families confounds d/L with size: without a family that is an error.
  for (const fn of [F.f2TrendRows, F.f2PiecewiseRows, F.f2EqualLossRows, F.f2EqualLossTrend, F.f2BestRange, F.f2LimitSpec, F.f2LossSpec, F.f2SweetSpot, (r: typeof two) => F.f2Piecewise(r)]) {
    assert.throws(() => fn(two), /2 width-depth families \(small, wd\).*pass one/);
  }

  const vs = F.f2Verdicts(two);
  assert.equal(vs.length, 6);
  assert.ok(vs.slice(0, 3).every((v) => v.claim.startsWith('the small family: ')) && vs.slice(3).every((v) => v.claim.startsWith('the wd family: ')), 'each verdict names its family');
  assert.deepEqual(vs, [...F.f2Verdicts(two, 'small'), ...F.f2Verdicts(two, 'wd')]);
  assert.equal(vs[0].verdict, 'disagrees', 'small: A0 falls with d/L');
  assert.equal(vs[3].verdict, 'agrees', 'wd: A0 rises with d/L');
  assert.deepEqual(F.f2Verdicts(two, 'wd'), F.f2Verdicts(single).map((v) => ({ ...v, claim: `the wd family: ${v.claim}` })));
  assert.deepEqual(F.allVerdicts(two).filter((v) => v.finding === 'F2'), vs, 'the registry entry goes family by family');

  const text = F.f2Narrative(two);
  assert.ok(text.startsWith('Profile **synthetic** (') && /holds 2 width-depth families/.test(text), text.slice(0, 300));
  assert.ok(text.indexOf('### The small family') < text.indexOf('### The wd family') && text.includes('**The small family.** 4 ReLU shapes'));
  assert.ok(!/NaN|undefined|\[object/.test(text));
  const one = F.f2Narrative(two, 'small');
  assert.ok(one.startsWith('Profile **synthetic**, width-depth family **small** (one of 2: small, wd'), one.slice(0, 200));
  assert.ok(!one.includes('wd-l') && one.includes('| claim | paper | this run | verdict | decided by |'), 'only its own shapes and verdicts');

  const figs = F.f2Figures(two);
  assert.deepEqual(figs.map((f) => f.name), ['f2-limit-vs-width-depth-small', 'f2-loss-vs-width-depth-small', 'f2-limit-vs-width-depth-wd', 'f2-loss-vs-width-depth-wd']);
  for (const f of figs) assert.doesNotThrow(() => toVega(f.spec), f.name);
  assert.match(JSON.stringify(figs[0].spec), /the small family/);
  assert.ok(!JSON.stringify(figs[0].spec).includes('wd-l'), "a family's figure holds only its runs");
});

test('F2 families: with one family, naming it changes nothing, and nothing names it', () => {
  const [fam] = F.f2Families(single);
  const same = (a: unknown, b: unknown, what: string) => assert.equal(JSON.stringify(a), JSON.stringify(b), what);
  same(F.f2Runs(single, fam), F.f2Runs(single), 'f2Runs');
  same(F.f2RunRows(single, fam), F.f2RunRows(single), 'f2RunRows');
  same(F.f2ShapeRows(single, fam), F.f2ShapeRows(single), 'f2ShapeRows');
  same(F.f2TrendRows(single, fam), F.f2TrendRows(single), 'f2TrendRows');
  same(F.f2Piecewise(single, 'A0', fam), F.f2Piecewise(single), 'f2Piecewise');
  same(F.f2PiecewiseRows(single, fam), F.f2PiecewiseRows(single), 'f2PiecewiseRows');
  same(F.f2EqualLossRows(single, fam), F.f2EqualLossRows(single), 'f2EqualLossRows');
  same(F.f2EqualLossTrend(single, fam), F.f2EqualLossTrend(single), 'f2EqualLossTrend');
  same(F.f2BestRange(single, fam), F.f2BestRange(single), 'f2BestRange');
  same(F.f2SweetSpot(single, fam), F.f2SweetSpot(single), 'f2SweetSpot');
  same(F.f2LimitSpec(single, fam), F.f2LimitSpec(single), 'f2LimitSpec');
  same(F.f2LossSpec(single, fam), F.f2LossSpec(single), 'f2LossSpec');
  same(F.f2Verdicts(single, fam), F.f2Verdicts(single), 'f2Verdicts');
  same(F.f2Figures(single, fam), F.f2Figures(single), 'f2Figures');
  assert.equal(F.f2Narrative(single, fam), F.f2Narrative(single));
  assert.deepEqual(F.f2Figures(single).map((f) => f.name), ['f2-limit-vs-width-depth', 'f2-loss-vs-width-depth']);
  const text = F.f2Narrative(single);
  assert.ok(text.includes('**The family.** 4 ReLU shapes') && !text.includes('the wd family') && !text.includes('###'));
  assert.ok(F.f2Verdicts(single).every((v) => !v.claim.includes('family')));
  // smoke's one F2 shape (micro-l2) is a family of its own, and its text is unchanged in form.
  const micro = syntheticResults([{ ...WD[0], id: 'micro-l2-relu', d: 16, layers: 2 }]);
  assert.deepEqual(F.f2Families(micro), ['micro']);
  assert.match(F.f2Narrative(micro), /\*\*The family\.\*\* 1 ReLU shape at .*Fewer than three shapes/s);
});

test("F2 bottleneck rule: says why it allows at most 'partly', truly for the family's d/L range", () => {
  const bottleneck = (r: ReturnType<typeof syntheticResults>) => F.f2Verdicts(r).find((v) => v.claim.startsWith('a bottleneck'))!.rule;
  // The fixture's family reaches d/L 128, past the paper's ~114: its range is not the reason.
  assert.match(bottleneck(single), /our models are far smaller than the paper's 0\.1B/);
  assert.doesNotMatch(bottleneck(single), /lies below/);
  const short = syntheticResults(SYNTH_RUNS.filter((r) => !(r.findings.includes('F2') && r.d / r.layers > 100)));
  assert.ok(Math.max(...F.f2ShapeRows(short).map((s) => s.d_over_l as number)) < 114);
  assert.match(bottleneck(short), /our range lies below the paper's bottleneck/);
});

test('F2 sweet spot: a parabola through every run of the family, said in the verdict and the narrative', () => {
  const s = F.f2SweetSpot(single)!;
  assert.equal(s.n, F.f2RunRows(single).length, 'each run one point');
  const v = F.f2Verdicts(single).find((x) => x.claim.startsWith('loss is best'))!;
  assert.ok(v.ours.includes(F.sweetSpotText(s)), v.ours);
  assert.ok(F.f2Narrative(single).includes(`Located with an interval, ${F.sweetSpotText(s)}.`));
  assert.match(F.sweetSpotText(null), /no parabola fitted/);
});
