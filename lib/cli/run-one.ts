#!/usr/bin/env node
// Runs of a profile: train them (resuming if interrupted; several ids, comma-separated, train as
// replicas of one batched model), then measure each. Used by `reproduce` as a child process; also
// handy by hand: `node dist/lib/cli/run-one.js --profile default --run ID[,ID...]`.
import { getProfile } from '../experiments/profiles';
import { trainRuns } from '../experiments/train-run';
import { measureRunIfMissing } from '../experiments/measure-run';
import { runDir } from '../experiments/paths';
import { parseCli } from '../util/args';
import { withLock } from '../util/lock';
import { runCli, UserError } from '../util/errors';

runCli(async () => {
  const { values } = parseCli(process.argv.slice(2), { profile: { type: 'string' }, run: { type: 'string' }, quiet: { type: 'boolean' } },
    'usage: run-one --profile NAME --run ID[,ID...]');
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
});
