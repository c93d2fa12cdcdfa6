// Resumable training: AdamW, WSD schedule, planned checkpoints with validation loss, a JSONL log.
// Batches are a pure function of (seed, step), so the saved state is weights + optimizer + step,
// and a resumed run ends with exactly the weights of an uninterrupted one on the same backend.
// One loop serves a single run and a replica group (R seeds of one shape as one batched model);
// each run's files are one RunDirectory (lib/checkpoint/run-dir.ts), instantiated per replica.
import * as os from 'node:os';
import * as path from 'node:path';
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
import { provenance } from '../backend/provenance';
import { AdamW, AdamWConfig } from './adamw';
import { meanLoss } from './evaluate';
import { trainStep } from './step';
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
  /** Set when the run stopped on a NaN loss (replica groups report it here instead of throwing). */
  error?: string;
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

/** One replica's resume state: its parameters (internal names) and its flat AdamW moments. */
function encodeState(model: Model, opt: AdamW, replica: number, step: number): Uint8Array {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, data] of model.replicaParams(replica)) tensors.set(`param.${name}`, { data, shape: model.specs.find((s) => s.name === name)!.shape });
  const { m, v } = opt.stateOf(replica);
  tensors.set('adam_m', { data: m, shape: [m.length] });
  tensors.set('adam_v', { data: v, shape: [v.length] });
  return encodeSafetensors(tensors, { step: String(step) });
}

/** Loads one replica's resume state (validated by its run directory); returns its step (0 when none). */
function loadState(rd: RunDirectory, model: Model, opt: AdamW, replica: number, totalSteps: number): number {
  const expected = new Map<string, number>(model.specs.map((s) => [`param.${s.name}`, s.shape.reduce((a, b) => a * b, 1)]));
  expected.set('adam_m', opt.size).set('adam_v', opt.size);
  const state = rd.readState(expected, totalSteps);
  if (!state) return 0;
  model.setReplicaParams(replica, new Map(model.specs.map((s) => [s.name, state.tensors.get(`param.${s.name}`)!.data])));
  opt.setState(replica, state.tensors.get('adam_m')!.data, state.tensors.get('adam_v')!.data);
  return state.step;
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
  if (new Set(group.map((o) => path.resolve(o.runDir))).size !== group.length) throw new UserError('replicas of a group need distinct output directories');
  if (new Set(group.map((o) => o.seed)).size !== group.length) throw new UserError(`replicas of a group need distinct seeds, got ${group.map((o) => o.seed).join(', ')}`);
  const need = replicaMemoryBytes(group[0], group.length);
  const have = os.totalmem() * 0.7;
  if (need > have) throw new UserError(`${group.length} replicas need about ${(need / 2 ** 30).toFixed(1)} GiB, more than the ${(have / 2 ** 30).toFixed(1)} GiB this machine can give; use fewer replicas`);
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
  for (const o of group) for (const f of o.rebuild ?? []) if (!REBUILDABLE.includes(f)) throw new UserError(`--rebuild accepts ${REBUILDABLE.join(', ')}; got '${f}'`);
  await initBackend({ quiet: group[0].quiet });
  const rds = group.map((o) => new RunDirectory(o.runDir));
  let current = rds[0];
  try {
    for (let i = 0; i < group.length; i++) { current = rds[i]; rds[i].open(group[i].command ?? `train --out ${group[i].runDir}`); }
    return await trainIn(rds, group, (rd) => { current = rd; });
  } catch (e) {
    throw current.failed(e);
  } finally {
    rds.forEach((rd) => rd.close());
  }
}

/**
 * Exact resume holds on the backend and thread count a run began with: TensorFlow splits a matMul's
 * sums across its threads, so another count rounds differently (seen on d128-l4, 1 vs 2 threads).
 * Resuming elsewhere is allowed, and said.
 */
function warnIfComputedElsewhere(rd: RunDirectory, name: string): void {
  const before = rd.readRun()?.provenance as { backend?: string; threads?: number } | undefined;
  const now = provenance();
  const was = `${before?.backend ?? '?'} with ${before?.threads ?? '?'} thread(s)`, is = `${now.backend} with ${now.threads} thread(s)`;
  if (before && (before.backend !== now.backend || before.threads !== now.threads)) {
    process.stderr.write(`${name}: began on ${was}, resumes on ${is}: its weights will match an uninterrupted run's only up to float rounding (set SPARSING_THREADS=${before.threads ?? 1} to resume exactly)\n`);
  }
}

