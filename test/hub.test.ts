// Hub checkpoints: LLaMA (transformers: sharded bf16, GQA, untied head) and the MiniCPM layout
// (scale_emb, scale_depth, dim_model_base; F16) agree with their Python references to 1e-4
// relative, with the model's own tokenizer; bad directories fail in one line.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { byteLevelTokenizerJson, decodeToFloat32, hubConfig, loadHubModel, loadTokenizer, readHubConfig, saveHubModel, WeightFiles } from '../lib/hub';
import { toBF16, toF16 } from '../lib/hub/save';
import { readTextDocuments, textEvalSet, tokenStream } from '../lib/data/text-eval';
import { Model } from '../lib/model/model';
import { defaultRowsPerChunk, rowsPerChunkFor } from '../lib/metrics';
import { UserError } from '../lib/util/errors';
import { setup, tmpDir } from './helpers';
import { copyWithConfig, FIXTURES, GENERATOR, ourOutputs, readExpected, relDiff, SAMPLE } from './hub-fixtures';

test.before(setup);

const LLAMA = path.join(FIXTURES, 'llama');
const MINICPM = path.join(FIXTURES, 'minicpm');

test('the model tokenizer (tokenizer.json via @huggingface/tokenizers) gives the ids Python tokenizers gives', () => {
  const e = readExpected();
  const tok = loadTokenizer(LLAMA, 320);
  assert.deepEqual(Array.from(tokenStream(readTextDocuments(SAMPLE), tok.encode)), e.ids);
  assert.equal(e.ids[0], 0, 'BOS from the post-processor');
});

test('config mapping: LLaMA (GQA, untied, rope_parameters) and MiniCPM (its three scales)', () => {
  const l = readHubConfig(LLAMA);
  assert.equal(l.kvHeads, 2);
  assert.equal(l.tiedHead, false);
  assert.equal(l.ropeTheta, 500000);
  assert.equal(l.act, 'silu');
  const m = readHubConfig(MINICPM);
  assert.equal(m.embScale, 12);
  assert.ok(Math.abs(m.residualScale! - 1.4 / Math.sqrt(2)) < 1e-12);
  assert.equal(m.logitScale, 8 / 32);
  assert.notEqual(m.tiedHead, false);
  const fat = hubConfig({ model_type: 'minicpm', hidden_act: 'fatrelu', hidden_act_param: 0.05, vocab_size: 8, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 4 });
  assert.equal(fat.act, 'fatrelu');
  assert.equal(fat.actThreshold, 0.05);
  assert.ok(Math.abs(fat.residualScale! - 1) < 1e-12, 'scale_depth defaults to 1, as in configuration_minicpm.py');
});

test('LLaMA from transformers (5 bf16 shards, GQA, untied): logits and per-token loss agree to 1e-4', () => {
  const e = readExpected();
  const ours = ourOutputs(LLAMA, e);
  assert.ok(relDiff(ours.logits, e.logits.llama) < 1e-4, `logits rel diff ${relDiff(ours.logits, e.logits.llama)}`);
  assert.ok(relDiff(ours.nll, e.nll.llama) < 1e-4, `nll rel diff ${relDiff(ours.nll, e.nll.llama)}`);
});

test('MiniCPM layout (F16, relu and fatrelu): logits and per-token loss agree with the PyTorch reference to 1e-4', () => {
  const e = readExpected();
  const relu = ourOutputs(MINICPM, e);
  assert.ok(relDiff(relu.logits, e.logits.minicpm) < 1e-4, `relu logits ${relDiff(relu.logits, e.logits.minicpm)}`);
  assert.ok(relDiff(relu.nll, e.nll.minicpm) < 1e-4, `relu nll ${relDiff(relu.nll, e.nll.minicpm)}`);
  const dir = copyWithConfig(MINICPM, path.join(tmpDir(), 'fat'), (c) => { c.hidden_act = 'fatrelu'; c.hidden_act_param = e.fatrelu_threshold; });
  const fat = ourOutputs(dir, e);
  assert.ok(relDiff(fat.logits, e.logits['minicpm-fatrelu']) < 1e-4, `fatrelu logits ${relDiff(fat.logits, e.logits['minicpm-fatrelu'])}`);
  assert.ok(relDiff(fat.logits, e.logits.minicpm) > 1e-3, 'the threshold changes the outputs');
});

