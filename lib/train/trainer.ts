// Resumable training: AdamW, WSD schedule, planned checkpoints with validation loss, a JSONL log.
// Batches are a pure function of (seed, step), so the saved state is weights + optimizer + step,
// and a resumed run ends with exactly the weights of an uninterrupted one on the same backend.
import * as path from 'node:path';
import { tf, Tensor, Variable } from '../backend/tf';
import { initBackend } from '../backend/select';
import { ModelConfig, paramCounts, validateConfig } from '../model/config';
import { Model } from '../model/model';
import { saveCheckpoint, toHFConfig } from '../checkpoint/hf';
import { encodeSafetensors, NamedTensor } from '../checkpoint/safetensors';
import { CheckpointMeta, DONE_FILE, LOG_FILE, META_FILE, readLog, REBUILDABLE, RUN_FILE, RunDirectory, RunJson, STATE_FILE } from '../checkpoint/run-dir';
import { Corpus, evalSet, loadCorpus, trainBatch } from '../data';
import { writeFileAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { Progress } from '../util/progress';
import { provenance } from '../util/provenance';
import { AdamW, AdamWConfig } from './adamw';
import { meanLoss } from './evaluate';
import { checkpointSteps, LrSchedule, lrAt, stageAt } from './schedule';

export interface TrainOptions {
  runDir: string;
  model: ModelConfig;
  preset?: string;
  seed: number;
  batchSize: number;
  seqLen: number;               // tokens per row; at most model.context
  totalTokens: number;
  lr: number;
  warmupSteps: number;
  decayFraction: number;        // final fraction of steps with linearly decaying lr (0: none)
  minLrRatio: number;
  optimizer: AdamWConfig;
  checkpointFirstTokens: number;
  checkpointFactor: number;     // geometric spacing of checkpoints in tokens
  evalTokens: number;           // validation tokens per checkpoint
  stateEverySeconds: number;    // how often the resume state is saved between checkpoints
  quiet?: boolean;
  /** Stop (as if killed) after this many steps in this process; for tests of resuming. */
  stopAfterSteps?: number;
  /** Corpus to use (tests pass a small one); by default the prepared project corpus. */
  corpus?: Corpus;
  /** Damaged run files to rebuild from what is intact (run.json, done.json, log.jsonl, state.safetensors). */
  rebuild?: string[];
  /** Named in the run directory's lock (default: `train <runDir>`). */
  command?: string;
}

export const TRAIN_DEFAULTS = {
  seed: 0,
  batchSize: 32,
  lr: 2e-3,
  warmupSteps: 100,
  decayFraction: 0,
  minLrRatio: 0.1,
  optimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, gradClip: 1.0 },
  checkpointFirstTokens: 125_000,
  checkpointFactor: Math.SQRT2,
  evalTokens: 16_384,
  stateEverySeconds: 60,
};

export interface TrainSummary {
  runDir: string;
  steps: number;
  tokens: number;
  finalValLoss: number;
  checkpoints: number;
  resumedFromStep: number;
  stoppedEarly: boolean;
  seconds: number;
}

/** The part of the options that defines the run: a rerun with other values is refused. */
function identity(o: TrainOptions): Record<string, unknown> {
  const { runDir: _r, quiet: _q, stopAfterSteps: _s, corpus: _c, stateEverySeconds: _e, rebuild: _b, command: _m, ...rest } = o;
  return rest;
}

function validate(o: TrainOptions): void {
  validateConfig(o.model);
  const pos = (k: keyof TrainOptions) => {
    const v = o[k] as number;
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new UserError(`training option ${k} must be a positive number, got ${v}`);
  };
  (['batchSize', 'seqLen', 'totalTokens', 'lr', 'checkpointFirstTokens', 'evalTokens'] as const).forEach(pos);
  if (o.seqLen > o.model.context) throw new UserError(`sequence length ${o.seqLen} exceeds the model context ${o.model.context}`);
  if (!(o.checkpointFactor > 1)) throw new UserError(`checkpointFactor must be > 1, got ${o.checkpointFactor}`);
  if (!(o.decayFraction >= 0 && o.decayFraction < 1)) throw new UserError(`decayFraction must be in [0, 1), got ${o.decayFraction}`);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new UserError(`seed must be a non-negative integer, got ${o.seed}`);
}

