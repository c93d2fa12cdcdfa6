// Byte offset -> document / domain lookups over DomainSpans (binary search: spans are sorted).
import { Corpus, DomainSpans, Split } from './types';

/** Index of the document containing byte `offset` (offset must be inside the split). */
export function docIndexAt(spans: DomainSpans, offset: number): number {
  const s = spans.starts;
  if (s.length === 0 || offset < 0) throw new RangeError(`offset ${offset} outside the split`);
  let lo = 0;
  let hi = s.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Domain index (into Corpus.domains) of the byte at `offset`. */
export function domainAt(spans: DomainSpans, offset: number): number {
  return spans.domain[docIndexAt(spans, offset)];
}

/** Domain index of every byte in [from, from + n), without a search per byte. */
export function domainsOfRange(spans: DomainSpans, from: number, n: number, out = new Int32Array(n), outOffset = 0): Int32Array {
  let d = docIndexAt(spans, from);
  let nextStart = d + 1 < spans.starts.length ? spans.starts[d + 1] : Infinity;
  for (let i = 0; i < n; i++) {
    while (from + i >= nextStart) {
      d++;
      nextStart = d + 1 < spans.starts.length ? spans.starts[d + 1] : Infinity;
    }
    out[outOffset + i] = spans.domain[d];
  }
  return out;
}

/** Resolve a domain given by name or index; unknown names list the valid ones. */
export function domainIndex(corpus: Corpus, domain: string | number): number {
  const i = typeof domain === 'number' ? domain : corpus.domains.indexOf(domain);
  if (!Number.isInteger(i) || i < 0 || i >= corpus.domains.length) {
    throw new RangeError(`unknown domain ${JSON.stringify(domain)}; known: ${corpus.domains.join(', ')}`);
  }
  return i;
}

/** [start, end) byte ranges of one domain's documents in a split, in stream order. */
export function domainRanges(corpus: Corpus, split: Split, domain: number): Array<[number, number]> {
  const spans = split === 'train' ? corpus.trainDomains : corpus.valDomains;
  const total = (split === 'train' ? corpus.train : corpus.val).length;
  const out: Array<[number, number]> = [];
  for (let i = 0; i < spans.starts.length; i++) {
    if (spans.domain[i] !== domain) continue;
    const end = i + 1 < spans.starts.length ? spans.starts[i + 1] : total;
    const last = out[out.length - 1];
    if (last && last[1] === spans.starts[i]) last[1] = end; // merge neighbours
    else out.push([spans.starts[i], end]);
  }
  return out;
}
