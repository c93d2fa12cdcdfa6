// The public API of sparsing-law: what notebooks and users' scripts import by package name.
export * from './plot';
export * from './laws';
export { initBackend, backendName, backendDetail, BACKEND_ENV } from './backend/select';
export { tf } from './backend/tf';
export * from './model/config';
export { Model } from './model/model';
export type { ForwardOptions, ForwardResult, LayerCapture, LayerSparsifier } from './model/model';
export { PRESETS, presetConfig, presetNames, fixedParamShape } from './model/presets';
export { loadCheckpoint, saveCheckpoint, readCheckpointConfig } from './checkpoint/hf';
export { readSafetensors, writeSafetensors } from './checkpoint/safetensors';
export { train, TRAIN_DEFAULTS } from './train/trainer';
export type { TrainOptions, TrainSummary } from './train/trainer';
export { listCheckpoints, readLog, readRunFile } from './train/run-files';
export { tokenLosses, meanLoss } from './train/evaluate';
export { loadCorpus, evalSet, evalSetForDomain, filterEvalSet, trainBatch, formatStats } from './data';
export type { Corpus, EvalSet } from './data';
export { rngFor, Rng } from './util/rng';
export { UserError } from './util/errors';
