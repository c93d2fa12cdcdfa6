// Early prediction (issue #13 item 5) on synthetic curves with known laws: the prefix fits predict the
// final ratio within their intervals, score themselves against the full run, refuse with too few points;
// and the tokens to reach a target ratio (with the refusals fit-law prints).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { earlyPredictions, fitLawDetailed, rngFor, tokensAtRatio, tokensToRatio } from '../lib/laws';
import { UserError } from '../lib/util/errors';

const D = Array.from({ length: 16 }, (_, i) => 1.5e5 * 2 ** (i / 3)); // 150k .. 4.8M tokens
const relu = (d: number) => Math.exp(-1.2 * Math.pow(d / 1e6, 0.6) - 1.5) + 0.1;
// A law that bends within the first half of the checkpoints (the first one's half hardly bends: its
// prefix fits extrapolate 0.025 high, inside their wide intervals; that is the law's ill-conditioning).
const bends = (d: number) => Math.exp(-2 * Math.pow(d / 1e6, 0.8) - 1.5) + 0.1;
function curve(f: (d: number) => number, sd: number, seed: number) {
  const rng = rngFor(seed);
  return D.map((d) => ({ D: d, A: f(d) + sd * (rng.next() - 0.5) * 2 * Math.sqrt(3) }));
}

test('early prediction: a clean ReLU curve is predicted from its first half, and scored against the full run', () => {
  const pts = curve(bends, 0.0005, 1);
  const [q, h] = earlyPredictions(pts, { act: 'relu', unit: 'tokens', reportUnit: 'M', seed: 0, replicates: 100 });
  assert.equal(q.fraction, 0.25);
  assert.equal(h.fraction, 0.5);
  assert.equal(h.n_full, 16);
  assert.equal(h.n_used, 8);
  assert.equal(h.status, 'ok');
  assert.ok(Math.abs(h.ratio_final - pts[15].A) < 1e-12);
  assert.ok(Math.abs(h.ratio_error) < 0.015, String(h.ratio_error));
  assert.equal(h.ratio_covered, true);
  assert.equal(h.limit_identified, true);
  assert.ok(Math.abs(h.A0_pred - 0.1) < 0.02, String(h.A0_pred));
  assert.ok(h.ratio_lo < h.ratio_pred && h.ratio_pred < h.ratio_hi);
  // The full run's limit is identified here, so the limit prediction is scored.
  assert.notEqual(h.A0_full, null);
  assert.notEqual(h.A0_covered, null);
  // 25% of 16 points is 4 = the ReLU law's parameter count: refused, not guessed.
  assert.equal(q.status.includes('no prediction'), true);
  assert.ok(Number.isNaN(q.ratio_pred));
  assert.equal(q.ratio_covered, null);
});

test('early prediction: a prediction far off the final ratio is scored as not covered', () => {
  // The curve follows the law for its first half, then drops by 0.05: the early law cannot know.
  const pts = curve(relu, 0.0005, 2).map((p, i) => (i >= 8 ? { ...p, A: p.A - 0.05 } : p));
  const h = earlyPredictions(pts, { act: 'relu', unit: 'tokens', reportUnit: 'M', seed: 0, replicates: 100, fractions: [0.5] })[0];
  assert.equal(h.status, 'ok');
  assert.ok(h.ratio_error > 0.03, String(h.ratio_error));
  assert.equal(h.ratio_covered, false);
});

test('tokens to a target ratio: inverse of the law, interval around it, refusals', () => {
  assert.ok(Math.abs(relu(tokensAtRatio('relu', [0.1, 0.6, -1.5, 1.2], 0.15) * 1e6) - 0.15) < 1e-12);
  assert.equal(tokensAtRatio('relu', [0.1, 0.6, -1.5, 1.2], 0.09), Infinity);
  assert.ok(Math.abs(tokensAtRatio('silu', [0.4, 0.5, 0.1], 0.3) - 1) < 1e-12);
  const det = fitLawDetailed(curve(relu, 0.0005, 3), { act: 'relu', unit: 'tokens', reportUnit: 'M', replicates: 100 });
  assert.ok(det.fit.limit_identified, det.fit.warnings);
  const t = tokensToRatio(det, 0.13);
  const truth = tokensAtRatio('relu', [0.1, 0.6, -1.5, 1.2], 0.13);
  assert.ok(Math.abs(t.D / truth - 1) < 0.15, `${t.D} vs ${truth}`);
  assert.ok(t.D_lo <= t.D && t.D <= t.D_hi);
  assert.throws(() => tokensToRatio(det, 0.05), (e: unknown) => e instanceof UserError && /never gets below/.test((e as Error).message));
  const flat = fitLawDetailed(D.map((d, i) => ({ D: d, A: 0.3 - 0.01 * Math.log(d / 1e5) + 0.0005 * Math.sin(i) })), { act: 'relu', unit: 'tokens', reportUnit: 'M', replicates: 50 });
  if (!flat.fit.limit_identified) assert.throws(() => tokensToRatio(flat, 0.28), /not identified/);
});
