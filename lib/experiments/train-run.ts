// Training runs of a profile (resumable: the trainer skips finished work). Runs that differ only
// in seed can be trained together as replicas of one batched model (see replicaGroups).
import { presetConfig } from '../model/presets';
import { trainReplicas, TRAIN_DEFAULTS, TrainOptions, TrainSummary } from '../train/trainer';
import { runDir } from './paths';
import { RunSpec } from './profiles';

export function trainOptionsFor(profile: string, r: RunSpec, quiet = false): TrainOptions {
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

/** Trains the runs as one replica group (one run: an ordinary training). Failed replicas carry `error`. */
export function trainRuns(profile: string, runs: RunSpec[], quiet = false): Promise<TrainSummary[]> {
  return trainReplicas(runs.map((r) => trainOptionsFor(profile, r, quiet)));
}