function encodeState(model: Model, opt: AdamW, step: number): Uint8Array {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, v] of model.params) {
    tensors.set(`param.${name}`, { data: v.dataSync() as Float32Array, shape: v.shape });
    tensors.set(`adam_m.${name}`, { data: opt.m.get(name)!.dataSync() as Float32Array, shape: v.shape });
    tensors.set(`adam_v.${name}`, { data: opt.v.get(name)!.dataSync() as Float32Array, shape: v.shape });
  }
  return encodeSafetensors(tensors, { step: String(step) });
}

/** Loads the resume state (validated by the run directory) into the model and optimizer; returns its step. */
function loadState(rd: RunDirectory, model: Model, opt: AdamW, totalSteps: number): number {
  const targets = new Map<string, Variable>();
  for (const [name, v] of model.params) {
    targets.set(`param.${name}`, v).set(`adam_m.${name}`, opt.m.get(name)!).set(`adam_v.${name}`, opt.v.get(name)!);
  }
  const state = rd.readState(new Map([...targets].map(([k, v]) => [k, v.size])), totalSteps);
  if (!state) return 0;
  for (const [k, v] of targets) v.assign(tf.tensor(state.tensors.get(k)!.data, v.shape));
  opt.step = state.step;
  return state.step;
}

/** For --rebuild FILE: a file that reads back fine is left alone; a damaged one is rebuilt (`fix`). */
function rebuildIfDamaged(o: TrainOptions, name: string, read: () => unknown, fix: () => void): void {
  if (!o.rebuild?.includes(name)) return;
  try {
    read();
    if (!o.quiet) process.stderr.write(`${path.basename(o.runDir)}: ${name} reads back fine; nothing to rebuild\n`);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    fix();
  }
}

export async function train(o: TrainOptions): Promise<TrainSummary> {
  validate(o);
  for (const f of o.rebuild ?? []) if (!REBUILDABLE.includes(f)) throw new UserError(`--rebuild accepts ${REBUILDABLE.join(', ')}; got '${f}'`);
  await initBackend({ quiet: o.quiet });
  const rd = new RunDirectory(o.runDir);
  try {
    rd.open(o.command ?? `train --out ${o.runDir}`);
    return await trainIn(rd, o);
  } catch (e) {
    throw rd.failed(e);
  } finally {
    rd.close();
  }
}

