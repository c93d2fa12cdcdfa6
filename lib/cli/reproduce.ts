#!/usr/bin/env node
// Reproduce the findings for a profile: train what is missing, measure what is missing (runs in
// parallel child processes), then fit the laws and write the result tables and the findings'
// figures under data/results/<profile>/. Finished work is never redone; an interrupted sweep
// resumes. The work is lib/experiments/reproduce.ts; this parses the flags and saves the figures.
//   node dist/lib/cli/reproduce.js --profile default [--jobs 2] [--shard i/n] [--only ID,...] [--aggregate-only [--partial]] [--resume-from-snapshot] [--list] [--plan]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getProfile, PROFILES } from '../experiments/profiles';
import { measureFile, snapshotDir } from '../experiments/paths';
import { parseShard } from '../experiments/shard';
import { reproduceProfile, selectRuns } from '../experiments/reproduce';
import { loadResults } from '../experiments/results';
import { saveFindingFigures } from '../findings/figures';
import { numberFlag, parseCli } from '../util/args';
import { measuredSecondsFrom, measureModelFrom, planProfile, planText, readSpeeds } from '../experiments/plan';
import { runCli } from '../util/errors';

const USAGE = `usage: reproduce [--profile ${Object.keys(PROFILES).join('|')}] [--jobs N] [--shard i/n] [--only ID,...] [--aggregate-only [--partial]] [--resume-from-snapshot] [--list] [--plan]`;

runCli(async () => {
  const { values } = parseCli(process.argv.slice(2), {
    profile: { type: 'string' }, jobs: { type: 'string' }, shard: { type: 'string' }, only: { type: 'string' },
    'aggregate-only': { type: 'boolean' }, partial: { type: 'boolean' }, 'resume-from-snapshot': { type: 'boolean' }, list: { type: 'boolean' }, plan: { type: 'boolean' }, help: { type: 'boolean' },
  }, USAGE);
  if (values.help) { process.stdout.write(USAGE + '\n'); return; }
  const profile = getProfile(values.profile ?? process.env.SPARSING_PROFILE ?? 'default');
  const shard = parseShard(values.shard);
  const only = values.only?.split(',');
  selectRuns(profile, shard, only); // unknown ids are an error before anything else
  if (values.plan) {
    // Runs, tokens and estimated minutes from measured speeds (lib/experiments/plan.ts); trains nothing.
    const snap = snapshotDir('default');
    const measure = measureModelFrom(path.join(snap, 'runs.jsonl'), path.join(snap, 'trajectory.jsonl'));
    const own = measuredSecondsFrom(path.join(snapshotDir(profile.name), 'runs.jsonl')); // this profile's own measured runs, where committed
    process.stdout.write(planText(planProfile(profile, readSpeeds(), measure, Number(values.jobs ?? 2), undefined, own)));
    return;
  }
  if (values.list) {
    profile.runs.forEach((r, i) => process.stdout.write(`${i}\t${r.id}\t${r.findings.join(',')}\t${fs.existsSync(measureFile(profile.name, r.id)) ? 'done' : 'todo'}\n`));
    return;
  }
  await reproduceProfile({
    profile: profile.name, jobs: numberFlag('jobs', values.jobs), shard, only, aggregateOnly: values['aggregate-only'], partial: values.partial, resumeFromSnapshot: values['resume-from-snapshot'],
    command: ['reproduce', ...process.argv.slice(2)].join(' '),
    afterAggregate: async (p) => [`${(await saveFindingFigures(loadResults(p.name))).length} figures in figures/`],
  });
});
