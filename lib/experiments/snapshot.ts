// Committed snapshots of a profile's results (data/snapshots/<profile>): what the notebooks show on a
// fresh clone. A snapshot is made from a clean commit only, so every number in it can be traced to
// code that exists: snapshot creation refuses a dirty tree, and results measured from one, unless
// allowDirty is set (and then the manifest says so).
//
//   makeSnapshot:  copy data/results/<profile> (tables, manifest, measure/, figures) to the snapshot.
//   refitSnapshot: redo the fits and tables of an existing snapshot from its committed measurements
//                  with the current code (no training, no measuring), e.g. after a change to lib/laws.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { gitCommit, provenance } from '../backend/provenance';
import { aggregate, readMeasurements } from './aggregate';
import { resultsDir, snapshotDir } from './paths';
import { getProfile } from './profiles';

export interface SnapshotOptions {
  /** Accept a dirty working tree and measurements made from one (recorded in the manifest). */
  allowDirty?: boolean;
}

function requireClean(what: string, commit: string, allowDirty: boolean): void {
  if (allowDirty) return;
  if (commit.endsWith('-dirty') || commit === 'unknown') {
    throw new UserError(`${what} comes from ${commit === 'unknown' ? 'an unknown commit' : `a dirty tree (${commit})`}: commit first, or pass --allow-dirty`);
  }
}

function readManifest(dir: string): Record<string, unknown> {
  const f = path.join(dir, 'manifest.json');
  if (!fs.existsSync(f)) throw new UserError(`no manifest.json in ${dir}`);
  return JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;
}

/** Commits of the measurements in `dir` that came from a dirty tree. */
export function dirtyMeasurements(profileName: string, dir: string): string[] {
  return readMeasurements(getProfile(profileName), dir).filter((m) => !/^[0-9a-f]{40}$/.test(m.provenance.commit)).map((m) => `${m.run.id} (${m.provenance.commit})`);
}

/** Copies a profile's fresh results into its snapshot folder; returns the folder. */
export function makeSnapshot(profileName: string, opts: SnapshotOptions = {}): string {
  const allow = opts.allowDirty ?? false;
  const src = resultsDir(profileName);
  const manifest = readManifest(src);
  requireClean('the working tree', gitCommit(), allow);
  requireClean(`the aggregation in ${src}`, String((manifest.aggregated as { commit?: string } | undefined)?.commit ?? 'unknown'), allow);
  const dirty = dirtyMeasurements(profileName, src);
  if (dirty.length && !allow) throw new UserError(`${dirty.length} measurement(s) in ${src} were made from a dirty or unknown tree: ${dirty.join(', ')}; measure them again from a clean commit, or pass --allow-dirty`);
  const made = provenance(); // before the copy: writing the snapshot makes the tree dirty until it is committed
  const dst = snapshotDir(profileName);
  fs.rmSync(dst, { recursive: true, force: true });
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src)) {
    if (/\.(jsonl|csv)$/.test(f)) fs.copyFileSync(path.join(src, f), path.join(dst, f));
  }
  fs.cpSync(path.join(src, 'measure'), path.join(dst, 'measure'), { recursive: true });
  const figs = path.join(src, 'figures');
  if (fs.existsSync(figs)) {
    fs.mkdirSync(path.join(dst, 'figures'));
    for (const f of fs.readdirSync(figs)) if (/\.(png|vl\.json)$/.test(f)) fs.copyFileSync(path.join(figs, f), path.join(dst, 'figures', f));
  }
  const out = { ...manifest, snapshot: { made, from: path.relative(path.dirname(dst), src), allow_dirty: allow, dirty_measurements: dirty } };
  fs.writeFileSync(path.join(dst, 'manifest.json'), JSON.stringify(out, null, 2) + '\n');
  return dst;
}

/** Redoes a snapshot's fits and tables from its committed measurements with the current code. */
export function refitSnapshot(profileName: string, opts: SnapshotOptions = {}): string {
  const allow = opts.allowDirty ?? false;
  requireClean('the working tree', gitCommit(), allow);
  const dir = snapshotDir(profileName);
  const old = readManifest(dir);
  const profile = getProfile(profileName);
  // Taken before any table is rewritten: writing them makes the tree dirty until they are committed.
  const now = provenance();
  const keep: Record<string, unknown> = {
    aggregated: now,
    measured_and_first_aggregated: old.measured_and_first_aggregated ?? old.aggregated,
    refit: { ...now, note: 'fits and tables redone from the committed measurements (measure/*.json) with the code of this commit; nothing was trained or measured' },
    dirty_measurements: dirtyMeasurements(profileName, dir),
  };
  if (old.snapshot) keep.snapshot = old.snapshot;
  aggregate(profile, Number(old.sweep_wall_seconds ?? NaN), dir, keep);
  return dir;
}
