// The paper's per-token comparison averages per VOCABULARY token: for each token of the vocabulary
// (a byte value here), its mean activation ratio over all its occurrences in the held-out text, then
// those means compared across sizes. f3TokenStats compares token POSITIONS one by one, which mixes in
// the context of each occurrence. The committed measurements hold the per-position ratios in
// evaluation order; the evaluation set is a pure function of the corpus, its size and the context
// length, so the byte at each position is rebuilt here (and its count checked against the ratios).
import { evalSet, loadCorpus } from '../data';
import type { Results } from '../experiments/results';
import { Row } from './common';
import { measurementOf, tokenPairs } from './f3-patterns';
import { round } from './format';
import { pearson, spearman } from './stats';

/** Vocabulary tokens seen fewer times than this are left out (their mean is mostly noise). */
export const MIN_OCCURRENCES = 20;

/** Mean per-position ratio of each vocabulary token (id -> mean and count), tokens seen at least `minCount` times. */
export function perVocabularyMeans(tokenRatio: ArrayLike<number>, tokens: ArrayLike<number>, minCount = MIN_OCCURRENCES): Map<number, { mean: number; n: number }> {
  if (tokenRatio.length !== tokens.length) throw new Error(`per-token ratios (${tokenRatio.length}) and tokens (${tokens.length}) differ in length`);
  const sum = new Map<number, number>();
  const cnt = new Map<number, number>();
  for (let i = 0; i < tokens.length; i++) {
    sum.set(tokens[i], (sum.get(tokens[i]) ?? 0) + tokenRatio[i]);
    cnt.set(tokens[i], (cnt.get(tokens[i]) ?? 0) + 1);
  }
  const out = new Map<number, { mean: number; n: number }>();
  for (const [t, n] of cnt) if (n >= minCount) out.set(t, { mean: sum.get(t)! / n, n });
  return out;
}

/** Spearman and Pearson correlation of two models' per-vocabulary-token means, over the tokens both have. */
export function compareVocabulary(a: Map<number, { mean: number }>, b: Map<number, { mean: number }>): { tokens: number; spearman: number; pearson: number } {
  const ids = [...a.keys()].filter((t) => b.has(t)).sort((x, y) => x - y);
  const xa = ids.map((t) => a.get(t)!.mean);
  const xb = ids.map((t) => b.get(t)!.mean);
  return { tokens: ids.length, spearman: spearman(xa, xb), pearson: pearson(xa, xb) };
}

/** The input token at every evaluation position of a run's measurement, or null when it cannot be rebuilt. */
export type TokensOf = (evalTokens: number, context: number) => ArrayLike<number> | null;

/** Rebuilds the evaluation inputs from the corpus (a few seconds; cached per size). */
const cache = new Map<string, Uint8Array | Int32Array>();
let corpus: ReturnType<typeof loadCorpus> | undefined;

export function corpusTokens(): TokensOf {
  return (evalTokens, context) => {
    const key = `${evalTokens}|${context}`;
    if (!cache.has(key)) {
      corpus ??= loadCorpus();
      cache.set(key, evalSet(corpus, { tokens: evalTokens, context }).x as Uint8Array | Int32Array);
    }
    return cache.get(key)!;
  };
}

/** Per-vocabulary-token comparison for the same pairs as f3TokenStats. */
export function f3VocabularyStats(results: Results, tokensOf: TokensOf = corpusTokens()): Row[] {
  return tokenPairs(results).flatMap(({ kind, a, b }): Row[] => {
    const ma = measurementOf(results, a.id)!;
    const mb = measurementOf(results, b.id)!;
    const ta = tokensOf(results.profile.measure.evalTokens, ma.run.seqLen);
    const tb = tokensOf(results.profile.measure.evalTokens, mb.run.seqLen);
    if (!ta || !tb || ta.length !== ma.patterns.token_ratio.length || tb.length !== mb.patterns.token_ratio.length) {
      return [{ kind, a: a.label, b: b.label, vocabulary_tokens: null, spearman: null, pearson: null, note: 'evaluation tokens could not be rebuilt to match the measurement' }];
    }
    const c = compareVocabulary(perVocabularyMeans(ma.patterns.token_ratio, ta), perVocabularyMeans(mb.patterns.token_ratio, tb));
    return [{ kind, a: a.label, b: b.label, vocabulary_tokens: c.tokens, spearman: round(c.spearman, 3), pearson: round(c.pearson, 3), note: `byte values seen at least ${MIN_OCCURRENCES} times` }];
  });
}
