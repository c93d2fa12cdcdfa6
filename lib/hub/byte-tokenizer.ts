// A tokenizer.json whose ids are UTF-8 byte values: the project's byte-level models saved in the
// hub layout carry it, so hub tools (and our own loader) tokenise text exactly as they were trained.
// Byte-level BPE without merges: the ByteLevel pre-tokenizer maps each byte to one printable
// character (GPT-2's table), and the vocabulary maps that character back to the byte's value.

/** GPT-2's bytes_to_unicode: byte value -> the character ByteLevel uses for it. */
export function byteToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const out: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(keep.includes(b) ? b : 256 + extra++);
  return out;
}

export function byteLevelTokenizerJson(): Record<string, unknown> {
  const chars = byteToUnicode();
  const vocab: Record<string, number> = {};
  chars.forEach((c, b) => { vocab[c] = b; });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
  };
}
