// Damaged run directories: every file the trainer and `sparsity` read back, cut short, overwritten
// with garbage or missing a key, is refused in one line naming it and what to do (exit 2), and the
// directory is left byte for byte as it was. A torn last log line is tolerated, and `--rebuild`
// rebuilds what can be rebuilt: the run then ends with exactly the bytes of an undamaged one.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { train, TRAIN_DEFAULTS } from '../lib/train/trainer';
import { presetConfig } from '../lib/model/presets';
import { CHECKPOINTS_DIR } from '../lib/checkpoint/run-dir';
import { runCommand, setup, snapshot, startCommand, tmpDir, unchangedFiles } from './helpers';

// 31 steps of 128 tokens; checkpoints at steps 8, 16 and 31.
const FLAGS = ['--preset', 'micro', '--tokens', '4k', '--batch', '8', '--seq-len', '16', '--eval-tokens', '256', '--ckpt-first', '1k', '--ckpt-factor', '2', '--quiet'];
const trainArgs = (out: string, ...more: string[]) => [...FLAGS, '--out', out, ...more];

let finished = '';   // a finished run
let partial = '';    // stopped at step 20: state saved at the checkpoint of step 16, log rows to step 20

test.before(async () => {
  await setup();
  finished = path.join(tmpDir(), 'run');
  const r = runCommand('train', trainArgs(finished));
  assert.equal(r.code, 0, r.stderr);
  partial = path.join(tmpDir(), 'run');
  const s = await train({
    ...TRAIN_DEFAULTS, runDir: partial, model: presetConfig('micro', 'relu'), preset: 'micro', batchSize: 8, seqLen: 16, totalTokens: 4000,
    evalTokens: 256, checkpointFirstTokens: 1000, checkpointFactor: 2, quiet: true, stopAfterSteps: 20, stateEverySeconds: 1e9,
  });
  assert.ok(s.stoppedEarly);
});

