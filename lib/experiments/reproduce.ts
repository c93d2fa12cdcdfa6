// Reproducing a profile: train what is missing, measure what is missing (runs in parallel child
// processes, lib/cli/run-one.ts, which report as JSON lines), then fit the laws and write the
// result tables under data/results/<profile>/. Finished work is never redone; an interrupted sweep
// resumes. The `reproduce` command and runProfile (lib/experiments/results.ts) both call this.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withMallocEnv } from '../backend/malloc-env';
import { backendDetail, backendName, initBackend } from '../backend/select';
import { WriteFailure } from '../util/atomic';
import { UserError } from '../util/errors';
import { acquireLock, describeHolder, DirLock, LOCK_FILE, lockHolder } from '../util/lock';
import { formatDuration } from '../util/progress';
import { aggregate } from './aggregate';
import { measureFile, resultsDir } from './paths';
import { ChildMessage, JobResult, runPool } from './pool';
import { getProfile, Profile, replicaGroups, RunSpec } from './profiles';
import { selectShard, Shard } from './shard';
import { seedFromSnapshot } from './seed';

export interface ReproduceOptions {
  profile: string;
  /** Child processes at a time; default SPARSING_JOBS, else 2. */
  jobs?: number;
  /** Only this shard's runs, and no tables (those are written by an aggregateOnly call). */
  shard?: Shard;
  /** Only these run ids. */
  only?: string[];
  /** Train and measure nothing: write the tables from the measurements. */
  aggregateOnly?: boolean;
  /** Write the tables from the runs measured so far even when others are missing (the manifest lists them). */
  partial?: boolean;
  /** First copy the measurements of the committed snapshot that this results folder lacks (a sweep continued across machines or sessions). */
  resumeFromSnapshot?: boolean;
  /** What the results directory's lock names as its holder; default `reproduce --profile NAME`. */
  command?: string;
  /** Where the progress lines go; default stderr. */
  log?: (text: string) => void;
  /** Written after the tables (the command saves the findings' figures); returns what it wrote, for the last line. */
  afterAggregate?: (profile: Profile) => Promise<string[]>;
}

export interface ReproduceSummary {
  /** Runs trained and measured by this call. */
  measured: number;
  /** Whether the tables were written (every run of the profile is measured, and this is not a shard). */
  aggregated: boolean;
  seconds: number;
}

/** The child process that trains and measures a group of runs. */
const RUN_ONE = path.join(__dirname, '..', 'cli', `run-one${path.extname(__filename)}`);

/** A profile's runs in this shard and among `only`; unknown ids are one clear error. */
export function selectRuns(profile: Profile, shard?: Shard, only?: string[]): RunSpec[] {
  const runs = selectShard(profile.runs, shard);
  if (!only) return runs;
  const unknown = only.filter((id) => !profile.runs.some((r) => r.id === id));
  if (unknown.length) throw new UserError(`unknown run id(s) ${unknown.join(', ')} in profile '${profile.name}'`);
  return runs.filter((r) => only.includes(r.id));
}

/**
 * One writer per results directory: a whole sweep (or aggregateOnly) holds its lock; a shard holds
 * a lock of its own, writes only its runs' directories and measurements, and never the shared tables.
 */
function lockResults(dir: string, command: string, shard: Shard | undefined): DirLock {
  const shardLocks = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(`${LOCK_FILE}.shard-`)) : []);
  const lock = shard ? acquireLock(dir, command, { name: `${LOCK_FILE}.shard-${shard.index}-of-${shard.count}` }) : acquireLock(dir, command);
  try {
    if (shard) {
      const whole = lockHolder(dir);
      if (whole) throw new UserError(`${dir} is in use by ${describeHolder(whole)}; wait for it to finish`);
    } else {
      for (const name of shardLocks()) {
        const h = lockHolder(dir, name);
        if (h) throw new UserError(`${dir} is in use by ${describeHolder(h)}; wait for the shards to finish`);
      }
    }
  } catch (e) {
    lock.release();
    throw e;
  }
  return lock;
}

