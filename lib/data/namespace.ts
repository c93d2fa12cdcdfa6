// What lib/index.ts exposes as `sl.data`: the corpus, batches and evaluation sets, and evaluation
// text read from files (for measuring downloaded checkpoints).
export * from './index';
export { readTextDocuments, corpusDocuments, byteTokens, tokenStream, textEvalSet, evalSetHash, dumpEvalSet } from './text-eval';
export type { TextEvalSet } from './text-eval';
