// A hub model's own tokenizer (tokenizer.json, plus tokenizer_config.json when present), run by
// @huggingface/tokenizers (the pure-JS tokenizer of transformers.js), checked against the model's
// vocabulary size.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '../util/errors';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';

export interface TextTokenizer {
  /** Token ids of one document; special tokens (e.g. LLaMA's BOS) added as the tokenizer's post-processor says. */
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** Largest id the tokenizer can produce, plus one. */
  size: number;
  source: string;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new UserError(`${file} is not valid JSON`);
  }
}

export function hasTokenizer(dir: string): boolean {
  return fs.existsSync(path.join(dir, TOKENIZER_FILE));
}

/** Loads DIR/tokenizer.json; every id it can produce must be below `vocab` (the model's vocab_size). */
export function loadTokenizer(dir: string, vocab?: number): TextTokenizer {
  const file = path.join(dir, TOKENIZER_FILE);
  if (!fs.existsSync(file)) {
    const sp = fs.existsSync(path.join(dir, 'tokenizer.model')) ? ' (only a SentencePiece tokenizer.model: write tokenizer.json with transformers: AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR))' : '';
    throw new UserError(`no ${TOKENIZER_FILE} in ${dir}${sp}`);
  }
  const json = readJson(file);
  const cfgFile = path.join(dir, TOKENIZER_CONFIG_FILE);
  const config = fs.existsSync(cfgFile) ? readJson(cfgFile) : {};
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw new UserError(`${file}: the tokenizer could not be built (${(e as Error).message.split('\n')[0]})`);
  }
  let size = 0;
  for (const id of tok.get_vocab(true).values()) size = Math.max(size, id + 1);
  if (vocab !== undefined && size > vocab) {
    throw new UserError(`${file}: the tokenizer has ids up to ${size - 1}, but the model's vocab_size is ${vocab} (tokenizer and model do not match)`);
  }
  return {
    encode: (text) => tok.encode(text).ids,
    decode: (ids) => tok.decode(ids),
    size,
    source: file,
  };
}
