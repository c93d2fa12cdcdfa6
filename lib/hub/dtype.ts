// Decoding safetensors element types to float32. BF16 is the top half of a float32, so it is a
// 16-bit shift; F16 goes through a 65,536-entry table built once (exact: every half is a float32).
import { UserError } from '../util/errors';

/** Bytes per element of the dtypes we read. */
export const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export function isSupportedDtype(dtype: string): boolean {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype);
}

let f16Table: Float32Array | undefined;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024); // subnormal (and signed zero)
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = halfToFloat(h);
  }
  return f16Table;
}

/**
 * Little-endian raw bytes of `n` elements of `dtype` -> a new Float32Array. The bytes may sit at
 * any offset (safetensors does not promise alignment), so they are copied before typed views.
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: string, n: number, what = 'tensor'): Float32Array {
  if (!isSupportedDtype(dtype)) throw new UserError(`${what}: dtype ${dtype} is not supported (F32, F16, BF16 or F64)`);
  if (bytes.length !== n * DTYPE_BYTES[dtype]) throw new UserError(`${what}: ${bytes.length} bytes for ${n} elements of ${dtype}`);
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice(); // slice() copies to offset 0
  const out = new Float32Array(n);
  if (dtype === 'F32') {
    out.set(new Float32Array(aligned.buffer, aligned.byteOffset, n));
  } else if (dtype === 'F64') {
    out.set(new Float64Array(aligned.buffer, aligned.byteOffset, n));
  } else if (dtype === 'BF16') {
    const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
    const dst = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) dst[i] = src[i] << 16;
  } else {
    const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
    const table = halfTable();
    for (let i = 0; i < n; i++) out[i] = table[src[i]];
  }
  return out;
}
