// Early-prediction findings on synthetic runs: rows per run and fraction, scores that add up, the
// verdict the stated rule gives, and a figure only when something was predicted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../lib/findings';
import { syntheticResults, SYNTH_RUNS } from './findings-fixture';

test('F1 early prediction: rows, scores and the verdict rule on synthetic runs', () => {
  const res = syntheticResults(SYNTH_RUNS.slice(0, 4));
  const rows = F.f1EarlyRows(res);
  assert.equal(rows.length, 4 * F.EARLY_FRACTIONS.length);
  const scores = F.f1EarlyScores(res);
  for (const s of scores) {
    const mine = rows.filter((r) => r.fraction === s.fraction);
    assert.equal(s.runs, mine.length);
    assert.equal(s.predicted, mine.filter((r) => r.ratio_covered !== null).length);
    assert.equal(s.ratio_covered, mine.filter((r) => r.ratio_covered === true).length);
  }
  const half = scores.find((s) => s.fraction === 0.5)!;
  const v = F.f1EarlyVerdict(res);
  const want = half.predicted < F.EARLY_MIN_RUNS ? 'inconclusive'
    : ((half.ratio_coverage ?? 0) >= F.EARLY_MIN_COVERAGE) && ((half.median_abs_error ?? Infinity) <= F.EARLY_TOLERANCE) ? 'agrees'
    : ((half.ratio_coverage ?? 0) >= F.EARLY_MIN_COVERAGE) || ((half.median_abs_error ?? Infinity) <= F.EARLY_TOLERANCE) ? 'partly' : 'disagrees';
  assert.equal(v.verdict, want);
  const text = F.f1EarlyNarrative(res);
  assert.match(text, /First 25% of the fitted checkpoints/);
  assert.match(text, /First 50% of the fitted checkpoints/);
  assert.equal(F.f1EarlyFigures(res).length, half.predicted + scores[0].predicted > 0 ? 1 : 0);
});
