// Writing a model as the hub ships one: config.json, weights in BF16/F16/F32 split into shards of
// at most maxShardBytes with model.safetensors.index.json (or one model.safetensors when it fits),
// optionally a tokenizer.json. Used to make test and notebook checkpoints without Python.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Model } from '../model/model';
import { paramSpecs } from '../model/params';
import { writeFileAtomic } from '../util/atomic';
import { toHubConfig } from '../checkpoint/hf-config';
import { INDEX_FILE, SINGLE_FILE } from './shards';
import { transposeTiled } from './load';
import { TOKENIZER_FILE } from './tokenizer';

export type SaveDtype = 'F32' | 'F16' | 'BF16';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> bfloat16 bits, round to nearest even (NaN kept as a quiet NaN). */
export function toBF16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float32 -> IEEE half bits, round to nearest even (overflow to infinity). */
export function toF16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  let m = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  let exp = e - 127 + 15;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    m |= 0x800000;
    const shift = 14 - exp;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1))) r++;
    return sign | r;
  }
  let r = m >>> 13;
  const rest = m & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1))) { r++; if (r === 0x400) { r = 0; exp++; if (exp >= 31) return sign | 0x7c00; } }
  return sign | (exp << 10) | r;
}

function encode(data: Float32Array, dtype: SaveDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint16Array(data.length);
  const conv = dtype === 'BF16' ? toBF16 : toF16;
  for (let i = 0; i < data.length; i++) out[i] = conv(data[i]);
  return new Uint8Array(out.buffer);
}

function writeFile(file: string, tensors: { name: string; shape: number[]; bytes: Uint8Array }[], dtype: SaveDtype): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const hb = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + hb.length + offset);
  out.writeBigUInt64LE(BigInt(hb.length), 0);
  hb.copy(out, 8);
  let pos = 8 + hb.length;
  for (const t of tensors) { out.set(t.bytes, pos); pos += t.bytes.length; }
  writeFileAtomic(file, out);
}

export interface SaveHubOptions {
  dtype?: SaveDtype;          // default BF16
  maxShardBytes?: number;     // default 2 GB; smaller values give several shards
  tokenizerJson?: unknown;    // written as tokenizer.json when given
}

/** Writes DIR/config.json, the weights (sharded when over maxShardBytes) and an optional tokenizer.json. */
export function saveHubModel(model: Model, dir: string, opts: SaveHubOptions = {}): { files: string[] } {
  const dtype = opts.dtype ?? 'BF16';
  const limit = opts.maxShardBytes ?? 2e9;
  fs.mkdirSync(dir, { recursive: true });
  const shards: { name: string; shape: number[]; bytes: Uint8Array }[][] = [[]];
  let size = 0;
  const weights = model.weights(); // HF-named tensors in internal layout (the model fuses some internally)
  for (const spec of paramSpecs(model.config)) {
    const w = weights.get(spec.name)!;
    const [data, shape] = spec.transposedInHF ? [transposeTiled(w, spec.shape[0], spec.shape[1]), [spec.shape[1], spec.shape[0]]] : [w, spec.shape];
    const bytes = encode(data, dtype);
    if (size > 0 && size + bytes.length > limit) { shards.push([]); size = 0; }
    shards[shards.length - 1].push({ name: spec.name, shape, bytes });
    size += bytes.length;
  }
  const files: string[] = [];
  if (shards.length === 1) {
    writeFile(path.join(dir, SINGLE_FILE), shards[0], dtype);
    files.push(SINGLE_FILE);
  } else {
    const n = shards.length;
    const weightMap: Record<string, string> = {};
    let total = 0;
    shards.forEach((s, i) => {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
      writeFile(path.join(dir, name), s, dtype);
      for (const t of s) { weightMap[t.name] = name; total += t.bytes.length; }
      files.push(name);
    });
    writeFileAtomic(path.join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + '\n');
  }
  const torchDtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype];
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...toHubConfig(model.config), torch_dtype: torchDtype }, null, 2) + '\n');
  if (opts.tokenizerJson !== undefined) writeFileAtomic(path.join(dir, TOKENIZER_FILE), JSON.stringify(opts.tokenizerJson) + '\n');
  return { files };
}
