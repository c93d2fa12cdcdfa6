// What lib/index.ts exposes as `sl.results`.
export { PROFILES, getProfile } from './profiles';
export type { Profile, RunSpec, MeasureSpec, Finding } from './profiles';
export { loadResults, resultsForNotebook, presentResults, hasResults, runProfile } from './results';
export { reproduceProfile } from './reproduce';
export type { ReproduceOptions, ReproduceSummary } from './reproduce';
export type { Results, ResultsSource } from './results';
export { makeSnapshot, refitSnapshot } from './snapshot';
export { snapshotDir } from './paths';
export type { RunMeasurement } from './measure-run';
export { fitTrajectories, seriesOf } from './aggregate';
export { isFitOk, TABLE_SHAPES } from './schema';
export type * from './schema';
export { resultFrames } from './frames';
export type { ResultFrames } from './frames';
