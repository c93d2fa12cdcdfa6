// Metrics on (untrained) micro models: sparse passes, calc vs real, baselines, patterns, bad input.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../lib/backend/tf';
import {
  activationPatterns, calibrate, cettDirect, downProj, forEachChunk, measureAtCett, measureBaseline, MetricSet, quantileThresholds,
  searchCett, sortedAbsGate, patternRows, rowContext, DEAD_FREQUENCY, MAX_TOL,
} from '../lib/metrics';
import { Model } from '../lib/model/model';
import { UserError } from '../lib/util/errors';
import { microModel, randomIds, runCommand, setup } from './helpers';

test.before(setup);

/** A random-token set; `domain` marks the first half of the rows 0 and the rest 1. */
function set(rows: number, context = 16, seed = 3): MetricSet {
  const x = randomIds(rows * context, 256, seed);
  const y = randomIds(rows * context, 256, seed + 1);
  const domain = Int32Array.from({ length: rows * context }, (_, i) => (i < (rows >> 1) * context ? 0 : 1));
  return { x, y, rows, context, domain };
}

/** Captured dense s and a of every layer, whole set. */
function capture(model: Model, s: MetricSet, rowsPerChunk: number) {
  const { layers, dFF } = model.config;
  const n = s.rows * s.context;
  const S = Array.from({ length: layers }, () => new Float32Array(n * dFF));
  const A = Array.from({ length: layers }, () => new Float32Array(n * dFF));
  forEachChunk(model, s, { rowsPerChunk, capture: { s: true, a: true } }, (ch) => {
    for (let l = 0; l < layers; l++) {
      S[l].set(ch.s![l], ch.start * s.context * dFF);
      A[l].set(ch.a![l], ch.start * s.context * dFF);
    }
  });
  return { S, A };
}

test('at CETT 0 only exact zeros are pruned and the PPL ratio is exactly 1', () => {
  for (const act of ['relu', 'silu'] as const) {
    const m = microModel(act, 4, 'micro-l2');
    const s = set(12);
    const cal = calibrate(m, s, { rowsPerChunk: 5 });
    const r = measureAtCett(cal, 0);
    assert.equal(r.ppl.ratio, 1, act);
    assert.equal(r.ppl.logRatio, 0);
    const { A } = capture(m, s, 5);
    A.forEach((a, l) => {
      const nonzero = a.reduce((c, v) => c + (v !== 0 ? 1 : 0), 0) / a.length;
      assert.equal(r.activeReal[l], nonzero, `${act} layer ${l}`);
      assert.equal(r.activeCalc[l], nonzero);
      assert.equal(r.thresholds[l].cett, 0);
    });
    if (act === 'relu') assert.ok(r.activationRatio < 0.8);
    m.dispose();
  }
});

test('calc and real activation ratios agree exactly when only one layer is sparsified', () => {
  for (const act of ['relu', 'silu'] as const) {
    const m = microModel(act, 6, 'micro-l2');
    const cal = calibrate(m, set(10), { rowsPerChunk: 4 });
    for (const c of [0.05, 0.2, 0.5]) {
      for (const layer of [0, 1]) {
        const r = measureAtCett(cal, c, { layers: [layer] });
        assert.equal(r.activeReal[layer], r.activeCalc[layer], `${act} c=${c} layer ${layer}`);
        assert.ok(Number.isNaN(r.activeReal[1 - layer]));
        assert.equal(r.activationRatio, r.activationRatioCalc);
      }
      // all layers at once: layer 0 still agrees (its input is dense); layer 1 sees a sparsified input
      const both = measureAtCett(cal, c);
      assert.equal(both.activeReal[0], both.activeCalc[0]);
      assert.ok(Math.abs(both.activeReal[1] - both.activeCalc[1]) < 0.2);
    }
    m.dispose();
  }
});

test('the calibrated curves match a direct CETT evaluation of the captured activations', () => {
  const m = microModel('silu', 8, 'micro-l2');
  const s = set(8);
  const cal = calibrate(m, s, { rowsPerChunk: 3 });
  const { A } = capture(m, s, 3);
  const n = s.rows * s.context;
  for (let l = 0; l < 2; l++) {
    const ts = [0.5, 0.75, 0.9].map((q) => cal.curves[l].keyQuantile(q));
    const direct = cettDirect(A[l], downProj(m, l), cal.norms[l], n, ts);
    ts.forEach((t, i) => assert.ok(Math.abs(cal.curves[l].cettAt(t) - direct[i]) < 1e-5, `layer ${l} t ${t}`));
    assert.ok(direct[0] < direct[1] && direct[1] < direct[2], 'CETT rises with the threshold');
  }
  m.dispose();
});

