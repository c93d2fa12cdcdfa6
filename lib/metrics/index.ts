// Activation-sparsity metrics (method.md section 2): CETT thresholds, PPL-p% sparsity and the
// stabilising strategy, the baselines, and neuron activation patterns. See docs/metrics.md.
export * from './rows';
// The chunked pass lives under the model (every evaluation, training's included, goes through it); here for the metrics' users.
export { CHUNK_TOKENS, Chunk, PassOptions, defaultRowsPerChunk, downProj, forEachChunk, passNll } from '../model/pass';
export { DEFAULT_EVAL_TOKENS, MetricSet, checkEvalSet } from './eval-set';
export { clusteredMeanSe } from './clustered-se';
export {
  CettCurve, CettCurveBuilder, GridOptions, ThresholdResult, ThresholdStatus, cettCurve, cettDirect, cettSparsifiers, directCett, lowerBound,
  radixSortU32, thresholdByBisection,
} from './cett';
export { PplRatio, pplRatio } from './ppl';
export {
  CalibrateOptions, Calibration, CettMeasurement, CettSearch, PplPOptions, PplPResult, RowContext, SearchOptions, calibrate, cettLayerRows,
  cettRow, checkP, checkTol, denseNll, fixedCett, MAX_TOL, measureAtCett, pplPSparsity, rowContext, searchCett, searchSteps, thresholdsAt,
} from './ppl-p';
export { CheckpointRef, StabiliseOptions, StabilisedResult, runCheckpoints, stabilised } from './stabilise';
export {
  BASELINES, BASELINE_METHODS, BaselineDef, BaselineMethod, BaselineSpec, DEFAULT_FRACTIONS, DEFAULT_QUANTILES, SweepOptions, baselineInfo,
  baselineSparsifiers, baselineSweep, baselineSweepSize, checkBaseline, isBaselineMethod, measureBaseline, quantileThresholds, sortedAbsGate, topKMask,
} from './baselines';
export { DEAD_FREQUENCY, PatternOptions, PatternRule, Patterns, activationPatterns, patternRows } from './patterns';
export { CHUNK_ACTIVATIONS, CHUNK_LOGITS, CheckpointMetrics, CheckpointMetricsOptions, checkpointSteps, measureCheckpoint, rowsPerChunkFor } from './checkpoint';
