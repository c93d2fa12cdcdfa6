// Resumable training: AdamW, WSD schedule, planned checkpoints with validation loss, a JSONL log.
// Batches are a pure function of (seed, step), so the saved state is weights + optimizer + step,
// and a resumed run ends with exactly the weights of an uninterrupted one on the same backend.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../backend/tf';
import { initBackend } from '../backend/select';
import { ModelConfig, paramCounts, validateConfig } from '../model/config';
import { Model } from '../model/model';
import { saveCheckpoint } from '../checkpoint/hf';
import { encodeSafetensors, NamedTensor, readSafetensors } from '../checkpoint/safetensors';
import { Corpus, evalSet, loadCorpus, trainBatch } from '../data';
import { writeFileAtomic, publishDirAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { Progress } from '../util/progress';
import { provenance } from '../util/provenance';
import { AdamW, AdamWConfig } from './adamw';
import { meanLoss } from './evaluate';
import { trainStep } from './step';
import { checkpointSteps, LrSchedule, lrAt, stageAt } from './schedule';
import {
  CHECKPOINTS_DIR, CheckpointMeta, checkpointDirName, DONE_FILE, LOG_FILE, META_FILE, RUN_FILE, STATE_FILE, readLog,
} from './run-files';

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
  const { runDir: _r, quiet: _q, stopAfterSteps: _s, corpus: _c, stateEverySeconds: _e, ...rest } = o;
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

function saveState(file: string, model: Model, opt: AdamW, step: number): void {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, v] of model.params) {
    tensors.set(`param.${name}`, { data: v.dataSync() as Float32Array, shape: v.shape });
    tensors.set(`adam_m.${name}`, { data: opt.m.get(name)!.dataSync() as Float32Array, shape: v.shape });
    tensors.set(`adam_v.${name}`, { data: opt.v.get(name)!.dataSync() as Float32Array, shape: v.shape });
  }
  writeFileAtomic(file, encodeSafetensors(tensors, { step: String(step) }));
}

function loadState(file: string, model: Model, opt: AdamW): number {
  const { tensors, metadata } = readSafetensors(file);
  for (const [name, v] of model.params) {
    for (const [prefix, target] of [['param', v], ['adam_m', opt.m.get(name)!], ['adam_v', opt.v.get(name)!]] as const) {
      const t = tensors.get(`${prefix}.${name}`);
      if (!t || t.data.length !== v.size) throw new UserError(`${file} does not match this model (${prefix}.${name}); delete it to restart the run`);
      target.assign(tf.tensor(t.data, v.shape));
    }
  }
  const step = Number(metadata.step);
  opt.step = step;
  return step;
}

