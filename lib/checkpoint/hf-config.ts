// A Hugging Face config.json (model_type llama or minicpm) -> our ModelConfig, refusing in one line
// what the model cannot run: the one config.json reader for our checkpoints and for downloaded hub
// models (lib/hub re-exports it). MiniCPM (the paper's released checkpoints; modeling_minicpm.py):
//   embeddings  x0 = embed(ids) * scale_emb
//   each branch x  = x + branch(norm(x)) * scale_depth / sqrt(num_hidden_layers)   (attention and FFN)
//   head        logits = lm_head(norm(x) / (hidden_size / dim_model_base))
// Its config class defaults are scale_emb 1, scale_depth 1, dim_model_base 1, tie_word_embeddings
// true; LLaMA's default is an untied head.
import { ModelConfig, validateConfig } from '../model/config';
import { ACTIVATIONS, activationFromHF } from '../model/activations';
import { UserError } from '../util/errors';

export const SUPPORTED_MODEL_TYPES = ['llama', 'minicpm'] as const;

type Json = Record<string, unknown>;

function num(j: Json, key: string, where: string, fallback?: number): number {
  const v = j[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new UserError(`${where}: missing key '${key}' (not a LLaMA-family config?)`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserError(`${where}: '${key}' must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Keys whose presence (with a non-default value) means an architecture we do not implement. */
function refuseUnsupported(j: Json, where: string, type: string): void {
  const refuse = (what: string) => { throw new UserError(`${where}: ${what} is not supported`); };
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) refuse(`rope_scaling (${JSON.stringify(j.rope_scaling)})`);
  const rp = j.rope_parameters as Json | undefined | null; // transformers 5 writes rope_theta here
  if (rp && rp.rope_type !== undefined && rp.rope_type !== 'default') refuse(`rope_parameters.rope_type '${String(rp.rope_type)}' (only 'default')`);
  if (j.attention_bias === true) refuse('attention_bias true (biases on q/k/v/o)');
  if (j.mlp_bias === true) refuse('mlp_bias true (biases on the FFN)');
  if (j.head_dim !== undefined && j.head_dim !== null && j.head_dim !== num(j, 'hidden_size', where) / num(j, 'num_attention_heads', where)) {
    refuse(`head_dim ${j.head_dim} different from hidden_size / num_attention_heads`);
  }
  if (type === 'minicpm') {
    if (j.attention_type !== undefined && j.attention_type !== 'vanilla') refuse(`attention_type '${j.attention_type}' (only 'vanilla')`);
    if (j.ffn_type !== undefined && j.ffn_type !== 'vanilla') refuse(`ffn_type '${j.ffn_type}' (only the gated 'vanilla' FFN)`);
  }
}

/** config.json of a hub model directory (or one of ours: we write model_type llama) -> ModelConfig. */
export function hubConfig(j: Json, where = 'config.json'): ModelConfig {
  const type = j.model_type === undefined ? 'llama' : j.model_type;
  if (typeof type !== 'string' || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(type)) {
    throw new UserError(`${where}: model_type '${String(type)}' is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')}, with a gated FFN)`);
  }
  refuseUnsupported(j, where, type);
  const hfAct = j.hidden_act ?? (type === 'minicpm' ? 'silu' : undefined);
  if (hfAct === undefined) throw new UserError(`${where}: missing key 'hidden_act'`);
  const act = activationFromHF(hfAct);
  if (!act) throw new UserError(`${where}: hidden_act '${String(hfAct)}' is not supported (use relu, silu or fatrelu)`);
  const heads = num(j, 'num_attention_heads', where);
  const layers = num(j, 'num_hidden_layers', where);
  const d = num(j, 'hidden_size', where);
  const c: ModelConfig = {
    vocab: num(j, 'vocab_size', where),
    d,
    layers,
    heads,
    dFF: num(j, 'intermediate_size', where),
    act,
    context: num(j, 'max_position_embeddings', where, type === 'minicpm' ? 4096 : 2048),
    normEps: num(j, 'rms_norm_eps', where, 1e-6),
    ropeTheta: j.rope_parameters ? num(j.rope_parameters as Json, 'rope_theta', `${where} rope_parameters`, 10000) : num(j, 'rope_theta', where, 10000),
  };
  const kv = num(j, 'num_key_value_heads', where, heads);
  if (kv !== heads) c.kvHeads = kv;
  const tied = j.tie_word_embeddings === undefined ? type === 'minicpm' : j.tie_word_embeddings;
  if (typeof tied !== 'boolean') throw new UserError(`${where}: tie_word_embeddings must be true or false`);
  if (!tied) c.tiedHead = false;
  if (act === 'fatrelu') {
    // ProSparse / MiniCPM-S configs carry FATReLU's threshold as hidden_act_param.
    c.actThreshold = num(j, 'hidden_act_param', where, 0);
  }
  if (type === 'minicpm') {
    const scaleEmb = num(j, 'scale_emb', where, 1);
    const scaleDepth = num(j, 'scale_depth', where, 1);
    const base = num(j, 'dim_model_base', where, 1);
    if (!(base > 0)) throw new UserError(`${where}: dim_model_base must be > 0, got ${base}`);
    if (scaleEmb !== 1) c.embScale = scaleEmb;
    c.residualScale = scaleDepth / Math.sqrt(layers);
    c.logitScale = base / d;
  }
  return validateConfig(c);
}

/** The model type a config came from, as our config mapping reads it. */
export function isMiniCPM(c: ModelConfig): boolean {
  return c.residualScale !== undefined || c.logitScale !== undefined || c.embScale !== undefined;
}

/** ModelConfig -> config.json: a LLaMA config, or MiniCPM's when any MiniCPM scale is set. */
export function toHubConfig(c: ModelConfig): Json {
  const base: Json = {
    hidden_size: c.d,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads ?? c.heads,
    intermediate_size: c.dFF,
    hidden_act: ACTIVATIONS[c.act].hfName,
    vocab_size: c.vocab,
    max_position_embeddings: c.context,
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    tie_word_embeddings: c.tiedHead !== false,
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: 'float32',
  };
  if (c.act === 'fatrelu') base.hidden_act_param = c.actThreshold ?? 0;
  if (!isMiniCPM(c)) return { architectures: ['LlamaForCausalLM'], model_type: 'llama', ...base };
  const residual = c.residualScale ?? 1;
  const logit = c.logitScale ?? 1;
  return {
    architectures: ['MiniCPMForCausalLM'], model_type: 'minicpm', ...base,
    scale_emb: c.embScale ?? 1, scale_depth: residual * Math.sqrt(c.layers), dim_model_base: logit * c.d,
  };
}
