// One writer per run or results directory: a second `train`, `sparsity` or `reproduce` is refused
// in one line naming the process that holds the lock, and writes nothing; a lock left by a dead
// process is taken over, by exactly one of several racers.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireLock, LOCK_FILE, lockHolder } from '../lib/util/lock';
import { runCommand, snapshot, startCommand, tmpDir, unchangedFiles, waitFor } from './helpers';

const LOCK_JS = path.join(__dirname, '..', 'lib', 'util', 'lock.js');
const FLAGS = ['--preset', 'micro', '--batch', '8', '--seq-len', '16', '--eval-tokens', '256', '--ckpt-first', '1k', '--ckpt-factor', '2', '--quiet'];

/** A process that takes the lock of dir (as `command`), says so, and holds it for `ms`. */
function holder(dir: string, command: string, ms: number, name = LOCK_FILE) {
  const code = `process.on('SIGTERM',()=>process.exit(0));const l=require(${JSON.stringify(LOCK_JS)});try{l.acquireLock(${JSON.stringify(dir)},${JSON.stringify(command)},{name:${JSON.stringify(name)},quiet:true});console.log('got');setTimeout(()=>{},${ms})}catch(e){console.log('refused: '+e.message)}`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b) => { out += b; });
  const said = new Promise<string>((resolve) => child.stdout.on('data', () => { if (out.includes('\n')) resolve(out.trim()); }));
  return { child, said, done: new Promise<void>((r) => child.on('close', () => r())) };
}

const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

test('a lock records pid, host, command and start time; it is re-entrant and released', () => {
  const dir = tmpDir();
  const a = acquireLock(dir, 'test one');
  const info = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
  assert.equal(info.pid, process.pid);
  assert.equal(info.hostname, os.hostname());
  assert.equal(info.command, 'test one');
  assert.ok(!Number.isNaN(Date.parse(info.started)));
  const b = acquireLock(dir, 'test one again');
  b.release();
  assert.ok(fs.existsSync(path.join(dir, LOCK_FILE)), 'still held by the outer holder');
  a.release();
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)));
});

test('a second train or sparsity on a run being trained is refused in one line naming the trainer, and writes nothing', async () => {
  const out = path.join(tmpDir(), 'run');
  const first = startCommand('train', [...FLAGS, '--tokens', '2M', '--out', out]);
  await waitFor(() => fs.existsSync(path.join(out, 'checkpoints')), 120_000, 'the first trainer');
  const writes = path.join(tmpDir(), 'writes');
  for (const [cmd, args] of [['train', [...FLAGS, '--tokens', '2M', '--out', out]], ['sparsity', [out, '--quiet']]] as const) {
    const r = runCommand(cmd, [...args], { SPARSING_WRITE_LOG: writes });
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`^error: ${out} is in use by pid ${first.child.pid} \\(train --preset micro .*--out ${out}, started \\S+\\); wait for it to finish or stop it$`));
    assert.ok(!fs.existsSync(writes), `${cmd} wrote ${fs.existsSync(writes) ? fs.readFileSync(writes, 'utf8') : ''}`);
  }
  first.child.kill('SIGTERM');
  await first.done;
  // A signal stops the trainer at once, leaving its lock behind; the next writer takes it over.
  assert.ok(fs.existsSync(path.join(out, LOCK_FILE)) && lockHolder(out) === undefined, 'a stale lock');
  const next = runCommand('train', [...FLAGS, '--tokens', '2k', '--out', path.join(out)]);
  assert.equal(next.code, 2);
  assert.match(next.stderr, new RegExp(`^note: took over the lock of ${out} from pid ${first.child.pid} .*which is no longer running\nerror: ${out} holds a run with different settings`));
});

