#!/usr/bin/env node
// Runs of a profile: train them (resuming if interrupted; several ids, comma-separated, train as
// replicas of one batched model), then measure each. Used by `reproduce` as a child process with
// --json (progress, then `done` or `error`, as JSON lines on stdout: lib/experiments/child-events.ts);
// also handy by hand: `node dist/lib/cli/run-one.js --profile default --run ID[,ID...]`.
import { ChildEvent, eventLine } from '../experiments/child-events';
import { getProfile } from '../experiments/profiles';
import { trainRuns } from '../experiments/train-run';
import { measureRunIfMissing } from '../experiments/measure-run';
import { runDir } from '../experiments/paths';
import { parseCli } from '../util/args';
import { withLock } from '../util/lock';
import { reportProgressTo } from '../util/progress';
import { runCli, UserError } from '../util/errors';

// Known before the flags are parsed, so that even a bad flag reaches the parent as an event.
const json = process.argv.includes('--json');
/** Written with a callback, so that an event written just before the process exits is not lost. */
const emit = (e: ChildEvent) => new Promise<void>((resolve) => process.stdout.write(eventLine(e), () => resolve()));
if (json) reportProgressTo((e) => { void emit(e); });

runCli(async () => {
  const t0 = Date.now();
  const { values } = parseCli(process.argv.slice(2), { profile: { type: 'string' }, run: { type: 'string' }, quiet: { type: 'boolean' }, json: { type: 'boolean' } },
    'usage: run-one --profile NAME --run ID[,ID...] [--quiet] [--json]');
  const profile = getProfile(values.profile ?? process.env.SPARSING_PROFILE ?? 'default');
  const specs = (values.run ?? '').split(',').map((id) => {
    const spec = profile.runs.find((r) => r.id === id);
    if (!spec) throw new UserError(`profile '${profile.name}' has no run '${id}'; runs: ${profile.runs.map((r) => r.id).join(', ')}`);
    return spec;
  });
  // The run directories stay locked from training through measuring.
  const locked = (i: number, fn: () => Promise<void>): Promise<void> => (i === specs.length ? fn()
    : withLock(runDir(profile.name, specs[i].id), ['run-one', ...process.argv.slice(2)].join(' '), () => locked(i + 1, fn)));
  await locked(0, async () => {
    const summaries = await trainRuns(profile.name, specs, values.quiet);
    // replicas that finished are measured even when another one stopped on a NaN loss
    for (let i = 0; i < specs.length; i++) if (!summaries[i].error) await measureRunIfMissing(profile, specs[i], values.quiet);
    const failed = summaries.filter((s) => s.error);
    if (failed.length) throw new UserError(failed.map((f) => f.error).join('; '));
  });
  if (json) await emit({ event: 'done', runs: specs.map((s) => s.id), seconds: (Date.now() - t0) / 1000 });
}, json ? (f) => emit({ event: 'error', message: f.message, internal: f.internal }) : undefined);