/** A copy of a run directory (same folder name, so checkpoint metadata compare equal). */
function copyOf(src: string): string {
  const dst = path.join(tmpDir(), 'run');
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

const truncate = (f: string) => fs.writeFileSync(f, fs.readFileSync(f).subarray(0, Math.floor(fs.statSync(f).size / 2)));
const garbage = (f: string) => fs.writeFileSync(f, Buffer.from(Array.from({ length: fs.statSync(f).size }, (_, i) => (i * 7919 + 13) % 251)));
const editJson = (edit: (j: Record<string, unknown>) => void) => (f: string) => {
  const j = JSON.parse(fs.readFileSync(f, 'utf8'));
  edit(j);
  fs.writeFileSync(f, JSON.stringify(j, null, 2) + '\n');
};
const lastCkpt = (run: string) => path.join(CHECKPOINTS_DIR, fs.readdirSync(path.join(run, CHECKPOINTS_DIR)).sort().pop()!);

interface Case { what: string; base: () => string; file: string | ((run: string) => string); damage: (f: string) => void; cmd?: 'train' | 'sparsity'; expect: RegExp }

const CASES: Case[] = [
  { what: 'run.json cut short', base: () => finished, file: 'run.json', damage: truncate, expect: /run\.json is damaged \(not valid JSON, \d+ bytes: cut short or overwritten\); rerun with --rebuild run\.json to rebuild it from the last checkpoint \S+tokens-000000003968 and the flags, or start afresh with a new --out$/ },
  { what: 'run.json garbage', base: () => finished, file: 'run.json', damage: garbage, expect: /run\.json is damaged \(not valid JSON/ },
  { what: 'run.json empty', base: () => finished, file: 'run.json', damage: (f) => fs.writeFileSync(f, ''), expect: /run\.json is damaged \(empty\)/ },
  { what: 'run.json wrong type', base: () => finished, file: 'run.json', damage: editJson((j) => { j.total_steps = '31'; }), expect: /run\.json is damaged \(key 'total_steps' should be an integer, found "31"\)/ },
  { what: 'run.json missing key', base: () => finished, file: 'run.json', damage: editJson((j) => { delete j.options; }), expect: /run\.json is damaged \(missing key 'options'\)/ },
  { what: 'run.json missing', base: () => partial, file: 'run.json', damage: (f) => fs.rmSync(f), expect: /run\.json is missing but \S+ holds a run \(state\.safetensors, checkpoints\); rerun with --rebuild run\.json/ },
  { what: 'done.json cut short', base: () => finished, file: 'done.json', damage: truncate, expect: /done\.json is damaged \(not valid JSON.*rerun with --rebuild done\.json to rewrite it from the saved state, or start afresh/ },
  { what: 'done.json garbage', base: () => finished, file: 'done.json', damage: garbage, expect: /done\.json is damaged \(not valid JSON/ },
  { what: 'done.json missing key', base: () => finished, file: 'done.json', damage: editJson((j) => { delete j.steps; }), expect: /done\.json is damaged \(missing key 'steps'\)/ },
  { what: 'state cut short', base: () => partial, file: 'state.safetensors', damage: truncate, expect: /state\.safetensors is damaged \(.*\); training cannot resume without it; the checkpoints up to \S+tokens-000000002048 are intact \(measure them with sparsity\); rerun with --rebuild state\.safetensors to retrain from step 0 in place/ },
  { what: 'state garbage', base: () => partial, file: 'state.safetensors', damage: garbage, expect: /state\.safetensors is damaged \(header length \d+ exceeds the file size/ },
  { what: 'state with bytes after its data', base: () => partial, file: 'state.safetensors', damage: (f) => fs.appendFileSync(f, Buffer.alloc(64)), expect: /state\.safetensors is damaged \(\d+ bytes, the header describes \d+\)/ },
  { what: 'state step beyond the run', base: () => partial, file: 'state.safetensors', damage: (f) => fs.writeFileSync(f, Buffer.from(fs.readFileSync(f).toString('latin1').replace('"step":"16"', '"step":"99"'), 'latin1')), expect: /state\.safetensors is damaged \(step '99' is not in \[0, 31\]\)/ },
  { what: 'log garbage line', base: () => partial, file: 'log.jsonl', damage: (f) => { const l = fs.readFileSync(f, 'utf8').split('\n'); l[2] = 'garbage'; fs.writeFileSync(f, l.join('\n')); }, expect: /log\.jsonl is damaged \(line 3 is not valid JSON\); rerun with --rebuild log\.jsonl to keep its readable rows/ },
  { what: 'log row without step', base: () => partial, file: 'log.jsonl', damage: (f) => { const l = fs.readFileSync(f, 'utf8').split('\n'); l[4] = '{"kind":"train"}'; fs.writeFileSync(f, l.join('\n')); }, expect: /log\.jsonl is damaged \(line 5: missing key 'step'\)/ },
  { what: 'meta.json cut short (sparsity)', base: () => finished, file: (r) => path.join(lastCkpt(r), 'meta.json'), damage: truncate, cmd: 'sparsity', expect: /meta\.json is damaged \(not valid JSON.*\); move \S+ aside to use the other checkpoints/ },
  { what: 'meta.json garbage (sparsity)', base: () => finished, file: (r) => path.join(lastCkpt(r), 'meta.json'), damage: garbage, cmd: 'sparsity', expect: /meta\.json is damaged \(not valid JSON/ },
  { what: 'meta.json wrong type (sparsity)', base: () => finished, file: (r) => path.join(lastCkpt(r), 'meta.json'), damage: editJson((j) => { j.tokens = 'many'; }), cmd: 'sparsity', expect: /meta\.json is damaged \(key 'tokens' should be an integer/ },
];

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => { while (next < items.length) await fn(items[next++]); }));
}

test('every damaged run file is refused in one line naming it, exit 2, and nothing is changed', async (t) => {
  const failures: string[] = [];
  await pool(CASES, 3, async (c) => {
    const run = copyOf(c.base());
    const file = path.join(run, typeof c.file === 'string' ? c.file : c.file(run));
    c.damage(file);
    const before = snapshot(run);
    const r = await startCommand(c.cmd ?? 'train', c.cmd === 'sparsity' ? [run, '--quiet'] : trainArgs(run)).done;
    const lines = r.stderr.trim().split('\n');
    const { changed, added } = unchangedFiles(before, run);
    const problems = [
      r.code !== 2 && `exit ${r.code}`,
      lines.length !== 1 && `${lines.length} lines`,
      !lines[0].startsWith(`error: ${file} is`) && !lines[0].startsWith(`error: ${file.replace(/\.json$/, '')}`) && `does not name ${file}`,
      !c.expect.test(lines[0]) && `does not match ${c.expect}`,
      (changed.length || added.length) && `changed ${changed} added ${added}`,
    ].filter(Boolean);
    if (problems.length) failures.push(`${c.what}: ${problems.join('; ')}\n    stderr: ${r.stderr.trim()}`);
    t.diagnostic(`${c.what}: ${lines[0].replace(run, 'RUN')}`);
  });
  assert.deepEqual(failures, []);
});

/** Asserts that `run` ended with exactly the bytes of the undamaged finished run. */
function assertSameAsFinished(run: string): void {
  const mine = snapshot(path.join(run, CHECKPOINTS_DIR)), theirs = snapshot(path.join(finished, CHECKPOINTS_DIR));
  assert.deepEqual([...mine.keys()].sort(), [...theirs.keys()].sort(), 'the same checkpoint files');
  for (const [p, b] of theirs) assert.ok(mine.get(p)!.equals(b), `${p} differs`);
  assert.ok(fs.readFileSync(path.join(run, 'state.safetensors')).equals(fs.readFileSync(path.join(finished, 'state.safetensors'))), 'state differs');
  const done = JSON.parse(fs.readFileSync(path.join(run, 'done.json'), 'utf8')), want = JSON.parse(fs.readFileSync(path.join(finished, 'done.json'), 'utf8'));
  assert.equal(done.steps, want.steps);
  assert.equal(done.finalValLoss, want.finalValLoss);
  const rows = (d: string) => fs.readFileSync(path.join(d, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => { const { elapsed_s: _e, ...rest } = JSON.parse(l); return rest; });
  assert.deepEqual(rows(run), rows(finished), 'the same log rows (but for timings)');
}

const asideOf = (run: string, name: string) => fs.readdirSync(run).filter((n) => n.startsWith(`${name}.damaged-`));

test('a torn last log line and log rows after the saved state are tolerated: the run resumes to the same bytes', async () => {
  const run = copyOf(partial);
  fs.appendFileSync(path.join(run, 'log.jsonl'), '{"kind":"train","step":21,"tok');
  const r = runCommand('train', trainArgs(run));
  assert.equal(r.code, 0, r.stderr);
  assertSameAsFinished(run);
});

test('--rebuild run.json rebuilds it from the last checkpoint and the flags, keeps the damaged file, and the run ends the same', async () => {
  const run = copyOf(partial);
  const file = path.join(run, 'run.json');
  const original = JSON.parse(fs.readFileSync(file, 'utf8'));
  truncate(file);
  const damagedBytes = fs.readFileSync(file);
  const before = snapshot(run);
  const wrong = runCommand('train', trainArgs(run, '--rebuild', 'run.json', '--seed', '1'));
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr.trim(), /^error: cannot rebuild \S+run\.json: the last checkpoint \S+tokens-000000002048 has seed 0 \(flags: 1\); pass the flags the run was trained with$/);
  assert.deepEqual(unchangedFiles(before, run), { changed: [], added: [] });

  const r = runCommand('train', trainArgs(run, '--rebuild', 'run.json'));
  assert.equal(r.code, 0, r.stderr);
  const rebuilt = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const k of ['options', 'params', 'tokens_per_step', 'total_steps', 'checkpoint_steps', 'corpus_hash']) assert.deepEqual(rebuilt[k], original[k], k);
  assert.match(rebuilt.rebuilt_from, /tokens-000000002048/);
  const aside = asideOf(run, 'run.json');
  assert.equal(aside.length, 1);
  assert.ok(fs.readFileSync(path.join(run, aside[0])).equals(damagedBytes), 'the damaged file is kept as it was');
  assertSameAsFinished(run);
});

test('--rebuild state.safetensors retrains in place from step 0 to the same bytes, keeping the identical checkpoints', async () => {
  const run = copyOf(partial);
  garbage(path.join(run, 'state.safetensors'));
  const ckptsBefore = snapshot(path.join(run, CHECKPOINTS_DIR));
  const r = runCommand('train', trainArgs(run, '--rebuild', 'state.safetensors'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(asideOf(run, 'state.safetensors').length, 1);
  assert.deepEqual(unchangedFiles(ckptsBefore, path.join(run, CHECKPOINTS_DIR)).changed, []);
  assert.deepEqual(fs.readdirSync(path.join(run, CHECKPOINTS_DIR)).filter((n) => n.includes('.prev-')), [], 'identical checkpoints are kept, not replaced');
  assertSameAsFinished(run);
});

test('--rebuild done.json and --rebuild log.jsonl keep the damaged file aside and finish the run', async () => {
  const run = copyOf(finished);
  garbage(path.join(run, 'done.json'));
  const r = runCommand('train', trainArgs(run, '--rebuild', 'done.json'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(asideOf(run, 'done.json').length, 1);
  assertSameAsFinished(run);

  const run2 = copyOf(partial);
  const log = path.join(run2, 'log.jsonl');
  const l = fs.readFileSync(log, 'utf8').split('\n');
  l[2] = 'garbage';
  fs.writeFileSync(log, l.join('\n'));
  const r2 = runCommand('train', trainArgs(run2, '--rebuild', 'log.jsonl'));
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /kept \d+ readable rows of log\.jsonl/);
  assert.equal(asideOf(run2, 'log.jsonl').length, 1);
  const steps = fs.readFileSync(log, 'utf8').trim().split('\n').map((x) => JSON.parse(x)).filter((x) => x.kind === 'train').map((x) => x.step);
  assert.deepEqual(steps, Array.from({ length: 31 }, (_, i) => i + 1).filter((s) => s !== 3), 'every row but the damaged one');
});
