// What lib/index.ts exposes as `sl.train`.
export { train, TRAIN_DEFAULTS } from './trainer';
export type { TrainOptions, TrainSummary } from './trainer';
export { tokenLosses, meanLoss } from './evaluate';
