// Training one run of a profile (resumable: the trainer skips finished work).
import { presetConfig } from '../model/presets';
import { train, TRAIN_DEFAULTS, TrainSummary } from '../train/trainer';
import { runDir } from './paths';
import { RunSpec } from './profiles';

export function trainOptionsFor(profile: string, r: RunSpec, quiet = false) {
  return {
    ...TRAIN_DEFAULTS,
    runDir: runDir(profile, r.id),
    model: presetConfig(r.preset, r.act),
    preset: r.preset,
    seed: r.seed,
    batchSize: r.batchSize,
    seqLen: r.seqLen,
    totalTokens: r.tokens,
    lr: r.lr,
    warmupSteps: r.warmupSteps,
    checkpointFirstTokens: r.ckptFirstTokens,
    checkpointFactor: r.ckptFactor,
    quiet,
  };
}

export function trainRun(profile: string, r: RunSpec, quiet = false): Promise<TrainSummary> {
  return train(trainOptionsFor(profile, r, quiet));
}
