// The native backend's written-out training pass (lib/model/native-train.ts) gives the losses and
// gradients of tfjs's autograd on the same model, for every option the pass handles: ReLU, SiLU and
// FATReLU, an untied head, MiniCPM's scales, and replica-stacked models. Grouped-query heads, whose
// rank-5 tile tfjs cannot differentiate, are checked against finite differences instead.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../lib/backend/tf';
import { ModelConfig } from '../lib/model/config';
import { Model } from '../lib/model/model';
import { presetConfig } from '../lib/model/presets';
import { nativeLossAndGrads, nativeTrainable } from '../lib/model/native-train';
import { autogradLossAndGrads } from '../lib/train/step';
import { randomIds, setup } from './helpers';

test.before(setup);

// Measured: the gradients came out bit-identical to autograd's (the same TensorFlow kernels on the
// same inputs); the bound allows for kernels that sum in another order.
const TOL = 1e-4;

const base: ModelConfig = { ...presetConfig('micro-l2', 'relu'), d: 32, heads: 4, dFF: 64 };
const cases: [string, ModelConfig, number][] = [
  ['relu', base, 1],
  ['silu', { ...base, act: 'silu' }, 1],
  ['fatrelu, threshold 0.01', { ...base, act: 'fatrelu', actThreshold: 0.01 }, 1],
  ['untied head, MiniCPM scales', { ...base, act: 'silu', tiedHead: false, embScale: 12, residualScale: 0.5, logitScale: 0.25 }, 1],
  ['3 replicas', base, 3],
  ['2 replicas, untied head, scales', { ...base, tiedHead: false, embScale: 2, residualScale: 0.7, logitScale: 0.5 }, 2],
];

for (const [label, config, R] of cases) {
  test(`native training pass equals autograd: ${label}`, (t) => {
    if (tf.getBackend() !== 'tensorflow') { t.skip('needs the native backend'); return; }
    const model = new Model(config, R === 1 ? { seed: 3 } : { seeds: Array.from({ length: R }, (_, r) => 3 + r) });
    assert.ok(nativeTrainable(model));
    const B = 2, T = 16;
    const x = randomIds(R * B * T, 256, 11), y = randomIds(R * B * T, 256, 12);
    tf.dispose([...nativeLossAndGrads(model, x, y, B, T).grads.values()]); // builds the model's kept rotary tables
    const before = tf.memory().numTensors;
    const nat = nativeLossAndGrads(model, x, y, B, T);
    const ref = autogradLossAndGrads(model, x, y, B, T);
    assert.equal(nat.losses.length, R);
    nat.losses.forEach((l, r) => assert.ok(Math.abs(l - ref.losses[r]) < 1e-5, `loss ${r}: ${l} vs ${ref.losses[r]}`));
    let worst = 0, where = '';
    for (const [name, g] of ref.grads) {
      const a = nat.grads.get(name);
      assert.ok(a, `no gradient for ${name}`);
      assert.deepEqual(a.shape, g.shape, name);
      const av = a.dataSync(), gv = g.dataSync();
      let scale = 0, diff = 0;
      gv.forEach((v, i) => { scale = Math.max(scale, Math.abs(v)); diff = Math.max(diff, Math.abs(v - av[i])); });
      const rel = diff / Math.max(scale, 1e-30);
      if (rel > worst) { worst = rel; where = name; }
    }
    if (process.env.SPARSING_REPORT) console.log(`${label}: max relative gradient difference ${worst.toExponential(2)} (${where})`);
    assert.ok(worst < TOL, `${where}: relative difference ${worst}`);
    assert.equal(nat.grads.size, ref.grads.size);
    tf.dispose([...nat.grads.values(), ...ref.grads.values()]);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    model.dispose();
  });
}

for (const R of [1, 2]) {
  test(`native training pass, grouped-query heads${R > 1 ? `, ${R} replicas` : ''}: gradients match central finite differences`, (t) => {
    if (tf.getBackend() !== 'tensorflow') { t.skip('needs the native backend'); return; }
    const config: ModelConfig = { ...base, act: 'silu', kvHeads: R === 1 ? 2 : 1, tiedHead: R > 1 };
    const model = new Model(config, R === 1 ? { seed: 5 } : { seeds: [5, 6] });
    const B = 2, T = 8;
    const x = randomIds(R * B * T, 256, 21), y = randomIds(R * B * T, 256, 22);
    const { grads } = nativeLossAndGrads(model, x, y, B, T);
    const lossAt = () => tf.tidy(() => model.loss(x, y, B, T).dataSync()[0]);
    let checked = 0;
    for (const name of ['model.layers.0.self_attn.qkv_proj.weight', 'model.layers.1.self_attn.qkv_proj.weight', 'model.layers.0.mlp.gate_up_proj.weight', 'model.embed_tokens.weight']) {
      const v = model.p(name), g = grads.get(name)!.dataSync();
      const w0 = v.dataSync().slice();
      // the entries with the largest gradients, among them k and v columns (the repeated heads)
      for (const i of Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 4)) {
        const h = 1e-2, at = (dv: number) => { const w = w0.slice(); w[i] += dv; v.assign(tf.tensor(w, v.shape)); return lossAt(); };
        const fd = (at(h) - at(-h)) / (2 * h);
        v.assign(tf.tensor(w0, v.shape));
        assert.ok(Math.abs(fd - g[i]) <= 0.05 * Math.abs(g[i]) + 2e-4, `${name}[${i}]: pass ${g[i]} vs finite difference ${fd}`);
        checked++;
      }
    }
    assert.equal(checked, 16);
    tf.dispose([...grads.values()]);
    model.dispose();
  });
}
