// On-disk cache of a prepared corpus. Layout:
//   "SPLAWCRP" | u32 format | u32 headerLen | sha256(header + payload) (32 bytes) | header JSON | payload
// The checksum catches truncation and bit rot; a bad file reads as "damaged" and is rebuilt.
// Written to a temp file and renamed, so readers never see a half-written file.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic';

const MAGIC = Buffer.from('SPLAWCRP', 'ascii');
const FORMAT = 1;
const PREFIX = MAGIC.length + 4 + 4 + 32;

export type CacheRead<H> = { kind: 'missing' } | { kind: 'damaged'; reason: string } | { kind: 'ok'; header: H; payload: Uint8Array };

export function writeCache(file: string, header: unknown, payload: Uint8Array): void {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  const sum = createHash('sha256').update(head).update(payload).digest();
  const pre = Buffer.alloc(PREFIX);
  MAGIC.copy(pre, 0);
  pre.writeUInt32LE(FORMAT, 8);
  pre.writeUInt32LE(head.length, 12);
  sum.copy(pre, 16);
  writeFileAtomic(file, Buffer.concat([pre, head, payload]));
}

/** `payloadLength(header)` says how long the payload must be, to reject a file cut at a boundary. */
export function readCache<H>(file: string, payloadLength: (h: H) => number): CacheRead<H> {
  if (!fs.existsSync(file)) return { kind: 'missing' };
  const buf = fs.readFileSync(file);
  if (buf.length < PREFIX || !buf.subarray(0, 8).equals(MAGIC)) return { kind: 'damaged', reason: 'bad magic or too short' };
  if (buf.readUInt32LE(8) !== FORMAT) return { kind: 'damaged', reason: 'unknown format version' };
  const headLen = buf.readUInt32LE(12);
  if (PREFIX + headLen > buf.length) return { kind: 'damaged', reason: 'truncated header' };
  const head = buf.subarray(PREFIX, PREFIX + headLen);
  const payload = buf.subarray(PREFIX + headLen);
  const sum = createHash('sha256').update(head).update(payload).digest();
  if (!sum.equals(buf.subarray(16, 48))) return { kind: 'damaged', reason: 'checksum mismatch (truncated or corrupted)' };
  let header: H;
  try {
    header = JSON.parse(head.toString('utf8')) as H;
  } catch {
    return { kind: 'damaged', reason: 'unreadable header' };
  }
  if (payloadLength(header) !== payload.length) return { kind: 'damaged', reason: 'payload length mismatch' };
  // Own copy, aligned at offset 0, detached from the file buffer.
  return { kind: 'ok', header, payload: new Uint8Array(payload) };
}
