// The paper's own figures, quoted from ../shared/method.md (sections 1, 3 and 4), to be printed NEXT
// to ours. They are the paper's numbers, never ours, and no result is computed from them except
// "does ours fall in the paper's range". The published law fits are in lib/laws (PUBLISHED_FITS).
import type { Activation } from '../model/activations';

export const PAPER = {
  /** F0: for a 0.8B ReLU model, PPL-1% cut the activation ratio by this fraction relative to the zero count. */
  f0ReductionVsZero: 0.61,
  f0ReductionModel: '0.8B ReLU',
  /** F1: dead-neuron ratio of the 0.1B ReLU model. */
  deadRatio: 0.0035,
  /** F2 (0.1B): A0 grows linearly with d/L up to this bottleneck, then stays flat near the plateau. */
  f2Bottleneck: 114,
  f2Plateau: 0.08,
  /** F2 (0.1B): the range of d/L with the best loss. */
  f2BestLossRange: [74, 282] as [number, number],
  /** F2 (0.1B): the d/L range the authors swept. */
  f2DlRange: [0.2, 1000] as [number, number],
  /** The paper's smallest and largest model, non-embedding parameters in words. */
  f3Scales: ['0.1B', '1.2B'] as [string, string],
  /** Token budgets were at least this many times the non-embedding parameter count. */
  tokensPerParam: 190,
} as const;

/** What the paper reports per activation: the two it trained (F1, F3). */
export interface PaperActivation {
  /** F1: limit activation ratios (A0) across 0.1B-1.2B. */
  limitRange: readonly [number, number];
  /** F3: A0 from the smallest (0.1B) to the largest (1.2B) model. */
  limitBySize: { from: number; to: number };
}

export const PAPER_BY_ACT = {
  relu: { limitRange: [0.061, 0.078], limitBySize: { from: 0.061, to: 0.078 } },
  silu: { limitRange: [0.382, 0.409], limitBySize: { from: 0.409, to: 0.382 } },
} as const satisfies Partial<Record<Activation, PaperActivation>>;

/** The activations the paper compares (ReLU first, as in every table). */
export type PaperAct = keyof typeof PAPER_BY_ACT;
export const PAPER_ACTS = Object.keys(PAPER_BY_ACT) as PaperAct[];

export function isPaperAct(act: string): act is PaperAct {
  return Object.prototype.hasOwnProperty.call(PAPER_BY_ACT, act);
}

/** The paper's model shapes (method.md section 1), to place its limits on a size axis. */
export const PAPER_SHAPES = [
  { scale: '0.1B', d: 768, layers: 16, dFf: 1920 },
  { scale: '0.2B', d: 1024, layers: 20, dFf: 2560 },
  { scale: '0.4B', d: 1280, layers: 24, dFf: 3200 },
  { scale: '0.8B', d: 1536, layers: 28, dFf: 3840 },
  { scale: '1.2B', d: 1792, layers: 32, dFf: 4480 },
] as const;

/** Non-embedding parameters of a paper shape: per layer 4 d^2 (attention) + 3 d d_ff (gated FFN); norms left out. */
export function paperNonEmbedding(s: { d: number; layers: number; dFf: number }): number {
  return s.layers * (4 * s.d * s.d + 3 * s.d * s.dFf);
}
