// Named model shapes. Two families: a fixed width/depth ratio d/L = 32 across sizes (for the
// scale finding) and a fixed non-embedding parameter count across d/L (for the width-depth one).
import { UserError } from '../util/errors';
import { Activation, CONFIG_DEFAULTS, ModelConfig, paramCounts, validateConfig } from './config';

type Shape = Pick<ModelConfig, 'd' | 'layers' | 'heads' | 'dFF' | 'context'>;

const FFN_MULT = 4; // d_ff = 4d, as in the pilot study (method.md section 5)
const HEAD_DIM = 32;

function shape(d: number, layers: number, context: number, heads = Math.max(1, Math.round(d / HEAD_DIM))): Shape {
  return { d, layers, heads, dFF: FFN_MULT * d, context };
}

/** d/L = 32 at every size: the scale family. */
const FIXED_RATIO: Record<string, Shape> = {
  'd32-l1': shape(32, 1, 64),
  'd64-l2': shape(64, 2, 64),
  'd96-l3': shape(96, 3, 64),
  'd128-l4': shape(128, 4, 128),
  'd160-l5': shape(160, 5, 128),
};

/** Most heads of size >= 16 (even, dividing d), so narrow models keep at least one usable head. */
function headsFor(d: number): number {
  for (let h = Math.max(1, Math.floor(d / 16)); h > 1; h--) if (d % h === 0 && (d / h) % 2 === 0) return h;
  return 1;
}

/**
 * Fixed non-embedding parameter count across depths: for each depth, the width (a multiple of 4)
 * whose count is closest to the target.
 */
export function fixedParamShape(targetNonEmbedding: number, layers: number, context = 64): Shape {
  let best: Shape | undefined;
  let bestErr = Infinity;
  for (let d = 4; d <= 2048; d += 4) {
    const s = shape(d, layers, context, headsFor(d));
    const n = paramCounts({ ...CONFIG_DEFAULTS, act: 'relu', ...s }).nonEmbedding;
    const err = Math.abs(n - targetNonEmbedding);
    if (err < bestErr) { bestErr = err; best = s; }
  }
  if (!best) throw new UserError(`no shape with ${layers} layers near ${targetNonEmbedding} parameters`);
  return best;
}

/** The width-depth family at ~131k non-embedding parameters (same count as d64-l2). */
export const WIDTH_DEPTH_LAYERS = [1, 2, 4, 8, 16];
const WIDTH_DEPTH: Record<string, Shape> = Object.fromEntries(
  WIDTH_DEPTH_LAYERS.map((L) => [`wd131k-l${L}`, fixedParamShape(131_000, L)]),
);

/**
 * Issue #13's extra families. Small models at the paper's tokens per parameter: below d32-l1 the
 * d/L = 32 family has no member, so these let d/L drift (24, 16, 24); the size law says which sizes.
 * Width-depth families at ~30k (cheap enough for ~5M tokens) and ~524k parameters (the only one whose
 * widest shape, L = 1, passes the paper's d/L bottleneck of about 114).
 */
const SMALL: Record<string, Shape> = {
  'd24-l1': shape(24, 1, 64),
  'd32-l2': shape(32, 2, 64),
  'd48-l2': shape(48, 2, 64),
};
const WIDTH_DEPTH_EXTRA: Record<string, Shape> = Object.fromEntries([
  ...WIDTH_DEPTH_LAYERS.map((L) => [`wd30k-l${L}`, fixedParamShape(30_000, L)]),
  ...WIDTH_DEPTH_LAYERS.map((L) => [`wd524k-l${L}`, fixedParamShape(524_000, L)]),
]);

const TEST_SHAPES: Record<string, Shape> = {
  micro: { d: 16, layers: 1, heads: 2, dFF: 32, context: 16 },
  'micro-l2': { d: 16, layers: 2, heads: 2, dFF: 32, context: 16 },
};

export const PRESETS: Record<string, Shape> = { ...TEST_SHAPES, ...FIXED_RATIO, ...WIDTH_DEPTH, ...SMALL, ...WIDTH_DEPTH_EXTRA };

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** A full config from a preset name, an activation and optional overrides. */
export function presetConfig(name: string, act: Activation = 'relu', overrides: Partial<ModelConfig> = {}): ModelConfig {
  const s = PRESETS[name];
  if (!s) throw new UserError(`unknown preset '${name}'; known presets: ${presetNames().join(', ')}`);
  return validateConfig({ ...CONFIG_DEFAULTS, ...s, act, ...overrides });
}
