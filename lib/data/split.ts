// Train / validation split by document. Within each domain, documents are ranked by a hash of
// their id and the lowest-ranked round(f * n) (at least one, if the domain has two or more) go
// to validation. So the split is deterministic, disjoint, close to f in every domain (each
// domain can be evaluated alone), and the 5% set is contained in the 10% set.
import { createHash } from 'node:crypto';
import { Document } from './types';

export function docHash(id: string): string {
  return createHash('sha256').update(`split:${id}`).digest('hex');
}

export interface SplitDocs {
  train: Document[];
  val: Document[];
}

export function splitDocuments(docs: readonly Document[], valFraction: number): SplitDocs {
  const byDomain = new Map<string, Document[]>();
  for (const d of docs) {
    const list = byDomain.get(d.domain) ?? [];
    list.push(d);
    byDomain.set(d.domain, list);
  }
  const valIds = new Set<string>();
  for (const list of byDomain.values()) {
    const ranked = list
      .map((d) => ({ id: d.id, h: docHash(d.id) }))
      .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.id < b.id ? -1 : 1));
    const k = list.length < 2 ? 0 : Math.min(list.length - 1, Math.max(1, Math.round(valFraction * list.length)));
    for (const r of ranked.slice(0, k)) valIds.add(r.id);
  }
  // Both splits keep the input order (domain blocks stay contiguous).
  return { train: docs.filter((d) => !valIds.has(d.id)), val: docs.filter((d) => valIds.has(d.id)) };
}
