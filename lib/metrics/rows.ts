// Result rows of the sparsity metrics: plain objects with scalar fields, one per measurement, so a
// list of them is a dataframe. Every ratio is a fraction in [0, 1]; the PPL ratio is >= 0 (1 =
// unchanged). Each row names the method and its knob, the checkpoint, the evaluation size and the
// backend, so rows from different runs can be concatenated and still be told apart. They are type
// aliases (not interfaces) so that they fit Record<string, unknown> (lib/plot's Row) as they are.
import { BASELINES, isBaselineMethod, type BaselineMethod } from './baseline-rules';

/** The CETT methods and their knobs (the baselines and theirs are in baseline-rules.ts). */
const CETT_KNOBS = {
  dense: '',          // no sparsification (reference)
  cett: 'cett',       // CETT thresholds at a fixed CETT value (param = CETT)
  'ppl-p': 'p',       // PPL-p% search on one checkpoint (param = p)
  'ppl-p-stable': 'p', // fixed CETT from the stabilising strategy over a run's last k checkpoints (param = p)
} as const;

export type MethodName = keyof typeof CETT_KNOBS | BaselineMethod;

/** Where a measurement came from. */
export type RowLabel = {
  method: MethodName;
  param: number | null;      // the method's knob (see MethodName); null when it has none
  param_name: string;        // 'p', 'cett', 'eps', 'k', 'q' or ''
  checkpoint: string;        // checkpoint directory (or a caller-given name)
  tokens: number | null;     // training tokens of the checkpoint, when known
  eval_tokens: number;       // evaluation-set size in tokens (targets)
  backend: string;
};

/** One measurement of a whole model. */
export type SparsityRow = RowLabel & {
  activation_ratio: number;            // "real": mean over layers of the kept fraction in the sparse pass
  activation_ratio_calc: number | null; // "calc": the same from calibration (dense activations), where defined
  sparsity_ratio: number;              // 1 - activation_ratio
  ppl_ratio: number;                   // exp(mean sparse NLL - mean dense NLL)
  ppl_ratio_se: number;                // standard error of ppl_ratio (clustered by evaluation row)
  dense_loss: number;                  // mean dense NLL, nats per token
  cett: number | null;                 // the shared CETT value (cett / ppl-p methods)
  saturated: boolean | null;           // ppl-p: the search never exceeded 1 + p below CETT 1
};

/** One layer of a measurement (thresholds and per-layer ratios). */
export type LayerRow = RowLabel & {
  layer: number;
  threshold: number | null;            // CETT threshold t_l on |a_i| * ||W_out[:, i]|| (null: none or infinite)
  threshold_status: string;            // see ThresholdStatus in cett.ts; '' for non-CETT methods
  cett_at_threshold: number | null;    // calibration CETT reached by t_l (<= the target)
  activation_ratio: number;            // real, this layer
  activation_ratio_calc: number | null; // calc, this layer
};

/** One step of a bisection over the shared CETT value. */
export type SearchRow = {
  iteration: number;
  cett: number;
  ppl_ratio: number;                   // mean over the searched checkpoints
  ppl_ratio_se: number;                // the largest standard error among them
  activation_ratio: number;            // mean over the searched checkpoints
  accepted: boolean;                   // ppl_ratio <= 1 + p (becomes the new lower end)
};

export function labelOf(
  method: MethodName, param: number | null, ctx: { checkpoint: string; tokens: number | null; evalTokens: number; backend: string },
): RowLabel {
  const knob = isBaselineMethod(method) ? BASELINES[method].knob : CETT_KNOBS[method];
  return {
    method, param, param_name: knob, checkpoint: ctx.checkpoint, tokens: ctx.tokens, eval_tokens: ctx.evalTokens, backend: ctx.backend,
  };
}

/** The name of the PPL-p% level of p (a fraction): 0.01 -> 'PPL-1%', 0.05 -> 'PPL-5%', 0.075 -> 'PPL-7.5%'. */
export function pplLabel(p: number): string {
  return `PPL-${Number((100 * p).toPrecision(3))}%`;
}

/** Mean of per-layer fractions (the model's ratio, as in the paper). */
export function meanOf(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN;
}

/** Activation patterns of one rule on one (possibly domain-restricted) set: the model summary. */
export type PatternRow = RowLabel & {
  domain: string;                // corpus domain name, or 'all'
  pattern_tokens: number;        // tokens the pattern was computed on
  activation_ratio: number;      // mean over layers
  dead_ratio: number;            // mean over layers of the fraction of neurons active on < 0.1% of tokens
  token_ratio_p10: number;       // percentiles of the per-token activation ratio
  token_ratio_p50: number;
  token_ratio_p90: number;
};

/** One layer of a pattern. */
export type PatternLayerRow = RowLabel & {
  domain: string;
  layer: number;
  activation_ratio: number;
  dead_ratio: number;
};

/** One neuron of a pattern: the fraction of tokens on which it is active. */
export type NeuronRow = RowLabel & {
  domain: string;
  layer: number;
  neuron: number;
  frequency: number;
};
