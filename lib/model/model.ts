// A LLaMA-style decoder (pre-norm RMSNorm, rotary attention with optional grouped-query heads,
// gated FFN, tied or separate head, optional MiniCPM scales)
// whose forward pass can expose the FFN activations and run with sparsified FFNs.
//
// Replicas: a Model can hold R same-shape models (different seeds) with a leading replica axis on
// every weight; each of its products is then one batched product over replicas, and the R
// replicas never mix (every op is per row, per replica or per batch entry). R = 1 (the default)
// keeps plain 2-D weights. The token axis of every activation is [R * B * T], replica-major.
import { tf, Tensor, Tensor1D, Tensor2D } from '../backend/tf';
import { rngFor } from '../util/rng';
import { ModelConfig, validateConfig, headDim, isTied, kvHeads } from './config';
import { activate } from './activations';
import { causalAttention } from './attention';
import { causalMask, flagsBackend, fusedRopeTables, matMul2d, oneHotFloat, rmsNorm, ropeTables, sparseNll } from './ops';
import { concatColumns, InternalSpec, internalSpecs, ParamSpec, paramSpecs, splitColumns } from './params';

/** How one layer's FFN is sparsified: a per-neuron threshold on |a|, or any 0/1 mask. */
export type LayerSparsifier =
  | { kind: 'threshold'; perNeuron: Float32Array } // keep a_i where |a_i| >= perNeuron[i]
  | { kind: 'mask'; fn: (s: Tensor2D, a: Tensor2D) => Tensor2D } // returns 0/1 [tokens, dFF]
  | null;

export interface ForwardOptions {
  /** Return per layer s = act(W_gate x), u = W_in x and a = s * u, each [tokens, dFF]. */
  capture?: boolean;
  /** One entry per layer (null leaves that layer dense). */
  sparsify?: LayerSparsifier[];
}

export interface LayerCapture { s: Tensor2D; u: Tensor2D; a: Tensor2D }

export interface ForwardResult {
  logits: Tensor2D;           // [B*T, vocab]
  layers?: LayerCapture[];    // when capture
  activeCounts?: Tensor[];    // when sparsify: scalar count of kept (token, neuron) pairs per layer
}

