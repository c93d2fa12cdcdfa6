// nlp-corpus 4.4.0: builds/doc-<N>.json, each a JSON array of 1000 sentences. The package mixes
// its sources (SMS, Friends, lyrics, Wikipedia, reddit, legal, ...) and shuffles the sentences
// without recording where each came from, so the only honest domain label is "nlp:mixed".
// One file = one document (the package's own unit), one sentence per line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { damaged } from './packages';
import { Document } from './types';

const PKG = 'nlp-corpus';
export const NLP_DOMAIN = 'nlp:mixed';

/** One sentence on one line: inner newlines (ascii art, verse) fold to spaces; NUL is our separator. */
export function cleanSentence(s: string): string {
  return s.replace(/\0/g, ' ').replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function nlpDocuments(dir: string): Document[] {
  const builds = path.join(dir, 'builds');
  if (!fs.existsSync(builds)) throw damaged(PKG, 'builds/ missing');
  const files = fs
    .readdirSync(builds)
    .map((f) => /^doc-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  if (files.length === 0) throw damaged(PKG, 'no builds/doc-N.json files');
  return files.map((m) => {
    let arr: unknown;
    try {
      arr = JSON.parse(fs.readFileSync(path.join(builds, m[0]), 'utf8'));
    } catch (e) {
      throw damaged(PKG, `builds/${m[0]} is not valid JSON`);
    }
    if (!Array.isArray(arr) || !arr.every((s) => typeof s === 'string')) throw damaged(PKG, `builds/${m[0]} is not an array of strings`);
    const lines = (arr as string[]).map(cleanSentence).filter((s) => s.length > 0);
    return { id: `nlp/doc-${m[1]}`, domain: NLP_DOMAIN, text: lines.join('\n') };
  });
}
