// The optional config fields for hub checkpoints: grouped-query attention, untied head, MiniCPM
// scales, FATReLU. Defaults must be the identity; each field must do what HF's model does.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Model } from '../lib/model/model';
import { presetConfig } from '../lib/model/presets';
import { paramCounts, validateConfig } from '../lib/model/config';
import { loadCheckpoint, saveCheckpoint, WEIGHTS_FILE, CONFIG_FILE } from '../lib/checkpoint/hf';
import { readSafetensors } from '../lib/checkpoint/safetensors';
import { UserError } from '../lib/util/errors';
import { randomIds, setup, tmpDir } from './helpers';

test.before(setup);

const logitsOf = (m: Model, ids: Int32Array) => Array.from(m.forward(ids, 2, 16).logits.dataSync());
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

test('explicit defaults (kvHeads = heads, tied head, unit scales) compute exactly the old model', () => {
  const base = presetConfig('micro-l2', 'silu');
  const a = new Model(base, { seed: 3 });
  const b = new Model({ ...base, kvHeads: base.heads, tiedHead: true, embScale: 1, residualScale: 1, logitScale: 1 }, a.weights());
  const ids = randomIds(32);
  assert.deepEqual(logitsOf(b, ids), logitsOf(a, ids));
  a.dispose(); b.dispose();
});

test('GQA: one kv head equals full attention whose k/v heads are that head repeated (HF repeat_kv)', () => {
  const full = presetConfig('micro', 'relu'); // d 16, 2 heads of 8
  const gqa = { ...full, kvHeads: 1 };
  const g = new Model(gqa, { seed: 5 });
  assert.deepEqual(g.p('model.layers.0.self_attn.k_proj.weight').shape, [16, 8]);
  const w = g.weights();
  const repeated = new Map(w);
  for (const n of ['k_proj', 'v_proj']) {
    const small = w.get(`model.layers.0.self_attn.${n}.weight`)!; // [16, 8]
    const big = new Float32Array(16 * 16);
    for (let i = 0; i < 16; i++) for (let j = 0; j < 16; j++) big[i * 16 + j] = small[i * 8 + (j % 8)];
    repeated.set(`model.layers.0.self_attn.${n}.weight`, big);
  }
  const f = new Model(full, repeated);
  const ids = randomIds(32, 256, 9);
  assert.ok(maxDiff(logitsOf(g, ids), logitsOf(f, ids)) < 1e-5);
  assert.equal(paramCounts(gqa).total, paramCounts(full).total - 2 * 16 * 8);
  g.dispose(); f.dispose();
});

test('scales: embScale, residualScale and logitScale change the output; logitScale scales the pre-head state', () => {
  const base = presetConfig('micro', 'silu');
  const a = new Model(base, { seed: 2 });
  const ids = randomIds(32);
  const ref = logitsOf(a, ids);
  for (const k of ['embScale', 'residualScale', 'logitScale'] as const) {
    const m = new Model({ ...base, [k]: 2 }, a.weights());
    assert.ok(maxDiff(logitsOf(m, ids), ref) > 1e-4, `${k} = 2 must change the logits`);
    if (k === 'logitScale') assert.ok(maxDiff(logitsOf(m, ids), ref.map((x) => 2 * x)) < 1e-4, 'logits are linear in the final state');
    m.dispose();
  }
  a.dispose();
});

test('fatrelu: threshold 0 equals relu; a positive threshold zeroes small gate values', () => {
  const base = presetConfig('micro', 'relu');
  const r = new Model(base, { seed: 4 });
  const f0 = new Model({ ...base, act: 'fatrelu', actThreshold: 0 }, r.weights());
  const ids = randomIds(32);
  assert.deepEqual(logitsOf(f0, ids), logitsOf(r, ids));
  const f = new Model({ ...base, act: 'fatrelu', actThreshold: 0.01 }, r.weights());
  const s = f.forward(ids, 2, 16, { capture: true }).layers![0].s.dataSync();
  assert.ok(s.every((x) => x === 0 || x >= 0.01));
  [r, f0, f].forEach((m) => m.dispose());
});

test('untied head and GQA round-trip through a checkpoint with HF shapes', () => {
  const c = { ...presetConfig('micro-l2', 'silu'), kvHeads: 1, tiedHead: false };
  const m = new Model(c, { seed: 8 });
  const dir = tmpDir();
  saveCheckpoint(m, dir);
  const { tensors } = readSafetensors(path.join(dir, WEIGHTS_FILE));
  assert.deepEqual(tensors.get('lm_head.weight')!.shape, [256, 16]);
  assert.deepEqual(tensors.get('model.layers.1.self_attn.k_proj.weight')!.shape, [8, 16]);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8'));
  assert.equal(cfg.num_key_value_heads, 1);
  assert.equal(cfg.tie_word_embeddings, false);
  const back = loadCheckpoint(dir);
  const ids = randomIds(32);
  assert.deepEqual(logitsOf(back, ids), logitsOf(m, ids));
  assert.equal(paramCounts(c).total, [...m.params.values()].reduce((n, v) => n + v.size, 0));
  m.dispose(); back.dispose();
});

test('bad new fields get one clear error', () => {
  const base = presetConfig('micro');
  assert.throws(() => validateConfig({ ...base, kvHeads: 3 }), (e: Error) => e instanceof UserError && /kvHeads \(3\) must be a positive integer dividing heads/.test(e.message));
  assert.throws(() => validateConfig({ ...base, embScale: NaN }), /embScale must be a finite number/);
});
