// CETT (cumulative error of tail truncation) of one FFN layer, exactly, as a step function of the
// threshold, and the per-layer threshold for a target CETT.
//
// For a token with FFN input a (size dFF) and down projection W (row i = W_out[:, i], size d):
//   n_i = a_i W_out[:, i],   key_i = |a_i| * ||W_out[:, i]||   (the neuron's output norm)
//   D(t) = { i : key_i < t },   CETT(t) = mean over tokens of || sum_{i in D(t)} n_i || / || sum_i n_i ||
// CETT is the norm of the SUM of the pruned output vectors, not the sum of their norms, so it
// cannot be read from sorted scalars alone. But within one token D(t) is always a prefix of the
// neurons sorted by key, so one pass over the sorted neurons that accumulates the pruned vector
// sum P_k (d numbers) gives ||P_k|| for every prefix: O(nnz * d) per token, the cost of one matMul.
// Each prefix step is an event (key, change of that token's CETT); sorting all events of all
// tokens by key (radix sort) and summing their changes gives the mean CETT at every breakpoint.
// Any threshold query is then a binary search: exact, and nothing is recomputed per target.
//
// Keys are float32 products fround(|a_i| * norm_i), the same numbers the sparse pass compares
// (see cettSparsifiers), so "pruned in calibration" and "pruned in the model" agree bit for bit.
import { tf, Tensor2D } from '../backend/tf';
import { LayerSparsifier } from '../model/model';

/** How a threshold was found. */
export type ThresholdStatus =
  | 'ok'          // the largest threshold with CETT <= target
  | 'prune-all'   // the target is at or above the CETT of pruning everything: threshold +Infinity
  | 'capped'      // grid search: even the top candidate meets the target (the reference code silently used it)
  | 'infeasible'; // no candidate meets the target (negative target, or a grid starting above the smallest key)

export interface ThresholdResult {
  target: number;     // the CETT asked for
  threshold: number;  // float32 t: keep a_i where |a_i| * ||W_out[:, i]|| >= t; NaN when infeasible
  cett: number;       // calibration CETT at that threshold (<= target unless infeasible)
  active: number;     // calibration fraction of (token, neuron) pairs kept at that threshold ("calc")
  status: ThresholdStatus;
}

export interface GridOptions {
  /** Number of evenly spaced candidates (the paper: 65,536). */
  count?: number;
  /** Lowest candidate; default the smallest key over all pairs. */
  lo?: number;
  /** Highest candidate as a quantile of all keys; default 0.99 (the paper). */
  hiQuantile?: number;
}

/** Rounds to float32 (keys and thresholds live in float32). */
export const fround = Math.fround;

/**
 * LSD radix sort of non-negative float32 bit patterns (which sort like the floats), 11 bits a
 * pass. Returns the sorted keys and the permutation (sorted position -> original index).
 */
