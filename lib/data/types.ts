// Shared shapes of the data module.

/** One source document before tokenisation. */
export interface Document {
  id: string;     // stable across runs, e.g. "brown/ca01", "nlp/doc-7"; the split hashes it
  domain: string; // e.g. "brown:news", "nlp:mixed"
  text: string;
}

/**
 * Which document (and so which domain) each byte of a split belongs to: document i covers
 * [starts[i], starts[i+1]) (the last one runs to the end), its trailing separator included.
 */
export interface DomainSpans {
  starts: Int32Array;
  domain: Int32Array; // index into Corpus.domains, one per document
  docIds: string[];
}

export interface DomainStats {
  name: string;
  trainDocs: number;
  valDocs: number;
  trainBytes: number;
  valBytes: number;
}

export interface CorpusStats {
  train: { bytes: number; docs: number };
  val: { bytes: number; docs: number };
  domains: DomainStats[];
  valFraction: number;
  separator: number;
  packages: Record<string, string>; // name -> installed version
}

export interface Corpus {
  train: Uint8Array;
  val: Uint8Array;
  trainDomains: DomainSpans;
  valDomains: DomainSpans;
  domains: string[];
  vocabSize: 256;
  separator: number;  // byte that ends every document
  hash: string;       // hash of the preparation inputs; names the cache file
  stats: CorpusStats;
  cachePath: string;  // '' for an in-memory corpus
  cacheStatus: 'hit' | 'built' | 'rebuilt' | 'memory'; // rebuilt: a damaged cache file was replaced
}

export type Split = 'train' | 'val';