test('reproduce: a second sweep, a shard or an aggregation is refused while a sweep holds the results directory, and a sweep while a shard runs', async () => {
  const data = tmpDir('sl-data-');
  const results = path.join(data, 'results', 'smoke');
  const env = { SPARSING_DATA_DIR: data };
  const h = holder(results, 'reproduce --profile smoke', 60_000);
  assert.equal(await h.said, 'got');
  const before = snapshot(data);
  for (const args of [['--profile', 'smoke'], ['--profile', 'smoke', '--shard', '0/2'], ['--profile', 'smoke', '--aggregate-only']]) {
    const r = runCommand('reproduce', args, env);
    assert.equal(r.code, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr.trim(), new RegExp(`^error: ${results} is in use by pid ${h.child.pid} \\(reproduce --profile smoke, started \\S+\\); wait for it to finish`));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  h.child.kill();
  await h.done;
  const shard = holder(results, 'reproduce --profile smoke --shard 1/2', 60_000, `${LOCK_FILE}.shard-1-of-2`);
  assert.equal(await shard.said, 'got');
  const r = runCommand('reproduce', ['--profile', 'smoke'], env);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr.trim(), new RegExp(`^error: ${results} is in use by pid ${shard.child.pid} \\(reproduce --profile smoke --shard 1/2, .*wait for the shards to finish$`));
  const same = runCommand('reproduce', ['--profile', 'smoke', '--shard', '1/2'], env);
  assert.equal(same.code, 2);
  assert.match(same.stderr, /is in use by pid \d+ \(reproduce --profile smoke --shard 1\/2/);
  shard.child.kill();
  await shard.done;
  const after = unchangedFiles(before, data);
  assert.deepEqual(after.changed.filter((p) => !p.endsWith(LOCK_FILE)), []);
  assert.deepEqual(after.added.filter((p) => !p.endsWith(LOCK_FILE) && !p.includes(`${LOCK_FILE}.shard-`)), [], 'nothing written but locks');
});

test('a stale lock from a dead process on this host is taken over; one from another host or a damaged one is not', () => {
  const dir = tmpDir();
  const out = path.join(dir, 'run');
  fs.mkdirSync(out);
  const lock = path.join(out, LOCK_FILE);
  const stale = { pid: deadPid(), hostname: os.hostname(), command: 'train --out crashed', started: '2026-01-01T00:00:00.000Z' };
  fs.writeFileSync(lock, JSON.stringify(stale));
  const r = runCommand('train', [...FLAGS, '--tokens', '1k', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`note: took over the lock of ${out} from pid ${stale.pid} \\(train --out crashed, started 2026-01-01T00:00:00.000Z\\), which is no longer running`));
  assert.ok(!fs.existsSync(lock));

  const elsewhere = { ...stale, pid: 4242, hostname: 'another-host' };
  fs.writeFileSync(lock, JSON.stringify(elsewhere));
  const before = snapshot(out);
  const r2 = runCommand('train', [...FLAGS, '--tokens', '1k', '--out', out]);
  assert.equal(r2.code, 2);
  assert.equal(r2.stderr.trim(), `error: ${out} is in use by pid 4242 on host another-host (train --out crashed, started 2026-01-01T00:00:00.000Z); wait for it to finish, or if that process is gone, move ${lock} aside`);
  fs.writeFileSync(lock, '{"pid": 12');
  const r3 = runCommand('train', [...FLAGS, '--tokens', '1k', '--out', out]);
  assert.equal(r3.code, 2);
  assert.equal(r3.stderr.trim(), `error: lock file ${lock} is damaged; if no other process is using ${out}, move it aside and rerun`);
  before.set(LOCK_FILE, Buffer.from('{"pid": 12'));
  assert.deepEqual(unchangedFiles(before, out), { changed: [], added: [] });
});

test('of several processes racing to take over a stale lock, exactly one gets it', async () => {
  const dir = tmpDir();
  for (let round = 0; round < 3; round++) {
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: os.hostname(), command: 'crashed', started: `round ${round}` }));
    // Each racer holds what it got until the round ends, so a slow starter on a loaded machine cannot
    // arrive after the winner has left and fairly take a free lock.
    const racers = Array.from({ length: 6 }, () => holder(dir, 'racer', 60_000));
    const said = await Promise.all(racers.map((r) => r.said));
    assert.equal(said.filter((s) => s === 'got').length, 1, said.join('\n'));
    const winner = racers[said.indexOf('got')].child.pid;
    for (const s of said.filter((x) => x !== 'got')) assert.match(s, new RegExp(`refused: .* is in use by pid ${winner} \\(racer`));
    assert.equal(lockHolder(dir)?.pid, winner);
    racers.forEach((r) => r.child.kill('SIGTERM'));
    await Promise.all(racers.map((r) => r.done));
  }
});