export async function train(o: TrainOptions): Promise<TrainSummary> {
  validate(o);
  await initBackend({ quiet: o.quiet });
  const t0 = Date.now();
  const runName = path.basename(o.runDir);
  fs.mkdirSync(o.runDir, { recursive: true });
  const runFile = path.join(o.runDir, RUN_FILE);
  const id = identity(o);
  if (fs.existsSync(runFile)) {
    const prev = JSON.parse(fs.readFileSync(runFile, 'utf8')) as { options: Record<string, unknown> };
    if (JSON.stringify(prev.options) !== JSON.stringify(id)) {
      throw new UserError(`${o.runDir} holds a run with different settings; choose another output directory or delete it`);
    }
  }
  const corpus = o.corpus ?? loadCorpus();
  const tokensPerStep = o.batchSize * o.seqLen;
  const totalSteps = Math.max(1, Math.round(o.totalTokens / tokensPerStep));
  const sched: LrSchedule = { lr: o.lr, warmupSteps: o.warmupSteps, totalSteps, decayFraction: o.decayFraction, minLrRatio: o.minLrRatio };
  const ckptSteps = new Set(checkpointSteps(tokensPerStep, totalSteps, o.checkpointFirstTokens, o.checkpointFactor));
  if (!fs.existsSync(runFile)) {
    writeFileAtomic(runFile, JSON.stringify({
      options: id, params: paramCounts(o.model), tokens_per_step: tokensPerStep, total_steps: totalSteps,
      checkpoint_steps: [...ckptSteps], corpus_hash: corpus.hash, provenance: provenance(),
    }, null, 2) + '\n');
  }
  const doneFile = path.join(o.runDir, DONE_FILE);
  if (fs.existsSync(doneFile)) {
    const done = JSON.parse(fs.readFileSync(doneFile, 'utf8')) as TrainSummary;
    if (!o.quiet) process.stderr.write(`${runName}: already finished (${done.steps} steps), nothing to do\n`);
    return { ...done, resumedFromStep: done.steps, stoppedEarly: false, seconds: 0 };
  }

  const model = new Model(o.model, { seed: o.seed });
  const opt = new AdamW(o.optimizer, model.params, (name) => model.specs.find((s) => s.name === name)?.kind !== 'norm');
  const stateFile = path.join(o.runDir, STATE_FILE);
  let step = 0;
  if (fs.existsSync(stateFile)) {
    step = loadState(stateFile, model, opt);
    if (!o.quiet) process.stderr.write(`${runName}: resuming at step ${step} of ${totalSteps}\n`);
  }
  // Drop log rows written after the saved state (they will be recomputed identically).
  const logFile = path.join(o.runDir, LOG_FILE);
  const kept = readLog(o.runDir).filter((r) => (r.step as number) <= step);
  writeFileAtomic(logFile, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  const log = (row: Record<string, unknown>) => fs.appendFileSync(logFile, JSON.stringify(row) + '\n');

  const val = evalSet(corpus, { tokens: o.evalTokens, context: o.seqLen });
  const startStep = step;
  const progress = new Progress(runName, totalSteps, 5000, o.quiet);
  let lastState = Date.now();
  let lossSinceCkpt = 0;
  let nSinceCkpt = 0;
  let lastValLoss = NaN;
  let stoppedEarly = false;
  const lastGood = () => {
    const steps = [...ckptSteps].filter((s) => s <= step);
    return steps.length ? path.join(o.runDir, CHECKPOINTS_DIR, checkpointDirName(steps[steps.length - 1] * tokensPerStep)) : 'none yet';
  };

  while (step < totalSteps) {
    if (o.stopAfterSteps !== undefined && step - startStep >= o.stopAfterSteps) { stoppedEarly = true; break; }
    const { x, y } = trainBatch(corpus, { seed: o.seed, step, batchSize: o.batchSize, context: o.seqLen });
    const lr = lrAt(sched, step + 1);
    const { loss, gradNorm, applied } = trainStep(model, opt, x, y, o.batchSize, o.seqLen, lr);
    if (!applied) {
      throw new UserError(`loss is ${loss} at step ${step + 1} (tokens ${(step + 1) * tokensPerStep}); stopped. The last good checkpoint is ${lastGood()}; try a lower learning rate`);
    }
    step += 1;
    lossSinceCkpt += loss;
    nSinceCkpt += 1;
    log({ kind: 'train', step, tokens: step * tokensPerStep, loss, lr, grad_norm: gradNorm, elapsed_s: (Date.now() - t0) / 1000 });
    const tps = ((step - startStep) * tokensPerStep) / Math.max(1e-3, (Date.now() - t0) / 1000);
    progress.update(step, `loss ${loss.toFixed(3)} ${Math.round(tps)} tok/s`, startStep);

    if (ckptSteps.has(step)) {
      lastValLoss = meanLoss(model, val);
      const tokens = step * tokensPerStep;
      const meta: CheckpointMeta = {
        step, tokens, val_loss: lastValLoss, train_loss: lossSinceCkpt / nSinceCkpt, lr, stage: stageAt(sched, step), seed: o.seed, run: runName,
      };
      const dir = path.join(o.runDir, CHECKPOINTS_DIR, checkpointDirName(tokens));
      publishDirAtomic(dir, (tmp) => {
        saveCheckpoint(model, tmp, { step: String(step), tokens: String(tokens) });
        fs.writeFileSync(path.join(tmp, META_FILE), JSON.stringify(meta, null, 2) + '\n');
      });
      saveState(stateFile, model, opt, step);
      lastState = Date.now();
      log({ kind: 'checkpoint', ...meta, elapsed_s: (Date.now() - t0) / 1000 });
      lossSinceCkpt = 0;
      nSinceCkpt = 0;
    } else if (Date.now() - lastState > o.stateEverySeconds * 1000) {
      saveState(stateFile, model, opt, step);
      lastState = Date.now();
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  const summary: TrainSummary = {
    runDir: o.runDir, steps: step, tokens: step * tokensPerStep, finalValLoss: lastValLoss,
    checkpoints: [...ckptSteps].filter((s) => s <= step).length, resumedFromStep: startStep, stoppedEarly, seconds,
  };
  if (!stoppedEarly) {
    writeFileAtomic(doneFile, JSON.stringify(summary, null, 2) + '\n');
    progress.done(`done: ${step} steps, val loss ${lastValLoss.toFixed(4)}, ${seconds.toFixed(1)} s`);
  }
  model.dispose();
  opt.dispose();
  return summary;
}
