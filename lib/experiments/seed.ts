// Continuing a sweep from its committed snapshot: a long profile can be run a part at a time (on
// different machines or sessions), each part committing its measurements in data/snapshots/<profile>.
// The next part copies those measurements into its results folder, so the runs they cover count as
// done, and their training seconds (the run folders stay behind) travel in SEEDED_FILE.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';
import { readJsonChecked } from '../util/checked-read';
import { measureFile, resultsDir, snapshotDir } from './paths';
import type { Profile } from './profiles';

/** Training seconds of runs whose measurements came from the snapshot: { [run id]: seconds }. */
export const SEEDED_FILE = 'seeded-train-seconds.json';

/** Copies the snapshot's measurements this profile's results lack; returns a line saying what it did. */
export function seedFromSnapshot(profile: Profile): string {
  const snap = snapshotDir(profile.name);
  if (!fs.existsSync(path.join(snap, 'measure'))) throw new UserError(`--resume-from-snapshot: no committed snapshot of '${profile.name}' in ${snap}`);
  const manifest = readJsonChecked<{ runs: { id: string; train_seconds?: number | null }[] }>(path.join(snap, 'manifest.json'), { runs: 'array' },
    `restore it with \`git checkout -- ${path.relative(process.cwd(), snap) || snap}\``);
  const trainSeconds = new Map(manifest.runs.map((r) => [r.id, r.train_seconds ?? null]));
  const seededFile = path.join(resultsDir(profile.name), SEEDED_FILE);
  const seeded: Record<string, number | null> = fs.existsSync(seededFile) ? JSON.parse(fs.readFileSync(seededFile, 'utf8')) : {};
  const copied: string[] = [];
  for (const r of profile.runs) {
    const from = path.join(snap, 'measure', `${r.id}.json`);
    const to = measureFile(profile.name, r.id);
    if (!fs.existsSync(from) || fs.existsSync(to)) continue;
    fs.mkdirSync(path.dirname(to), { recursive: true });
    writeFileAtomic(to, fs.readFileSync(from));
    seeded[r.id] = trainSeconds.get(r.id) ?? null;
    copied.push(r.id);
  }
  if (copied.length) writeFileAtomic(seededFile, JSON.stringify(seeded, null, 1) + '\n');
  return `${copied.length} measurement(s) taken from the committed snapshot ${path.relative(process.cwd(), snap) || snap}`;
}

/** The training seconds recorded for a run seeded from the snapshot (undefined when it was not seeded). */
export function seededTrainSeconds(profileName: string, id: string): number | null | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(resultsDir(profileName), SEEDED_FILE), 'utf8')) as Record<string, number | null>;
    return id in m ? m[id] : undefined;
  } catch {
    return undefined;
  }
}
