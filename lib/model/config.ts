// Model configuration, validation and parameter counts (LLaMA-style, gated FFN, tied head by
// default). The optional fields describe Hugging Face LLaMA-family and MiniCPM checkpoints; their
// defaults leave the model exactly as before.
import { UserError } from '../util/errors';
import { ACTIVATION_NAMES, Activation, isActivation } from './activations';

export type { Activation } from './activations';

export interface ModelConfig {
  vocab: number;
  d: number;        // hidden size
  layers: number;
  heads: number;
  dFF: number;      // FFN width (number of neurons per layer)
  act: Activation;
  context: number;  // max sequence length
  normEps: number;
  ropeTheta: number;
  /** Key/value heads (grouped-query attention); default heads. Each serves heads/kvHeads query heads. */
  kvHeads?: number;
  /** Output head tied to the embedding (default true); false adds `lm_head.weight` [vocab, d]. */
  tiedHead?: boolean;
  /** Embeddings are multiplied by this (MiniCPM scale_emb); default 1. */
  embScale?: number;
  /** Each attention and FFN branch output is multiplied by this before the residual add; default 1. */
  residualScale?: number;
  /** The final normed hidden state is multiplied by this before the head; default 1. */
  logitScale?: number;
  /** FATReLU threshold (act 'fatrelu' only); default 0. */
  actThreshold?: number;
}

export const CONFIG_DEFAULTS = { vocab: 256, normEps: 1e-5, ropeTheta: 10000 } as const;

/** Throws a UserError naming the first inconsistency. */
export function validateConfig(c: ModelConfig): ModelConfig {
  const ints: (keyof ModelConfig)[] = ['vocab', 'd', 'layers', 'heads', 'dFF', 'context'];
  for (const k of ints) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v <= 0) throw new UserError(`config: ${k} must be a positive integer, got ${v}`);
  }
  if (!isActivation(c.act)) throw new UserError(`config: act must be one of ${ACTIVATION_NAMES.map((a) => `'${a}'`).join(', ')}, got '${c.act}'`);
  if (c.d % c.heads !== 0) throw new UserError(`config: heads (${c.heads}) must divide d (${c.d})`);
  const kv = kvHeads(c);
  if (!Number.isInteger(kv) || kv <= 0 || c.heads % kv !== 0) throw new UserError(`config: kvHeads (${kv}) must be a positive integer dividing heads (${c.heads})`);
  for (const k of ['embScale', 'residualScale', 'logitScale', 'actThreshold'] as const) {
    const v = c[k];
    if (v !== undefined && !Number.isFinite(v)) throw new UserError(`config: ${k} must be a finite number, got ${v}`);
  }
  if ((c.d / c.heads) % 2 !== 0) throw new UserError(`config: head size d/heads = ${c.d / c.heads} must be even for rotary positions`);
  if (!(c.normEps > 0)) throw new UserError(`config: normEps must be > 0`);
  if (!(c.ropeTheta > 0)) throw new UserError(`config: ropeTheta must be > 0`);
  return c;
}

export interface ParamCounts {
  total: number;
  embedding: number;
  nonEmbedding: number;
}

/** Embedding counts the input embedding and, when untied, the output head too. */
export function paramCounts(c: ModelConfig): ParamCounts {
  const kvDim = kvHeads(c) * headDim(c);
  const perLayer = 2 * c.d * c.d + 2 * c.d * kvDim + 3 * c.d * c.dFF + 2 * c.d; // attention, gated FFN, two norms
  const embedding = c.vocab * c.d * (isTied(c) ? 1 : 2); // a tied head is counted once
  const nonEmbedding = c.layers * perLayer + c.d; // + final norm
  return { total: embedding + nonEmbedding, embedding, nonEmbedding };
}

export function headDim(c: ModelConfig): number {
  return c.d / c.heads;
}

export function kvHeads(c: ModelConfig): number {
  return c.kvHeads ?? c.heads;
}

export function isTied(c: ModelConfig): boolean {
  return c.tiedHead !== false;
}
