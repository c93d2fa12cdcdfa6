// Reading a profile's results back (what the notebooks do): fresh results, else the committed
// snapshot of the profile, else the `smoke` profile computed on the spot (resultsForNotebook).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { damaged, readJsonChecked } from '../util/checked-read';
import { readTable, sha256 } from '../util/tables';
import { readMeasurements } from './aggregate';
import { RunMeasurement } from './measure-run';
import { MANIFEST_FILE, projectRoot, resultsDir, snapshotDir } from './paths';
import { getProfile, Profile } from './profiles';
import { reproduceProfile } from './reproduce';
import { F0Row, FitTableRow, LawBaselineRow, RunRow, SlopeTableRow, TABLE_SHAPES, TableName, Tables, TrajectoryRow } from './schema';

export interface Results {
  profile: Profile;
  dir: string;
  manifest: Record<string, unknown>;
  runs: RunRow[];
  trajectory: TrajectoryRow[];
  f0: F0Row[];
  fits: FitTableRow[];
  lawBaselines: LawBaselineRow[];
  slopes: SlopeTableRow[];
  measurements: RunMeasurement[];
}

export function hasResults(profile: string): boolean {
  return fs.existsSync(path.join(resultsDir(profile), MANIFEST_FILE));
}

/** A table read back, every row checked against its schema and the file against the sha256 the manifest recorded for it. */
function readListedTable<N extends TableName>(dir: string, name: N, manifest: { tables?: Record<string, { sha256: string }> }, todo: string): Tables[N] {
  const file = path.join(dir, `${name}.jsonl`);
  const rows = readTable<Tables[N][number]>(file, { todo, required: true, shape: TABLE_SHAPES[name] }) as Tables[N];
  const want = manifest.tables?.[name]?.sha256;
  if (want && sha256(fs.readFileSync(file)) !== want) throw damaged(file, `it does not match the sha256 in ${MANIFEST_FILE}: changed since, or left half-replaced by a crash`, todo);
  return rows;
}

/** A profile's results from its results folder, or from `dir` (a snapshot of the same layout). */
export function loadResults(profileName: string, dir = resultsDir(profileName)): Results {
  const profile = getProfile(profileName);
  const manifestFile = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(manifestFile)) throw new UserError(`no results for profile '${profileName}' in ${dir}: run \`node dist/lib/cli/reproduce.js --profile ${profileName}\``);
  const todo = `rebuild the tables from the measurements with \`node dist/lib/cli/reproduce.js --profile ${profileName} --aggregate-only\``;
  const manifest = readJsonChecked<Record<string, unknown>>(manifestFile, { profile: 'string', runs: 'array' }, todo);
  const read = <N extends TableName>(name: N) => readListedTable(dir, name, manifest, todo);
  return {
    profile, dir, manifest,
    runs: read('runs'), trajectory: read('trajectory'), f0: read('f0'), fits: read('fits'), lawBaselines: read('law_baselines'), slopes: read('slopes'),
    measurements: readMeasurements(profile, dir),
  };
}

/**
 * Trains, measures and aggregates a profile here, as `reproduce --profile NAME` does (resumes; skips
 * finished work), without its progress display or figures: a notebook draws its own. A failure is
 * one line ending with the sweep's last words.
 */
export async function runProfile(profile: string, opts: { recompute?: boolean } = {}): Promise<void> {
  if (opts.recompute) fs.rmSync(path.join(resultsDir(profile), 'measure'), { recursive: true, force: true });
  const lines: string[] = [];
  try {
    await reproduceProfile({ profile, log: (text) => { lines.push(...text.split('\n')); lines.splice(0, Math.max(0, lines.length - 20)); } });
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`reproduce --profile ${profile} failed: ${[...lines.slice(-2).map((l) => l.trim()), `error: ${e.message}`].join(' | ')}`);
  }
}

/** A path as the notebooks' sentences show it: relative to the repository. */
const rel = (d: string) => path.relative(projectRoot(), d) || d;

/** Where a notebook's results came from. */
export type ResultsSource = 'fresh' | 'snapshot' | 'computed';

