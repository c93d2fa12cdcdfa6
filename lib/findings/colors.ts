// One colour per activation and one per model size, the same in every figure: ReLU is always blue and
// SiLU always orange; sizes and shapes take the other colours of the Tableau-10 set, in order of their
// parameter count, so no size is ever drawn in an activation's colour.
import type { Results } from '../experiments/results';
import { ACTIVATION_NAMES, ACTIVATIONS } from '../model/activations';
import { runsOf } from './common';
import { isPaperAct } from './paper';

/**
 * The activation colour scale (colours from lib/model/activations.ts): the paper's two activations
 * always, so every legend lists both, and any other activation the results have runs of.
 */
export function actColors(results?: Results): { domain: string[]; range: string[] } {
  const present = new Set<string>(results ? runsOf(results).map((r) => r.act) : []);
  const acts = ACTIVATION_NAMES.filter((a) => isPaperAct(a) || present.has(a));
  return { domain: acts.map((a) => ACTIVATIONS[a].label), range: acts.map((a) => ACTIVATIONS[a].color) };
}

/** The paper's two activations: ReLU blue, SiLU orange. */
export const ACT_COLORS = actColors();

export const SIZE_RANGE = ['#54a24b', '#e45756', '#b279a2', '#9d755d', '#72b7b2', '#eeca3b', '#ff9da6', '#bab0ac', '#1b9e77', '#7570b3'];

/** Every size label of the profile ("d64-l2 (131k)"), smallest first, each with its fixed colour. */
export function sizeColors(results: Results): { domain: string[]; range: string[] } {
  const sizes = [...new Set(runsOf(results).map((r) => r.size))];
  return { domain: sizes, range: sizes.map((_, i) => SIZE_RANGE[i % SIZE_RANGE.length]) };
}

/** Shapes of the "used in the fit" marker, the same in every figure. */
export const FIT_SHAPES = { domain: ['fitted', 'warmup (left out)', 'left out of the fit'], range: ['circle', 'cross', 'square'] };
