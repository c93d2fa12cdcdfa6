// The data module: corpus preparation and caching, batches, evaluation sets.
export * from './types';
export { loadCorpus, corpusCacheKey, corpusFromDocuments, LoadCorpusOptions, DATA_CODE_VERSION, SEPARATOR, DEFAULT_VAL_FRACTION } from './corpus';
export { trainBatch, BatchOptions, Batch, BATCH_KEY } from './batch';
export { evalSet, evalSetForDomain, filterEvalSet, EvalOptions, EvalSet } from './eval';
export { domainAt, docIndexAt, domainsOfRange, domainIndex, domainRanges } from './domains';
export { detokenize, brownFileText, parseToken } from './brown';
export { splitDocuments, docHash } from './split';
export { formatStats } from './stats';
