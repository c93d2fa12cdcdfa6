// Resumable training: AdamW, WSD schedule, planned checkpoints with validation loss, a JSONL log.
// Batches are a pure function of (seed, step), so the saved state is weights + optimizer + step,
// and a resumed run ends with exactly the weights of an uninterrupted one on the same backend.
// One loop serves a single run and a replica group (R seeds of one shape as one batched model);
// each run's files are a RunDir (lib/train/run-dir.ts).
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../backend/select';
import { ModelConfig, paramCounts, validateConfig } from '../model/config';
import { Model } from '../model/model';
import { Corpus, evalSet, loadCorpus, trainBatch } from '../data';
import { UserError } from '../util/errors';
import { Progress } from '../util/progress';
import { AdamW, AdamWConfig } from './adamw';
import { meanLoss } from './evaluate';
import { trainStep } from './step';
import { checkpointSteps, LrSchedule, lrAt, stageAt } from './schedule';
import { CheckpointMeta } from './run-files';
import { RunDir, RunPlan } from './run-dir';

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
  /** Set when the run stopped on a NaN loss (replica groups report it here instead of throwing). */
  error?: string;
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

/** A rough upper bound on the memory a group of R replicas needs (weights, moments, gradients, activations). */
export function replicaMemoryBytes(o: TrainOptions, R: number): number {
  const c = o.model;
  const P = paramCounts(c).total;
  const tokens = o.batchSize * o.seqLen;
  const perToken = c.layers * (12 * c.d + 6 * c.dFF + 3 * c.heads * o.seqLen) + 4 * c.vocab; // kept activations, floats
  return 4 * R * (6 * P + 2 * tokens * perToken);
}

/** Replicas must share everything but seed and directory: the same shape, activation and token budget. */
function checkGroup(group: TrainOptions[]): void {
  if (group.length === 0) throw new UserError('a replica group needs at least one run');
  const base = identity(group[0]);
  for (const o of group.slice(1)) {
    const id = identity(o);
    const diff = Object.keys({ ...base, ...id }).filter((k) => k !== 'seed' && JSON.stringify(base[k]) !== JSON.stringify(id[k]));
    if (diff.length) throw new UserError(`replicas ${group[0].runDir} and ${o.runDir} differ in ${diff.join(', ')}; a replica group trains one shape and budget with different seeds`);
  }
  const dirs = new Set(group.map((o) => path.resolve(o.runDir)));
  if (dirs.size !== group.length) throw new UserError('replicas of a group need distinct output directories');
  const seeds = new Set(group.map((o) => o.seed));
  if (seeds.size !== group.length) throw new UserError(`replicas of a group need distinct seeds, got ${group.map((o) => o.seed).join(', ')}`);
  const need = replicaMemoryBytes(group[0], group.length);
  const have = os.totalmem() * 0.7;
  if (need > have) throw new UserError(`${group.length} replicas need about ${(need / 2 ** 30).toFixed(1)} GiB, more than the ${(have / 2 ** 30).toFixed(1)} GiB this machine can give; use fewer replicas`);
}

/** Trains one run. A NaN loss stops it with one clear line naming the last good checkpoint. */
export async function train(o: TrainOptions): Promise<TrainSummary> {
  const [s] = await trainReplicas([o]);
  if (s.error) throw new UserError(s.error);
  return s;
}

/**
 * Trains R runs of the same shape and budget (different seeds) as one replica-stacked model;
 * each writes its own ordinary run directory. A replica whose loss goes NaN stops alone (its
 * summary carries the error, its last good checkpoint stays); the others go on.
 */
export async function trainReplicas(group: TrainOptions[]): Promise<TrainSummary[]> {
  group.forEach(validate);
  checkGroup(group);
  const o0 = group[0];
  await initBackend({ quiet: o0.quiet });
  const corpus = o0.corpus ?? loadCorpus();
  const tokensPerStep = o0.batchSize * o0.seqLen;
  const totalSteps = Math.max(1, Math.round(o0.totalTokens / tokensPerStep));
  const plan = { tokensPerStep, totalSteps, checkpointSteps: checkpointSteps(tokensPerStep, totalSteps, o0.checkpointFirstTokens, o0.checkpointFactor), corpusHash: corpus.hash };
  const runs = group.map((o) => ({ o, dir: new RunDir(o.runDir, identity(o), plan) }));
  const summaries = new Map<TrainOptions, TrainSummary>();
  const todo: typeof runs = [];
  for (const r of runs) {
    r.dir.prepare(r.o.model);
    const done = r.dir.done<TrainSummary>();
    if (done) {
      if (!r.o.quiet) process.stderr.write(`${r.dir.name}: already finished (${done.steps} steps), nothing to do\n`);
      summaries.set(r.o, { ...done, resumedFromStep: done.steps, stoppedEarly: false, seconds: 0 });
    } else todo.push(r);
  }
  // replicas resume together only from the same step (a kill can fall between two state files)
  const byStep = new Map<number, typeof runs>();
  for (const r of todo) { const s = r.dir.stateStep(); byStep.set(s, [...(byStep.get(s) ?? []), r]); }
  for (const members of byStep.values()) {
    for (const [o, s] of trainGroup(members, corpus, plan)) summaries.set(o, s);
  }
  return group.map((o) => summaries.get(o)!);
}

