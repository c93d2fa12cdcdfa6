// A LLaMA-style decoder (pre-norm RMSNorm, rotary attention with optional grouped-query heads,
// gated FFN, tied or separate head, optional MiniCPM scales)
// whose forward pass can expose the FFN activations and run with sparsified FFNs.
import { tf, Tensor, Tensor1D, Tensor2D } from '../backend/tf';
import { rngFor } from '../util/rng';
import { ModelConfig, validateConfig, headDim, isTied, kvHeads } from './config';
import { activate } from './activations';
import { causalAttention } from './attention';
import { causalMask, matMul2d, oneHotFloat, rmsNorm, ropeTables } from './ops';
import { ParamSpec, paramSpecs } from './params';

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

/** Initial weights: N(0, 0.02); residual outputs scaled by 1/sqrt(2L); norms at 1. Seeded per tensor. */
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

interface Tables { cos: Tensor2D; sin: Tensor2D; cosK: Tensor2D; sinK: Tensor2D; mask: Tensor2D }

/** What one forward pass shares across layers. */
interface Pass { B: number; T: number; N: number; tables: Tables; opts: ForwardOptions; layers: LayerCapture[]; activeCounts: Tensor[] }

export class Model {
  readonly config: ModelConfig;
  readonly specs: ParamSpec[];
  readonly params: Map<string, tf.Variable>;
  private readonly tables = new Map<number, Tables>();
  private rot?: Tensor2D;   // [d, d]: x @ rot = rotate_half(x) per head
  private rotK?: Tensor2D;  // [kvDim, kvDim], the same for keys (== rot without GQA)

  constructor(config: ModelConfig, weights: Map<string, Float32Array> | { seed: number }) {
    this.config = validateConfig(config);
    this.specs = paramSpecs(config);
    this.params = new Map();
    this.specs.forEach((spec, i) => {
      const values = weights instanceof Map ? weights.get(spec.name) : initialValue(spec, config, weights.seed, i);
      if (!values) throw new Error(`missing weight ${spec.name}`);
      this.params.set(spec.name, tf.variable(tf.tensor(values, spec.shape, 'float32'), true));
    });
  }

  p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** Rotary tables tiled to [B*T, d] (and [B*T, kvDim] for keys) and the causal mask, built once per (B, T) and kept. */
  private tablesFor(B: number, T: number): Tables {
    const key = B * 100003 + T;
    let t = this.tables.get(key);
    if (!t && this.tables.size >= 8) this.clearTables(); // a few shapes recur (batches, eval chunks); do not grow without bound
    if (!t) {
      const c = this.config;
      const kvDim = kvHeads(c) * headDim(c);
      const r = ropeTables(T, c.d, c.heads, c.ropeTheta);
      t = tf.tidy(() => {
        const cos = tf.keep(tf.tile(tf.tensor2d(r.cos, [T, c.d]), [B, 1]) as Tensor2D);
        const sin = tf.keep(tf.tile(tf.tensor2d(r.sin, [T, c.d]), [B, 1]) as Tensor2D);
        // the tables repeat per head, so the keys' are the first kvDim columns
        const cosK = kvDim === c.d ? cos : tf.keep(tf.slice(cos, [0, 0], [B * T, kvDim]));
        const sinK = kvDim === c.d ? sin : tf.keep(tf.slice(sin, [0, 0], [B * T, kvDim]));
        return { cos, sin, cosK, sinK, mask: tf.keep(tf.tensor2d(causalMask(T), [T, T])) };
      });
      if (!this.rot) {
        this.rot = tf.keep(tf.tensor2d(r.rot, [c.d, c.d]));
        this.rotK = kvDim === c.d ? this.rot : tf.keep(tf.tensor2d(ropeTables(1, kvDim, kvHeads(c), c.ropeTheta).rot, [kvDim, kvDim]));
      }
      this.tables.set(key, t);
    }
    return t;
  }

