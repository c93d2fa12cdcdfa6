// What lib/index.ts exposes as `sl.model`.
export * from './config';
export { Model } from './model';
export type { ForwardOptions, ForwardResult, LayerCapture, LayerSparsifier } from './model';
export { PRESETS, presetConfig, presetNames, fixedParamShape } from './presets';
export { CHUNK_TOKENS, defaultRowsPerChunk, forEachChunk, passNll } from './pass';
export type { Chunk, EvalRows, PassOptions } from './pass';
