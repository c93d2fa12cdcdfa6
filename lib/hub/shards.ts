// Safetensors weights of a model directory, single-file or sharded (model.safetensors.index.json),
// read tensor by tensor: only each file's JSON header is read up front; a tensor's bytes are read
// with fs.readSync at its offset when asked for, so memory holds one tensor at a time, never a
// whole multi-GB file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { decodeToFloat32, DTYPE_BYTES, isSupportedDtype } from './dtype';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface TensorEntry {
  name: string;
  file: string;     // absolute path of the shard
  dtype: string;
  shape: number[];
  offset: number;   // absolute byte offset of the data in the file
  bytes: number;
}

/** Header of one safetensors file: its tensors' dtypes, shapes and absolute offsets. */
export function readHeader(file: string): Map<string, TensorEntry> {
  if (!fs.existsSync(file)) throw new UserError(`weights file ${file} does not exist`);
  const size = fs.statSync(file).size;
  const bad = (why: string) => new UserError(`${file} is not a valid safetensors file (${why})`);
  if (size < 8) throw bad(`only ${size} bytes`);
  const fd = fs.openSync(file, 'r');
  try {
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen <= 0 || 8 + headerLen > size) throw bad(`header length ${headerLen} exceeds the file size ${size}`);
    const hb = Buffer.alloc(headerLen);
    fs.readSync(fd, hb, 0, headerLen, 8);
    let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
    try {
      header = JSON.parse(hb.toString('utf8'));
    } catch {
      throw bad('header is not JSON');
    }
    const start = 8 + headerLen;
    const out = new Map<string, TensorEntry>();
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const { dtype, shape, data_offsets: offs } = info;
      if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offs)) throw bad(`tensor ${name} has no dtype, shape or offsets`);
      const n = shape.reduce((a, b) => a * b, 1);
      if (start + offs[1] > size || offs[0] > offs[1]) throw bad(`tensor ${name} extends past the end of the file (truncated?)`);
      if (isSupportedDtype(dtype) && offs[1] - offs[0] !== n * DTYPE_BYTES[dtype]) throw bad(`tensor ${name}: ${offs[1] - offs[0]} bytes for shape [${shape}] of ${dtype}`);
      out.set(name, { name, file, dtype, shape, offset: start + offs[0], bytes: offs[1] - offs[0] });
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** The tensors of a model directory and a reader for one tensor at a time. */
export class WeightFiles {
  private constructor(readonly dir: string, readonly entries: Map<string, TensorEntry>, readonly files: string[]) {}

  /**
   * Opens `model.safetensors.index.json` when present (every shard it names must exist and hold the
   * tensors it maps to it), else `model.safetensors`.
   */
  static open(dir: string): WeightFiles {
    const indexPath = path.join(dir, INDEX_FILE);
    const single = path.join(dir, SINGLE_FILE);
    if (fs.existsSync(indexPath)) {
      let index: { weight_map?: Record<string, string> };
      try {
        index = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
      } catch {
        throw new UserError(`${indexPath} is not valid JSON`);
      }
      const map = index.weight_map;
      if (!map || typeof map !== 'object') throw new UserError(`${indexPath} has no weight_map`);
      const shardNames = [...new Set(Object.values(map))].sort();
      const missing = shardNames.filter((s) => !fs.existsSync(path.join(dir, s)));
      if (missing.length) throw new UserError(`${dir}: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} named in ${INDEX_FILE} ${missing.length > 1 ? 'are' : 'is'} missing (incomplete download?)`);
      const headers = new Map(shardNames.map((s) => [s, readHeader(path.join(dir, s))]));
      const entries = new Map<string, TensorEntry>();
      for (const [name, shard] of Object.entries(map)) {
        const e = headers.get(shard)!.get(name);
        if (!e) throw new UserError(`${INDEX_FILE} maps tensor '${name}' to ${shard}, but ${shard} does not contain it`);
        entries.set(name, e);
      }
      return new WeightFiles(dir, entries, shardNames.map((s) => path.join(dir, s)));
    }
    if (fs.existsSync(single)) return new WeightFiles(dir, readHeader(single), [single]);
    const others = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')) : [];
    const hint = others.length ? ` (found ${others.join(', ')} but no ${INDEX_FILE})` : fs.existsSync(path.join(dir, 'pytorch_model.bin')) ? ' (only pytorch_model.bin: convert it to safetensors first)' : '';
    throw new UserError(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}${hint}`);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Total bytes of all tensors on disk. */
  totalBytes(): number {
    let s = 0;
    for (const e of this.entries.values()) s += e.bytes;
    return s;
  }

  /** One tensor as float32, read from disk now (nothing is cached). */
  read(name: string): { data: Float32Array; shape: number[] } {
    const e = this.entries.get(name);
    if (!e) throw new UserError(`${this.dir}: tensor '${name}' is missing from the weights`);
    const buf = Buffer.allocUnsafe(e.bytes);
    const fd = fs.openSync(e.file, 'r');
    try {
      let done = 0;
      while (done < e.bytes) {
        const got = fs.readSync(fd, buf, done, Math.min(e.bytes - done, 1 << 30), e.offset + done);
        if (got <= 0) throw new UserError(`${e.file}: unexpected end of file reading '${name}' (truncated?)`);
        done += got;
      }
    } finally {
      fs.closeSync(fd);
    }
    const n = e.shape.reduce((a, b) => a * b, 1);
    return { data: decodeToFloat32(buf, e.dtype, n, `${path.basename(e.file)}: tensor '${name}'`), shape: e.shape };
  }
}
