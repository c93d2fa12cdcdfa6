// Evaluation sets from a user's text (a plain text or JSONL file, or the project's corpus as text)
// tokenised by any tokenizer: documents are encoded one by one (so a tokenizer that adds BOS adds
// it at each document's start), concatenated, and cut into non-overlapping windows spread evenly
// over the stream, exactly as evalSet spreads them over the corpus.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';
import { spreadStarts } from './eval';
import { Corpus, Split } from './types';

/** A token-window evaluation set (MetricSet-compatible) and where it came from. */
export interface TextEvalSet {
  x: Int32Array;       // [rows * context] inputs
  y: Int32Array;       // [rows * context] targets (x shifted by one)
  rows: number;
  context: number;
  starts: Int32Array;  // per row: offset of x's first token in the token stream
  streamTokens: number;
  documents: number;
  source: string;
}

/**
 * Documents of a text file: `.jsonl` -> one per line (a JSON string, or an object with a `text`
 * field); anything else -> the whole file as one document.
 */
export function readTextDocuments(file: string): string[] {
  if (!fs.existsSync(file)) throw new UserError(`text file ${file} does not exist`);
  const raw = fs.readFileSync(file, 'utf8');
  if (!/\.jsonl$/i.test(file)) {
    if (raw.trim() === '') throw new UserError(`text file ${file} is empty`);
    return [raw];
  }
  const docs: string[] = [];
  raw.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new UserError(`${file}:${i + 1}: not valid JSON`);
    }
    const text = typeof v === 'string' ? v : (v as { text?: unknown })?.text;
    if (typeof text !== 'string') throw new UserError(`${file}:${i + 1}: expected a JSON string or an object with a "text" field`);
    if (text !== '') docs.push(text);
  });
  if (docs.length === 0) throw new UserError(`${file} holds no documents`);
  return docs;
}

/** The project's corpus split as text documents (split at the separator byte). */
export function corpusDocuments(corpus: Corpus, split: Split = 'val'): string[] {
  const data = split === 'train' ? corpus.train : corpus.val;
  const docs: string[] = [];
  let start = 0;
  for (let i = 0; i <= data.length; i++) {
    if (i === data.length || data[i] === corpus.separator) {
      if (i > start) docs.push(Buffer.from(data.subarray(start, i)).toString('utf8'));
      start = i + 1;
    }
  }
  return docs;
}

/** UTF-8 bytes as tokens (the project's own byte-level models). */
export function byteTokens(text: string): number[] {
  return Array.from(Buffer.from(text, 'utf8'));
}

export function tokenStream(docs: string[], encode: (text: string) => number[]): Int32Array {
  const parts = docs.map((d) => encode(d));
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** `rows` = ceil(tokens / context) windows of `context` inputs (+1 target) spread over the stream. */
export function textEvalSet(stream: Int32Array, opts: { tokens: number; context: number; source: string; documents?: number }): TextEvalSet {
  const { context } = opts;
  if (!Number.isSafeInteger(context) || context < 1) throw new UserError(`context must be a positive integer, got ${context}`);
  if (!Number.isSafeInteger(opts.tokens) || opts.tokens < 1) throw new UserError(`evaluation tokens must be a positive integer, got ${opts.tokens}`);
  const rows = Math.ceil(opts.tokens / context);
  const need = rows * context + 1;
  if (stream.length < need) {
    throw new UserError(`${opts.source} gives ${stream.length} tokens, but ${rows} rows of ${context} need ${need}: give a longer text, or fewer --eval-tokens or a shorter --context`);
  }
  const starts = spreadStarts(stream.length, rows, context, opts.source);
  const x = new Int32Array(rows * context);
  const y = new Int32Array(rows * context);
  starts.forEach((s, r) => {
    x.set(stream.subarray(s, s + context), r * context);
    y.set(stream.subarray(s + 1, s + context + 1), r * context);
  });
  return { x, y, rows, context, starts, streamTokens: stream.length, documents: opts.documents ?? 1, source: opts.source };
}

/** sha256 of the inputs and targets (int32 little-endian), so a second implementation can check it has the same windows. */
export function evalSetHash(set: { x: Int32Array; y: Int32Array }): string {
  const h = createHash('sha256');
  h.update(Buffer.from(set.x.buffer, set.x.byteOffset, set.x.byteLength));
  h.update(Buffer.from(set.y.buffer, set.y.byteOffset, set.y.byteLength));
  return h.digest('hex');
}

export const EVAL_DUMP_FILE = 'eval-set.json';

/**
 * Writes DIR/eval-set.json: every window's input tokens and its last target (the targets are the
 * inputs shifted by one), row starts, the hash and the source; enough to rerun the same tokens elsewhere.
 */
export function dumpEvalSet(set: { x: Int32Array; y: Int32Array; rows: number; context: number; starts: Int32Array }, dir: string, about: Record<string, unknown>): string {
  fs.mkdirSync(dir, { recursive: true });
  const T = set.context;
  const windows = Array.from({ length: set.rows }, (_, r) => [...Array.from(set.x.subarray(r * T, (r + 1) * T)), set.y[(r + 1) * T - 1]]);
  const file = path.join(dir, EVAL_DUMP_FILE);
  const body = { ...about, rows: set.rows, context: T, sha256: evalSetHash(set), starts: Array.from(set.starts), windows };
  writeFileAtomic(file, JSON.stringify(body) + '\n');
  return file;
}
