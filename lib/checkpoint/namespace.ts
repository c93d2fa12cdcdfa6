// What lib/index.ts exposes as `sl.checkpoint`.
export { loadCheckpoint, saveCheckpoint, readCheckpointConfig } from './hf';
export { readSafetensors, writeSafetensors } from './safetensors';
export { listCheckpoints, readLog } from './run-dir';
