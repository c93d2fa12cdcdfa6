// Learning-rate schedule (warmup-stable-decay) and the planned checkpoint schedule in tokens.

export interface LrSchedule { lr: number; warmupSteps: number; totalSteps: number; decayFraction: number; minLrRatio: number }

export type Stage = 'warmup' | 'stable' | 'decay';

export function decayStart(s: LrSchedule): number {
  return Math.round(s.totalSteps * (1 - s.decayFraction));
}

export function stageAt(s: LrSchedule, step: number): Stage {
  if (step <= s.warmupSteps) return 'warmup';
  return step > decayStart(s) ? 'decay' : 'stable';
}

/** Learning rate for the update that produces step `step` (1-based). */
export function lrAt(s: LrSchedule, step: number): number {
  if (step <= s.warmupSteps) return (s.lr * step) / s.warmupSteps;
  const d0 = decayStart(s);
  if (step <= d0) return s.lr;
  const frac = (step - d0) / Math.max(1, s.totalSteps - d0);
  return s.lr * (1 - (1 - s.minLrRatio) * frac); // linear decay to minLrRatio * lr
}

/**
 * Steps at which to checkpoint: token counts first, first*factor, first*factor^2, ... up to the
 * total, each rounded to a whole step, plus the final step.
 */
export function checkpointSteps(tokensPerStep: number, totalSteps: number, firstTokens: number, factor: number): number[] {
  if (!(factor > 1)) throw new Error(`checkpoint factor must be > 1, got ${factor}`);
  const steps = new Set<number>();
  for (let t = firstTokens; t / tokensPerStep <= totalSteps; t *= factor) {
    steps.add(Math.max(1, Math.round(t / tokensPerStep)));
  }
  steps.add(totalSteps);
  return [...steps].filter((s) => s <= totalSteps).sort((a, b) => a - b);
}
