// F3 extrapolated in size, on synthetic runs whose limits follow a known size law: the findings fit it,
// compare it with the paper's range under the stated rule, and withhold A_inf when too few sizes are identified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../lib/findings';
import { reluLaw, syntheticResults, type SynthRun } from './findings-fixture';

const SIZE_TRUTH = (N: number) => 0.07 + 25 * Math.pow(N, -0.5);
const SIZES: [number, number, number][] = [[16, 1, 8_000], [32, 1, 16_000], [48, 2, 66_000], [64, 4, 262_000], [128, 4, 1_000_000]];
const runs: SynthRun[] = SIZES.map(([d, L, params]) => ({
  id: `s${params}-relu`, act: 'relu', d, layers: L, params, findings: ['F3'], law: reluLaw(SIZE_TRUTH(params), -1.5, 1.2, 0.6), loss: 2,
}));

test('F3 size law: recovers the synthetic size law and says whether it reaches the paper\'s range', () => {
  const res = syntheticResults(runs);
  const pts = F.sizeLawPoints(res, 'relu');
  assert.equal(pts.length, 5);
  assert.ok(pts.every((p) => p.identified), 'every synthetic limit is identified');
  const fit = F.f3SizeLawFitRows(res).find((r) => r.act === 'ReLU')!;
  assert.equal(fit.identified, true, String(fit.not_identified_because));
  assert.ok(Math.abs((fit.A_inf as number) - 0.07) < 0.01, String(fit.A_inf));
  // 0.07 lies in the paper's 0.061-0.078: the rule says agrees.
  const v = F.f3SizeLawVerdict(res, 'relu');
  assert.equal(v.verdict, 'agrees', v.ours);
  assert.equal(F.f3SizeLawVerdict(res, 'silu').verdict, 'not measured');
  const text = F.f3SizeLawNarrative(res);
  assert.match(text, /The size law gives A_inf 0\.0[67]\d* \[/);
  assert.match(text, /The limit falls with size/);
  const spec = JSON.stringify(F.f3SizeLawSpec(res));
  assert.match(spec, /paper \(0\.1B-1\.2B\)/);
  assert.match(spec, /ReLU size law/);
});

test('F3 size law: two identified sizes are not enough; A_inf is withheld and the verdict is inconclusive', () => {
  const res = syntheticResults(runs.slice(0, 2));
  const fit = F.f3SizeLawFitRows(res).find((r) => r.act === 'ReLU')!;
  assert.equal(fit.identified, false);
  assert.equal(fit.A_inf, null);
  assert.equal(F.f3SizeLawVerdict(res, 'relu').verdict, 'inconclusive');
  assert.match(F.f3SizeLawNarrative(res), /not identified/);
});

test('F3 size direction: a larger size\'s upper bound below a smaller size\'s interval is a fall', () => {
  const d = F.sizeDirection([
    { N: 1e4, A0: 0.25, A0_lo: 0.24, A0_hi: 0.26, identified: true, label: 'small' },
    { N: 1e5, A0: null, A0_lo: null, A0_hi: null, identified: false, bound: 0.13, boundSide: 'upper', label: 'big' },
  ]);
  assert.equal(d.direction, 'falls');
  const none = F.sizeDirection([
    { N: 1e4, A0: null, A0_lo: null, A0_hi: null, identified: false, bound: 0.4, boundSide: 'lower' },
    { N: 1e5, A0: null, A0_lo: null, A0_hi: null, identified: false, bound: 0.3, boundSide: 'lower' },
  ]);
  assert.equal(none.direction, 'cannot tell');
});
