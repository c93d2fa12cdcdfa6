// The fixed held-out evaluation set: rows of `context` targets spread evenly (not randomly) over
// the validation split, so every run and every sparsity measurement sees the same bytes.
import { UserError } from '../util/errors';
import { domainIndex, domainRanges, domainsOfRange } from './domains';
import { Corpus, Split } from './types';

export interface EvalOptions {
  /** Target tokens wanted; rounded up to whole rows of `context`. */
  tokens: number;
  context: number;
  split?: Split; // default 'val'
}

export interface EvalSet {
  x: Int32Array;      // [rows * context], row-major
  y: Int32Array;      // x shifted by one
  rows: number;
  context: number;
  domain: Int32Array; // per target token (same layout as y): index into corpus.domains
  starts: Int32Array; // per row: offset in the split of x's first byte
}

function checkArgs(opts: EvalOptions): number {
  const { tokens, context } = opts;
  if (!Number.isSafeInteger(context) || context < 1) throw new RangeError(`evalSet: context must be a positive integer, got ${context}`);
  if (!Number.isSafeInteger(tokens) || tokens < 1) throw new RangeError(`evalSet: tokens must be a positive integer, got ${tokens}`);
  return Math.ceil(tokens / context);
}

/**
 * Row starts for `rows` non-overlapping windows (context inputs + 1 target past them) spread
 * evenly over n bytes: the uncovered bytes are shared out as equal gaps, half a gap at each end.
 */
export function spreadStarts(n: number, rows: number, context: number, what: string): Int32Array {
  const free = n - 1 - rows * context;
  if (free < 0) throw new UserError(`evalSet: ${rows} rows of ${context} tokens need ${rows * context + 1} bytes, but ${what} has ${n}; ask for fewer tokens or a larger valFraction`);
  const gap = free / rows;
  const starts = new Int32Array(rows);
  for (let r = 0; r < rows; r++) starts[r] = Math.floor(r * (context + gap) + gap / 2);
  return starts;
}

function fill(src: Uint8Array, starts: Int32Array, context: number): { x: Int32Array; y: Int32Array } {
  const x = new Int32Array(starts.length * context);
  const y = new Int32Array(starts.length * context);
  starts.forEach((s, r) => {
    for (let t = 0; t < context; t++) {
      x[r * context + t] = src[s + t];
      y[r * context + t] = src[s + t + 1];
    }
  });
  return { x, y };
}

/** Evaluation set over a whole split (default: validation), all domains in proportion to their size. */
export function evalSet(corpus: Corpus, opts: EvalOptions): EvalSet {
  const rows = checkArgs(opts);
  const { context } = opts;
  const split = opts.split ?? 'val';
  const data = split === 'train' ? corpus.train : corpus.val;
  const spans = split === 'train' ? corpus.trainDomains : corpus.valDomains;
  const starts = spreadStarts(data.length, rows, context, `the ${split} split`);
  const { x, y } = fill(data, starts, context);
  const domain = new Int32Array(rows * context);
  starts.forEach((s, r) => domainsOfRange(spans, s + 1, context, domain, r * context));
  return { x, y, rows, context, domain, starts };
}

/**
 * Evaluation set drawn only from one domain's documents (by name or index), spread evenly over
 * them: per-domain comparisons get the full requested size for every domain.
 */
export function evalSetForDomain(corpus: Corpus, domain: string | number, opts: EvalOptions): EvalSet {
  const rows = checkArgs(opts);
  const { context } = opts;
  const split = opts.split ?? 'val';
  const d = domainIndex(corpus, domain);
  const data = split === 'train' ? corpus.train : corpus.val;
  const ranges = domainRanges(corpus, split, d);
  // Gather the domain's documents into one stream (each already ends with the separator).
  const total = ranges.reduce((s, [a, b]) => s + b - a, 0);
  const src = new Uint8Array(total);
  const origin: number[] = []; // gathered offset where each range begins
  let at = 0;
  for (const [a, b] of ranges) {
    origin.push(at);
    src.set(data.subarray(a, b), at);
    at += b - a;
  }
  const local = spreadStarts(total, rows, context, `domain ${corpus.domains[d]} in the ${split} split`);
  const { x, y } = fill(src, local, context);
  const starts = local.map((s) => {
    let k = origin.length - 1;
    while (origin[k] > s) k--;
    return ranges[k][0] + (s - origin[k]);
  });
  return { x, y, rows, context, domain: new Int32Array(rows * context).fill(d), starts };
}

/** The rows of a set whose targets all belong to one domain (e.g. to split evalSet by domain). */
export function filterEvalSet(set: EvalSet, domain: number): EvalSet {
  const { context } = set;
  const keep: number[] = [];
  for (let r = 0; r < set.rows; r++) {
    let all = true;
    for (let t = 0; t < context && all; t++) all = set.domain[r * context + t] === domain;
    if (all) keep.push(r);
  }
  const pick = (a: Int32Array): Int32Array => {
    const out = new Int32Array(keep.length * context);
    keep.forEach((r, i) => out.set(a.subarray(r * context, (r + 1) * context), i * context));
    return out;
  };
  return {
    x: pick(set.x),
    y: pick(set.y),
    rows: keep.length,
    context,
    domain: pick(set.domain),
    starts: Int32Array.from(keep, (r) => set.starts[r]),
  };
}
