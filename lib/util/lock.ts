// One writer per directory: a lock file naming the process that holds it (pid, host, command,
// start time). It appears whole, via link(2) of a filled temporary file, which fails with EEXIST
// exactly like open(O_CREAT|O_EXCL) but never exposes a half-written lock. A lock left by a dead
// process on this host is taken over by whichever racer first creates a takeover token (also with
// link(2)), after it checks that the lock is still the stale one it judged.
// Locks are re-entrant within a process and released when it exits. A signal (Ctrl-C, kill) is left
// to stop the process at once, as it should stop a training loop that never yields: that leaves a
// stale lock, which the next writer takes over.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { asWriteFailure } from './atomic';
import { UserError } from './errors';

export const LOCK_FILE = '.lock';

export interface LockInfo { pid: number; hostname: string; command: string; started: string }

export interface DirLock { file: string; release(): void }

const held = new Map<string, { count: number; raw: string }>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
  // A killed process not yet reaped by its parent (a zombie) answers signal 0 but holds nothing.
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): trust the signal
  }
}

function parseLock(raw: string, file: string): LockInfo {
  try {
    const j = JSON.parse(raw) as LockInfo;
    if (Number.isInteger(j.pid) && typeof j.hostname === 'string' && typeof j.command === 'string') return j;
  } catch { /* reported below */ }
  throw new UserError(`lock file ${file} is damaged; if no other process is using ${path.dirname(file)}, move it aside and rerun`);
}

function readRaw(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function releaseAll(): void {
  for (const [file, h] of held) if (readRaw(file) === h.raw) fs.rmSync(file, { force: true });
  held.clear();
}
let exitHook = false;

/** Blocks the thread for ms (lock contention only; never on a hot path). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Replaces the stale lock `judged` at `file` with ours (`tmp`) while holding `${file}.takeover`.
 * Returns false when another process holds the token or the lock changed; the caller looks again.
 * A token left by a process that died during its takeover (a window of a few system calls) is
 * removed by the next racer.
 */
function takeOver(file: string, tmp: string, judged: string): boolean {
  const token = `${file}.takeover`;
  try {
    fs.linkSync(tmp, token);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw asWriteFailure(e, token);
    const raw = readRaw(token);
    let owner: LockInfo | undefined;
    try { owner = raw === undefined ? undefined : (JSON.parse(raw) as LockInfo); } catch { owner = undefined; }
    if (raw !== undefined && owner && owner.hostname === os.hostname() && !alive(owner.pid) && readRaw(token) === raw) fs.rmSync(token, { force: true });
    else sleepMs(5);
    return false;
  }
  try {
    if (readRaw(file) !== judged) return false; // someone else took it over (or it was released)
    fs.rmSync(file, { force: true });
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw asWriteFailure(e, file);
      return false; // a newcomer took the free lock first: it holds it fairly
    }
  } finally {
    fs.rmSync(token, { force: true });
  }
}

/** Who holds the lock of `dir` now (a live process), or undefined. */
export function lockHolder(dir: string, name = LOCK_FILE): LockInfo | undefined {
  const file = path.join(dir, name);
  const raw = readRaw(file);
  if (raw === undefined) return undefined;
  const info = parseLock(raw, file);
  return info.hostname !== os.hostname() || alive(info.pid) ? info : undefined;
}

export function describeHolder(h: LockInfo): string {
  const where = h.hostname === os.hostname() ? '' : ` on host ${h.hostname}`;
  return `pid ${h.pid}${where} (${h.command}, started ${h.started})`;
}

/**
 * Takes the lock of `dir` for `command`, or refuses in one line naming the holder. readOnlyOk: in
 * a directory nobody can write (a read-only checkpoint), go on without a lock.
 */
export function acquireLock(dir: string, command: string, opts: { name?: string; readOnlyOk?: boolean; quiet?: boolean } = {}): DirLock {
  const file = path.join(dir, opts.name ?? LOCK_FILE);
  const mine = held.get(file);
  const handle: DirLock = { file, release: () => release(file) };
  if (mine) { mine.count++; return handle; }
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), command, started: new Date().toISOString() };
  const raw = JSON.stringify(info) + '\n';
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, raw);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (opts.readOnlyOk && (code === 'EACCES' || code === 'EROFS' || code === 'EPERM')) return { file, release: () => {} };
    throw asWriteFailure(e, file);
  }
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        fs.linkSync(tmp, file);
        held.set(file, { count: 1, raw });
        if (!exitHook) { process.on('exit', releaseAll); exitHook = true; }
        return handle;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw asWriteFailure(e, file);
      }
      const theirs = readRaw(file);
      if (theirs === undefined) continue; // released meanwhile
      const h = parseLock(theirs, file);
      if (h.hostname !== os.hostname()) {
        throw new UserError(`${dir} is in use by ${describeHolder(h)}; wait for it to finish, or if that process is gone, move ${file} aside`);
      }
      if (alive(h.pid)) throw new UserError(`${dir} is in use by ${describeHolder(h)}; wait for it to finish or stop it`);
      // Stale: its process is gone. Only the holder of the takeover token (created like the lock,
      // with link(2)) may remove it, after checking that the file is still the lock it judged, so a
      // live lock that replaced it meanwhile is never removed by a slower racer.
      if (takeOver(file, tmp, theirs)) {
        held.set(file, { count: 1, raw });
        if (!exitHook) { process.on('exit', releaseAll); exitHook = true; }
        if (!opts.quiet) process.stderr.write(`note: took over the lock of ${dir} from ${describeHolder(h)}, which is no longer running\n`);
        return handle;
      }
    }
    throw new UserError(`could not take the lock ${file} (other processes keep taking it); rerun when ${dir} is free`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function release(file: string): void {
  const h = held.get(file);
  if (!h) return;
  if (--h.count > 0) return;
  held.delete(file);
  if (readRaw(file) === h.raw) fs.rmSync(file, { force: true });
}

/** Runs fn holding the lock of dir. */
export async function withLock<T>(dir: string, command: string, fn: () => Promise<T>, opts: Parameters<typeof acquireLock>[2] = {}): Promise<T> {
  const lock = acquireLock(dir, command, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