test('PPL ratio rises and activation falls with the CETT on a micro model', () => {
  const m = microModel('silu', 9, 'micro-l2');
  const cal = calibrate(m, set(8));
  const rs = [0, 0.1, 0.4, 0.8].map((c) => measureAtCett(cal, c));
  for (let i = 1; i < rs.length; i++) {
    assert.ok(rs[i].activationRatio < rs[i - 1].activationRatio);
    assert.ok(rs[i].ppl.ratio !== rs[i - 1].ppl.ratio);
  }
  m.dispose();
});

test('the zero count equals the number of exact zeros of s, at PPL ratio 1', () => {
  const m = microModel('relu', 5, 'micro-l2');
  const s = set(9);
  const cal = calibrate(m, s, { rowsPerChunk: 4 });
  const { row, layers } = measureBaseline(cal, { method: 'zero' });
  const { S } = capture(m, s, 4);
  S.forEach((sl, l) => {
    const nz = sl.reduce((c, v) => c + (v !== 0 ? 1 : 0), 0);
    assert.equal(layers[l].activation_ratio, nz / sl.length);
  });
  assert.equal(row.ppl_ratio, 1);
  assert.equal(row.method, 'zero');
  assert.ok(row.activation_ratio > 0 && row.activation_ratio < 1);
  const silu = microModel('silu', 5);
  assert.throws(() => measureBaseline(calibrate(silu, set(2)), { method: 'zero' }), /ReLU models only/);
  silu.dispose();
  m.dispose();
});

test('top-k keeps exactly k: per token, and per layer over a batch jointly', () => {
  const m = microModel('silu', 7, 'micro-l2');
  const s = set(6);
  const cal = calibrate(m, s, { rowsPerChunk: 4 }); // batches of 4 and 2 rows
  const dFF = m.config.dFF;
  const n = s.rows * s.context;
  const tok = measureBaseline(cal, { method: 'topk-token', k: 0.25 });
  for (const l of tok.layers) assert.equal(l.activation_ratio, (Math.round(0.25 * dFF) * n) / (n * dFF));
  const lay = measureBaseline(cal, { method: 'topk-layer', k: 0.3 });
  const perBatch = [4, 2].map((rows) => Math.round(0.3 * rows * s.context * dFF));
  for (const l of lay.layers) assert.equal(l.activation_ratio * n * dFF, perBatch[0] + perBatch[1]);
  assert.ok(tok.row.ppl_ratio !== 1 && lay.row.ppl_ratio !== 1);
  m.dispose();
});

test('FAT-eps and quantile thresholds hit their targets', () => {
  const m = microModel('silu', 2, 'micro-l2');
  const s = set(6);
  const cal = calibrate(m, s);
  const sorted = sortedAbsGate(m, s);
  const q = 0.7;
  const th = quantileThresholds(sorted, q);
  const r = measureBaseline(cal, { method: 'quantile', q, thresholds: th });
  // calibrated on the same set, layer 0 (dense input) keeps 1 - q of its pairs
  assert.ok(Math.abs(r.layers[0].activation_ratio - (1 - q)) < 1e-3);
  const eps = th[0];
  const f = measureBaseline(cal, { method: 'fat', eps });
  assert.equal(f.layers[0].activation_ratio, r.layers[0].activation_ratio);
  assert.throws(() => measureBaseline(cal, { method: 'fat', eps: 0 }), UserError);
  assert.throws(() => measureBaseline(cal, { method: 'topk-token', k: 1.5 }), UserError);
  assert.throws(() => quantileThresholds(sorted, 1), UserError);
  m.dispose();
});

