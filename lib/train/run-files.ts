// The layout of a training run directory, and reading it back.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';

export const RUN_FILE = 'run.json';
export const LOG_FILE = 'log.jsonl';
export const STATE_FILE = 'state.safetensors';
export const DONE_FILE = 'done.json';
export const CHECKPOINTS_DIR = 'checkpoints';
export const META_FILE = 'meta.json';

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

export interface CheckpointEntry extends CheckpointMeta { dir: string }

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
      return [{ ...(JSON.parse(fs.readFileSync(metaFile, 'utf8')) as CheckpointMeta), dir }];
    });
}

export type LogRow = Record<string, number | string>;

/** Log rows of a run (a line cut short by a crash is skipped). */
export function readLog(runDir: string): LogRow[] {
  const file = path.join(runDir, LOG_FILE);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').flatMap((line) => {
    if (!line.trim()) return [];
    try { return [JSON.parse(line) as LogRow]; } catch { return []; }
  });
}

export function readRunFile(runDir: string): Record<string, unknown> {
  const file = path.join(runDir, RUN_FILE);
  if (!fs.existsSync(file)) throw new UserError(`${runDir} is not a run directory (no ${RUN_FILE})`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