interface Member { o: TrainOptions; rd: RunDirectory; step: number; lossSinceCkpt: number; nSinceCkpt: number; lastValLoss: number; error?: string }

async function trainIn(rds: RunDirectory[], group: TrainOptions[], touching: (rd: RunDirectory) => void): Promise<TrainSummary[]> {
  const t0 = Date.now();
  const o0 = group[0];
  const corpus = o0.corpus ?? loadCorpus();
  const tokensPerStep = o0.batchSize * o0.seqLen;
  const totalSteps = Math.max(1, Math.round(o0.totalTokens / tokensPerStep));
  const sched: LrSchedule = { lr: o0.lr, warmupSteps: o0.warmupSteps, totalSteps, decayFraction: o0.decayFraction, minLrRatio: o0.minLrRatio };
  const ckptSteps = new Set(checkpointSteps(tokensPerStep, totalSteps, o0.checkpointFirstTokens, o0.checkpointFactor));
  const summaries = new Map<number, TrainSummary>();
  const todo: number[] = [];
  group.forEach((o, i) => {
    const rd = rds[i];
    touching(rd);
    const id = identity(o);
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
      if (!o.quiet) process.stderr.write(`${rd.name}: already finished (${done.steps} steps), nothing to do\n`);
      summaries.set(i, { ...done, runDir: o.runDir, resumedFromStep: done.steps, stoppedEarly: false, seconds: 0 });
    } else todo.push(i);
  });
  if (todo.length === 0) return group.map((_, i) => summaries.get(i)!);

  const R = todo.length;
  const model = new Model(o0.model, R === 1 ? { seed: group[todo[0]].seed } : { seeds: todo.map((i) => group[i].seed) });
  const opt = new AdamW(o0.optimizer, model.params, (name) => model.specs.find((s) => s.name === name)?.kind !== 'norm', R);
  const members: Member[] = todo.map((i, r) => {
    const o = group[i], rd = rds[i];
    touching(rd);
    rebuildIfDamaged(o, STATE_FILE, () => loadState(rd, model, opt, r, totalSteps), () => rd.moveAside(STATE_FILE));
    const step = loadState(rd, model, opt, r, totalSteps);
    rebuildIfDamaged(o, LOG_FILE, () => readLog(rd.dir), () => rd.salvageLog());
    // Log rows after the saved state are dropped (they will be recomputed identically); the rows kept
    // give the running train loss and the last validation loss, as an uninterrupted run has them.
    const kept = rd.resumeLog(step);
    const lastCkptStep = Math.max(0, ...[...ckptSteps].filter((s) => s <= step));
    const since = kept.filter((row) => row.kind === 'train' && (row.step as number) > lastCkptStep);
    const ckptRows = kept.filter((row) => row.kind === 'checkpoint');
    return {
      o, rd, step, lossSinceCkpt: since.reduce((a, row) => a + (row.loss as number), 0), nSinceCkpt: since.length,
      lastValLoss: ckptRows.length ? ckptRows[ckptRows.length - 1].val_loss as number : NaN,
    };
  });
  // replicas train in lockstep, so they resume together only from one step (a kill can fall
  // between two replicas' state files): then run them again from the earliest as separate groups
  const steps = new Set(members.map((m) => m.step));
  if (steps.size > 1) {
    model.dispose(); opt.dispose();
    rds.forEach((rd) => rd.close());
    const byStep = new Map<number, number[]>();
    members.forEach((m, r) => byStep.set(m.step, [...(byStep.get(m.step) ?? []), todo[r]]));
    for (const idx of byStep.values()) {
      const sub = await trainReplicas(idx.map((i) => group[i]));
      idx.forEach((i, k) => summaries.set(i, sub[k]));
    }
    return group.map((_, i) => summaries.get(i)!);
  }
  let step = members[0].step;
  opt.step = step;
  const name = R === 1 ? members[0].rd.name : `${members[0].rd.name} +${R - 1} replicas`;
  if (step > 0 && !o0.quiet) process.stderr.write(`${name}: resuming at step ${step} of ${totalSteps}\n`);
  if (step > 0) warnIfComputedElsewhere(members[0].rd, name);

  const val = evalSet(corpus, { tokens: o0.evalTokens, context: o0.seqLen });
  const startStep = step;
  const progress = new Progress(name, totalSteps, 5000, o0.quiet);
  const alive = members.map(() => true);
  let lastState = Date.now();
  let stoppedEarly = false;
  const saveStates = () => { members.forEach((m, r) => { if (alive[r]) { touching(m.rd); m.rd.writeState(encodeState(model, opt, r, step), step); } }); lastState = Date.now(); };

  while (step < totalSteps && alive.some(Boolean)) {
    if (o0.stopAfterSteps !== undefined && step - startStep >= o0.stopAfterSteps) { stoppedEarly = true; break; }
    const batches = members.map((m) => trainBatch(corpus, { seed: m.o.seed, step, batchSize: o0.batchSize, context: o0.seqLen }));
    const cat = (k: 'x' | 'y') => (R === 1 ? batches[0][k] : Int32Array.from(batches.flatMap((b) => Array.from(b[k]))));
    const lr = lrAt(sched, step + 1);
    const res = trainStep(model, opt, cat('x'), cat('y'), o0.batchSize, o0.seqLen, lr, alive);
    members.forEach((m, r) => {
      if (!alive[r]) return;
      const loss = res.losses[r];
      if (!res.applied[r]) {
        alive[r] = false;
        m.error = `${R > 1 ? `${m.rd.name}: ` : ''}loss is ${loss} at step ${step + 1} (tokens ${(step + 1) * tokensPerStep}); stopped. The last good checkpoint is ${m.rd.lastGood()}; try a lower learning rate`;
        if (R > 1 && !o0.quiet) process.stderr.write(`error: ${m.error}\n`);
        return;
      }
      m.lossSinceCkpt += loss;
      m.nSinceCkpt += 1;
      touching(m.rd);
      m.rd.appendLog({ kind: 'train', step: step + 1, tokens: (step + 1) * tokensPerStep, loss, lr, grad_norm: res.gradNorms[r], elapsed_s: (Date.now() - t0) / 1000 });
    });
    if (!alive.some(Boolean)) break;
    step += 1;
    const tps = ((step - startStep) * tokensPerStep * R) / Math.max(1e-3, (Date.now() - t0) / 1000);
    progress.update(step, `loss ${res.losses[alive.indexOf(true)].toFixed(3)} ${Math.round(tps)} tok/s`, startStep);

    if (ckptSteps.has(step)) {
      members.forEach((m, r) => {
        if (!alive[r]) return;
        touching(m.rd);
        // validation on a single-replica copy: exactly the pass a run trained alone would make
        const single = R === 1 ? model : new Model(o0.model, model.weights(r));
        m.lastValLoss = meanLoss(single, val);
        if (single !== model) single.dispose();
        const tokens = step * tokensPerStep;
        const meta: CheckpointMeta = {
          step, tokens, val_loss: m.lastValLoss, train_loss: m.lossSinceCkpt / m.nSinceCkpt, lr, stage: stageAt(sched, step), seed: m.o.seed, run: m.rd.name,
        };
        m.rd.publishCheckpoint(tokens, (tmp) => {
          saveCheckpoint(model, tmp, { step: String(step), tokens: String(tokens) }, r);
          writeFileAtomic(path.join(tmp, META_FILE), JSON.stringify(meta, null, 2) + '\n');
        });
        // Logged before the state is saved, so a resumed run's log has every checkpoint row once.
        m.rd.appendLog({ kind: 'checkpoint', ...meta, elapsed_s: (Date.now() - t0) / 1000 });
        m.rd.writeState(encodeState(model, opt, r, step), step);
        m.lossSinceCkpt = 0;
        m.nSinceCkpt = 0;
      });
      lastState = Date.now();
    } else if (Date.now() - lastState > o0.stateEverySeconds * 1000) {
      saveStates();
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  members.forEach((m, r) => {
    const mStep = alive[r] ? step : step; // a failed replica keeps the weights of its last good step
    const summary: TrainSummary = {
      runDir: m.o.runDir, steps: mStep, tokens: mStep * tokensPerStep, finalValLoss: m.lastValLoss,
      checkpoints: [...ckptSteps].filter((s) => s <= mStep).length, resumedFromStep: startStep, stoppedEarly, seconds,
    };
    if (m.error) { summaries.set(todo[r], { ...summary, error: m.error }); return; }
    if (!stoppedEarly) { touching(m.rd); m.rd.writeDone(summary); }
    summaries.set(todo[r], summary);
  });
  if (!stoppedEarly && alive.some(Boolean)) progress.done(`done: ${step} steps, val loss ${members.filter((_, r) => alive[r]).map((m) => m.lastValLoss.toFixed(4)).join(', ')}, ${seconds.toFixed(1)} s`);
  model.dispose();
  opt.dispose();
  return group.map((_, i) => summaries.get(i)!);
}