  /** One attention block on the normed input h [N, d]; returns the branch output [N, d]. */
  private attention(l: number, h: Tensor2D, P: Pass): Tensor2D {
    const c = this.config;
    const { B, T, N } = P;
    const H = c.heads, KV = kvHeads(c), hd = headDim(c), rep = H / KV;
    const { cos, sin, cosK, sinK, mask } = P.tables;
    const pre = `model.layers.${l}.self_attn`;
    const rope = (x: Tensor2D, co: Tensor2D, si: Tensor2D, rot: Tensor2D) =>
      tf.add(tf.mul(x, co), tf.mul(matMul2d(x, rot), si)) as Tensor2D;                    // [N, width]
    // [N, n*hd] -> [B, n, T, hd], then each kv head repeated rep times as HF's repeat_kv -> [B*H, T, hd]
    const repeatKv = (x: tf.Tensor4D) => rep === 1 ? x
      : tf.reshape(tf.tile(tf.reshape(x, [B, KV, 1, T, hd]), [1, 1, rep, 1, 1]), [B, H, T, hd]) as tf.Tensor4D;
    const q = rope(matMul2d(h, this.p(`${pre}.q_proj.weight`) as Tensor2D), cos, sin, this.rot!);   // [N, H*hd]
    const k = rope(matMul2d(h, this.p(`${pre}.k_proj.weight`) as Tensor2D), cosK, sinK, this.rotK!); // [N, KV*hd]
    const v = matMul2d(h, this.p(`${pre}.v_proj.weight`) as Tensor2D);                      // [N, KV*hd]
    const qh = tf.reshape(tf.transpose(tf.reshape(q, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]) as tf.Tensor3D;             // [B*H, T, hd]
    const kT = tf.reshape(repeatKv(tf.transpose(tf.reshape(k, [B, T, KV, hd]), [0, 2, 3, 1]) as tf.Tensor4D), [B * H, hd, T]) as tf.Tensor3D; // [B*H, hd, T]
    const vh = tf.reshape(repeatKv(tf.transpose(tf.reshape(v, [B, T, KV, hd]), [0, 2, 1, 3]) as tf.Tensor4D), [B * H, T, hd]) as tf.Tensor3D; // [B*H, T, hd]
    const att = causalAttention(qh, kT, vh, mask, 1 / Math.sqrt(hd));                       // [B*H, T, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(att, [B, H, T, hd]), [0, 2, 1, 3]), [N, c.d]) as Tensor2D; // [N, d]
    return matMul2d(merged, this.p(`${pre}.o_proj.weight`) as Tensor2D);                   // [N, d]
  }

  /** One gated FFN on the normed input h [N, d]: W_down[act(W_gate h) * (W_up h)], optionally captured and sparsified. */
  private ffn(l: number, h: Tensor2D, P: Pass): Tensor2D {
    const c = this.config;
    const pre = `model.layers.${l}.mlp`;
    const s = activate(matMul2d(h, this.p(`${pre}.gate_proj.weight`) as Tensor2D), c.act, c.actThreshold ?? 0); // [N, dFF]
    const u = matMul2d(h, this.p(`${pre}.up_proj.weight`) as Tensor2D);                     // [N, dFF]
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
    return matMul2d(a, this.p(`${pre}.down_proj.weight`) as Tensor2D);                     // [N, d]
  }

  /** ids: [B*T] token ids, row-major by sequence. */
  forward(ids: Int32Array, B: number, T: number, opts: ForwardOptions = {}): ForwardResult {
    const c = this.config;
    if (T > c.context) throw new Error(`sequence length ${T} exceeds the model context ${c.context}`);
    if (ids.length !== B * T) throw new Error(`expected ${B * T} token ids, got ${ids.length}`);
    if (opts.sparsify && opts.sparsify.length !== c.layers) throw new Error(`sparsify needs ${c.layers} entries, got ${opts.sparsify.length}`);
    const P: Pass = { B, T, N: B * T, tables: this.tablesFor(B, T), opts, layers: [], activeCounts: [] };
    // scales equal to 1 are skipped, so default configs compute exactly what they always did
    const scaled = (x: Tensor2D, f: number | undefined) => (f === undefined || f === 1 ? x : (tf.mul(x, f) as Tensor2D));
    return tf.tidy(() => {
      const E = this.p('model.embed_tokens.weight') as Tensor2D;                           // [vocab, d]
      let x = scaled(matMul2d(oneHotFloat(tf.tensor1d(ids, 'int32'), c.vocab), E), c.embScale); // [N, d]
      for (let l = 0; l < c.layers; l++) {
        const pre = `model.layers.${l}`;
        x = tf.add(x, scaled(this.attention(l, rmsNorm(x, this.p(`${pre}.input_layernorm.weight`), c.normEps), P), c.residualScale)); // [N, d]
        x = tf.add(x, scaled(this.ffn(l, rmsNorm(x, this.p(`${pre}.post_attention_layernorm.weight`), c.normEps), P), c.residualScale)); // [N, d]
      }
      const xf = scaled(rmsNorm(x, this.p('model.norm.weight'), c.normEps), c.logitScale); // [N, d]
      const head = isTied(c) ? E : (this.p('lm_head.weight') as Tensor2D);                 // [vocab, d]
      const logits = matMul2d(xf, tf.transpose(head) as Tensor2D);                         // [N, vocab]
      const result: ForwardResult = { logits };
      if (opts.capture) result.layers = P.layers;
      if (opts.sparsify) result.activeCounts = P.activeCounts;
      return result as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  /** Per-token negative log-likelihood [B*T] of targets under the model (natural log). */
  tokenNll(logits: Tensor2D, targets: Int32Array): Tensor1D {
    return tf.tidy(() => {
      const logp = tf.logSoftmax(logits);
      return tf.neg(tf.sum(tf.mul(logp, oneHotFloat(tf.tensor1d(targets, 'int32'), this.config.vocab)), -1)) as Tensor1D;
    });
  }

  /** Mean cross-entropy (nats per token) as a scalar tensor; differentiable w.r.t. the params. */
  loss(ids: Int32Array, targets: Int32Array, B: number, T: number): tf.Scalar {
    return tf.tidy(() => {
      const { logits } = this.forward(ids, B, T);
      return tf.mean(this.tokenNll(logits, targets)) as tf.Scalar;
    });
  }

  /** Current weights as plain arrays (internal layout), e.g. for checkpoints. */
  weights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.params) out.set(name, v.dataSync() as Float32Array);
    return out;
  }

  /** Column norms ||W_out[:, i]|| of each layer's down projection (neuron output-vector norms). */
  downProjNorms(): Float32Array[] {
    return Array.from({ length: this.config.layers }, (_, l) =>
      tf.tidy(() => tf.norm(this.p(`model.layers.${l}.mlp.down_proj.weight`), 'euclidean', 1).dataSync() as Float32Array));
  }

  private clearTables(): void {
    for (const t of this.tables.values()) tf.dispose([...new Set([t.cos, t.sin, t.cosK, t.sinK, t.mask])]);
    this.tables.clear();
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.clearTables();
    tf.dispose([...new Set([this.rot, this.rotK].filter((t): t is Tensor2D => !!t))]);
  }
}
