import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { train, TRAIN_DEFAULTS, TrainOptions } from '../lib/train/trainer';
import { listCheckpoints, readLog, RUN_FILE, STATE_FILE } from '../lib/checkpoint/run-dir';
import { checkpointSteps, lrAt } from '../lib/train/schedule';
import { presetConfig } from '../lib/model/presets';
import { readSafetensors } from '../lib/checkpoint/safetensors';
import { loadCorpus } from '../lib/data';
import { UserError } from '../lib/util/errors';
import { setup, tmpDir } from './helpers';

test.before(setup);

const corpus = () => loadCorpus();

function opts(runDir: string, over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    ...TRAIN_DEFAULTS, runDir, model: presetConfig('micro', 'relu'), seed: 3, batchSize: 8, seqLen: 16,
    totalTokens: 8 * 16 * 60, warmupSteps: 10, lr: 5e-3, checkpointFirstTokens: 8 * 16 * 10, checkpointFactor: 2,
    evalTokens: 512, quiet: true, corpus: corpus(), ...over,
  };
}

const weightsOf = (runDir: string) => {
  const cks = listCheckpoints(runDir);
  return readSafetensors(path.join(cks[cks.length - 1].dir, 'model.safetensors')).tensors;
};

test('schedule: warmup, stable, linear decay; checkpoints geometric and ending at the last step', () => {
  const s = { lr: 1, warmupSteps: 10, totalSteps: 100, decayFraction: 0.2, minLrRatio: 0.1 };
  assert.equal(lrAt(s, 5), 0.5);
  assert.equal(lrAt(s, 50), 1);
  assert.ok(Math.abs(lrAt(s, 100) - 0.1) < 1e-12);
  assert.deepEqual(checkpointSteps(100, 40, 200, 2), [2, 4, 8, 16, 32, 40]);
});

test('loss falls on a short run, and the log and checkpoints are written', async () => {
  const dir = tmpDir();
  const s = await train(opts(dir));
  assert.equal(s.steps, 60);
  const rows = readLog(dir).filter((r) => r.kind === 'train');
  assert.equal(rows.length, 60);
  const first = rows.slice(0, 5).reduce((a, r) => a + (r.loss as number), 0) / 5;
  const last = rows.slice(-5).reduce((a, r) => a + (r.loss as number), 0) / 5;
  assert.ok(last < first - 0.5, `loss did not fall enough: ${first} -> ${last}`);
  const cks = listCheckpoints(dir);
  assert.deepEqual(cks.map((c) => c.step), [10, 20, 40, 60]);
  assert.ok(cks.every((c) => Number.isFinite(c.val_loss)));
  assert.ok(cks[3].val_loss < cks[0].val_loss);
});

test('an interrupted run resumes and ends with exactly the weights of an uninterrupted one', async () => {
  const a = tmpDir(), b = tmpDir();
  await train(opts(a));
  const part = await train(opts(b, { stopAfterSteps: 27, stateEverySeconds: 0 }));
  assert.ok(part.stoppedEarly);
  assert.ok(fs.existsSync(path.join(b, STATE_FILE)));
  const rest = await train(opts(b));
  assert.equal(rest.resumedFromStep, 27);
  const wa = weightsOf(a), wb = weightsOf(b);
  for (const [name, t] of wa) assert.deepEqual(Array.from(wb.get(name)!.data), Array.from(t.data), name);
  // the log has each step once
  assert.deepEqual(readLog(b).filter((r) => r.kind === 'train').map((r) => r.step), Array.from({ length: 60 }, (_, i) => i + 1));
  // and a finished run is not redone
  const again = await train(opts(b));
  assert.equal(again.seconds, 0);
});

test('resuming on another thread count than the run began with is said, in one line', async () => {
  const dir = tmpDir();
  await train(opts(dir, { stopAfterSteps: 10, stateEverySeconds: 0 }));
  const runFile = path.join(dir, RUN_FILE);
  const run = JSON.parse(fs.readFileSync(runFile, 'utf8'));
  fs.writeFileSync(runFile, JSON.stringify({ ...run, provenance: { ...run.provenance, threads: 7 } }));
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => { said.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try { await train(opts(dir)); } finally { process.stderr.write = write; }
  const lines = said.join('').split('\n').filter((l) => l.includes('began on'));
  assert.equal(lines.length, 1, said.join(''));
  assert.match(lines[0], /with 7 thread\(s\), resumes on \S+ with \d+ thread\(s\).*SPARSING_THREADS=7/);
});

test('same seed gives the same numbers; another seed does not', async () => {
  const a = tmpDir(), b = tmpDir(), c = tmpDir();
  const short = { totalTokens: 8 * 16 * 10 };
  await train(opts(a, short)); await train(opts(b, short)); await train(opts(c, { ...short, seed: 4 }));
  const la = readLog(a).map((r) => r.loss), lb = readLog(b).map((r) => r.loss), lc = readLog(c).map((r) => r.loss);
  assert.deepEqual(la, lb);
  assert.notDeepEqual(la, lc);
});

test('a NaN loss stops the run with a message naming the step, and earlier checkpoints stay', async () => {
  const dir = tmpDir();
  await assert.rejects(train(opts(dir, { lr: 1e30, warmupSteps: 1, optimizer: { ...TRAIN_DEFAULTS.optimizer, gradClip: 1e30 } })),
    (e: Error) => e instanceof UserError && /loss is (NaN|Infinity|-Infinity) at step \d+/.test(e.message));
});

test('bad training options and a changed config in an existing run dir are refused', async () => {
  const dir = tmpDir();
  await assert.rejects(train(opts(dir, { seqLen: 999 })), /exceeds the model context/);
  await assert.rejects(train(opts(dir, { totalTokens: -1 })), /totalTokens must be a positive number/);
  await train(opts(dir, { totalTokens: 8 * 16 * 10 }));
  await assert.rejects(train(opts(dir, { totalTokens: 8 * 16 * 10, lr: 1e-3 })), /different settings/);
});
