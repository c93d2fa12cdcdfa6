#!/usr/bin/env node
// One run of a profile: train it (resuming if interrupted), then measure it. Used by `reproduce`
// as a child process; also handy by hand: `node dist/lib/cli/run-one.js --profile default --run ID`.
import { getProfile } from '../experiments/profiles';
import { trainRun } from '../experiments/train-run';
import { measureRunIfMissing } from '../experiments/measure-run';
import { runDir } from '../experiments/paths';
import { parseCli } from '../util/args';
import { withLock } from '../util/lock';
import { runCli, UserError } from '../util/errors';

runCli(async () => {
  const { values } = parseCli(process.argv.slice(2), { profile: { type: 'string' }, run: { type: 'string' }, quiet: { type: 'boolean' } },
    'usage: run-one --profile NAME --run ID');
  const profile = getProfile(values.profile ?? process.env.SPARSING_PROFILE ?? 'default');
  const spec = profile.runs.find((r) => r.id === values.run);
  if (!spec) throw new UserError(`profile '${profile.name}' has no run '${values.run}'; runs: ${profile.runs.map((r) => r.id).join(', ')}`);
  // The run directory stays locked from training through measuring.
  await withLock(runDir(profile.name, spec.id), ['run-one', ...process.argv.slice(2)].join(' '), async () => {
    await trainRun(profile.name, spec, values.quiet);
    await measureRunIfMissing(profile, spec, values.quiet);
  });
});
