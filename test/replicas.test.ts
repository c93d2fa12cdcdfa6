// Replica training: R seeds of one shape trained as one batched model, each in its own ordinary
// run directory, equal to training each alone up to float tolerance; a NaN replica stops alone.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../lib/backend/tf';
import { train, trainReplicas, TRAIN_DEFAULTS, TrainOptions } from '../lib/train/trainer';
import { AdamW } from '../lib/train/adamw';
import { trainStep } from '../lib/train/step';
import { listCheckpoints, readLog, DONE_FILE, RUN_FILE, STATE_FILE } from '../lib/checkpoint/run-dir';
import { Model } from '../lib/model/model';
import { presetConfig } from '../lib/model/presets';
import { readSafetensors } from '../lib/checkpoint/safetensors';
import { loadCorpus, trainBatch } from '../lib/data';
import { UserError } from '../lib/util/errors';
import { PROFILES, replicaGroups } from '../lib/experiments/profiles';
import { randomIds, runCommand, setup, tmpDir } from './helpers';

test.before(setup);

function opts(runDir: string, seed: number, over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    ...TRAIN_DEFAULTS, runDir, model: presetConfig('micro-l2', 'silu'), seed, batchSize: 4, seqLen: 16,
    totalTokens: 4 * 16 * 12, warmupSteps: 4, lr: 5e-3, checkpointFirstTokens: 4 * 16 * 6, checkpointFactor: 2,
    evalTokens: 256, quiet: true, corpus: loadCorpus(), ...over,
  };
}

// Measured (12 steps, SPARSING_REPORT=1 prints it): max |weight difference| from solo training
// 2.3e-7 on native, 3.6e-6 on WASM; max |loss difference| 4.8e-7 on both (batched and 2-D
// products sum in different orders). The bounds leave about 10x margin.
const WEIGHT_TOL = 5e-5;
const LOSS_TOL = 1e-5;

test('replicas write ordinary run directories equal to training each seed alone', async () => {
  const solo = [tmpDir(), tmpDir()], rep = [tmpDir(), tmpDir()];
  for (let i = 0; i < 2; i++) await train(opts(solo[i], 10 + i));
  const sums = await trainReplicas([opts(rep[0], 10), opts(rep[1], 11)]);
  assert.ok(sums.every((s) => !s.error && s.steps === 12));
  let maxW = 0, maxL = 0;
  for (let i = 0; i < 2; i++) {
    for (const f of [RUN_FILE, DONE_FILE, 'log.jsonl', STATE_FILE]) assert.ok(fs.existsSync(path.join(rep[i], f)), `${f} missing`);
    const a = listCheckpoints(solo[i]), b = listCheckpoints(rep[i]);
    assert.deepEqual(b.map((c) => c.step), a.map((c) => c.step));
    const wa = readSafetensors(path.join(a[a.length - 1].dir, 'model.safetensors')).tensors;
    const wb = readSafetensors(path.join(b[b.length - 1].dir, 'model.safetensors')).tensors;
    assert.deepEqual([...wb.keys()].sort(), [...wa.keys()].sort());
    for (const [k, t] of wa) t.data.forEach((x, j) => { maxW = Math.max(maxW, Math.abs(x - wb.get(k)!.data[j])); });
    const la = readLog(solo[i]).filter((r) => r.kind === 'train'), lb = readLog(rep[i]).filter((r) => r.kind === 'train');
    assert.equal(lb.length, la.length);
    la.forEach((r, j) => { maxL = Math.max(maxL, Math.abs((r.loss as number) - (lb[j].loss as number))); });
    assert.ok(Math.abs(a[a.length - 1].val_loss - b[b.length - 1].val_loss) < LOSS_TOL);
  }
  if (process.env.SPARSING_REPORT) console.log(`replica vs solo: max |dw| ${maxW}, max |dloss| ${maxL}`);
  assert.ok(maxW < WEIGHT_TOL, `replica weights differ from solo by ${maxW}`);
  assert.ok(maxL < LOSS_TOL, `replica losses differ from solo by ${maxL}`);
  // a second call finds both finished
  const again = await trainReplicas([opts(rep[0], 10), opts(rep[1], 11)]);
  assert.ok(again.every((s) => s.resumedFromStep === 12));
});

