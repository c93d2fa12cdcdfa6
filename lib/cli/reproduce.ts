#!/usr/bin/env node
// Reproduce the findings for a profile: train what is missing, measure what is missing (runs in
// parallel child processes), then fit the laws and write the result tables under
// data/results/<profile>/. Finished work is never redone; an interrupted sweep resumes.
//   node dist/lib/cli/reproduce.js --profile default [--jobs 2] [--shard i/n] [--only ID,...] [--aggregate-only] [--list]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getProfile, PROFILES, replicaGroups } from '../experiments/profiles';
import { measureFile, resultsDir } from '../experiments/paths';
import { parseShard, selectShard } from '../experiments/shard';
import { runPool } from '../experiments/pool';
import { aggregate } from '../experiments/aggregate';
import { loadResults } from '../experiments/results';
import { saveFindingFigures } from '../findings/figures';
import { initBackend, backendDetail, backendName } from '../backend/select';
import { formatDuration } from '../util/progress';
import { numberFlag, parseCli } from '../util/args';
import { measureModelFrom, planProfile, planText, readSpeeds } from '../experiments/plan';
import { runCli, UserError } from '../util/errors';
import { WriteFailure } from '../util/atomic';
import { acquireLock, describeHolder, LOCK_FILE, lockHolder } from '../util/lock';

const USAGE = `usage: reproduce [--profile ${Object.keys(PROFILES).join('|')}] [--jobs N] [--shard i/n] [--only ID,...] [--aggregate-only] [--list] [--plan]`;

