// Reading a profile's results back (what the notebooks do). By default a notebook reads the
// `default` profile's results if present, and otherwise runs the `smoke` profile itself.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { damaged, readJsonChecked } from '../util/checked-read';
import { readTable, Row, sha256 } from '../util/tables';
import { readMeasurements } from './aggregate';
import { RunMeasurement } from './measure-run';
import { MANIFEST_FILE, resultsDir } from './paths';
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
  return fs.existsSync(path.join(resultsDir(profile), MANIFEST_FILE));
}

/** The tables of a results directory, as named in the manifest, by their Results key. */
const TABLES = { runs: 'runs', trajectory: 'trajectory', f0: 'f0', fits: 'fits', lawBaselines: 'law_baselines', slopes: 'slopes' } as const;

/** A table read back and checked against the sha256 the manifest recorded for it. */
function readListedTable(dir: string, name: string, manifest: { tables?: Record<string, { sha256: string }> }, todo: string): Row[] {
  const file = path.join(dir, `${name}.jsonl`);
  const rows = readTable(file, { todo, required: true });
  const want = manifest.tables?.[name]?.sha256;
  if (want && sha256(fs.readFileSync(file)) !== want) throw damaged(file, `it does not match the sha256 in ${MANIFEST_FILE}: changed since, or left half-replaced by a crash`, todo);
  return rows;
}

export function loadResults(profileName: string): Results {
  const profile = getProfile(profileName);
  const dir = resultsDir(profileName);
  const manifestFile = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(manifestFile)) throw new UserError(`no results for profile '${profileName}' in ${dir}: run \`node dist/lib/cli/reproduce.js --profile ${profileName}\``);
  const todo = `rebuild the tables from the measurements with \`node dist/lib/cli/reproduce.js --profile ${profileName} --aggregate-only\``;
  const manifest = readJsonChecked<Record<string, unknown>>(manifestFile, { profile: 'string', runs: 'array' }, todo);
  const tables = Object.fromEntries(Object.entries(TABLES).map(([key, name]) => [key, readListedTable(dir, name, manifest, todo)])) as Record<keyof typeof TABLES, Row[]>;
  return { profile, dir, manifest, ...tables, measurements: readMeasurements(profile) };
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
