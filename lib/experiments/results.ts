// Reading a profile's results back (what the notebooks do). By default a notebook reads the
// `default` profile's results if present, and otherwise runs the `smoke` profile itself.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { readTable, Row } from '../util/tables';
import { readMeasurements } from './aggregate';
import { RunMeasurement } from './measure-run';
import { resultsDir } from './paths';
import { getProfile, Profile } from './profiles';

export interface Results {
  profile: Profile;
  dir: string;
  manifest: Record<string, unknown>;
  runs: Row[];
  trajectory: Row[];
  f0: Row[];
  fits: Row[];
  lawBaselines: Row[];
  slopes: Row[];
  measurements: RunMeasurement[];
}

export function hasResults(profile: string): boolean {
  return fs.existsSync(path.join(resultsDir(profile), 'manifest.json'));
}

export function loadResults(profileName: string): Results {
  const profile = getProfile(profileName);
  const dir = resultsDir(profileName);
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new UserError(`no results for profile '${profileName}' in ${dir}: run \`node dist/lib/cli/reproduce.js --profile ${profileName}\``);
  return {
    profile, dir,
    manifest: JSON.parse(fs.readFileSync(manifestFile, 'utf8')),
    runs: readTable(path.join(dir, 'runs')),
    trajectory: readTable(path.join(dir, 'trajectory')),
    f0: readTable(path.join(dir, 'f0')),
    fits: readTable(path.join(dir, 'fits')),
    lawBaselines: readTable(path.join(dir, 'law_baselines')),
    slopes: readTable(path.join(dir, 'slopes')),
    measurements: readMeasurements(profile),
  };
}

/** Runs the reproduce command for a profile in a child process (resumes; skips finished work). */
export function runProfile(profile: string, opts: { recompute?: boolean } = {}): void {
  if (opts.recompute) fs.rmSync(path.join(resultsDir(profile), 'measure'), { recursive: true, force: true });
  const cli = path.join(__dirname, '..', 'cli', `reproduce${path.extname(__filename)}`);
  const r = spawnSync(process.execPath, [...process.execArgv, cli, '--profile', profile], { encoding: 'utf8', env: process.env });
  if (r.status !== 0) throw new UserError(`reproduce --profile ${profile} failed: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
}

/**
 * Results for a notebook: SPARSING_PROFILE if set, else `default` when its results exist, else
 * `smoke` (computed here, about a minute). SPARSING_RECOMPUTE=1 (or recompute) measures again.
 */
export function resultsForNotebook(opts: { profile?: string; recompute?: boolean } = {}): { results: Results; note: string } {
  const asked = opts.profile ?? process.env.SPARSING_PROFILE;
  const recompute = opts.recompute ?? process.env.SPARSING_RECOMPUTE === '1';
  const profile = asked ?? (hasResults('default') ? 'default' : 'smoke');
  let note: string;
  if (recompute || !hasResults(profile)) {
    runProfile(profile, { recompute });
    note = `Computed the '${profile}' profile just now${asked ? '' : " because the 'default' profile's results are not there yet (run `npm run reproduce` for them)"}.`;
  } else {
    note = `Read the '${profile}' profile's results from ${path.relative(process.cwd(), resultsDir(profile)) || resultsDir(profile)}.`;
  }
  return { results: loadResults(profile), note };
}
