// Durable, atomic writes. A file is written to a temporary name in the same directory, fsynced,
// renamed over the final name, and the directory is fsynced: a crash, a kill or a full disk leaves
// either the old file or the new one, never a mixture. JSON lines logs are appended instead (a kill
// can tear only the last line, which readers tolerate) and fsynced at the points that must survive.
//
// A failed write (full disk, read-only or unwritable directory) becomes a WriteFailure: one line
// naming the file, with nothing left behind but the files that were already there.
//
// Test hooks (environment): SPARSING_FAIL_WRITES_AFTER_BYTES=N makes writes fail with ENOSPC once
// this process has written N bytes through this module (a full disk without a tmpfs);
// SPARSING_WRITE_LOG=FILE appends the path of every file written here to FILE (to check that
// concurrent processes never write the same file).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from './errors';

const WHY: Record<string, string> = {
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EACCES: 'permission denied',
  EPERM: 'operation not permitted', EROFS: 'read-only file system', EIO: 'input/output error', ENOTDIR: 'a parent is not a directory',
};

/** System error codes that mean "this could not be written", as opposed to a bug. */
export const WRITE_ERROR_CODES = Object.keys(WHY);

/** A file could not be written; `file` and `code` say which and why. */
export class WriteFailure extends UserError {
  constructor(readonly file: string, readonly code: string, detail = '') {
    super(`could not write ${file}: ${WHY[code] ?? code} (${code})${detail}`);
    this.name = 'WriteFailure';
  }
}

/** Turns a system write error into a WriteFailure; anything else passes through. */
export function asWriteFailure(e: unknown, file: string): unknown {
  if (e instanceof WriteFailure) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  return code && code in WHY ? new WriteFailure(file, code) : e;
}

let bytesWritten = 0;

function recordWrite(file: string): void {
  const log = process.env.SPARSING_WRITE_LOG;
  if (log) fs.appendFileSync(log, `${process.pid}\t${path.resolve(file)}\n`);
}

/** Writes all of `data` to fd, honouring the ENOSPC test hook (which writes a partial tail first). */
function writeAll(fd: number, data: Uint8Array): void {
  const limit = Number(process.env.SPARSING_FAIL_WRITES_AFTER_BYTES ?? Infinity);
  let n = data.length;
  if (bytesWritten + n > limit) n = Math.max(0, limit - bytesWritten);
  let off = 0;
  while (off < n) off += fs.writeSync(fd, data, off, n - off);
  bytesWritten += n;
  if (n < data.length) throw Object.assign(new Error('ENOSPC: no space left on device (simulated)'), { code: 'ENOSPC' });
}

const bytesOf = (data: string | Uint8Array) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

/** fsync a directory so that a rename in it survives a power cut (not supported everywhere). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch { /* some file systems cannot fsync a directory; the rename is still atomic */ } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function tmpName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/** Replaces `file` with `data` atomically and durably; on failure the old file (if any) is untouched. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = tmpName(file);
  let fd: number | undefined;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = fs.openSync(tmp, 'wx', 0o644);
    writeAll(fd, bytesOf(data));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    fs.rmSync(tmp, { force: true });
    throw asWriteFailure(e, file);
  }
  fsyncDir(path.dirname(file));
  recordWrite(file);
}

/**
 * Publishes a whole directory atomically: `fill` writes into a temporary sibling, which is then
 * renamed to `dir`. An existing `dir` is never overwritten: when `same(tmp, dir)` says it already
 * holds this content it is kept as it is, otherwise it is moved aside as `dir.prev-<time>`.
 */
export function publishDirAtomic(dir: string, fill: (tmpDir: string) => void, same: (tmpDir: string, dir: string) => boolean = () => false): void {
  const tmp = tmpName(dir);
  try {
    fs.mkdirSync(tmp, { recursive: true });
    fill(tmp);
    fsyncDir(tmp);
    if (fs.existsSync(dir)) {
      if (same(tmp, dir)) { fs.rmSync(tmp, { recursive: true, force: true }); return; }
      fs.renameSync(dir, `${dir}.prev-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    }
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw asWriteFailure(e, (e as WriteFailure).file ?? dir);
  }
  fsyncDir(path.dirname(dir));
  recordWrite(dir);
}

/**
 * A JSON lines file opened for appending. Each row is written whole with one write(2), so a kill
 * can tear only the last line; `sync()` makes the rows so far durable (call it before saving
 * anything that says they exist).
 */
export class JsonlAppender {
  private fd: number;

  constructor(readonly file: string) {
    try {
      this.fd = fs.openSync(file, 'a', 0o644);
    } catch (e) {
      throw asWriteFailure(e, file);
    }
    recordWrite(file);
  }

  append(row: unknown): void {
    try {
      writeAll(this.fd, Buffer.from(JSON.stringify(row) + '\n', 'utf8'));
    } catch (e) {
      throw asWriteFailure(e, this.file);
    }
  }

  sync(): void {
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw asWriteFailure(e, this.file);
    }
  }

  close(): void {
    try { fs.closeSync(this.fd); } catch { /* closing twice or after a failure */ }
  }
}
