// Minimal safetensors reader/writer (format: 8-byte little-endian header length, JSON header with
// dtype/shape/data_offsets per tensor, then the raw little-endian data). F32 written; F32, F16,
// BF16 and F64 read (converted to float32) so checkpoints from Python tools load here.
import * as fs from 'node:fs';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';

export interface NamedTensor { data: Float32Array; shape: number[] }

export function encodeSafetensors(tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`tensor ${name}: shape ${t.shape} does not match ${t.data.length} values`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // data starts 8-byte aligned
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

export function writeSafetensors(file: string, tensors: Map<string, NamedTensor>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

export function decodeSafetensors(buf: Uint8Array, what = 'safetensors file'): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const bad = (why: string) => new UserError(`${what} is not a valid safetensors file (${why}); re-create it or point to the right file`);
  if (buf.length < 8) throw bad(`only ${buf.length} bytes`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > buf.length) throw bad(`header length ${headerLen} exceeds the file size ${buf.length}`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(buf.subarray(8, 8 + headerLen)).toString('utf8'));
  } catch {
    throw bad('header is not JSON');
  }
  const dataStart = 8 + headerLen;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') { metadata = info as Record<string, string>; continue; }
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (!Array.isArray(shape) || !Array.isArray(data_offsets)) throw bad(`tensor ${name} has no shape or offsets`);
    const [begin, end] = data_offsets;
    if (dataStart + end > buf.length || begin > end) throw bad(`tensor ${name} extends past the end of the file (truncated?)`);
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = buf.subarray(dataStart + begin, dataStart + end);
    const bdv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const data = new Float32Array(n);
    const width: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
    if (!(dtype in width)) throw bad(`tensor ${name} has unsupported dtype ${dtype}`);
    if (bytes.length !== n * width[dtype]) throw bad(`tensor ${name}: ${bytes.length} bytes for shape [${shape}] of ${dtype}`);
    for (let i = 0; i < n; i++) {
      if (dtype === 'F32') data[i] = bdv.getFloat32(4 * i, true);
      else if (dtype === 'F64') data[i] = bdv.getFloat64(8 * i, true);
      else if (dtype === 'F16') data[i] = f16ToF32(bdv.getUint16(2 * i, true));
      else { const tmp = new DataView(new ArrayBuffer(4)); tmp.setUint32(0, bdv.getUint16(2 * i, true) << 16, true); data[i] = tmp.getFloat32(0, true); }
    }
    tensors.set(name, { data, shape });
  }
  return { tensors, metadata };
}

export function readSafetensors(file: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  if (!fs.existsSync(file)) throw new UserError(`checkpoint file ${file} does not exist`);
  return decodeSafetensors(fs.readFileSync(file), file);
}
