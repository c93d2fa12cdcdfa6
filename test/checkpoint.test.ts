import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint, saveCheckpoint, WEIGHTS_FILE, CONFIG_FILE } from '../lib/checkpoint/hf';
import { decodeSafetensors, encodeSafetensors, readSafetensors } from '../lib/checkpoint/safetensors';
import { UserError } from '../lib/util/errors';
import { microModel, randomIds, setup, tmpDir } from './helpers';

test.before(setup);

test('checkpoint round trip: same logits, HF names, [out, in] layout and config keys', () => {
  const m = microModel('silu', 4, 'micro-l2');
  const dir = tmpDir();
  saveCheckpoint(m, dir);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, CONFIG_FILE), 'utf8'));
  for (const k of ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'hidden_act', 'vocab_size', 'max_position_embeddings', 'rms_norm_eps', 'rope_theta', 'tie_word_embeddings']) {
    assert.ok(k in cfg, `config.json lacks ${k}`);
  }
  assert.equal(cfg.hidden_act, 'silu');
  const { tensors } = readSafetensors(path.join(dir, WEIGHTS_FILE));
  assert.deepEqual(tensors.get('model.layers.1.mlp.gate_proj.weight')!.shape, [m.config.dFF, m.config.d]);
  assert.deepEqual(tensors.get('model.layers.1.mlp.down_proj.weight')!.shape, [m.config.d, m.config.dFF]);
  assert.deepEqual(tensors.get('model.embed_tokens.weight')!.shape, [256, m.config.d]);
  assert.ok(!tensors.has('lm_head.weight'), 'tied head is not stored');
  // [out, in]: HF gate_proj[j, i] == internal [i, j]
  const internal = m.weights().get('model.layers.0.mlp.gate_proj.weight')!; // [d, dFF]
  const hf = tensors.get('model.layers.0.mlp.gate_proj.weight')!.data;
  assert.equal(hf[3 * m.config.d + 5], internal[5 * m.config.dFF + 3]);
  const back = loadCheckpoint(dir);
  const ids = randomIds(32);
  assert.deepEqual(Array.from(back.forward(ids, 2, 16).logits.dataSync()), Array.from(m.forward(ids, 2, 16).logits.dataSync()));
  m.dispose(); back.dispose();
});

test('safetensors reads F16 and BF16 tensors written by other tools', () => {
  // hand-built file: one F16 tensor [2] = [1.0, -2.0], one BF16 [1] = [0.5]
  const header = JSON.stringify({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] } });
  const hb = Buffer.from(header);
  const buf = Buffer.alloc(8 + hb.length + 6);
  buf.writeBigUInt64LE(BigInt(hb.length), 0);
  hb.copy(buf, 8);
  buf.writeUInt16LE(0x3c00, 8 + hb.length); // 1.0
  buf.writeUInt16LE(0xc000, 8 + hb.length + 2); // -2.0
  buf.writeUInt16LE(0x3f00, 8 + hb.length + 4); // bf16 0.5
  const { tensors } = decodeSafetensors(new Uint8Array(buf));
  assert.deepEqual(Array.from(tensors.get('a')!.data), [1, -2]);
  assert.deepEqual(Array.from(tensors.get('b')!.data), [0.5]);
});

test('a truncated or foreign checkpoint gets one clear error', () => {
  const m = microModel('relu', 1);
  const dir = tmpDir();
  saveCheckpoint(m, dir);
  const file = path.join(dir, WEIGHTS_FILE);
  const full = fs.readFileSync(file);
  fs.writeFileSync(file, full.subarray(0, full.length - 100));
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof UserError && /truncated|bytes for shape/.test(e.message));
  fs.writeFileSync(file, Buffer.from('not a checkpoint at all'));
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof UserError && /not a valid safetensors file/.test(e.message));
  // a non-gated FFN (no gate_proj)
  const { tensors } = decodeSafetensors(new Uint8Array(full));
  tensors.delete('model.layers.0.mlp.gate_proj.weight');
  fs.writeFileSync(file, encodeSafetensors(tensors));
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof UserError && /gate_proj.*missing.*gated/.test(e.message));
  // a config from another architecture
  fs.writeFileSync(path.join(dir, CONFIG_FILE), JSON.stringify({ model_type: 'gpt2', n_embd: 16 }));
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof UserError && /model_type 'gpt2' is not supported/.test(e.message));
  fs.rmSync(path.join(dir, CONFIG_FILE));
  assert.throws(() => loadCheckpoint(dir), (e: Error) => e instanceof UserError && /not a checkpoint directory/.test(e.message));
  m.dispose();
});

test('fused q/k/v and gate/up: save -> load -> save gives identical HF tensors', () => {
  const m = microModel('silu', 6, 'micro-l2');
  const a = tmpDir(), b = tmpDir();
  saveCheckpoint(m, a);
  const back = loadCheckpoint(a);
  saveCheckpoint(back, b);
  const ta = readSafetensors(path.join(a, WEIGHTS_FILE)).tensors, tb = readSafetensors(path.join(b, WEIGHTS_FILE)).tensors;
  assert.deepEqual([...tb.keys()].sort(), [...ta.keys()].sort());
  for (const [k, t] of ta) {
    assert.deepEqual(tb.get(k)!.shape, t.shape, k);
    assert.deepEqual(Array.from(tb.get(k)!.data), Array.from(t.data), k);
  }
  assert.ok(ta.has('model.layers.1.self_attn.k_proj.weight') && !ta.has('model.layers.1.self_attn.qkv_proj.weight'), 'files keep HF names');
  m.dispose(); back.dispose();
});
