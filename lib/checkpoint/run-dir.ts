// A training run directory: its layout, its files read back with validation, and written
// atomically under a lock. The trainer calls this and stays a training loop.
//   run.json            what the run is (options, schedule, corpus hash); written once
//   log.jsonl           a row per step and per checkpoint; appended (a torn last line is tolerated)
//   state.safetensors   weights + optimizer moments + step, to resume exactly; replaced atomically
//   checkpoints/tokens-NNNNNNNNNNNN/  config.json, model.safetensors, meta.json; published atomically
//   done.json           the summary, once the run has finished
//   .lock               the process writing the directory (lib/util/lock.ts)
// A damaged file is refused in one line naming it and what to do; nothing is deleted. Where a file
// can be rebuilt from what is intact, the message offers `--rebuild FILE`, which first moves the
// damaged file aside (FILE.damaged-<time>).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asWriteFailure, JsonlAppender, publishDirAtomic, writeFileAtomic, WriteFailure } from '../util/atomic';
import { damaged, readJsonChecked, readJsonlChecked, Shape } from '../util/checked-read';
import { UserError } from '../util/errors';
import { acquireLock, DirLock } from '../util/lock';
import { decodeSafetensors, NamedTensor } from './safetensors';

export const RUN_FILE = 'run.json';
export const LOG_FILE = 'log.jsonl';
export const STATE_FILE = 'state.safetensors';
export const DONE_FILE = 'done.json';
export const CHECKPOINTS_DIR = 'checkpoints';
export const META_FILE = 'meta.json';
/** Files `--rebuild` can rebuild from what is intact. */
export const REBUILDABLE = [RUN_FILE, DONE_FILE, LOG_FILE, STATE_FILE];

/** Checkpoint folder names sort by token count. */
export function checkpointDirName(tokens: number): string {
  return `tokens-${String(tokens).padStart(12, '0')}`;
}

export interface CheckpointMeta {
  step: number;
  tokens: number;
  val_loss: number;
  train_loss: number;
  lr: number;
  stage: 'warmup' | 'stable' | 'decay';
  seed: number;
  run: string;
}
const META_SHAPE: Shape = { step: 'integer', tokens: 'integer', val_loss: 'number', train_loss: 'number', lr: 'number', stage: 'string', seed: 'integer', run: 'string' };

export interface CheckpointEntry extends CheckpointMeta { dir: string }

export interface RunJson {
  options: Record<string, unknown>;
  params: Record<string, number>;
  tokens_per_step: number;
  total_steps: number;
  checkpoint_steps: number[];
  corpus_hash: string;
  provenance: Record<string, unknown>;
  rebuilt_from?: string;
}
const RUN_SHAPE: Shape = { options: 'object', params: 'object', tokens_per_step: 'integer', total_steps: 'integer', checkpoint_steps: 'array', corpus_hash: 'string', provenance: 'object' };

export interface DoneJson { runDir: string; steps: number; tokens: number; finalValLoss: number; checkpoints: number; resumedFromStep: number; stoppedEarly: boolean; seconds: number }
const DONE_SHAPE: Shape = { steps: 'integer', tokens: 'integer', finalValLoss: 'number', checkpoints: 'integer' };

export type LogRow = Record<string, number | string>;
const LOG_SHAPE: Shape = { kind: 'string', step: 'integer' };

const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');

/** Finished checkpoints of a run, oldest first (half-written ones never have a final name). */
export function listCheckpoints(runDir: string): CheckpointEntry[] {
  const root = path.join(runDir, CHECKPOINTS_DIR);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root)
    .filter((n) => /^tokens-\d{12}$/.test(n))
    .sort()
    .flatMap((n) => {
      const dir = path.join(root, n);
      const metaFile = path.join(dir, META_FILE);
      if (!fs.existsSync(metaFile)) return [];
      const meta = readJsonChecked<CheckpointMeta>(metaFile, META_SHAPE,
        `move ${dir} aside to use the other checkpoints (they are intact), or retrain with the same flags in a new --out to recreate it`);
      return [{ ...meta, dir }];
    });
}

/** Log rows of a run; a last line torn by a kill is dropped, any other damage is refused. */
export function readLog(runDir: string, todo = `move ${path.join(runDir, LOG_FILE)} aside to go on without it`): LogRow[] {
  const file = path.join(runDir, LOG_FILE);
  if (!fs.existsSync(file)) return [];
  return readJsonlChecked<LogRow>(file, LOG_SHAPE, todo, { tornLastOk: true }).rows;
}

/**
 * One run directory, opened by one writer. Reads validate; writes are atomic; write failures name
 * the last good checkpoint, which they never touch.
 */
export class RunDirectory {
  readonly name: string;
  private lock?: DirLock;
  private log?: JsonlAppender;
  private stateStep: number | undefined;

  constructor(readonly dir: string) {
    this.name = path.basename(path.resolve(dir));
  }