async function trainIn(rd: RunDirectory, o: TrainOptions): Promise<TrainSummary> {
  const t0 = Date.now();
  const runName = rd.name;
  const id = identity(o);
  const corpus = o.corpus ?? loadCorpus();
  const tokensPerStep = o.batchSize * o.seqLen;
  const totalSteps = Math.max(1, Math.round(o.totalTokens / tokensPerStep));
  const sched: LrSchedule = { lr: o.lr, warmupSteps: o.warmupSteps, totalSteps, decayFraction: o.decayFraction, minLrRatio: o.minLrRatio };
  const ckptSteps = new Set(checkpointSteps(tokensPerStep, totalSteps, o.checkpointFirstTokens, o.checkpointFactor));
  const runJson: RunJson = {
    options: id, params: { ...paramCounts(o.model) }, tokens_per_step: tokensPerStep, total_steps: totalSteps,
    checkpoint_steps: [...ckptSteps], corpus_hash: corpus.hash, provenance: { ...provenance() },
  };
  rebuildIfDamaged(o, RUN_FILE, () => rd.readRun(), () => rd.rebuildRun(runJson, (s) => lrAt(sched, s), o.seed, JSON.stringify(toHFConfig(o.model))));
  const prev = rd.readRun();
  if (prev && JSON.stringify(prev.options) !== JSON.stringify(id)) {
    throw new UserError(`${o.runDir} holds a run with different settings (see its ${RUN_FILE}); rerun with the flags it was trained with, or start afresh with a new --out`);
  }
  if (!prev) rd.writeRun(runJson);
  rebuildIfDamaged(o, DONE_FILE, () => rd.readDone(), () => rd.moveAside(DONE_FILE));
  const done = rd.readDone();
  if (done) {
    if (!o.quiet) process.stderr.write(`${runName}: already finished (${done.steps} steps), nothing to do\n`);
    return { ...done, runDir: o.runDir, resumedFromStep: done.steps, stoppedEarly: false, seconds: 0 };
  }

  const model = new Model(o.model, { seed: o.seed });
  const opt = new AdamW(o.optimizer, model.params, (name) => model.specs.find((s) => s.name === name)?.kind !== 'norm');
  rebuildIfDamaged(o, STATE_FILE, () => loadState(rd, model, opt, totalSteps), () => rd.moveAside(STATE_FILE));
  let step = loadState(rd, model, opt, totalSteps);
  if (step > 0 && !o.quiet) process.stderr.write(`${runName}: resuming at step ${step} of ${totalSteps}\n`);
  rebuildIfDamaged(o, LOG_FILE, () => readLog(rd.dir), () => rd.salvageLog());
  // Log rows after the saved state are dropped (they will be recomputed identically); the rows kept
  // give the running train loss and the last validation loss, as an uninterrupted run has them.
  const kept = rd.resumeLog(step);
  const lastCkptStep = Math.max(0, ...[...ckptSteps].filter((s) => s <= step));
  const since = kept.filter((r) => r.kind === 'train' && (r.step as number) > lastCkptStep);
  const ckptRows = kept.filter((r) => r.kind === 'checkpoint');

  const val = evalSet(corpus, { tokens: o.evalTokens, context: o.seqLen });
  const startStep = step;
  const progress = new Progress(runName, totalSteps, 5000, o.quiet);
  let lastState = Date.now();
  let lossSinceCkpt = since.reduce((a, r) => a + (r.loss as number), 0);
  let nSinceCkpt = since.length;
  let lastValLoss = ckptRows.length ? ckptRows[ckptRows.length - 1].val_loss as number : NaN;
  let stoppedEarly = false;

  const vars = [...model.params.values()];
  const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
  while (step < totalSteps) {
    if (o.stopAfterSteps !== undefined && step - startStep >= o.stopAfterSteps) { stoppedEarly = true; break; }
    const { x, y } = trainBatch(corpus, { seed: o.seed, step, batchSize: o.batchSize, context: o.seqLen });
    const lr = lrAt(sched, step + 1);
    const { value, grads } = tf.variableGrads(() => model.loss(x, y, o.batchSize, o.seqLen), vars);
    const loss = value.dataSync()[0];
    value.dispose();
    if (!Number.isFinite(loss)) {
      tf.dispose(grads);
      throw new UserError(`loss is ${loss} at step ${step + 1} (tokens ${(step + 1) * tokensPerStep}); stopped. The last good checkpoint is ${rd.lastGood()}; try a lower learning rate`);
    }
    const named = new Map<string, Tensor>();
    for (const [k, g] of Object.entries(grads)) named.set(nameOf.get(k)!, g);
    const gradNorm = opt.apply(named, lr);
    tf.dispose(grads);
    step += 1;
    lossSinceCkpt += loss;
    nSinceCkpt += 1;
    rd.appendLog({ kind: 'train', step, tokens: step * tokensPerStep, loss, lr, grad_norm: gradNorm, elapsed_s: (Date.now() - t0) / 1000 });
    const tps = ((step - startStep) * tokensPerStep) / Math.max(1e-3, (Date.now() - t0) / 1000);
    progress.update(step, `loss ${loss.toFixed(3)} ${Math.round(tps)} tok/s`, startStep);

    if (ckptSteps.has(step)) {
      lastValLoss = meanLoss(model, val);
      const tokens = step * tokensPerStep;
      const meta: CheckpointMeta = {
        step, tokens, val_loss: lastValLoss, train_loss: lossSinceCkpt / nSinceCkpt, lr, stage: stageAt(sched, step), seed: o.seed, run: runName,
      };
      rd.publishCheckpoint(tokens, (tmp) => {
        saveCheckpoint(model, tmp, { step: String(step), tokens: String(tokens) });
        writeFileAtomic(path.join(tmp, META_FILE), JSON.stringify(meta, null, 2) + '\n');
      });
      // Logged before the state is saved, so a resumed run's log has every checkpoint row once.
      rd.appendLog({ kind: 'checkpoint', ...meta, elapsed_s: (Date.now() - t0) / 1000 });
      rd.writeState(encodeState(model, opt, step), step);
      lastState = Date.now();
      lossSinceCkpt = 0;
      nSinceCkpt = 0;
    } else if (Date.now() - lastState > o.stateEverySeconds * 1000) {
      rd.writeState(encodeState(model, opt, step), step);
      lastState = Date.now();
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  const summary: TrainSummary = {
    runDir: o.runDir, steps: step, tokens: step * tokensPerStep, finalValLoss: lastValLoss,
    checkpoints: [...ckptSteps].filter((s) => s <= step).length, resumedFromStep: startStep, stoppedEarly, seconds,
  };
  if (!stoppedEarly) {
    rd.writeDone(summary);
    progress.done(`done: ${step} steps, val loss ${lastValLoss.toFixed(4)}, ${seconds.toFixed(1)} s`);
  }
  model.dispose();
  opt.dispose();
  return summary;
}
