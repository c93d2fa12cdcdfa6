// Parameter names follow the Hugging Face LLaMA layout; projections are stored here as
// [in, out] (x @ W, the fast matMul direction) and transposed to HF's [out, in] on save.
import { headDim, isTied, kvHeads, ModelConfig } from './config';

export interface ParamSpec {
  name: string;
  shape: number[];   // internal layout
  kind: 'matrix' | 'norm' | 'embedding';
  transposedInHF: boolean;
}

export function paramSpecs(c: ModelConfig): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab, c.d], kind: 'embedding', transposedInHF: false }];
  const lin = (name: string, inDim: number, outDim: number): ParamSpec => ({ name, shape: [inDim, outDim], kind: 'matrix', transposedInHF: true });
  const norm = (name: string): ParamSpec => ({ name, shape: [c.d], kind: 'norm', transposedInHF: false });
  const kvDim = kvHeads(c) * headDim(c);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}`;
    specs.push(
      norm(`${p}.input_layernorm.weight`),
      lin(`${p}.self_attn.q_proj.weight`, c.d, c.d),
      lin(`${p}.self_attn.k_proj.weight`, c.d, kvDim),
      lin(`${p}.self_attn.v_proj.weight`, c.d, kvDim),
      lin(`${p}.self_attn.o_proj.weight`, c.d, c.d),
      norm(`${p}.post_attention_layernorm.weight`),
      lin(`${p}.mlp.gate_proj.weight`, c.d, c.dFF),
      lin(`${p}.mlp.up_proj.weight`, c.d, c.dFF),
      lin(`${p}.mlp.down_proj.weight`, c.dFF, c.d),
    );
  }
  specs.push(norm('model.norm.weight'));
  // An untied head keeps HF's [vocab, d] layout, like the embedding (logits = x @ W^T).
  if (!isTied(c)) specs.push({ name: 'lm_head.weight', shape: [c.vocab, c.d], kind: 'matrix', transposedInHF: false });
  return specs;
}

/**
 * The model's own parameters: the HF tensors, with q/k/v fused into one `qkv_proj` and gate/up
 * into one `gate_up_proj` (one product each instead of three and two). `parts` lists the HF
 * tensors a fused parameter concatenates along its output columns, in order.
 */
export interface InternalSpec {
  name: string;
  shape: number[];   // [in, out] for projections, as ParamSpec
  kind: ParamSpec['kind'];
  parts: { name: string; cols: number }[] | null;
}

export function internalSpecs(c: ModelConfig): InternalSpec[] {
  const hf = paramSpecs(c);
  const byName = new Map(hf.map((s) => [s.name, s]));
  const out: InternalSpec[] = [];
  const fused = (name: string, partNames: string[]) => {
    const parts = partNames.map((n) => byName.get(n)!);
    out.push({ name, shape: [parts[0].shape[0], parts.reduce((s, p) => s + p.shape[1], 0)], kind: 'matrix', parts: parts.map((p) => ({ name: p.name, cols: p.shape[1] })) });
  };
  for (const s of hf) {
    const m = /^(model\.layers\.\d+)\.(self_attn\.[qkv]_proj|mlp\.(gate|up)_proj)\.weight$/.exec(s.name);
    if (!m) { out.push({ name: s.name, shape: s.shape, kind: s.kind, parts: null }); continue; }
    const pre = m[1];
    if (s.name.endsWith('q_proj.weight')) fused(`${pre}.self_attn.qkv_proj.weight`, ['q', 'k', 'v'].map((x) => `${pre}.self_attn.${x}_proj.weight`));
    if (s.name.endsWith('gate_proj.weight')) fused(`${pre}.mlp.gate_up_proj.weight`, [`${pre}.mlp.gate_proj.weight`, `${pre}.mlp.up_proj.weight`]);
  }
  return out;
}

/** Concatenate [rows, cols_i] row-major blocks along columns. */
export function concatColumns(blocks: Float32Array[], rows: number, cols: number[]): Float32Array {
  const total = cols.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  let off = 0;
  blocks.forEach((b, i) => {
    for (let r = 0; r < rows; r++) out.set(b.subarray(r * cols[i], (r + 1) * cols[i]), r * total + off);
    off += cols[i];
  });
  return out;
}

/** The inverse of concatColumns. */
export function splitColumns(data: Float32Array, rows: number, cols: number[]): Float32Array[] {
  const total = cols.reduce((a, b) => a + b, 0);
  let off = 0;
  return cols.map((w) => {
    const out = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) out.set(data.subarray(r * total + off, r * total + off + w), r * w);
    off += w;
    return out;
  });
}