test('a replica whose loss goes NaN stops alone; the other takes exactly its solo step', () => {
  const c = presetConfig('micro', 'relu');
  const corpus = loadCorpus();
  const solo = new Model(c, { seed: 1 });
  const pair = new Model(c, { seeds: [1, 2] });
  const broken = pair.replicaParams(1);
  broken.get('model.norm.weight')!.fill(NaN);
  pair.setReplicaParams(1, broken);
  const optS = new AdamW(TRAIN_DEFAULTS.optimizer, solo.params, () => true);
  const optP = new AdamW(TRAIN_DEFAULTS.optimizer, pair.params, () => true, 2);
  const b1 = trainBatch(corpus, { seed: 1, step: 0, batchSize: 2, context: 16 });
  const b2 = trainBatch(corpus, { seed: 2, step: 0, batchSize: 2, context: 16 });
  const rs = trainStep(solo, optS, b1.x, b1.y, 2, 16, 1e-2);
  const rp = trainStep(pair, optP, Int32Array.from([...b1.x, ...b2.x]), Int32Array.from([...b1.y, ...b2.y]), 2, 16, 1e-2);
  assert.deepEqual(rp.applied, [true, false]);
  assert.ok(Math.abs(rp.losses[0] - rs.losses[0]) < 1e-5);
  const w0 = pair.replicaParams(0), ws = solo.replicaParams(0);
  for (const [k, v] of ws) v.forEach((x, j) => assert.ok(Math.abs(x - w0.get(k)![j]) < 1e-5, k));
  assert.ok(pair.replicaParams(1).get('model.norm.weight')!.every(Number.isNaN), 'the broken replica was not updated');
  [solo, pair].forEach((m) => m.dispose()); optS.dispose(); optP.dispose();
});

test('replica forward equals each replica alone', () => {
  const c = presetConfig('micro-l2', 'silu');
  const pair = new Model(c, { seeds: [4, 5] });
  const ids = randomIds(64);
  const both = pair.forward(ids, 2, 16).logits.dataSync();
  for (let r = 0; r < 2; r++) {
    const one = new Model(c, { seed: 4 + r });
    const l = one.forward(ids.slice(r * 32, (r + 1) * 32), 2, 16).logits.dataSync();
    l.forEach((x, j) => assert.ok(Math.abs(x - both[r * l.length + j]) < 1e-5));
    one.dispose();
  }
  pair.dispose();
  assert.equal(tf.memory().numTensors >= 0, true);
});

test('bad replica input: mixed shapes, repeated seeds, --replicas 0 and a count that does not fit get one line', async () => {
  const d = tmpDir();
  await assert.rejects(trainReplicas([opts(path.join(d, 'a'), 1), opts(path.join(d, 'b'), 2, { model: presetConfig('micro', 'silu') })]),
    (e: Error) => e instanceof UserError && /differ in model/.test(e.message));
  await assert.rejects(trainReplicas([opts(path.join(d, 'a'), 1), opts(path.join(d, 'b'), 1)]), /distinct seeds/);
  const zero = runCommand('train', ['--preset', 'micro', '--tokens', '1k', '--replicas', '0', '--out', path.join(d, 'z')]);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /^error: --replicas must be a positive integer, got 0\n$/);
  const huge = runCommand('train', ['--preset', 'd160-l5', '--tokens', '1k', '--replicas', '20000', '--out', path.join(d, 'h')]);
  assert.equal(huge.code, 2);
  assert.match(huge.stderr, /^error: 20000 replicas need about [\d.]+ GiB, more than the [\d.]+ GiB this machine can give; use fewer replicas\n$/);
  assert.ok(!fs.existsSync(path.join(d, 'z-s0')) && !fs.existsSync(path.join(d, 'h-s0')), 'nothing written on bad input');
});

test('replicaGroups: a profile\'s seeds of one shape, activation and budget group together; nothing else does', () => {
  const groups = replicaGroups(PROFILES.default.runs);
  assert.equal(groups.flat().length, PROFILES.default.runs.length);
  for (const g of groups) {
    const key = (r: typeof g[number]) => JSON.stringify({ ...r, id: '', seed: 0, findings: [] });
    assert.ok(g.every((r) => key(r) === key(g[0])), `mixed group ${g.map((r) => r.id)}`);
    assert.equal(new Set(g.map((r) => r.seed)).size, g.length);
  }
  const wd = groups.filter((g) => g[0].preset.startsWith('wd131k'));
  assert.ok(wd.length === 5 && wd.every((g) => g.length === 2), 'two seeds per width-depth shape');
  assert.ok(replicaGroups(PROFILES.long.runs, 2).every((g) => g.length <= 2));
});

test('replicaGroups leaves models above maxParams alone', () => {
  const runs = PROFILES.default.runs.filter((r) => r.preset === 'wd131k-l2');
  assert.equal(replicaGroups(runs)[0].length, 2);
  assert.ok(replicaGroups(runs, 4, 1000).every((g) => g.length === 1));
});