test('patterns: neuron frequencies, dead neurons, per-token and per-layer ratios, one domain', () => {
  const m = microModel('relu', 5, 'micro-l2');
  const s = set(10);
  const all = activationPatterns(m, s, { method: 'zero' }, { rowsPerChunk: 3 });
  const cal = calibrate(m, s, { rowsPerChunk: 3 });
  const zero = measureBaseline(cal, { method: 'zero' });
  all.layerRatio.forEach((r, l) => {
    assert.ok(Math.abs(r - zero.layers[l].activation_ratio) < 1e-9);
    const meanFreq = all.frequency[l].reduce((a, b) => a + b, 0) / m.config.dFF;
    assert.ok(Math.abs(meanFreq - r) < 1e-6);
    const dead = all.frequency[l].filter((f) => f < DEAD_FREQUENCY).length / m.config.dFF;
    assert.equal(all.deadRatio[l], dead);
  });
  assert.equal(all.tokens, 160);
  const meanTok = all.tokenRatio.reduce((a, b) => a + b, 0) / all.tokenRatio.length;
  assert.ok(Math.abs(meanTok - all.activationRatio) < 1e-6);
  // domains 0 and 1 (half the rows each) recombine to the whole
  const d0 = activationPatterns(m, s, { method: 'zero' }, { domain: 0 });
  const d1 = activationPatterns(m, s, { method: 'zero' }, { domain: 1 });
  assert.equal(d0.tokens + d1.tokens, all.tokens);
  for (let l = 0; l < 2; l++) {
    for (let i = 0; i < m.config.dFF; i++) {
      assert.ok(Math.abs((d0.frequency[l][i] * d0.tokens + d1.frequency[l][i] * d1.tokens) / all.tokens - all.frequency[l][i]) < 1e-6);
    }
  }
  assert.throws(() => activationPatterns(m, s, { method: 'zero' }, { domain: 7 }), /no tokens of domain 7/);
  // CETT rule, real masks: per-layer ratios equal the sparse pass's kept fractions
  const r = measureAtCett(cal, 0.2);
  const pc = activationPatterns(m, s, { method: 'cett', param: 0.2, thresholds: r.thresholds.map((t) => t.threshold), norms: cal.norms }, { sparse: true, rowsPerChunk: 3 });
  pc.layerRatio.forEach((x, l) => assert.ok(Math.abs(x - r.activeReal[l]) < 1e-9));
  // ... and on dense activations they equal the calibration ("calc") fractions
  const pd = activationPatterns(m, s, { method: 'cett', param: 0.2, thresholds: r.thresholds.map((t) => t.threshold), norms: cal.norms }, { sparse: false, rowsPerChunk: 3 });
  pd.layerRatio.forEach((x, l) => assert.ok(Math.abs(x - r.activeCalc[l]) < 1e-9));
  const rows = patternRows(pc, rowContext(cal), 'all');
  assert.equal(rows.neurons.length, 2 * m.config.dFF);
  assert.equal(rows.summary.method, 'cett');
  for (const row of [rows.summary, ...rows.layers]) for (const v of [row.activation_ratio, row.dead_ratio]) assert.ok(v >= 0 && v <= 1);
  m.dispose();
});

test('bad input: empty set, mismatched shapes, foreign tokens, p outside (0, 1)', () => {
  const m = microModel('relu', 1);
  const empty: MetricSet = { x: new Int32Array(0), y: new Int32Array(0), rows: 0, context: 16 };
  assert.throws(() => calibrate(m, empty), /evaluation set is empty/);
  const bad = set(2);
  assert.throws(() => calibrate(m, { ...bad, y: bad.y.subarray(1) }), /shapes do not match/);
  assert.throws(() => calibrate(m, { ...bad, rows: 3 }), /shapes do not match/);
  assert.throws(() => calibrate(m, { ...bad, domain: new Int32Array(3) }), /domain has 3 entries/);
  assert.throws(() => calibrate(m, { ...bad, x: bad.x.map(() => 300) }), /outside the model's vocabulary/);
  assert.throws(() => calibrate(m, { x: new Int32Array(64), y: new Int32Array(64), rows: 2, context: 32 }), /exceeds the model's context/);
  const cal = calibrate(m, bad);
  for (const p of [0, 1, -0.1, 1.5, NaN]) assert.throws(() => searchCett([cal], p), (e: unknown) => e instanceof UserError && /p must be in \(0, 1\)/.test((e as Error).message));
  assert.throws(() => searchCett([], 0.01), UserError);
  assert.throws(() => measureAtCett(cal, 0.1, { layers: [3] }), /layer 3 does not exist/);
  for (const tol of [0, -1e-4, 2e-3, 0.05, NaN]) {
    assert.throws(() => searchCett([cal], 0.01, { tol }), (e: unknown) => e instanceof UserError && e.message === `tolerance must be in (0, 0.001] (method.md: 1e-3 or finer), got ${tol}`);
  }
  m.dispose();
});

test('the library and the sparsity command accept the same tolerance range, (0, 1e-3]', () => {
  assert.equal(MAX_TOL, 1e-3);
  // The command refuses what the library refuses, in the same words, before it reads PATH ...
  const bad = runCommand('sparsity', ['no-such-dir', '--tol', '0.002']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stderr, 'error: --tol must be in (0, 0.001] (method.md: 1e-3 or finer), got 0.002\n');
  // ... and takes the widest value the library takes (it goes on to PATH, which does not exist).
  const ok = runCommand('sparsity', ['no-such-dir', '--tol', '1e-3']);
  assert.equal(ok.code, 2, ok.stderr);
  assert.equal(ok.stderr, 'error: no-such-dir does not exist\n');
});

test('no tensors leak from calibration, searches, baselines and patterns', () => {
  const m = microModel('relu', 3, 'micro-l2');
  const s = set(4);
  calibrate(m, s); // the model caches rotary tables per batch shape on first use
  const before = tf.memory().numTensors;
  const cal = calibrate(m, s);
  searchCett([cal], 0.05, { tol: MAX_TOL });
  measureBaseline(cal, { method: 'topk-layer', k: 0.2 });
  measureBaseline(cal, { method: 'quantile', q: 0.5, thresholds: quantileThresholds(sortedAbsGate(m, s), 0.5) });
  activationPatterns(m, s, { method: 'fat', eps: 0.01 }, { sparse: true });
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
});
