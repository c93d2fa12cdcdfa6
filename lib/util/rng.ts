// Seeded, splittable RNG. Math.random cannot be seeded, and training must be a pure function of
// (seed, step): a stream is derived from (seed, ...keys) by hashing, so any stream can be rebuilt
// from its keys alone, with no state to save.
//
// Generator: sfc32 (128-bit state, passes PractRand), seeded from a 64-bit hash of the keys so
// that a million per-step streams do not collide (a 32-bit seed would, by the birthday bound).

const TWO32 = 4294967296;

/** murmur3's finaliser: every input bit affects every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkKey(k: number): void {
  if (!Number.isSafeInteger(k)) throw new RangeError(`rng key must be a safe integer, got ${k}`);
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null; // second Box-Muller value

  /** The stream for (seed, ...keys); `new Rng(s, k)` equals `rngFor(s, k)`. */
  constructor(seed: number, ...keys: number[]) {
    // Two independent 32-bit lanes absorb (lo, hi) words of every key, then the key count,
    // so (s) and (s, 0) differ and keys above 2^32 are not truncated.
    let h1 = 0x243f6a88;
    let h2 = 0x85a308d3;
    const words: number[] = [];
    for (const k of [seed, ...keys]) {
      checkKey(k);
      words.push(k >>> 0, Math.floor(k / TWO32) >>> 0);
    }
    words.push(keys.length + 1);
    for (const w of words) {
      h1 = fmix32((h1 ^ w) + 0x9e3779b9);
      h2 = fmix32(Math.imul(h2 ^ w, 0x01000193) + 0x7f4a7c15);
    }
    this.a = h1;
    this.b = h2;
    this.c = fmix32(h1 ^ h2 ^ 0x3c6ef372);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32(); // standard sfc32 warm-up
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 32-bit resolution. */
  next(): number {
    return this.nextU32() / TWO32;
  }

  /** Exactly uniform integer in [0, n), 1 <= n <= 2^32 (rejection, so no modulo bias). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO32) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = TWO32 - (TWO32 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const u = (this.nextU32() + 1) / (TWO32 + 1); // (0, 1): log(0) never happens
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** The stream for (seed, ...keys); same arguments, same numbers, on every machine. */
export function rngFor(seed: number, ...keys: number[]): Rng {
  return new Rng(seed, ...keys);
}

/** A shuffled copy (Fisher-Yates); the input is left alone. */
export function seededShuffle<T>(items: readonly T[], rng: Rng | number): T[] {
  const r = typeof rng === 'number' ? rngFor(rng) : rng;
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