  /** Creates the directory if needed and takes its lock (refused if another process holds it). */
  open(command: string): this {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw asWriteFailure(e, this.dir);
    }
    this.lock = acquireLock(this.dir, command);
    return this;
  }

  close(): void {
    this.log?.close();
    this.log = undefined;
    this.lock?.release();
    this.lock = undefined;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  checkpoints(): CheckpointEntry[] {
    return listCheckpoints(this.dir);
  }

  /** The newest finished checkpoint, for messages. */
  lastGood(): string {
    let cks: CheckpointEntry[] = [];
    try { cks = this.checkpoints(); } catch { /* a damaged meta.json is reported where it is read */ }
    return cks.length ? cks[cks.length - 1].dir : 'none yet';
  }

  /** Moves a damaged file aside (never deletes it), for an explicit --rebuild. */
  moveAside(name: string): string | undefined {
    const file = this.file(name);
    if (!fs.existsSync(file)) return undefined;
    const aside = `${file}.damaged-${stamp()}`;
    try {
      fs.renameSync(file, aside);
    } catch (e) {
      throw asWriteFailure(e, aside);
    }
    return aside;
  }

  /** What to do about a damaged file: `what` says REBUILD where `--rebuild NAME` is offered. */
  private rebuildHint(name: string, what: string): string {
    return `${what.replace('REBUILD', `rerun with --rebuild ${name}`)}, or start afresh with a new --out`;
  }

  /** run.json, or undefined for a new run. Refuses a run directory whose run.json is missing or damaged. */
  readRun(): RunJson | undefined {
    const file = this.file(RUN_FILE);
    if (!fs.existsSync(file)) {
      const traces = [STATE_FILE, DONE_FILE, CHECKPOINTS_DIR].filter((n) => fs.existsSync(this.file(n)));
      if (traces.length) {
        throw new UserError(`${file} is missing but ${this.dir} holds a run (${traces.join(', ')}); ${this.rebuildHint(RUN_FILE, `REBUILD to rebuild it from the last checkpoint ${this.lastGood()} and the flags`)}`);
      }
      return undefined;
    }
    return readJsonChecked<RunJson>(file, RUN_SHAPE, this.rebuildHint(RUN_FILE, `REBUILD to rebuild it from the last checkpoint ${this.lastGood()} and the flags`));
  }

  writeRun(r: RunJson): void {
    writeFileAtomic(this.file(RUN_FILE), JSON.stringify(r, null, 2) + '\n');
  }

  /**
   * Rebuilds run.json from the flags (`expected`), after checking them against the last checkpoint:
   * its meta.json (seed, step, tokens, learning rate) must be what these flags would have produced.
   */
  rebuildRun(expected: RunJson, lrAt: (step: number) => number, seed: number, configJson: string): void {
    const cks = this.checkpoints();
    if (!cks.length) throw new UserError(`cannot rebuild ${this.file(RUN_FILE)}: no finished checkpoint to check the flags against; start afresh with a new --out`);
    const last = cks[cks.length - 1];
    const problems: string[] = [];
    if (last.seed !== seed) problems.push(`seed ${last.seed} (flags: ${seed})`);
    if (last.tokens !== last.step * expected.tokens_per_step) problems.push(`${last.tokens} tokens at step ${last.step} (flags: ${expected.tokens_per_step} tokens per step)`);
    if (!expected.checkpoint_steps.includes(last.step)) problems.push(`a checkpoint at step ${last.step}, not on the flags' checkpoint schedule`);
    if (last.lr !== lrAt(last.step)) problems.push(`learning rate ${last.lr} at step ${last.step} (flags: ${lrAt(last.step)})`);
    let config = '';
    try { config = JSON.stringify(JSON.parse(fs.readFileSync(path.join(last.dir, 'config.json'), 'utf8'))); } catch { /* compared below */ }
    if (config !== configJson) problems.push('a different model config');
    if (problems.length) throw new UserError(`cannot rebuild ${this.file(RUN_FILE)}: the last checkpoint ${last.dir} has ${problems.join(', ')}; pass the flags the run was trained with`);
    const aside = this.moveAside(RUN_FILE);
    this.writeRun({ ...expected, rebuilt_from: `${last.dir}${aside ? `; the damaged file is ${path.basename(aside)}` : ''}` });
  }

  /** done.json of a finished run, or undefined. */
  readDone(): DoneJson | undefined {
    const file = this.file(DONE_FILE);
    if (!fs.existsSync(file)) return undefined;
    return readJsonChecked<DoneJson>(file, DONE_SHAPE, this.rebuildHint(DONE_FILE, `the run's checkpoints are intact; REBUILD to rewrite it from the saved state`));
  }

  writeDone(d: DoneJson): void {
    this.log?.sync();
    writeFileAtomic(this.file(DONE_FILE), JSON.stringify(d, null, 2) + '\n');
  }

  /**
   * The resume state: its tensors (every name in `expected` present with that many values) and
   * step (at most totalSteps); undefined when there is none yet.
   */
  readState(expected: Map<string, number>, totalSteps: number): { tensors: Map<string, NamedTensor>; step: number } | undefined {
    const file = this.file(STATE_FILE);
    if (!fs.existsSync(file)) { this.stateStep = 0; return undefined; }
    const todo = this.rebuildHint(STATE_FILE, `training cannot resume without it; the checkpoints up to ${this.lastGood()} are intact (measure them with sparsity); REBUILD to retrain from step 0 in place (same seed, same checkpoints)`);
    let buf: Buffer;
    try { buf = fs.readFileSync(file); } catch (e) { throw damaged(file, `cannot be read: ${(e as NodeJS.ErrnoException).code}`, todo); }
    let decoded: ReturnType<typeof decodeSafetensors>;
    try {
      decoded = decodeSafetensors(buf, file);
    } catch (e) {
      throw damaged(file, (e as Error).message.replace(/^.*?\((.*)\);.*$/, '$1'), todo);
    }
    const headerLen = Number(Buffer.from(buf).readBigUInt64LE(0));
    let end = 0;
    for (const t of decoded.tensors.values()) end += 4 * t.data.length;
    if (8 + headerLen + end !== buf.length) throw damaged(file, `${buf.length} bytes, the header describes ${8 + headerLen + end}`, todo);
    for (const [name, size] of expected) {
      const t = decoded.tensors.get(name);
      if (!t) throw damaged(file, `tensor ${name} is missing`, todo);
      if (t.data.length !== size) throw damaged(file, `tensor ${name} has ${t.data.length} values, this model needs ${size}`, todo);
    }
    const step = Number(decoded.metadata.step);
    if (!Number.isSafeInteger(step) || step < 0 || step > totalSteps) throw damaged(file, `step '${decoded.metadata.step}' is not in [0, ${totalSteps}]`, todo);
    this.stateStep = step;
    return { tensors: decoded.tensors, step };
  }

  /** Replaces the resume state; the log rows up to it are made durable first. */
  writeState(bytes: Uint8Array, step: number): void {
    this.log?.sync();
    writeFileAtomic(this.file(STATE_FILE), bytes);
    this.stateStep = step;
  }

  /**
   * Opens the log for appending at `step`: rows after the saved state are dropped (they will be
   * recomputed identically), and so is a last line torn by a kill. Returns the rows kept.
   */
  resumeLog(step: number): LogRow[] {
    const kept = readLog(this.dir, this.rebuildHint(LOG_FILE, 'REBUILD to keep its readable rows (the damaged file is kept aside)')).filter((r) => (r.step as number) <= step);
    const file = this.file(LOG_FILE);
    const text = kept.map((r) => JSON.stringify(r) + '\n').join('');
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) writeFileAtomic(file, text);
    this.log = new JsonlAppender(file);
    return kept;
  }

  /** For --rebuild log.jsonl: keep the rows that read back, the damaged file aside. */
  salvageLog(): void {
    const file = this.file(LOG_FILE);
    if (!fs.existsSync(file)) return;
    const rows = fs.readFileSync(file, 'utf8').split('\n').flatMap((l) => {
      try {
        const v = JSON.parse(l) as LogRow;
        return typeof v === 'object' && v !== null && typeof v.kind === 'string' && Number.isSafeInteger(v.step) ? [v] : [];
      } catch { return []; }
    });
    const aside = this.moveAside(LOG_FILE)!;
    writeFileAtomic(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
    process.stderr.write(`${this.name}: kept ${rows.length} readable rows of ${LOG_FILE}; the damaged file is ${path.basename(aside)}\n`);
  }

  appendLog(row: Record<string, unknown>): void {
    this.log!.append(row);
  }

  /**
   * Publishes a checkpoint directory. One that is already there (a run resumed from a state saved
   * before it) is kept when byte-identical, else moved aside; never overwritten.
   */
  publishCheckpoint(tokens: number, fill: (tmpDir: string) => void): string {
    const dir = path.join(this.dir, CHECKPOINTS_DIR, checkpointDirName(tokens));
    publishDirAtomic(dir, fill, sameFiles);
    return dir;
  }

  /** A write failure, with what is intact and how to go on; other errors unchanged. */
  failed(e: unknown): unknown {
    if (!(e instanceof WriteFailure)) return e;
    const state = this.stateStep ? `, the saved state (step ${this.stateStep})` : '';
    return new UserError(`${e.message}; the last good checkpoint ${this.lastGood()}${state} and everything written before are intact: free space (or fix permissions) and rerun the same command to resume`);
  }
}

function sameFiles(a: string, b: string): boolean {
  const names = fs.readdirSync(a).sort();
  if (names.join('\n') !== fs.readdirSync(b).sort().join('\n')) return false;
  return names.every((n) => fs.readFileSync(path.join(a, n)).equals(fs.readFileSync(path.join(b, n))));
}