/** Initial weights: N(0, 0.02); residual outputs scaled by 1/sqrt(2L); norms at 1. Seeded per HF tensor. */
function initialValue(spec: ParamSpec, c: ModelConfig, seed: number, index: number): Float32Array {
  const n = spec.shape.reduce((x, y) => x * y, 1);
  const out = new Float32Array(n);
  if (spec.kind === 'norm') return out.fill(1);
  const residual = /o_proj|down_proj/.test(spec.name);
  const std = residual ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
  const rng = rngFor(seed, 0x1417, index);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

/** HF-named weights (internal [in, out] orientation) of one model: given, or initialised from a seed. */
export type ModelWeights = Map<string, Float32Array> | { seed: number } | { seeds: number[] };

interface Tables {
  cos: Tensor2D; sin: Tensor2D; mask: Tensor2D;   // fused q|k|v tables [B*T, (H+2KV)*hd] (flags backends)
  wasm?: { cosQ: Tensor2D; sinQ: Tensor2D; cosK: Tensor2D; sinK: Tensor2D; rotQ: Tensor2D; rotK: Tensor2D }; // per-projection tables and rotate_half matrices (WASM)
}

/** What one forward pass shares across layers. B counts sequences over all replicas. */
interface Pass { B: number; T: number; N: number; tables: Tables; opts: ForwardOptions; layers: LayerCapture[]; activeCounts: Tensor[] }

export class Model {
  readonly config: ModelConfig;
  /** The model's own parameters (q/k/v and gate/up fused); shapes are per replica. */
  readonly specs: InternalSpec[];
  readonly params: Map<string, tf.Variable>;
  readonly replicas: number;
  private readonly tables = new Map<number, Tables>();

  constructor(config: ModelConfig, weights: ModelWeights) {
    this.config = validateConfig(config);
    this.specs = internalSpecs(config);
    const seeds = 'seeds' in weights ? weights.seeds : null;
    this.replicas = seeds ? seeds.length : 1;
    if (!(this.replicas >= 1)) throw new Error('a model needs at least one replica');
    const hf = paramSpecs(config);
    // per replica: HF-named arrays, initialised per HF tensor as always (same seed, same start)
    const perReplica: Map<string, Float32Array>[] = (seeds ?? [null]).map((seed) => {
      if (weights instanceof Map) return weights;
      const s = seed ?? (weights as { seed: number }).seed;
      return new Map(hf.map((spec, i) => [spec.name, initialValue(spec, config, s, i)]));
    });
    this.params = new Map();
    for (const spec of this.specs) {
      const values = perReplica.map((w) => {
        const get = (n: string) => { const v = w.get(n); if (!v) throw new Error(`missing weight ${n}`); return v; };
        return spec.parts ? concatColumns(spec.parts.map((p) => get(p.name)), spec.shape[0], spec.parts.map((p) => p.cols)) : get(spec.name);
      });
      const flat = values.length === 1 ? values[0] : concatColumns(values, 1, values.map((v) => v.length));
      this.params.set(spec.name, tf.variable(tf.tensor(flat, this.storedShape(spec), 'float32'), true));
    }
  }

  /** A parameter's tensor shape: the spec's, with a leading replica axis when R > 1 (norms [R, 1, d], to broadcast over tokens). */
  storedShape(spec: InternalSpec): number[] {
    if (this.replicas === 1) return spec.shape;
    return spec.kind === 'norm' ? [this.replicas, 1, ...spec.shape] : [this.replicas, ...spec.shape];
  }

  p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** Rotary tables (fused q|k|v, tiled to [B*T, width]) and the causal mask, built once per (B, T) and kept. */
  private tablesFor(B: number, T: number): Tables {
    const key = B * 100003 + T;
    let t = this.tables.get(key);
    if (!t && this.tables.size >= 8) this.clearTables(); // a few shapes recur (batches, eval chunks); do not grow without bound
    if (!t) {
      const c = this.config;
      const hd = headDim(c), KV = kvHeads(c);
      const W = (c.heads + 2 * KV) * hd;
      const r = fusedRopeTables(T, hd, c.heads, KV, KV, c.ropeTheta, 1 / Math.sqrt(hd));
      t = tf.tidy(() => ({
        cos: tf.keep(tf.tile(tf.tensor2d(r.cos, [T, W]), [B, 1]) as Tensor2D),
        sin: tf.keep(tf.tile(tf.tensor2d(r.sin, [T, W]), [B, 1]) as Tensor2D),
        mask: tf.keep(tf.tensor2d(causalMask(T), [T, T])),
      }));
      if (!flagsBackend()) {
        // WASM: WASM's Reverse is slow, so rotate with plain 2-D products by rotate_half matrices (q tables scaled by 1/sqrt(hd))
        const scale = 1 / Math.sqrt(hd);
        const q = ropeTables(T, c.d, c.heads, c.ropeTheta), k = ropeTables(T, KV * hd, KV, c.ropeTheta);
        const tiled = (a: Float32Array, w: number, f = 1) => tf.keep(tf.tile(tf.tensor2d(a.map((x) => x * f), [T, w]), [B, 1]) as Tensor2D);
        t.wasm = tf.tidy(() => ({
          cosQ: tiled(q.cos, c.d, scale), sinQ: tiled(q.sin, c.d, scale), cosK: tiled(k.cos, KV * hd), sinK: tiled(k.sin, KV * hd),
          rotQ: tf.keep(tf.tensor2d(q.rot, [c.d, c.d])), rotK: tf.keep(tf.tensor2d(k.rot, [KV * hd, KV * hd])),
        }));
      }
      this.tables.set(key, t);
    }
    return t;
  }

  /** The rotary tables and causal mask of B sequences (all replicas) of T tokens, for lib/model/native-train.ts. */
  trainTables(B: number, T: number): { cos: Tensor2D; sin: Tensor2D; mask: Tensor2D } {
    const { cos, sin, mask } = this.tablesFor(B, T);
    return { cos, sin, mask };
  }

  /** x [R*n, in] times this replica-stacked (or plain) weight [in, out] -> [R*n, out]. */
  private linear(x: Tensor2D, w: Tensor): Tensor2D {
    const R = this.replicas;
    if (R === 1) return flagsBackend() ? tf.matMul(x, w as Tensor2D) : matMul2d(x, w as Tensor2D); // [n, out]
    const [, inDim, outDim] = w.shape;
    const n = x.shape[0] / R;
    return tf.reshape(tf.matMul(tf.reshape(x, [R, n, inDim]) as tf.Tensor3D, w as tf.Tensor3D), [R * n, outDim]) as Tensor2D; // [R*n, out]
  }

  private norm(x: Tensor2D, name: string): Tensor2D {
    const R = this.replicas, w = this.p(name), eps = this.config.normEps;
    if (R === 1) return rmsNorm(x, w, eps);                                                    // [n, d]
    const [n, d] = [x.shape[0] / R, x.shape[1]];
    return tf.reshape(rmsNorm(tf.reshape(x, [R, n, d]), w, eps), [R * n, d]) as Tensor2D;      // [R*n, d]
  }

  /** Token embeddings [R*n, d]: a gather (one-hot product on WASM, which lacks the gather gradient). */
  private embed(ids: Int32Array): Tensor2D {
    const c = this.config, R = this.replicas, E = this.p('model.embed_tokens.weight');
    if (!flagsBackend()) return this.linear(oneHotFloat(tf.tensor1d(ids, 'int32'), c.vocab), E); // [R*n, d]
    if (R === 1) return tf.gather(E, tf.tensor1d(ids, 'int32')) as Tensor2D;                   // [n, d]
    const n = ids.length / R;
    const offset = Int32Array.from(ids, (id, i) => id + Math.floor(i / n) * c.vocab);         // row in [R*vocab, d]
    return tf.gather(tf.reshape(E, [R * c.vocab, c.d]), tf.tensor1d(offset, 'int32')) as Tensor2D; // [R*n, d]
  }

  /** Logits [R*n, vocab] = x @ head^T, head [vocab, d] (tied: the embedding). */
  private head(x: Tensor2D): Tensor2D {
    const c = this.config, R = this.replicas;
    const H = this.p(isTied(c) ? 'model.embed_tokens.weight' : 'lm_head.weight');
    if (R === 1) return flagsBackend() ? tf.matMul(x, H as Tensor2D, false, true) : matMul2d(x, tf.transpose(H) as Tensor2D); // [n, vocab]
    const n = x.shape[0] / R;
    return tf.reshape(tf.matMul(tf.reshape(x, [R, n, c.d]) as tf.Tensor3D, H as tf.Tensor3D, false, true), [R * n, c.vocab]) as Tensor2D; // [R*n, vocab]
  }

  /**
   * Products of h [N, d] with the column blocks (widths) of a fused weight: one product then a
   * split where splits of activations are cheap; on WASM (slow SplitV on large tensors) the
   * small weight is split and each block gets its own plain 2-D product.
   */
  private projections(h: Tensor2D, name: string, widths: number[]): Tensor2D[] {
    const w = this.p(name);
    if (flagsBackend()) return tf.split(this.linear(h, w), widths, 1) as Tensor2D[];        // [N, w_i] each
    return tf.split(w, widths, -1).map((wi) => this.linear(h, wi));                         // [N, w_i] each
  }

  /** One attention block on the normed input h [N, d]; returns the branch output [N, d]. */
  private attention(l: number, h: Tensor2D, P: Pass): Tensor2D {
    if (P.tables.wasm) return this.attentionWasm(l, h, P);
    const c = this.config;
    const { B, T, N } = P;
    const H = c.heads, KV = kvHeads(c), hd = headDim(c), rep = H / KV, W = H + 2 * KV;
    const pre = `model.layers.${l}.self_attn`;
    const qkv = this.linear(h, this.p(`${pre}.qkv_proj.weight`));                           // [N, W*hd]
    // rotary on q and k at once (v passes through): x*cos + reverse-halves(x)*signed sin; q comes out scaled by 1/sqrt(hd)
    const swapped = tf.reshape(tf.reverse(tf.reshape(qkv, [N, W, 2, hd / 2]), 2), [N, W * hd]); // [N, W*hd]
    const roped = tf.add(tf.mul(qkv, P.tables.cos), tf.mul(swapped, P.tables.sin));          // [N, W*hd]
    const heads = tf.transpose(tf.reshape(roped, [B, T, W, hd]), [2, 0, 1, 3]);              // [W, B, T, hd]
    const [q, k, v] = tf.split(heads, [H, KV, KV], 0);                                        // [H|KV|KV, B, T, hd]
    // each kv head serves rep query heads, as HF's repeat_kv (query head i uses kv head i / rep)
    const repeatKv = (x: Tensor) => (rep === 1 ? x : tf.reshape(tf.tile(tf.reshape(x, [KV, 1, B, T, hd]), [1, rep, 1, 1, 1]), [H, B, T, hd]));
    const att = causalAttention(
      tf.reshape(q, [H * B, T, hd]) as tf.Tensor3D,                                           // [H*B, T, hd]
      tf.reshape(repeatKv(k), [H * B, T, hd]) as tf.Tensor3D,                                 // [H*B, T, hd]
      tf.reshape(repeatKv(v), [H * B, T, hd]) as tf.Tensor3D,                                 // [H*B, T, hd]
      P.tables.mask);                                                                         // [H*B, T, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(att, [H, B, T, hd]), [1, 2, 0, 3]), [N, c.d]) as Tensor2D; // [N, d]
    return this.linear(merged, this.p(`${pre}.o_proj.weight`));                             // [N, d]
  }

  /** The same attention block with WASM's fast kernels: separate products, rotation by matrices, per-head 2-D products. */
  private attentionWasm(l: number, h: Tensor2D, P: Pass): Tensor2D {
    const c = this.config;
    const { B, T, N } = P;
    const H = c.heads, KV = kvHeads(c), hd = headDim(c), rep = H / KV;
    const w = P.tables.wasm!;
    const pre = `model.layers.${l}.self_attn`;
    const [q0, k0, v] = this.projections(h, `${pre}.qkv_proj.weight`, [H * hd, KV * hd, KV * hd]); // [N, H*hd], [N, KV*hd] x2
    const rope = (x: Tensor2D, co: Tensor2D, si: Tensor2D, rot: Tensor2D) => tf.add(tf.mul(x, co), tf.mul(matMul2d(x, rot), si)) as Tensor2D;
    const q = rope(q0, w.cosQ, w.sinQ, w.rotQ);                                              // [N, H*hd], scaled by 1/sqrt(hd)
    const k = rope(k0, w.cosK, w.sinK, w.rotK);                                              // [N, KV*hd]
    // [N, n*hd] -> [B, n, T, hd]; kv heads repeated as HF's repeat_kv -> [B*H, T, hd]
    const split = (x: Tensor2D, n: number) => tf.transpose(tf.reshape(x, [B, T, n, hd]), [0, 2, 1, 3]);
    const repeatKv = (x: Tensor) => (rep === 1 ? x : tf.reshape(tf.tile(tf.reshape(x, [B, KV, 1, T, hd]), [1, 1, rep, 1, 1]), [B, H, T, hd]));
    const att = causalAttention(
      tf.reshape(split(q, H), [B * H, T, hd]) as tf.Tensor3D,                                // [B*H, T, hd]
      tf.reshape(repeatKv(split(k, KV)), [B * H, T, hd]) as tf.Tensor3D,                     // [B*H, T, hd]
      tf.reshape(repeatKv(split(v, KV)), [B * H, T, hd]) as tf.Tensor3D,                     // [B*H, T, hd]
      P.tables.mask);                                                                         // [B*H, T, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(att, [B, H, T, hd]), [0, 2, 1, 3]), [N, c.d]) as Tensor2D; // [N, d]
    return this.linear(merged, this.p(`${pre}.o_proj.weight`));                             // [N, d]
  }

  /** One gated FFN on the normed input h [N, d]: W_down[act(W_gate h) * (W_up h)], optionally captured and sparsified. */
  private ffn(l: number, h: Tensor2D, P: Pass): Tensor2D {
    const c = this.config;
    const pre = `model.layers.${l}.mlp`;
    const [g, u] = this.projections(h, `${pre}.gate_up_proj.weight`, [c.dFF, c.dFF]);       // [N, dFF] each
    const s = activate(g, c.act, c.actThreshold ?? 0);                                      // [N, dFF]
    let a = tf.mul(s, u) as Tensor2D;                                                      // [N, dFF]
    if (P.opts.capture) P.layers.push({ s, u, a });
    const sp = P.opts.sparsify?.[l];
    if (sp) {
      const keep = sp.kind === 'threshold'
        ? (tf.cast(tf.greaterEqual(tf.abs(a), tf.tensor1d(sp.perNeuron)), 'float32') as Tensor2D) // [N, dFF] 0/1
        : sp.fn(s, a);
      a = tf.mul(a, keep) as Tensor2D;                                                     // [N, dFF]
      P.activeCounts.push(tf.sum(keep));
    }
    return this.linear(a, this.p(`${pre}.down_proj.weight`));                               // [N, d]
  }

  /** ids: [R*B*T] token ids, row-major by sequence (replica-major with replicas). */
  forward(ids: Int32Array, B: number, T: number, opts: ForwardOptions = {}): ForwardResult {
    const c = this.config, R = this.replicas;
    if (T > c.context) throw new Error(`sequence length ${T} exceeds the model context ${c.context}`);
    if (ids.length !== R * B * T) throw new Error(`expected ${R * B * T} token ids, got ${ids.length}`);
    if (opts.sparsify && opts.sparsify.length !== c.layers) throw new Error(`sparsify needs ${c.layers} entries, got ${opts.sparsify.length}`);
    if (R > 1 && (opts.capture || opts.sparsify)) throw new Error('capture and sparsify need a single-replica model');
    const P: Pass = { B: R * B, T, N: R * B * T, tables: this.tablesFor(R * B, T), opts, layers: [], activeCounts: [] };
    // scales equal to 1 are skipped, so default configs compute exactly what they always did
    const scaled = (x: Tensor2D, f: number | undefined) => (f === undefined || f === 1 ? x : (tf.mul(x, f) as Tensor2D));
    return tf.tidy(() => {
      let x = scaled(this.embed(ids), c.embScale);                                          // [N, d]
      for (let l = 0; l < c.layers; l++) {
        const pre = `model.layers.${l}`;
        x = tf.add(x, scaled(this.attention(l, this.norm(x, `${pre}.input_layernorm.weight`), P), c.residualScale)); // [N, d]
        x = tf.add(x, scaled(this.ffn(l, this.norm(x, `${pre}.post_attention_layernorm.weight`), P), c.residualScale)); // [N, d]
      }
      const logits = this.head(scaled(this.norm(x, 'model.norm.weight'), c.logitScale));  // [N, vocab]
      const result: ForwardResult = { logits };
      if (opts.capture) result.layers = P.layers;
      if (opts.sparsify) result.activeCounts = P.activeCounts;
      return result as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  /** Per-token negative log-likelihood [R*B*T] of targets under the model (natural log). */
  tokenNll(logits: Tensor2D, targets: Int32Array): Tensor1D {
    return tf.tidy(() => {
      const y = tf.tensor1d(targets, 'int32');
      if (flagsBackend()) return sparseNll(logits, y);
      const logp = tf.logSoftmax(logits);
      return tf.neg(tf.sum(tf.mul(logp, oneHotFloat(y, this.config.vocab)), -1)) as Tensor1D;
    });
  }

  /** Mean cross-entropy (nats per token) of each replica, [R]; differentiable w.r.t. the params. */
  replicaLosses(ids: Int32Array, targets: Int32Array, B: number, T: number): Tensor1D {
    return tf.tidy(() => {
      const { logits } = this.forward(ids, B, T);
      return tf.mean(tf.reshape(this.tokenNll(logits, targets), [this.replicas, B * T]), 1) as Tensor1D;
    });
  }

  /** Mean cross-entropy (nats per token) as a scalar tensor (the sum over replicas); differentiable w.r.t. the params. */
  loss(ids: Int32Array, targets: Int32Array, B: number, T: number): tf.Scalar {
    return tf.tidy(() => (this.replicas === 1
      ? tf.mean(this.tokenNll(this.forward(ids, B, T).logits, targets))
      : tf.sum(this.replicaLosses(ids, targets, B, T))) as tf.Scalar);
  }

  /** Current weights of one replica as plain arrays, by HF name in internal [in, out] orientation (fused weights split). */
  weights(replica = 0): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, arr] of this.replicaParams(replica)) {
      const spec = this.specs.find((s) => s.name === name)!;
      if (!spec.parts) { out.set(name, arr); continue; }
      splitColumns(arr, spec.shape[0], spec.parts.map((p) => p.cols)).forEach((w, i) => out.set(spec.parts![i].name, w));
    }
    return out;
  }

  /** One replica's own parameters (internal names), as plain arrays. */
  replicaParams(replica = 0): Map<string, Float32Array> {
    if (!(replica >= 0 && replica < this.replicas)) throw new Error(`no replica ${replica}`);
    const out = new Map<string, Float32Array>();
    for (const spec of this.specs) {
      const all = this.p(spec.name).dataSync() as Float32Array;
      const n = all.length / this.replicas;
      out.set(spec.name, all.slice(replica * n, (replica + 1) * n));
    }
    return out;
  }

  /** Overwrite one replica's parameters (internal names). */
  setReplicaParams(replica: number, values: Map<string, Float32Array>): void {
    for (const spec of this.specs) {
      const v = this.p(spec.name);
      const src = values.get(spec.name);
      const n = v.size / this.replicas;
      if (!src || src.length !== n) throw new Error(`parameter ${spec.name}: expected ${n} values`);
      const all = (v.dataSync() as Float32Array).slice();
      all.set(src, replica * n);
      v.assign(tf.tensor(all, v.shape));
    }
  }

  /** Column norms ||W_out[:, i]|| of each layer's down projection (neuron output-vector norms). */
  downProjNorms(): Float32Array[] {
    return Array.from({ length: this.config.layers }, (_, l) =>
      tf.tidy(() => tf.norm(this.p(`model.layers.${l}.mlp.down_proj.weight`), 'euclidean', 1).dataSync() as Float32Array));
  }

  private clearTables(): void {
    for (const t of this.tables.values()) tf.dispose([t.cos, t.sin, t.mask, ...Object.values(t.wasm ?? {})]);
    this.tables.clear();
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.clearTables();
  }
}