function describeProvenance(manifest: Record<string, unknown>): string {
  const at = (p: unknown) => {
    const o = (p ?? {}) as { date?: string; commit?: string };
    return `${typeof o.date === 'string' ? o.date.slice(0, 10) : 'an unknown date'} at commit ${typeof o.commit === 'string' ? o.commit.slice(0, 12) : 'unknown'}`;
  };
  // A refitted snapshot: the measurements are older than the fits (lib/experiments/snapshot.ts).
  if (manifest.refit) return `measured and first aggregated on ${at(manifest.measured_and_first_aggregated)}, fits redone on ${at(manifest.refit)}`;
  const partial = manifest.partial as { measured?: number; of?: number } | undefined;
  // A sweep run a part at a time: say plainly how much of it the tables hold.
  const part = partial ? `; partial: ${partial.measured} of ${partial.of} runs measured so far, the rest are not in these tables` : '';
  return `aggregated on ${at(manifest.aggregated)}${part}`;
}

/**
 * A profile's results where they exist without computing anything: its fresh results, else its
 * committed snapshot, else undefined (a notebook's optional section, e.g. the `long` profile).
 */
export function presentResults(profile: string): { results: Results; note: string; source: ResultsSource } | undefined {
  getProfile(profile);
  if (hasResults(profile)) {
    const results = loadResults(profile);
    return { results, source: 'fresh', note: `These are the '${profile}' profile's results that were trained and measured on this machine (${rel(results.dir)}, ${describeProvenance(results.manifest)}).` };
  }
  const snap = snapshotDir(profile);
  if (!fs.existsSync(path.join(snap, 'manifest.json'))) return undefined;
  const results = loadResults(profile, snap);
  return {
    results, source: 'snapshot',
    note: `These are the committed results of the '${profile}' profile (${rel(snap)}, ${describeProvenance(results.manifest)}): nothing was trained or measured to show them. ` +
      `Run \`node dist/lib/cli/reproduce.js --profile ${profile}\` to measure them yourself; this notebook then shows your own results instead.`,
  };
}

/**
 * Results for a notebook, in this order: the chosen profile's fresh results (data/results/<profile>),
 * else the committed snapshot of that profile (data/snapshots/<profile>), else the `smoke` profile
 * computed here (about a minute). The profile is `opts.profile`, else SPARSING_PROFILE, else
 * `default`. SPARSING_RECOMPUTE=1 (or recompute) measures the chosen profile again.
 * SPARSING_NO_FALLBACK=1 (set by scripts/run-notebooks.sh when it rewrites the committed notebooks)
 * turns the fallback to smoke into an error, so committed outputs never silently change profile.
 * `note` is a sentence for the notebook's first output.
 */
export async function resultsForNotebook(opts: { profile?: string; recompute?: boolean } = {}): Promise<{ results: Results; note: string; source: ResultsSource }> {
  const asked = opts.profile ?? process.env.SPARSING_PROFILE ?? 'default';
  getProfile(asked); // an unknown profile is one clear error
  const recompute = opts.recompute ?? process.env.SPARSING_RECOMPUTE === '1';
  if (recompute) {
    await runProfile(asked, { recompute });
    const results = loadResults(asked);
    return { results, source: 'computed', note: `These are the '${asked}' profile's results, measured again just now on this machine (${rel(results.dir)}).` };
  }
  const present = presentResults(asked);
  if (present) return present;
  const snap = snapshotDir(asked);
  if (asked !== 'smoke' && process.env.SPARSING_NO_FALLBACK === '1') {
    throw new UserError(`no results for profile '${asked}': neither ${rel(resultsDir(asked))} nor ${rel(snap)} exists, and SPARSING_NO_FALLBACK=1 forbids computing 'smoke' instead`);
  }
  await runProfile('smoke');
  const results = loadResults('smoke');
  return {
    results, source: 'computed',
    note: asked === 'smoke'
      ? "These are the 'smoke' profile's results, computed just now (about a minute). Its models are tiny and barely trained: the numbers only show that every step runs, they mean nothing about the paper."
      : `There are no results for the '${asked}' profile here (neither ${rel(resultsDir(asked))} nor a committed snapshot), so this notebook computed the tiny 'smoke' profile instead (about a minute). ` +
        'Its models are barely trained: the numbers only show that every step runs, they mean nothing about the paper.',
  };
}
