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
