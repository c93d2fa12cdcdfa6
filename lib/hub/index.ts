// Measuring downloaded checkpoints: Hugging Face LLaMA-family and MiniCPM model directories
// (config mapping, sharded F32/F16/BF16 safetensors read tensor by tensor, their own tokenizer).
export { SUPPORTED_MODEL_TYPES, hubConfig, toHubConfig, isMiniCPM } from '../checkpoint/hf-config';
export { DTYPE_BYTES, decodeToFloat32 } from './dtype';
export { INDEX_FILE, SINGLE_FILE, TensorEntry, WeightFiles, readHeader } from './shards';
export { CONFIG_FILE, LoadOptions, LoadedModel, checkWeights, loadHubModel, readHubConfig, transposeTiled } from './load';
export { TOKENIZER_FILE, TextTokenizer, hasTokenizer, loadTokenizer } from './tokenizer';
export { HubEvalOptions, HubEvalSet, hubEvalSet } from './eval-set';
export { saveHubModel } from './save';
export { byteLevelTokenizerJson } from './byte-tokenizer';
