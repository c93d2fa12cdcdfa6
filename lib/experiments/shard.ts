// Selecting one shard of a sweep, so a cluster job array can split the runs between machines.
import { UserError } from '../util/errors';

export interface Shard { index: number; count: number }

/** Parses "i/n" (0-based i); with no flag, falls back to a batch scheduler's array variables. */
export function parseShard(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Shard | undefined {
  if (flag !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(flag.trim());
    if (!m) throw new UserError(`--shard expects i/n (for example 0/4), got '${flag}'`);
    const index = Number(m[1]), count = Number(m[2]);
    if (count < 1 || index >= count) throw new UserError(`--shard ${flag}: need 0 <= i < n`);
    return { index, count };
  }
  // Slurm job arrays (SLURM_ARRAY_TASK_ID with --array=0-(n-1)); other schedulers: use --shard.
  const id = env.SLURM_ARRAY_TASK_ID, n = env.SLURM_ARRAY_TASK_COUNT, min = env.SLURM_ARRAY_TASK_MIN ?? '0';
  if (id !== undefined && n !== undefined) return parseShard(`${Number(id) - Number(min)}/${n}`, {});
  return undefined;
}

/** Round-robin over the sweep's order: every run lands in exactly one shard. */
export function selectShard<T>(items: T[], shard: Shard | undefined): T[] {
  return shard ? items.filter((_, i) => i % shard.count === shard.index) : items;
}
