// Model configuration, validation and parameter counts (LLaMA-style, gated FFN, tied head).
import { UserError } from '../util/errors';

export type Activation = 'relu' | 'silu';

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
}

export const CONFIG_DEFAULTS = { vocab: 256, normEps: 1e-5, ropeTheta: 10000 } as const;

/** Throws a UserError naming the first inconsistency. */
export function validateConfig(c: ModelConfig): ModelConfig {
  const ints: (keyof ModelConfig)[] = ['vocab', 'd', 'layers', 'heads', 'dFF', 'context'];
  for (const k of ints) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v <= 0) throw new UserError(`config: ${k} must be a positive integer, got ${v}`);
  }
  if (c.act !== 'relu' && c.act !== 'silu') throw new UserError(`config: act must be 'relu' or 'silu', got '${c.act}'`);
  if (c.d % c.heads !== 0) throw new UserError(`config: heads (${c.heads}) must divide d (${c.d})`);
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

export function paramCounts(c: ModelConfig): ParamCounts {
  const perLayer = 4 * c.d * c.d + 3 * c.d * c.dFF + 2 * c.d; // attention, gated FFN, two norms
  const embedding = c.vocab * c.d; // tied with the output head, so counted once
  const nonEmbedding = c.layers * perLayer + c.d; // + final norm
  return { total: embedding + nonEmbedding, embedding, nonEmbedding };
}

export function headDim(c: ModelConfig): number {
  return c.d / c.heads;
}