/** Trains and measures the runs in child processes, showing their progress; throws if any failed. */
async function trainAndMeasure(profile: Profile, todo: RunSpec[], jobs: number, t0: number, log: (text: string) => void): Promise<void> {
  const status = new Map<string, string>();
  let finished = 0;
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  const report = (force = false) => {
    if (!force && Date.now() - last < (tty ? 1000 : 15000)) return;
    last = Date.now();
    const running = [...status].map(([id, s]) => `${id}: ${s}`).join(' | ');
    log(`[reproduce ${profile.name}] ${finished}/${todo.length} runs finished, ${formatDuration((Date.now() - t0) / 1000)} elapsed${running ? ' | ' + running : ''}`);
  };
  const show = (id: string, m: ChildMessage) => {
    switch (m.event) {
      case 'progress': {
        const task = m.task === id ? '' : `${m.task} `; // a measurement, or replicas trained together
        status.set(id, `${task}${(m.fraction * 100).toFixed(1)}% ${m.detail} left ${formatDuration(m.left_s ?? Infinity)}`);
        break;
      }
      case 'stage': log(`[${id}] ${m.task} ${m.message}`); break;
      case 'error': log(`[${id}] ${m.internal ? 'internal error' : 'error'}: ${m.message}`); break;
      case 'text': log(`[${id}] ${m.line}`); break;
      case 'done': break;
    }
    report();
  };
  const ok = (r: JobResult) => r.code === 0 && r.done;
  // Seeds of one shape train as replicas of one batched model where batched products are fast
  // (the native backend); WASM's batched products are slow, so there every run trains alone.
  const groups = backendName() === 'tensorflow' ? replicaGroups(todo) : todo.map((r) => [r]);
  const jobList = groups.map((g) => ({ id: g.map((r) => r.id).join(','), args: ['--profile', profile.name, '--run', g.map((r) => r.id).join(','), '--json'] }));
  // The parent has said which backend runs; the children need not say it again.
  // The runs' own processes keep TensorFlow's buffers in the heap (lib/backend/malloc-env.ts: 2-3x faster training).
  const env = { ...withMallocEnv(process.env), SPARSING_QUIET_BACKEND: '1' };
  const results = await runPool(RUN_ONE, jobList, jobs, show, (r) => {
    status.delete(r.id);
    if (ok(r)) finished += r.id.split(',').length;
    const how = ok(r) ? 'finished' : r.code === 0 ? 'failed (exited without reporting that it finished)' : `failed (exit ${r.code})`;
    log(`[reproduce ${profile.name}] ${r.id} ${how} in ${formatDuration(r.seconds)}`);
    report(true);
  }, env);
  const failed = results.filter((r) => !ok(r));
  if (failed.length) {
    for (const f of failed) log(`[${f.id}] failed (exit ${f.code}):\n  ${f.tail.slice(-5).join('\n  ')}`);
    throw new UserError(`${failed.length} run(s) failed: ${failed.map((f) => f.id).join(', ')}; finished runs are kept, rerun the same command to retry`);
  }
}

export async function reproduceProfile(opts: ReproduceOptions): Promise<ReproduceSummary> {
  const log = opts.log ?? ((text: string) => { process.stderr.write(`${text}\n`); });
  const profile = getProfile(opts.profile);
  const runs = selectRuns(profile, opts.shard, opts.only);
  const shard = opts.aggregateOnly ? undefined : opts.shard;
  const dir = resultsDir(profile.name);
  const lock = lockResults(dir, opts.command ?? `reproduce --profile ${profile.name}`, shard);
  try {
    await initBackend({ quiet: true }); // the next line names it
    const t0 = Date.now();
    if (opts.resumeFromSnapshot) log(`[reproduce ${profile.name}] ${seedFromSnapshot(profile)}`);
    const todo = opts.aggregateOnly ? [] : runs.filter((r) => !fs.existsSync(measureFile(profile.name, r.id)));
    const jobs = opts.jobs ?? Number(process.env.SPARSING_JOBS ?? 2);
    // Children share the cores: each sizes TensorFlow's thread pool to cores / jobs (lib/backend/threads.ts).
    if (Number.isInteger(jobs) && jobs >= 1) process.env.SPARSING_JOBS = String(jobs);
    log(`[reproduce ${profile.name}] ${profile.runs.length} runs in the profile, ${runs.length} in this shard, ${runs.filter((r) => fs.existsSync(measureFile(profile.name, r.id))).length} already measured, ${todo.length} to do, ${jobs} at a time on ${backendDetail()}`);
    if (todo.length) await trainAndMeasure(profile, todo, jobs, t0, log);
    const summary = (aggregated: boolean): ReproduceSummary => ({ measured: todo.length, aggregated, seconds: (Date.now() - t0) / 1000 });
    const missing = profile.runs.filter((r) => !fs.existsSync(measureFile(profile.name, r.id))).map((r) => r.id);
    const allDone = missing.length === 0;
    if (shard) {
      log(`[reproduce ${profile.name}] shard ${shard.index}/${shard.count} finished; ${allDone ? 'every run is measured: ' : 'after the other shards, '}write the tables with --aggregate-only`);
      return summary(false);
    }
    if (!allDone && !opts.partial) {
      log(`[reproduce ${profile.name}] shard finished; the tables are written once every run is measured (run again with --aggregate-only after the other shards, or add --partial for tables of the runs measured so far)`);
      return summary(false);
    }
    let out: string[];
    try {
      out = aggregate(profile, (Date.now() - t0) / 1000, dir, missing.length ? { partial: { measured: profile.runs.length - missing.length, of: profile.runs.length, missing } } : {});
    } catch (e) {
      if (!(e instanceof WriteFailure)) throw e;
      throw new UserError(`${e.message}; the measurements in ${path.join(dir, 'measure')} are intact: free space (or fix permissions) and rerun with --aggregate-only`);
    }
    if (opts.afterAggregate) out.push(...await opts.afterAggregate(profile));
    log(`[reproduce ${profile.name}] results in ${path.relative(process.cwd(), dir)}: ${out.join(', ')} (${formatDuration((Date.now() - t0) / 1000)})`);
    return summary(true);
  } finally {
    lock.release();
  }
}