test('without a scale the MiniCPM outputs differ: each scale is exercised', () => {
  const e = readExpected();
  for (const key of ['scale_emb', 'scale_depth', 'dim_model_base']) {
    const dir = copyWithConfig(MINICPM, path.join(tmpDir(), key), (c) => { c[key] = key === 'dim_model_base' ? c.hidden_size : 1; });
    const o = ourOutputs(dir, e);
    assert.ok(relDiff(o.logits, e.logits.minicpm) > 1e-3, `${key} has no effect`);
  }
});

test('dtype decoding: BF16 and F16 bit patterns, and the writer round-trips', () => {
  const bf = new Uint8Array(new Uint16Array([0x3f80, 0xc000, 0x7f80, 0x0000]).buffer);
  assert.deepEqual(Array.from(decodeToFloat32(bf, 'BF16', 4)), [1, -2, Infinity, 0]);
  const h = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7bff]).buffer);
  assert.deepEqual(Array.from(decodeToFloat32(h, 'F16', 4)), [1, -2, 2 ** -24, 65504]);
  const odd = new Uint8Array(9); // an unaligned F32 tensor
  new DataView(odd.buffer).setFloat32(1, 1.5, true); new DataView(odd.buffer).setFloat32(5, -3, true);
  assert.deepEqual(Array.from(decodeToFloat32(odd.subarray(1), 'F32', 2)), [1.5, -3]);
  assert.equal(toBF16(1.00390625), 0x3f80, 'ties round to even');
  assert.equal(toBF16(1.01171875), 0x3f82);
  for (const x of [0.1, -3.14159, 1e-6, 65504, 2 ** -20]) {
    const back = decodeToFloat32(new Uint8Array(new Uint16Array([toF16(x)]).buffer), 'F16', 1)[0];
    assert.ok(Math.abs(back - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `f16 ${x} -> ${back}`);
  }
});

test('a model saved here as sharded BF16 loads back with the same weights (rounded) and outputs', () => {
  const m = new Model({ vocab: 64, d: 16, layers: 2, heads: 4, kvHeads: 2, dFF: 40, act: 'relu', context: 16, normEps: 1e-5, ropeTheta: 1e4, tiedHead: false, embScale: 3, residualScale: 0.5, logitScale: 0.25 }, { seed: 3 });
  const dir = tmpDir();
  const { files } = saveHubModel(m, dir, { dtype: 'BF16', maxShardBytes: 2048 });
  assert.ok(files.length > 2);
  const back = loadHubModel(dir).model;
  assert.deepEqual(back.config, m.config);
  for (const [name, v] of back.params) {
    const a = v.dataSync();
    const b = m.p(name).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= Math.abs(b[i]) * 2 ** -8, `${name}[${i}]`);
  }
  m.dispose();
  back.dispose();
});

test('text evaluation windows: evenly spread, targets shifted by one, too short a text is one clear error', () => {
  const stream = Int32Array.from({ length: 100 }, (_, i) => i);
  const s = textEvalSet(stream, { tokens: 30, context: 10, source: 'x' });
  assert.equal(s.rows, 3);
  for (let r = 0; r < 3; r++) for (let t = 0; t < 10; t++) {
    assert.equal(s.x[r * 10 + t], s.starts[r] + t);
    assert.equal(s.y[r * 10 + t], s.starts[r] + t + 1);
  }
  assert.throws(() => textEvalSet(stream, { tokens: 100, context: 10, source: 'short.txt' }), (e: Error) => e instanceof UserError && /short.txt gives 100 tokens, but 10 rows of 10 need 101/.test(e.message));
});

