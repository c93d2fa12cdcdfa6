// The evaluation set of a model directory: its own tokenizer when it has tokenizer.json (else UTF-8
// bytes, as the project's models read), over a user's text/JSONL file or the project's corpus.
import { corpusDocuments, byteTokens, readTextDocuments, textEvalSet, tokenStream, TextEvalSet } from '../data/text-eval';
import { loadCorpus } from '../data/corpus';
import { hasTokenizer, loadTokenizer } from './tokenizer';

export interface HubEvalOptions {
  /** A .txt file (one document) or .jsonl file (one document per line); default: the project's corpus, validation split. */
  text?: string;
  tokens: number;
  context: number;
  /** The model's vocab_size, checked against the tokenizer. */
  vocab: number;
}

export interface HubEvalSet extends TextEvalSet {
  tokenizer: string; // tokenizer.json path, or 'bytes'
}

export function hubEvalSet(dir: string, opts: HubEvalOptions): HubEvalSet {
  const tok = hasTokenizer(dir) ? loadTokenizer(dir, opts.vocab) : undefined;
  const docs = opts.text ? readTextDocuments(opts.text) : corpusDocuments(loadCorpus(), 'val');
  const stream = tokenStream(docs, tok ? tok.encode : byteTokens);
  const source = opts.text ?? 'the project corpus (validation split)';
  const set = textEvalSet(stream, { tokens: opts.tokens, context: opts.context, source, documents: docs.length });
  return { ...set, tokenizer: tok ? tok.source : 'bytes' };
}
