import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../lib/backend/tf';
import { Model } from '../lib/model/model';
import { presetConfig, PRESETS, fixedParamShape } from '../lib/model/presets';
import { paramCounts, validateConfig, CONFIG_DEFAULTS } from '../lib/model/config';
import { UserError } from '../lib/util/errors';
import { microModel, randomIds, setup } from './helpers';

test.before(setup);

test('causality: changing a later token leaves earlier logits unchanged', () => {
  for (const act of ['relu', 'silu'] as const) {
    const m = microModel(act, 3, 'micro-l2');
    const T = 12;
    const ids = randomIds(2 * T);
    const changed = ids.slice();
    changed[T + 8] = (changed[T + 8] + 17) % 256; // second sequence, position 8
    const a = m.forward(ids, 2, T).logits.arraySync() as number[][];
    const b = m.forward(changed, 2, T).logits.arraySync() as number[][];
    for (let r = 0; r < 2 * T; r++) {
      const diff = Math.max(...a[r].map((v, j) => Math.abs(v - b[r][j])));
      if (r < T + 8) assert.ok(diff < 1e-5, `row ${r} changed by ${diff}`);
      if (r === T + 8) assert.ok(diff > 1e-4, 'the changed position itself must change');
    }
    m.dispose();
  }
});

test('gradients match central finite differences on a micro model', () => {
  const m = microModel('silu', 5);
  const B = 2, T = 8;
  const ids = randomIds(B * T, 256, 3);
  const targets = randomIds(B * T, 256, 4);
  const names = ['model.layers.0.mlp.gate_up_proj.weight', 'model.layers.0.self_attn.qkv_proj.weight', 'model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight'];
  const vars = names.map((n) => m.p(n));
  const { grads } = tf.variableGrads(() => m.loss(ids, targets, B, T), vars);
  const lossAt = () => { const l = m.loss(ids, targets, B, T); const v = l.dataSync()[0]; l.dispose(); return v; };
  let checked = 0;
  for (const v of vars) {
    const g = grads[v.name].dataSync();
    const base = v.dataSync().slice();
    // the entries with the largest gradients (numerically meaningful in float32)
    const idx = Array.from(g.keys()).sort((i, j) => Math.abs(g[j]) - Math.abs(g[i])).slice(0, 3);
    for (const i of idx) {
      const h = 1e-2;
      const plus = base.slice(); plus[i] += h; v.assign(tf.tensor(plus, v.shape));
      const lp = lossAt();
      const minus = base.slice(); minus[i] -= h; v.assign(tf.tensor(minus, v.shape));
      const lm = lossAt();
      v.assign(tf.tensor(base, v.shape));
      const fd = (lp - lm) / (2 * h);
      assert.ok(Math.abs(fd - g[i]) <= 0.05 * Math.abs(g[i]) + 2e-4, `${v.name}[${i}]: analytic ${g[i]} vs finite difference ${fd}`);
      checked++;
    }
  }
  assert.equal(checked, 12);
  tf.dispose(grads);
  m.dispose();
});

test('capture returns s = act(gate), u and a = s * u; ReLU s is non-negative', () => {
  const m = microModel('relu', 2);
  const r = m.forward(randomIds(16), 1, 16, { capture: true });
  assert.equal(r.layers!.length, 1);
  const { s, u, a } = r.layers![0];
  assert.deepEqual(a.shape, [16, m.config.dFF]);
  const sv = s.dataSync(), uv = u.dataSync(), av = a.dataSync();
  for (let i = 0; i < av.length; i++) assert.ok(Math.abs(av[i] - sv[i] * uv[i]) < 1e-6);
  assert.ok(Math.min(...sv) >= 0);
  assert.ok(sv.some((x) => x === 0), 'ReLU gate should have exact zeros');
  m.dispose();
});

test('sparsify: threshold 0 keeps everything and matches dense; a huge threshold keeps nothing', () => {
  const m = microModel('silu', 2);
  const ids = randomIds(32);
  const dense = m.forward(ids, 2, 16).logits.dataSync();
  const zero = m.forward(ids, 2, 16, { sparsify: [{ kind: 'threshold', perNeuron: new Float32Array(m.config.dFF) }] });
  assert.deepEqual(Array.from(zero.logits.dataSync()), Array.from(dense));
  assert.equal(zero.activeCounts![0].dataSync()[0], 32 * m.config.dFF);
  const none = m.forward(ids, 2, 16, { sparsify: [{ kind: 'threshold', perNeuron: new Float32Array(m.config.dFF).fill(1e9) }] });
  assert.equal(none.activeCounts![0].dataSync()[0], 0);
  m.dispose();
});

test('same seed gives the same weights; another seed does not', () => {
  const a = microModel('relu', 11), b = microModel('relu', 11), c = microModel('relu', 12);
  const name = 'model.layers.0.mlp.up_proj.weight';
  assert.deepEqual(Array.from(a.weights().get(name)!), Array.from(b.weights().get(name)!));
  assert.notDeepEqual(Array.from(a.weights().get(name)!), Array.from(c.weights().get(name)!));
  [a, b, c].forEach((m) => m.dispose());
});

test('parameter counts: d64-l2 has 131,392 non-embedding parameters and counts match the tensors', () => {
  const c = presetConfig('d64-l2');
  assert.equal(paramCounts(c).nonEmbedding, 131_392);
  const m = new Model(presetConfig('micro-l2'), { seed: 0 });
  let n = 0;
  for (const v of m.params.values()) n += v.size;
  assert.equal(n, paramCounts(m.config).total);
  m.dispose();
});

test('presets: the fixed-ratio family has d/L = 32; the width-depth family stays within 15% of 131k', () => {
  for (const name of ['d32-l1', 'd64-l2', 'd96-l3', 'd128-l4', 'd160-l5']) assert.equal(PRESETS[name].d / PRESETS[name].layers, 32);
  for (const L of [1, 2, 4, 8, 16]) {
    const s = fixedParamShape(131_000, L);
    const n = paramCounts({ ...CONFIG_DEFAULTS, act: 'relu', ...s }).nonEmbedding;
    assert.ok(Math.abs(n / 131_000 - 1) < 0.15, `L=${L}: ${n}`);
  }
});

test('bad configs and presets get one clear error', () => {
  assert.throws(() => presetConfig('nope'), (e: Error) => e instanceof UserError && /unknown preset 'nope'/.test(e.message));
  const base = presetConfig('micro');
  assert.throws(() => validateConfig({ ...base, heads: 3 }), /heads \(3\) must divide d \(16\)/);
  assert.throws(() => validateConfig({ ...base, act: 'gelu' as 'relu' }), /act must be/);
  assert.throws(() => validateConfig({ ...base, layers: 0 }), /layers must be a positive integer/);
});

test('tensor count stays flat across forward passes', () => {
  const m = microModel('relu', 1);
  const ids = randomIds(32);
  const run = () => { const r = m.forward(ids, 2, 16); r.logits.dispose(); };
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) run();
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
});
