// The files of one training run directory, written by the training loop: run.json (settings),
// log.jsonl, checkpoints/, the resume state and done.json. A replica group instantiates one per
// replica, so a replica's directory is exactly a single run's.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { paramCounts } from '../model/config';
import { Model } from '../model/model';
import { saveCheckpoint } from '../checkpoint/hf';
import { encodeSafetensors, NamedTensor, readSafetensors } from '../checkpoint/safetensors';
import { writeFileAtomic, publishDirAtomic } from '../util/atomic';
import { UserError } from '../util/errors';
import { provenance } from '../util/provenance';
import { AdamW } from './adamw';
import {
  CHECKPOINTS_DIR, CheckpointMeta, checkpointDirName, DONE_FILE, LOG_FILE, META_FILE, RUN_FILE, STATE_FILE, readLog,
} from './run-files';

/** What the run directory records about the plan (the same for every replica of a group). */
export interface RunPlan { tokensPerStep: number; totalSteps: number; checkpointSteps: number[]; corpusHash: string }

export class RunDir {
  readonly name: string;
  private readonly logFile: string;
  private readonly stateFile: string;

  /** identity: the options that define the run (a rerun with other values is refused). */
  constructor(readonly dir: string, private readonly identity: Record<string, unknown>, private readonly plan: RunPlan) {
    this.name = path.basename(dir);
    this.logFile = path.join(dir, LOG_FILE);
    this.stateFile = path.join(dir, STATE_FILE);
  }

  /** Creates the directory and run.json, or checks that an existing run has the same settings. */
  prepare(model: Parameters<typeof paramCounts>[0]): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const runFile = path.join(this.dir, RUN_FILE);
    if (fs.existsSync(runFile)) {
      const prev = JSON.parse(fs.readFileSync(runFile, 'utf8')) as { options: Record<string, unknown> };
      if (JSON.stringify(prev.options) !== JSON.stringify(this.identity)) {
        throw new UserError(`${this.dir} holds a run with different settings; choose another output directory or delete it`);
      }
      return;
    }
    writeFileAtomic(runFile, JSON.stringify({
      options: this.identity, params: paramCounts(model), tokens_per_step: this.plan.tokensPerStep, total_steps: this.plan.totalSteps,
      checkpoint_steps: this.plan.checkpointSteps, corpus_hash: this.plan.corpusHash, provenance: provenance(),
    }, null, 2) + '\n');
  }

  /** The summary of a finished run, or null. */
  done<S>(): S | null {
    const f = path.join(this.dir, DONE_FILE);
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as S) : null;
  }

  writeDone(summary: unknown): void {
    writeFileAtomic(path.join(this.dir, DONE_FILE), JSON.stringify(summary, null, 2) + '\n');
  }

  /** The step of the saved resume state (0 when none). */
  stateStep(): number {
    if (!fs.existsSync(this.stateFile)) return 0;
    return Number(readSafetensors(this.stateFile).metadata.step);
  }

  /** Weights and optimizer moments of one replica, plus the step. */
  saveState(model: Model, opt: AdamW, replica: number, step: number): void {
    const tensors = new Map<string, NamedTensor>();
    for (const [name, data] of model.replicaParams(replica)) tensors.set(`param.${name}`, { data, shape: model.specs.find((s) => s.name === name)!.shape });
    const { m, v } = opt.stateOf(replica);
    tensors.set('adam_m', { data: m, shape: [m.length] });
    tensors.set('adam_v', { data: v, shape: [v.length] });
    writeFileAtomic(this.stateFile, encodeSafetensors(tensors, { step: String(step) }));
  }

  /** Loads the saved state into one replica's slot; returns its step (0 when there is none). */
  loadState(model: Model, opt: AdamW, replica: number): number {
    if (!fs.existsSync(this.stateFile)) return 0;
    const { tensors, metadata } = readSafetensors(this.stateFile);
    const mismatch = (what: string) => new UserError(`${this.stateFile} does not match this model (${what}); delete it to restart the run`);
    const values = new Map<string, Float32Array>();
    for (const spec of model.specs) {
      const t = tensors.get(`param.${spec.name}`);
      if (!t || t.data.length !== spec.shape.reduce((a, b) => a * b, 1)) throw mismatch(`param.${spec.name}`);
      values.set(spec.name, t.data);
    }
    const m = tensors.get('adam_m'), v = tensors.get('adam_v');
    if (!m || !v || m.data.length !== opt.size || v.data.length !== opt.size) throw mismatch('adam_m/adam_v');
    model.setReplicaParams(replica, values);
    opt.setState(replica, m.data, v.data);
    return Number(metadata.step);
  }

  /** Drops log rows written after the saved state (they will be recomputed identically). */
  truncateLog(step: number): void {
    const kept = readLog(this.dir).filter((r) => (r.step as number) <= step);
    writeFileAtomic(this.logFile, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  log(row: Record<string, unknown>): void {
    fs.appendFileSync(this.logFile, JSON.stringify(row) + '\n');
  }

  checkpointDir(step: number): string {
    return path.join(this.dir, CHECKPOINTS_DIR, checkpointDirName(step * this.plan.tokensPerStep));
  }

  /** Publishes one replica's checkpoint (weights, config, meta) atomically. */
  saveCheckpoint(model: Model, replica: number, meta: CheckpointMeta): void {
    publishDirAtomic(this.checkpointDir(meta.step), (tmp) => {
      saveCheckpoint(model, tmp, { step: String(meta.step), tokens: String(meta.tokens) }, replica);
      fs.writeFileSync(path.join(tmp, META_FILE), JSON.stringify(meta, null, 2) + '\n');
    });
  }

  /** The newest checkpoint at or before step, for messages. */
  lastGood(step: number): string {
    const steps = this.plan.checkpointSteps.filter((s) => s <= step);
    return steps.length ? this.checkpointDir(steps[steps.length - 1]) : 'none yet';
  }
}