export function radixSortU32(keys: Uint32Array): { sorted: Uint32Array; perm: Uint32Array } {
  const n = keys.length;
  let k = Uint32Array.from(keys);
  let p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  let k2 = new Uint32Array(n);
  let p2 = new Uint32Array(n);
  const count = new Uint32Array(2048);
  for (const shift of [0, 11, 22]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(k[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let b = 0; b < 2048; b++) { const c = count[b]; count[b] = sum; sum += c; }
    for (let i = 0; i < n; i++) {
      const pos = count[(k[i] >>> shift) & 2047]++;
      k2[pos] = k[i];
      p2[pos] = p[i];
    }
    [k, k2] = [k2, k];
    [p, p2] = [p2, p];
  }
  return { sorted: k, perm: p };
}

/** First index i with arr[i] >= x (arr ascending), arr.length if none. */
export function lowerBound(arr: Float32Array, x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

const BLOCK = 1024;

/** The mean CETT of one layer on a calibration set, at every threshold. */
export class CettCurve {
  /** Sorted keys of the (token, neuron) pairs with a positive key (pairs with key 0 are pruned at any t > 0 and change nothing). */
  readonly keys: Float32Array;
  /** cumBefore[i]: mean CETT when exactly keys[0..i) are pruned; +Infinity where i splits a run of equal keys (no threshold does that). */
  readonly cumBefore: Float32Array;
  private readonly blockMin: Float32Array;

  constructor(
    keys: Float32Array, cumBefore: Float32Array,
    readonly tokens: number,     // tokens in the calibration set
    readonly pairs: number,      // tokens * dFF
    readonly zeroTokens: number, // tokens whose FFN output is exactly zero (their CETT counts as 0)
    readonly decreasingSteps: number, // breakpoints where the mean CETT goes down (CETT is not monotone per token)
  ) {
    if (cumBefore.length !== keys.length + 1) throw new Error('CettCurve: cumBefore must have keys.length + 1 entries');
    this.keys = keys;
    this.cumBefore = cumBefore;
    const nb = Math.ceil(cumBefore.length / BLOCK);
    this.blockMin = new Float32Array(nb).fill(Infinity);
    for (let i = 0; i < cumBefore.length; i++) {
      const b = (i / BLOCK) | 0;
      if (cumBefore[i] < this.blockMin[b]) this.blockMin[b] = cumBefore[i];
    }
  }

  /** Number of pruned pairs with a positive key at threshold t. */
  private prunedPositive(t: number): number {
    return t <= 0 ? 0 : lowerBound(this.keys, t);
  }

  /** Mean CETT at threshold t (pairs with key < t pruned). */
  cettAt(t: number): number {
    if (Number.isNaN(t)) throw new RangeError('cettAt: threshold is NaN');
    return this.cumBefore[this.prunedPositive(t)];
  }

  /** Fraction of (token, neuron) pairs kept (key >= t). */
  activeAt(t: number): number {
    if (Number.isNaN(t)) throw new RangeError('activeAt: threshold is NaN');
    if (t <= 0) return 1;
    return (this.keys.length - this.prunedPositive(t)) / this.pairs;
  }

  /** Mean CETT of pruning everything (1 unless some tokens have a zero FFN output). */
  get maxCett(): number {
    return this.cumBefore[this.keys.length];
  }

  /** Key at quantile q of all pairs, zero keys included. */
  keyQuantile(q: number): number {
    const zeros = this.pairs - this.keys.length;
    const i = Math.min(this.pairs - 1, Math.max(0, Math.floor(q * (this.pairs - 1))));
    return i < zeros ? 0 : this.keys[i - zeros];
  }

  /**
   * The largest threshold whose CETT does not exceed `target`. Exact by default: the threshold is
   * a key (kept itself) and every larger threshold has CETT > target. `grid` restricts the answer
   * to the paper's evenly spaced candidates. Never falls back silently: see ThresholdResult.status.
   */
  threshold(target: number, search: 'exact' | 'grid' = 'exact', grid: GridOptions = {}): ThresholdResult {
    if (Number.isNaN(target)) throw new RangeError('threshold: target CETT is NaN');
    return search === 'grid' ? this.gridThreshold(target, grid) : this.exactThreshold(target);
  }

  private exactThreshold(target: number): ThresholdResult {
    const E = this.keys.length;
    // last i with cumBefore[i] <= target (non-monotone CETT: the largest, not the first crossing)
    let found = -1;
    for (let b = this.blockMin.length - 1; b >= 0 && found < 0; b--) {
      if (!(this.blockMin[b] <= target)) continue;
      for (let i = Math.min(E, (b + 1) * BLOCK - 1); i >= b * BLOCK; i--) {
        if (this.cumBefore[i] <= target) { found = i; break; }
      }
    }
    if (found < 0) return { target, threshold: NaN, cett: NaN, active: NaN, status: 'infeasible' };
    if (found === E) return { target, threshold: Infinity, cett: this.cumBefore[E], active: 0, status: 'prune-all' };
    const t = this.keys[found];
    return { target, threshold: t, cett: this.cumBefore[found], active: (E - found) / this.pairs, status: 'ok' };
  }

  private gridThreshold(target: number, g: GridOptions): ThresholdResult {
    const count = g.count ?? 65536;
    const lo = g.lo ?? (this.pairs > this.keys.length ? 0 : this.keys[0] ?? 0);
    const hi = Math.max(lo, this.keyQuantile(g.hiQuantile ?? 0.99));
    let best = -1;
    let bestT = NaN;
    for (let j = count - 1; j >= 0; j--) {
      const t = fround(count > 1 ? lo + ((hi - lo) * j) / (count - 1) : lo);
      if (this.cettAt(t) <= target) { best = j; bestT = t; break; }
    }
    if (best < 0) return { target, threshold: NaN, cett: NaN, active: NaN, status: 'infeasible' };
    return { target, threshold: bestT, cett: this.cettAt(bestT), active: this.activeAt(bestT), status: best === count - 1 ? 'capped' : 'ok' };
  }
}

/**
 * Builds a CettCurve from a layer's activations, one chunk of tokens at a time (so the whole
 * [tokens, dFF] matrix never has to be held).
 */
export class CettCurveBuilder {
  private readonly dFF: number;
  private readonly shift: number; // packed sort key: keyBits * 2^shift + neuron
  private keyBits: Uint32Array;
  private delta: Float64Array;
  private n = 0;
  private tokens = 0;
  private zeroTokens = 0;
  private readonly tmpKey: Float32Array;
  private readonly tmpBits: Uint32Array;
  private readonly packed: Float64Array;
  private readonly sq: Float64Array;
  private readonly P: Float64Array;

  /** W: down projection [dFF, d] row-major (row i = W_out[:, i]); norms: ||W_out[:, i]|| as float32. */
  constructor(private readonly W: Float32Array, private readonly norms: Float32Array, private readonly d: number, expectedTokens = 1024) {
    this.dFF = norms.length;
    if (W.length !== this.dFF * d) throw new RangeError(`CettCurveBuilder: W has ${W.length} entries, expected dFF ${this.dFF} x d ${d}`);
    this.shift = Math.max(1, Math.ceil(Math.log2(this.dFF)));
    if (31 + this.shift > 53) throw new RangeError(`CettCurveBuilder: dFF ${this.dFF} too large`);
    const cap = Math.max(1024, Math.ceil(expectedTokens * this.dFF * 0.5));
    this.keyBits = new Uint32Array(cap);
    this.delta = new Float64Array(cap);
    this.tmpKey = new Float32Array(this.dFF);
    this.tmpBits = new Uint32Array(this.tmpKey.buffer);
    this.packed = new Float64Array(this.dFF);
    this.sq = new Float64Array(this.dFF);
    this.P = new Float64Array(d);
  }

  private grow(need: number): void {
    if (need <= this.keyBits.length) return;
    const cap = Math.max(need, this.keyBits.length * 2);
    const kb = new Uint32Array(cap); kb.set(this.keyBits.subarray(0, this.n)); this.keyBits = kb;
    const de = new Float64Array(cap); de.set(this.delta.subarray(0, this.n)); this.delta = de;
  }

  /** a: [tokens, dFF] row-major activations a = s * u of this layer (dense forward). */
  add(a: Float32Array, tokens: number): void {
    const { dFF, d, W, norms, tmpKey, tmpBits, packed, sq, P } = this;
    if (a.length !== tokens * dFF) throw new RangeError(`CettCurveBuilder.add: ${a.length} values for ${tokens} tokens of ${dFF} neurons`);
    const scale = 2 ** this.shift;
    this.grow(this.n + tokens * dFF);
    for (let j = 0; j < tokens; j++) {
      const base = j * dFF;
      let cnt = 0;
      for (let i = 0; i < dFF; i++) {
        tmpKey[i] = Math.abs(a[base + i]) * norms[i]; // rounded to float32 on store, like the model's mask
        if (tmpKey[i] > 0) packed[cnt++] = tmpBits[i] * scale + i;
      }
      const order = packed.subarray(0, cnt).sort(); // by key, then neuron index
      // Prefix sums of the output vectors in key order; sq[k] = ||P_k||^2 after k+1 neurons.
      P.fill(0);
      for (let k = 0; k < cnt; k++) {
        const i = order[k] % scale;
        const v = a[base + i];
        const row = i * d;
        let s = 0;
        for (let e = 0; e < d; e++) {
          const x = P[e] + v * W[row + e];
          P[e] = x;
          s += x * x;
        }
        sq[k] = s;
      }
      const total = cnt > 0 ? Math.sqrt(sq[cnt - 1]) : 0; // ||FFN(x)||
      if (total === 0) this.zeroTokens++;
      let prev = 0;
      for (let k = 0; k < cnt; k++) {
        const r = total > 0 ? Math.sqrt(sq[k]) / total : 0;
        this.keyBits[this.n] = Math.floor(order[k] / scale);
        this.delta[this.n] = r - prev;
        this.n++;
        prev = r;
      }
    }
    this.tokens += tokens;
  }

  finish(): CettCurve {
    const N = this.tokens;
    if (N === 0) throw new RangeError('CettCurveBuilder.finish: no tokens were added');
    const E = this.n;
    const { sorted, perm } = radixSortU32(this.keyBits.subarray(0, E));
    const keys = new Float32Array(sorted.buffer, 0, E); // float32 bit patterns sort like the floats
    const cumBefore = new Float32Array(E + 1);
    let acc = 0;
    let prevGroup = 0;
    let decreasing = 0;
    for (let i = 0; i < E; i++) {
      acc += this.delta[perm[i]];
      const boundary = i + 1 === E || sorted[i + 1] !== sorted[i];
      if (boundary) {
        if (acc < prevGroup) decreasing++;
        prevGroup = acc;
      }
      cumBefore[i + 1] = boundary ? acc / N : Infinity;
    }
    // free the event buffers early
    this.keyBits = new Uint32Array(0);
    this.delta = new Float64Array(0);
    return new CettCurve(keys, cumBefore, N, N * this.dFF, this.zeroTokens, decreasing);
  }
}

/**
 * Sparsifiers that keep a_i where fround(|a_i| * norm_i) >= t_l: the same float32 comparison as
 * the calibration keys (a per-neuron threshold t_l / norm_i would round differently near t_l).
 * Thresholds should be float32 values, as CettCurve.threshold returns (the mask rounds t to
 * float32). A null or NaN threshold leaves the layer dense; +Infinity prunes the whole layer.
 */
export function cettSparsifiers(norms: Float32Array[], thresholds: (number | null)[]): LayerSparsifier[] {
  return norms.map((nrm, l) => {
    const t = thresholds[l];
    if (t === null || t === undefined || Number.isNaN(t)) return null;
    return {
      kind: 'mask' as const,
      fn: (_s: Tensor2D, a: Tensor2D) => tf.tidy(() =>
        tf.cast(tf.greaterEqual(tf.mul(tf.abs(a), tf.tensor1d(nrm)), tf.scalar(t)), 'float32') as Tensor2D), // [tokens, dFF]
    };
  });
}

// ---- Direct evaluation (reference and the naive search) ----

/**
 * Direct CETT evaluation of one layer's activations, uploaded once: for a threshold t, the pruned
 * output vectors are summed by a matMul and their norm divided by the full FFN output's, per token.
 * a: [N, dFF], W: [dFF, d]. Call dispose() when done.
 */
export function directCett(a: Float32Array, W: Float32Array, norms: Float32Array, tokens: number): { at: (t: number) => number; dispose: () => void } {
  const dFF = norms.length;
  const d = W.length / dFF;
  const held = tf.tidy(() => {
    const A = tf.tensor2d(a, [tokens, dFF]);
    const Wt = tf.tensor2d(W, [dFF, d]);
    const keys = tf.mul(tf.abs(A), tf.tensor1d(norms)); // [N, dFF], float32 like the curve's keys
    const total = tf.norm(tf.matMul(A, Wt), 'euclidean', 1); // [N]
    const nonzero = tf.greater(total, 0);
    const safe = tf.where(nonzero, total, tf.onesLike(total));
    return { A, Wt, keys, nonzero, safe };
  });
  return {
    at: (t: number) => tf.tidy(() => {
      const pruned = tf.mul(held.A, tf.cast(tf.less(held.keys, tf.scalar(t)), 'float32')); // [N, dFF]
      const num = tf.norm(tf.matMul(pruned, held.Wt), 'euclidean', 1); // [N]
      const r = tf.where(held.nonzero, tf.div(num, held.safe), tf.zerosLike(num)); // a zero FFN output counts 0
      return tf.mean(r).dataSync()[0];
    }),
    dispose: () => tf.dispose(held as unknown as tf.TensorContainer),
  };
}

/** Mean CETT at each threshold in `ts`, computed directly (reference for tests). */
export function cettDirect(a: Float32Array, W: Float32Array, norms: Float32Array, tokens: number, ts: readonly number[]): number[] {
  const dc = directCett(a, W, norms, tokens);
  try {
    return ts.map((t) => dc.at(t));
  } finally {
    dc.dispose();
  }
}

/**
 * The naive search, for comparison and cross-checks: bisection over the paper's candidate grid
 * (evenly spaced between the smallest key and the 0.99 quantile), one direct CETT evaluation of the
 * whole set per step. Assumes CETT is monotone in t (as the paper's search does).
 */
export function thresholdByBisection(
  a: Float32Array, W: Float32Array, norms: Float32Array, tokens: number, target: number, count = 65536,
): { threshold: number; cett: number; evaluations: number; status: ThresholdStatus } {
  const dFF = norms.length;
  const keys = new Float32Array(tokens * dFF);
  for (let j = 0; j < tokens; j++) for (let i = 0; i < dFF; i++) keys[j * dFF + i] = Math.abs(a[j * dFF + i]) * norms[i];
  const sorted = keys.sort();
  const lo = sorted[0];
  const hi = sorted[Math.floor(0.99 * (sorted.length - 1))];
  const cand = (j: number) => fround(lo + ((hi - lo) * j) / (count - 1));
  const dc = directCett(a, W, norms, tokens);
  let evaluations = 0;
  const cettOf = (j: number) => { evaluations++; return dc.at(cand(j)); };
  try {
    const c0 = cettOf(0);
    if (c0 > target) return { threshold: NaN, cett: NaN, evaluations, status: 'infeasible' };
    let l = 0; // meets the target
    let h = count - 1;
    const top = cettOf(h);
    if (top <= target) return { threshold: cand(h), cett: top, evaluations, status: 'capped' };
    let bestC = c0;
    while (h - l > 1) {
      const m = (l + h) >>> 1;
      const c = cettOf(m);
      if (c <= target) { l = m; bestC = c; } else h = m;
    }
    return { threshold: cand(l), cett: bestC, evaluations, status: 'ok' };
  } finally {
    dc.dispose();
  }
}

/** Builds the curve for one layer directly from a full activation matrix (tests, small sets). */
export function cettCurve(a: Float32Array, W: Float32Array, norms: Float32Array, tokens: number): CettCurve {
  const b = new CettCurveBuilder(W, norms, W.length / norms.length, tokens);
  b.add(a, tokens);
  return b.finish();
}