function trainGroup(members: { o: TrainOptions; dir: RunDir }[], corpus: Corpus, plan: RunPlan): Map<TrainOptions, TrainSummary> {
  const t0 = Date.now();
  const o = members[0].o;
  const R = members.length;
  const { tokensPerStep, totalSteps } = plan;
  const sched: LrSchedule = { lr: o.lr, warmupSteps: o.warmupSteps, totalSteps, decayFraction: o.decayFraction, minLrRatio: o.minLrRatio };
  const ckptSteps = new Set(plan.checkpointSteps);
  const model = new Model(o.model, R === 1 ? { seed: o.seed } : { seeds: members.map((m) => m.o.seed) });
  const opt = new AdamW(o.optimizer, model.params, (name) => model.specs.find((s) => s.name === name)?.kind !== 'norm', R);
  const name = R === 1 ? members[0].dir.name : `${members[0].dir.name} +${R - 1} replicas`;
  let step = 0;
  members.forEach((m, r) => { step = m.dir.loadState(model, opt, r); m.dir.truncateLog(step); });
  opt.step = step;
  if (step > 0 && !o.quiet) process.stderr.write(`${name}: resuming at step ${step} of ${totalSteps}\n`);

  const val = evalSet(corpus, { tokens: o.evalTokens, context: o.seqLen });
  const startStep = step;
  const progress = new Progress(name, totalSteps, 5000, o.quiet);
  const alive = members.map(() => true);
  const errors: (string | undefined)[] = members.map(() => undefined);
  const lossSinceCkpt = members.map(() => 0);
  let nSinceCkpt = 0;
  const lastValLoss = members.map(() => NaN);
  let lastState = Date.now();
  let stoppedEarly = false;
  const saveStates = () => { members.forEach((m, r) => { if (alive[r]) m.dir.saveState(model, opt, r, step); }); lastState = Date.now(); };

  while (step < totalSteps && alive.some(Boolean)) {
    if (o.stopAfterSteps !== undefined && step - startStep >= o.stopAfterSteps) { stoppedEarly = true; break; }
    const batches = members.map((m) => trainBatch(corpus, { seed: m.o.seed, step, batchSize: o.batchSize, context: o.seqLen }));
    const cat = (k: 'x' | 'y') => (R === 1 ? batches[0][k] : Int32Array.from(batches.flatMap((b) => Array.from(b[k]))));
    const lr = lrAt(sched, step + 1);
    const res = trainStep(model, opt, cat('x'), cat('y'), o.batchSize, o.seqLen, lr, alive);
    step += 1;
    nSinceCkpt += 1;
    members.forEach((m, r) => {
      if (!alive[r]) return;
      const loss = res.losses[r];
      if (!res.applied[r]) {
        alive[r] = false;
        errors[r] = `${R > 1 ? `${m.dir.name}: ` : ''}loss is ${loss} at step ${step} (tokens ${step * tokensPerStep}); stopped. The last good checkpoint is ${m.dir.lastGood(step - 1)}; try a lower learning rate`;
        if (R > 1 && !o.quiet) process.stderr.write(`error: ${errors[r]}\n`);
        return;
      }
      lossSinceCkpt[r] += loss;
      m.dir.log({ kind: 'train', step, tokens: step * tokensPerStep, loss, lr, grad_norm: res.gradNorms[r], elapsed_s: (Date.now() - t0) / 1000 });
    });
    if (!alive.some(Boolean)) break;
    const tps = ((step - startStep) * tokensPerStep * R) / Math.max(1e-3, (Date.now() - t0) / 1000);
    const first = alive.indexOf(true);
    progress.update(step, `loss ${res.losses[first].toFixed(3)} ${Math.round(tps)} tok/s`, startStep);

    if (ckptSteps.has(step)) {
      members.forEach((m, r) => {
        if (!alive[r]) return;
        // validation on a single-replica copy: exactly the pass a run trained alone would make
        const single = R === 1 ? model : new Model(o.model, model.weights(r));
        lastValLoss[r] = meanLoss(single, val);
        if (single !== model) single.dispose();
        const meta: CheckpointMeta = {
          step, tokens: step * tokensPerStep, val_loss: lastValLoss[r], train_loss: lossSinceCkpt[r] / nSinceCkpt, lr, stage: stageAt(sched, step), seed: m.o.seed, run: m.dir.name,
        };
        m.dir.saveCheckpoint(model, r, meta);
        m.dir.saveState(model, opt, r, step);
        m.dir.log({ kind: 'checkpoint', ...meta, elapsed_s: (Date.now() - t0) / 1000 });
        lossSinceCkpt[r] = 0;
      });
      nSinceCkpt = 0;
      lastState = Date.now();
    } else if (Date.now() - lastState > o.stateEverySeconds * 1000) {
      saveStates();
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  const out = new Map<TrainOptions, TrainSummary>();
  members.forEach((m, r) => {
    const summary: TrainSummary = {
      runDir: m.o.runDir, steps: step, tokens: step * tokensPerStep, finalValLoss: lastValLoss[r],
      checkpoints: plan.checkpointSteps.filter((s) => s <= step).length, resumedFromStep: startStep, stoppedEarly, seconds,
    };
    if (errors[r]) { out.set(m.o, { ...summary, error: errors[r] }); return; }
    if (!stoppedEarly) m.dir.writeDone(summary);
    out.set(m.o, summary);
  });
  if (!stoppedEarly && alive.some(Boolean)) progress.done(`done: ${step} steps, val loss ${lastValLoss.filter(Number.isFinite).map((v) => v.toFixed(4)).join(', ')}, ${seconds.toFixed(1)} s`);
  model.dispose();
  opt.dispose();
  return out;
}
