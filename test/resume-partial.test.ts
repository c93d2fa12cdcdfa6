// A long sweep run a part at a time: tables of the runs measured so far (--partial) that say which
// are missing, and a later part continuing from the committed snapshot's measurements.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { reproduceProfile } from '../lib/experiments/reproduce';
import { seedFromSnapshot, SEEDED_FILE } from '../lib/experiments/seed';
import { getProfile } from '../lib/experiments/profiles';
import { resultsDir, snapshotDir } from '../lib/experiments/paths';
import { trainSeconds } from '../lib/experiments/aggregate';

function withDataDir<T>(fn: () => Promise<T>): Promise<T> {
  const old = process.env.SPARSING_DATA_DIR;
  process.env.SPARSING_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-partial-'));
  return fn().finally(() => { if (old === undefined) delete process.env.SPARSING_DATA_DIR; else process.env.SPARSING_DATA_DIR = old; });
}

test('--aggregate-only --partial writes tables of the measured runs and lists the missing ones', () => withDataDir(async () => {
  const profile = getProfile('default');
  const ids = ['d32-l1-relu-s0-4M', 'd32-l1-silu-s0-4M'];
  const measure = path.join(resultsDir('default'), 'measure');
  fs.mkdirSync(measure, { recursive: true });
  for (const id of ids) fs.copyFileSync(path.join(snapshotDir('default'), 'measure', `${id}.json`), path.join(measure, `${id}.json`));
  const lines: string[] = [];
  // Without --partial nothing is written: the tables wait for every run.
  const without = await reproduceProfile({ profile: 'default', aggregateOnly: true, log: (t) => lines.push(t) });
  assert.equal(without.aggregated, false);
  assert.ok(!fs.existsSync(path.join(resultsDir('default'), 'manifest.json')));
  assert.match(lines.join('\n'), /--partial/);
  const withPartial = await reproduceProfile({ profile: 'default', aggregateOnly: true, partial: true, log: () => {} });
  assert.equal(withPartial.aggregated, true);
  const manifest = JSON.parse(fs.readFileSync(path.join(resultsDir('default'), 'manifest.json'), 'utf8'));
  assert.equal(manifest.partial.measured, 2);
  assert.equal(manifest.partial.of, profile.runs.length);
  assert.equal(manifest.partial.missing.length, profile.runs.length - 2);
  assert.ok(!manifest.partial.missing.includes(ids[0]));
  const runs = fs.readFileSync(path.join(resultsDir('default'), 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(runs.map((r) => r.run).sort(), [...ids].sort());
}));

test('--resume-from-snapshot takes the committed measurements (with their training seconds) and leaves existing ones alone', () => withDataDir(async () => {
  const profile = getProfile('default');
  const mine = path.join(resultsDir('default'), 'measure', 'd32-l1-relu-s0-4M.json');
  fs.mkdirSync(path.dirname(mine), { recursive: true });
  fs.writeFileSync(mine, 'mine');
  const line = seedFromSnapshot(profile);
  assert.match(line, new RegExp(`^${profile.runs.length - 1} measurement`));
  assert.equal(fs.readFileSync(mine, 'utf8'), 'mine');
  const snapManifest = JSON.parse(fs.readFileSync(path.join(snapshotDir('default'), 'manifest.json'), 'utf8'));
  const other = snapManifest.runs.find((r: { id: string }) => r.id === 'd64-l2-relu-s0-4M');
  assert.ok(fs.existsSync(path.join(resultsDir('default'), SEEDED_FILE)));
  assert.equal(trainSeconds('default', 'd64-l2-relu-s0-4M'), other.train_seconds);
  assert.match(seedFromSnapshot(profile), /^0 measurement/); // idempotent
}));

test('--resume-from-snapshot without a snapshot is one clear error', () => withDataDir(async () => {
  assert.throws(() => seedFromSnapshot({ ...getProfile('smoke'), name: 'no-such-snapshot' }), /no committed snapshot of 'no-such-snapshot'/);
}));
