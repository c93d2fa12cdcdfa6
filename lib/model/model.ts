// A LLaMA-style decoder (pre-norm RMSNorm, rotary multi-head attention, gated FFN, tied head)
// whose forward pass can expose the FFN activations and run with sparsified FFNs.
import { tf, Tensor, Tensor1D, Tensor2D } from '../backend/tf';
import { rngFor } from '../util/rng';
import { ModelConfig, validateConfig, headDim } from './config';
import { causalAttention } from './attention';
import { activate, causalMask, matMul2d, oneHotFloat, rmsNorm, ropeTables } from './ops';
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

export class Model {
  readonly config: ModelConfig;
  readonly specs: ParamSpec[];
  readonly params: Map<string, tf.Variable>;
  private readonly tables = new Map<number, { cos: Tensor2D; sin: Tensor2D; mask: Tensor2D }>();
  private rot?: Tensor2D;

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

  /** Rotary tables tiled to [B*T, d] and the causal mask, built once per (B, T) and kept. */
  private tablesFor(B: number, T: number): { cos: Tensor2D; sin: Tensor2D; mask: Tensor2D } {
    const key = B * 100003 + T;
    let t = this.tables.get(key);
    if (!t && this.tables.size >= 8) this.clearTables(); // a few shapes recur (batches, eval chunks); do not grow without bound
    if (!t) {
      const c = this.config;
      const r = ropeTables(T, c.d, c.heads, c.ropeTheta);
      t = tf.tidy(() => ({
        cos: tf.keep(tf.tile(tf.tensor2d(r.cos, [T, c.d]), [B, 1]) as Tensor2D),
        sin: tf.keep(tf.tile(tf.tensor2d(r.sin, [T, c.d]), [B, 1]) as Tensor2D),
        mask: tf.keep(tf.tensor2d(causalMask(T), [T, T])),
      }));
      if (!this.rot) this.rot = tf.keep(tf.tensor2d(r.rot, [c.d, c.d]));
      this.tables.set(key, t);
    }
    return t;
  }

  /** ids: [B*T] token ids, row-major by sequence. */
  forward(ids: Int32Array, B: number, T: number, opts: ForwardOptions = {}): ForwardResult {
    const c = this.config;
    if (T > c.context) throw new Error(`sequence length ${T} exceeds the model context ${c.context}`);
    if (ids.length !== B * T) throw new Error(`expected ${B * T} token ids, got ${ids.length}`);
    if (opts.sparsify && opts.sparsify.length !== c.layers) throw new Error(`sparsify needs ${c.layers} entries, got ${opts.sparsify.length}`);
    const { cos: cosN, sin: sinN, mask } = this.tablesFor(B, T);
    const rot = this.rot!;
    const H = c.heads;
    const hd = headDim(c);
    const N = B * T;
    return tf.tidy(() => {
      const E = this.p('model.embed_tokens.weight') as Tensor2D;
      let x = matMul2d(oneHotFloat(tf.tensor1d(ids, 'int32'), c.vocab), E); // [N, d]
      const layers: LayerCapture[] = [];
      const activeCounts: Tensor[] = [];
      const rope = (q: Tensor2D) => tf.add(tf.mul(q, cosN), tf.mul(matMul2d(q, rot), sinN)) as Tensor2D;
      // [N, d] -> [B*H, T, hd]
      const heads = (q: Tensor2D) => tf.reshape(tf.transpose(tf.reshape(q, [B, T, H, hd]), [0, 2, 1, 3]), [B * H, T, hd]) as tf.Tensor3D;
      for (let l = 0; l < c.layers; l++) {
        const pre = `model.layers.${l}`;
        const h = rmsNorm(x, this.p(`${pre}.input_layernorm.weight`), c.normEps);
        const q = heads(rope(matMul2d(h, this.p(`${pre}.self_attn.q_proj.weight`) as Tensor2D)));
        const k = rope(matMul2d(h, this.p(`${pre}.self_attn.k_proj.weight`) as Tensor2D));
        const kT = tf.reshape(tf.transpose(tf.reshape(k, [B, T, H, hd]), [0, 2, 3, 1]), [B * H, hd, T]) as tf.Tensor3D;
        const v = heads(matMul2d(h, this.p(`${pre}.self_attn.v_proj.weight`) as Tensor2D));
        const att = causalAttention(q, kT, v, mask, 1 / Math.sqrt(hd)); // [B*H, T, hd]
        const merged = tf.reshape(tf.transpose(tf.reshape(att, [B, H, T, hd]), [0, 2, 1, 3]), [N, c.d]) as Tensor2D;
        x = tf.add(x, matMul2d(merged, this.p(`${pre}.self_attn.o_proj.weight`) as Tensor2D));

        const h2 = rmsNorm(x, this.p(`${pre}.post_attention_layernorm.weight`), c.normEps);
        const s = activate(matMul2d(h2, this.p(`${pre}.mlp.gate_proj.weight`) as Tensor2D), c.act); // [N, dFF]
        const u = matMul2d(h2, this.p(`${pre}.mlp.up_proj.weight`) as Tensor2D);
        let a = tf.mul(s, u) as Tensor2D;
        if (opts.capture) layers.push({ s, u, a });
        const sp = opts.sparsify?.[l];
        if (sp) {
          const keep = sp.kind === 'threshold'
            ? (tf.cast(tf.greaterEqual(tf.abs(a), tf.tensor1d(sp.perNeuron)), 'float32') as Tensor2D)
            : sp.fn(s, a);
          a = tf.mul(a, keep) as Tensor2D;
          activeCounts.push(tf.sum(keep));
        }
        x = tf.add(x, matMul2d(a, this.p(`${pre}.mlp.down_proj.weight`) as Tensor2D));
      }
      const xf = rmsNorm(x, this.p('model.norm.weight'), c.normEps);
      const logits = matMul2d(xf, tf.transpose(E) as Tensor2D); // tied head, [N, vocab]
      const result: ForwardResult = { logits };
      if (opts.capture) result.layers = layers;
      if (opts.sparsify) result.activeCounts = activeCounts;
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
    for (const t of this.tables.values()) { t.cos.dispose(); t.sin.dispose(); t.mask.dispose(); }
    this.tables.clear();
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.clearTables();
    this.rot?.dispose();
  }
}