test('bad directories: missing shard, index naming an absent tensor, unsupported hidden_act or rope_scaling, tokenizer larger than vocab_size', () => {
  const root = tmpDir();
  const expectError = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: Error) => e instanceof UserError && re.test(e.message) && !e.message.includes('\n'), re.source);

  const noShard = path.join(root, 'no-shard');
  fs.cpSync(LLAMA, noShard, { recursive: true });
  fs.rmSync(path.join(noShard, 'model-00003-of-00005.safetensors'));
  expectError(() => WeightFiles.open(noShard), /shard model-00003-of-00005.safetensors named in model.safetensors.index.json is missing/);

  const badIndex = path.join(root, 'bad-index');
  fs.cpSync(LLAMA, badIndex, { recursive: true });
  const idxFile = path.join(badIndex, 'model.safetensors.index.json');
  const idx = JSON.parse(fs.readFileSync(idxFile, 'utf8'));
  const name = 'model.layers.0.mlp.up_proj.weight';
  idx.weight_map[name] = Object.values(idx.weight_map as Record<string, string>).find((s) => s !== idx.weight_map[name]); // a shard without it
  fs.writeFileSync(idxFile, JSON.stringify(idx));
  expectError(() => loadHubModel(badIndex), /maps tensor 'model.layers.0.mlp.up_proj.weight' to model-0000\d-of-00005.safetensors, but .* does not contain it/);

  expectError(() => readHubConfig(copyWithConfig(LLAMA, path.join(root, 'gelu'), (c) => { c.hidden_act = 'gelu'; })), /hidden_act 'gelu' is not supported/);
  expectError(() => readHubConfig(copyWithConfig(LLAMA, path.join(root, 'rope'), (c) => { c.rope_scaling = { type: 'linear', factor: 2 }; })), /rope_scaling .* is not supported/);
  expectError(() => readHubConfig(copyWithConfig(LLAMA, path.join(root, 'bias'), (c) => { c.attention_bias = true; })), /attention_bias true .* is not supported/);
  expectError(() => readHubConfig(copyWithConfig(LLAMA, path.join(root, 'type'), (c) => { c.model_type = 'gpt2'; })), /model_type 'gpt2' is not supported/);
  expectError(() => loadTokenizer(LLAMA, 200), /tokenizer has ids up to 299, but the model's vocab_size is 200/);
  const tied = copyWithConfig(MINICPM, path.join(root, 'untied'), (c) => { c.tie_word_embeddings = false; });
  expectError(() => loadHubModel(tied), /tensor 'lm_head.weight' is missing \(config.json says tie_word_embeddings false\)/);
});

const hasTorch = spawnSync('python3', ['-c', 'import torch, transformers, tokenizers, safetensors'], { encoding: 'utf8' }).status === 0;

test('a freshly generated set (another seed) agrees too', { skip: hasTorch ? false : 'python3 lacks torch/transformers/tokenizers/safetensors (the committed fixtures are checked above)' }, () => {
  const dir = tmpDir();
  const r = spawnSync('python3', [GENERATOR, dir, '11'], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  const e = readExpected(dir);
  assert.deepEqual(Array.from(tokenStream(readTextDocuments(SAMPLE), loadTokenizer(path.join(dir, 'llama')).encode)), e.ids);
  for (const name of ['llama', 'minicpm']) {
    const o = ourOutputs(path.join(dir, name), e);
    assert.ok(relDiff(o.logits, e.logits[name]) < 1e-4, `${name} logits ${relDiff(o.logits, e.logits[name])}`);
    assert.ok(relDiff(o.nll, e.nll[name]) < 1e-4, `${name} nll ${relDiff(o.nll, e.nll[name])}`);
  }
});

test('the byte-level tokenizer.json gives UTF-8 byte ids, so our byte models read hub text exactly as they were trained', () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(byteLevelTokenizerJson()));
  const tok = loadTokenizer(dir, 256);
  const text = fs.readFileSync(SAMPLE, 'utf8') + ' héllo — ✓\n\n  x\u0000';
  assert.deepEqual(tok.encode(text), Array.from(Buffer.from(text, 'utf8')));
  assert.equal(tok.decode(tok.encode(text)), text);
  const py = spawnSync('python3', ['-c', 'import sys; from tokenizers import Tokenizer; t = Tokenizer.from_file(sys.argv[1]); print(list(t.encode(open(sys.argv[2], encoding="utf-8").read()).ids) == list(open(sys.argv[2], "rb").read()))', path.join(dir, 'tokenizer.json'), SAMPLE], { encoding: 'utf8' });
  if (py.status === 0) assert.equal(py.stdout.trim(), 'True', 'Python tokenizers agrees');
});

test('chunk rows: our small models keep the default 4096-token chunks; a large vocabulary or model gets fewer rows', () => {
  const small = { vocab: 256, d: 128, layers: 4, heads: 4, dFF: 512, act: 'relu' as const, context: 64, normEps: 1e-5, ropeTheta: 1e4 };
  assert.equal(rowsPerChunkFor(small, 64), defaultRowsPerChunk(64));
  const big = { ...small, vocab: 122753, d: 1792, layers: 32, heads: 14, dFF: 4480, context: 4096 }; // the paper's 1.2B shape
  assert.equal(rowsPerChunkFor(big, 512), 1);
  assert.equal(rowsPerChunkFor({ ...small, vocab: 32000 }, 256), 8); // 2^26 / 32000 = 2097 tokens
});