runCli(async () => {
  const { values } = parseCli(process.argv.slice(2), {
    profile: { type: 'string' }, jobs: { type: 'string' }, shard: { type: 'string' }, only: { type: 'string' },
    'aggregate-only': { type: 'boolean' }, list: { type: 'boolean' }, plan: { type: 'boolean' }, help: { type: 'boolean' },
  }, USAGE);
  if (values.help) { process.stdout.write(USAGE + '\n'); return; }
  const profile = getProfile(values.profile ?? process.env.SPARSING_PROFILE ?? 'default');
  const shard = parseShard(values.shard);
  let runs = selectShard(profile.runs, shard);
  if (values.only) {
    const ids = values.only.split(',');
    const unknown = ids.filter((id) => !profile.runs.some((r) => r.id === id));
    if (unknown.length) throw new UserError(`unknown run id(s) ${unknown.join(', ')} in profile '${profile.name}'`);
    runs = runs.filter((r) => ids.includes(r.id));
  }
  if (values.plan) {
    // Runs, tokens and estimated minutes from measured speeds (lib/experiments/plan.ts); trains nothing.
    const snap = path.join(__dirname, '..', '..', '..', 'data', 'snapshots', 'default');
    const measure = measureModelFrom(path.join(snap, 'runs.jsonl'), path.join(snap, 'trajectory.jsonl'));
    process.stdout.write(planText(planProfile(profile, readSpeeds(), measure, Number(values.jobs ?? 2))));
    return;
  }
  if (values.list) {
    profile.runs.forEach((r, i) => process.stdout.write(`${i}\t${r.id}\t${r.findings.join(',')}\t${fs.existsSync(measureFile(profile.name, r.id)) ? 'done' : 'todo'}\n`));
    return;
  }
  // One writer per results directory: a whole sweep (or --aggregate-only) holds its lock; a shard
  // holds a lock of its own, writes only its runs' directories and measurements, and never the
  // shared tables (those are written by --aggregate-only, under the lock).
  const dir = resultsDir(profile.name);
  const command = ['reproduce', ...process.argv.slice(2)].join(' ');
  const shardLocks = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith(`${LOCK_FILE}.shard-`)) : []);
  if (shard && !values['aggregate-only']) {
    acquireLock(dir, command, { name: `${LOCK_FILE}.shard-${shard.index}-of-${shard.count}` });
    const whole = lockHolder(dir);
    if (whole) throw new UserError(`${dir} is in use by ${describeHolder(whole)}; wait for it to finish`);
  } else {
    acquireLock(dir, command);
    for (const name of shardLocks()) {
      const h = lockHolder(dir, name);
      if (h) throw new UserError(`${dir} is in use by ${describeHolder(h)}; wait for the shards to finish`);
    }
  }
  await initBackend();
  const t0 = Date.now();
  const todo = values['aggregate-only'] ? [] : runs.filter((r) => !fs.existsSync(measureFile(profile.name, r.id)));
  const jobs = numberFlag('jobs', values.jobs) ?? Number(process.env.SPARSING_JOBS ?? 2);
  if (Number.isInteger(jobs) && jobs >= 1) process.env.SPARSING_JOBS = String(jobs); // children share the cores: TensorFlow threads each = cores / jobs (lib/backend/threads.ts)
  process.stderr.write(`[reproduce ${profile.name}] ${profile.runs.length} runs in the profile, ${runs.length} in this shard, ${runs.length - todo.length} already done, ${todo.length} to do, ${jobs} at a time on ${backendDetail()}\n`);
  if (todo.length) {
    const status = new Map<string, string>();
    let finished = 0;
    const tty = Boolean(process.stderr.isTTY);
    let last = 0;
    const report = (force = false) => {
      if (!force && Date.now() - last < (tty ? 1000 : 15000)) return;
      last = Date.now();
      const running = [...status].map(([id, s]) => `${id}: ${s}`).join(' | ');
      process.stderr.write(`[reproduce ${profile.name}] ${finished}/${todo.length} runs finished, ${formatDuration((Date.now() - t0) / 1000)} elapsed${running ? ' | ' + running : ''}\n`);
    };
    const script = path.join(__dirname, `run-one${path.extname(__filename)}`);
    // Seeds of one shape train as replicas of one batched model where batched products are fast
    // (the native backend); WASM's batched products are slow, so there every run trains alone.
    const groups = backendName() === 'tensorflow' ? replicaGroups(todo) : todo.map((r) => [r]);
    const jobList = groups.map((g) => ({ id: g.map((r) => r.id).join(','), args: ['--profile', profile.name, '--run', g.map((r) => r.id).join(',')] }));
    const results = await runPool(script, jobList, jobs, (id, line) => {
      const m = /(\d+\.\d)%.*?(loss \S+).*?(\d+ tok\/s).*?left (\S+)/.exec(line);
      status.set(id, m ? `${m[1]}% ${m[2]} ${m[3]} left ${m[4]}` : line.slice(0, 80));
      if (/^(error|internal error)/.test(line)) process.stderr.write(`[${id}] ${line}\n`);
      if (/done:|measured/.test(line)) process.stderr.write(`[${id}] ${line}\n`);
      report();
    }, (r) => {
      status.delete(r.id);
      if (r.code === 0) finished += r.id.split(',').length;
      process.stderr.write(`[reproduce ${profile.name}] ${r.id} ${r.code === 0 ? 'finished' : `failed (exit ${r.code})`} in ${formatDuration(r.seconds)}\n`);
      report(true);
    });
    const failed = results.filter((r) => r.code !== 0);
    if (failed.length) {
      for (const f of failed) process.stderr.write(`[${f.id}] failed (exit ${f.code}):\n  ${f.lastLines.slice(-5).join('\n  ')}\n`);
      throw new UserError(`${failed.length} run(s) failed: ${failed.map((f) => f.id).join(', ')}; finished runs are kept, rerun the same command to retry`);
    }
  }
  const allDone = profile.runs.every((r) => fs.existsSync(measureFile(profile.name, r.id)));
  if (shard && !values['aggregate-only']) {
    process.stderr.write(`[reproduce ${profile.name}] shard ${shard.index}/${shard.count} finished; ${allDone ? 'every run is measured: ' : 'after the other shards, '}write the tables with --aggregate-only\n`);
    return;
  }
  if (!allDone) {
    process.stderr.write(`[reproduce ${profile.name}] shard finished; the tables are written once every run is measured (run again with --aggregate-only after the other shards)\n`);
    return;
  }
  let out: string[];
  try {
    out = aggregate(profile, (Date.now() - t0) / 1000);
  } catch (e) {
    if (!(e instanceof WriteFailure)) throw e;
    throw new UserError(`${e.message}; the measurements in ${path.join(dir, 'measure')} are intact: free space (or fix permissions) and rerun with --aggregate-only`);
  }
  const figures = await saveFindingFigures(loadResults(profile.name));
  out.push(`${figures.length} figures in figures/`);
  process.stderr.write(`[reproduce ${profile.name}] results in ${path.relative(process.cwd(), resultsDir(profile.name))}: ${out.join(', ')} (${formatDuration((Date.now() - t0) / 1000)})\n`);
});
