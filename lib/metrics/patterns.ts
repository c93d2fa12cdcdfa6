// Activation patterns of a rule: how often each neuron is active, which neurons are dead (active on
// under 0.1% of tokens), the activation ratio of every token and of every layer, optionally
// restricted to the tokens of one corpus domain.
import { Model } from '../model/model';
import { UserError } from '../util/errors';
import { forEachChunk } from '../model/pass';
import { checkEvalSet, MetricSet } from './eval-set';
import { baselineSparsifiers } from './baselines';
import { cettSparsifiers } from './cett';
import { labelOf, MethodName, NeuronRow, PatternLayerRow, PatternRow } from './rows';
import type { RowContext } from './ppl-p';

/** A neuron is dead when it is active on fewer than this fraction of tokens. */
export const DEAD_FREQUENCY = 0.001;

export type PatternRule =
  | { method: 'zero' }                         // s_i != 0
  | { method: 'fat'; eps: number }             // |s_i| >= eps
  | { method: MethodName & ('cett' | 'ppl-p' | 'ppl-p-stable'); param: number; thresholds: number[]; norms: Float32Array[] }; // fround(|a_i| norm_i) >= t_l

export interface PatternOptions {
  /** Only tokens whose target belongs to this domain (index into the corpus's domains; needs set.domain). */
  domain?: number;
  /**
   * Apply the rule in the forward pass, so each layer sees sparsified inputs and the masks are the
   * real ones, matching the reported (real) activation ratio. Default true; false: masks on dense
   * activations (the calibration view). Makes no difference for the zero count.
   */
  sparse?: boolean;
  rowsPerChunk?: number;
}

export interface Patterns {
  rule: PatternRule['method'];
  param: number | null;
  domain: number | null;
  tokens: number;              // tokens counted
  frequency: Float32Array[];   // per layer [dFF]: fraction of the counted tokens on which the neuron is active
  deadRatio: number[];         // per layer: fraction of neurons with frequency < DEAD_FREQUENCY
  layerRatio: number[];        // per layer: fraction of (token, neuron) pairs active
  tokenRatio: Float32Array;    // per counted token: mean over layers of its active fraction
  activationRatio: number;     // mean of layerRatio
}

function keepOf(rule: PatternRule, l: number, s: Float32Array, a: Float32Array, dFF: number, out: Uint8Array): void {
  switch (rule.method) {
    case 'zero': for (let i = 0; i < s.length; i++) out[i] = s[i] !== 0 ? 1 : 0; return;
    case 'fat': for (let i = 0; i < s.length; i++) out[i] = Math.abs(s[i]) >= rule.eps ? 1 : 0; return;
    default: {
      const t = rule.thresholds[l];
      const nrm = rule.norms[l];
      const key = new Float32Array(1); // float32 product, as in calibration and the sparse pass
      for (let i = 0; i < a.length; i++) { key[0] = Math.abs(a[i]) * nrm[i % dFF]; out[i] = key[0] >= t ? 1 : 0; }
    }
  }
}

export function activationPatterns(model: Model, set: MetricSet, rule: PatternRule, opts: PatternOptions = {}): Patterns {
  checkEvalSet(model, set);
  const { layers: L, dFF } = model.config;
  if (rule.method === 'zero' && model.config.act !== 'relu') throw new UserError(`the zero count is for ReLU models only (this one uses ${model.config.act})`);
  if (rule.method === 'fat' && !(rule.eps > 0)) throw new UserError(`FAT eps must be > 0, got ${rule.eps}`);
  if ('thresholds' in rule && (rule.thresholds.length !== L || rule.norms.length !== L)) throw new UserError(`pattern rule: need ${L} thresholds and norms`);
  const dom = opts.domain;
  if (dom !== undefined && !set.domain) throw new UserError('a domain restriction needs an evaluation set with per-token domains (from evalSet)');
  const sp = opts.sparse === false || rule.method === 'zero' ? undefined
    : 'thresholds' in rule ? cettSparsifiers(rule.norms, rule.thresholds) : baselineSparsifiers({ method: 'fat', eps: rule.eps }, model);
  const counts = Array.from({ length: L }, () => new Float64Array(dFF));
  const layerActive = new Float64Array(L);
  const tokenRatio: number[] = [];
  let buf = new Uint8Array(0); // keep flags of one layer of one chunk
  let counted = 0;
  forEachChunk(model, set, { rowsPerChunk: opts.rowsPerChunk, capture: { s: true, a: true }, sparsify: sp ? () => sp : undefined }, (ch) => {
    const base = ch.start * set.context;
    const use = new Uint8Array(ch.tokens);
    for (let j = 0; j < ch.tokens; j++) use[j] = dom === undefined || set.domain![base + j] === dom ? 1 : 0;
    const perToken = new Float64Array(ch.tokens);
    if (buf.length !== ch.tokens * dFF) buf = new Uint8Array(ch.tokens * dFF);
    for (let l = 0; l < L; l++) {
      keepOf(rule, l, ch.s![l], ch.a![l], dFF, buf);
      const cnt = counts[l];
      for (let j = 0; j < ch.tokens; j++) {
        if (!use[j]) continue;
        let row = 0;
        for (let i = 0; i < dFF; i++) { const k = buf[j * dFF + i]; cnt[i] += k; row += k; }
        perToken[j] += row / dFF / L;
        layerActive[l] += row;
      }
    }
    for (let j = 0; j < ch.tokens; j++) if (use[j]) { tokenRatio.push(perToken[j]); counted++; }
  });
  if (counted === 0) throw new UserError(dom === undefined ? 'the evaluation set is empty' : `no tokens of domain ${dom} in the evaluation set`);
  const frequency = counts.map((c) => Float32Array.from(c, (v) => v / counted));
  const deadRatio = frequency.map((f) => f.reduce((s, v) => s + (v < DEAD_FREQUENCY ? 1 : 0), 0) / dFF);
  const layerRatio = Array.from(layerActive, (v) => v / (counted * dFF));
  return {
    rule: rule.method, param: rule.method === 'zero' ? null : rule.method === 'fat' ? rule.eps : rule.param,
    domain: dom ?? null, tokens: counted, frequency, deadRatio, layerRatio,
    tokenRatio: Float32Array.from(tokenRatio), activationRatio: layerRatio.reduce((s, v) => s + v, 0) / L,
  };
}

function percentile(sorted: Float32Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))] : NaN;
}

/** Dataframe rows of a pattern: the summary, one row per layer, one per neuron. */
export function patternRows(p: Patterns, ctx: RowContext, domainName = 'all'): { summary: PatternRow; layers: PatternLayerRow[]; neurons: NeuronRow[] } {
  const sorted = p.tokenRatio.slice().sort();
  const base = { ...labelOf(p.rule, p.param, ctx), domain: domainName };
  return {
    summary: {
      ...base, pattern_tokens: p.tokens, activation_ratio: p.activationRatio,
      dead_ratio: p.deadRatio.reduce((s, v) => s + v, 0) / p.deadRatio.length,
      token_ratio_p10: percentile(sorted, 0.1), token_ratio_p50: percentile(sorted, 0.5), token_ratio_p90: percentile(sorted, 0.9),
    },
    layers: p.layerRatio.map((r, l) => ({ ...base, layer: l, activation_ratio: r, dead_ratio: p.deadRatio[l] })),
    neurons: p.frequency.flatMap((f, l) => Array.from(f, (v, i) => ({ ...base, layer: l, neuron: i, frequency: v }))),
  };
}
