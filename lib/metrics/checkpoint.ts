// Every metric of one model on one evaluation set, in the order the sparsity command prints them:
// PPL-p% (searched), fixed CETT values, optionally the baselines and the activation patterns.
// One calibration pass is shared by all; each further step is one sparse pass over the set.
import { ModelConfig } from '../model/config';
import { Model } from '../model/model';
import { activationPatterns, patternRows, PatternRule } from './patterns';
import { calibrate, fixedCett, pplPSparsity, rowContext, SearchOptions, searchSteps } from './ppl-p';
import { CHUNK_TOKENS } from '../model/pass';
import { MetricSet } from './eval-set';
import { baselineSweep } from './baselines';
import { LayerRow, NeuronRow, PatternLayerRow, PatternRow, SearchRow, SparsityRow } from './rows';

/** Logit entries per chunk (tokens x vocab): 256 MB of float32, so a 120k-token vocabulary still fits. */
export const CHUNK_LOGITS = 2 ** 26;
/**
 * Activation entries per chunk: one forward pass keeps every layer's intermediates until the chunk
 * ends (about 6 dFF + 8 d floats per token and layer), so large models get fewer rows per chunk.
 */
export const CHUNK_ACTIVATIONS = 2 ** 28;

/** Rows per chunk: CHUNK_TOKENS tokens, fewer for a large vocabulary or a large model (at least one row). */
export function rowsPerChunkFor(c: ModelConfig, context: number): number {
  const perToken = c.layers * (6 * c.dFF + 8 * c.d);
  return Math.max(1, Math.floor(Math.min(CHUNK_TOKENS, CHUNK_LOGITS / c.vocab, CHUNK_ACTIVATIONS / perToken) / context));
}

export interface CheckpointMetricsOptions extends SearchOptions {
  /** Default rowsPerChunkFor(config, context). */
  rowsPerChunk?: number;
  p: number;
  tol?: number;
  name?: string;
  tokens?: number | null;
  cetts?: number[];
  baselines?: boolean;
  /** Calibration set of the quantile baseline (default: the evaluation set). */
  calib?: MetricSet;
  patterns?: boolean;
  /** Patterns on this set instead of the evaluation set (e.g. one corpus domain), with its label. */
  patternSet?: { set: MetricSet; name: string; domain?: number };
  onStep?: (what: string) => void;
  /** Progress inside the calibration pass (rows done, total rows), before its onStep. */
  onCalibrate?: (rows: number, total: number) => void;
}

export interface CheckpointMetrics {
  rows: SparsityRow[];
  layers: LayerRow[];
  search: SearchRow[];
  cett: number;
  patterns?: { summary: PatternRow[]; layers: PatternLayerRow[]; neurons: NeuronRow[] };
  seconds: { calibrate: number; search: number; rest: number };
}

/** Number of onStep calls measureCheckpoint makes at most (for a progress bar). */
export function checkpointSteps(opts: { tol: number; cetts: number; baselines: boolean; patterns: boolean }): number {
  return 1 + searchSteps(opts.tol) + 2 + opts.cetts + (opts.baselines ? 21 : 0) + (opts.patterns ? 2 : 0);
}

export function measureCheckpoint(model: Model, set: MetricSet, opts: CheckpointMetricsOptions): CheckpointMetrics {
  const step = opts.onStep ?? (() => undefined);
  const search = { search: opts.search, grid: opts.grid };
  const t0 = Date.now();
  const rowsPerChunk = opts.rowsPerChunk ?? rowsPerChunkFor(model.config, set.context);
  const cal = calibrate(model, set, {
    name: opts.name, tokens: opts.tokens ?? null, rowsPerChunk,
    onProgress: (rows, total) => { if (rows < total) opts.onCalibrate?.(rows, total); },
  });
  step('calibrated');
  const t1 = Date.now();
  const r = pplPSparsity(cal, opts.p, { ...search, tol: opts.tol, onStep: (s) => step(`cett ${s.cett.toFixed(4)} ppl ratio ${s.ppl_ratio.toFixed(4)}`) });
  const t2 = Date.now();
  const out: CheckpointMetrics = { rows: [r.row], layers: [...r.layers], search: r.steps, cett: r.row.cett!, seconds: { calibrate: (t1 - t0) / 1000, search: (t2 - t1) / 1000, rest: 0 } };
  for (const c of opts.cetts ?? []) {
    const f = fixedCett(cal, c, search);
    out.rows.push(f.row);
    out.layers.push(...f.layers);
    step(`cett ${c}`);
  }
  if (opts.baselines) {
    const b = baselineSweep(cal, { onStep: step, calib: opts.calib });
    out.rows.push(...b.rows);
    out.layers.push(...b.layers);
  }
  if (opts.patterns) {
    const rules: PatternRule[] = [{ method: 'ppl-p', param: opts.p, thresholds: r.layers.map((l) => l.threshold ?? Infinity), norms: cal.norms }];
    if (model.config.act !== 'silu') rules.unshift({ method: 'zero' }); // ReLU-like gates have exact zeros
    const ps = opts.patternSet ?? { set, name: 'all' };
    const pr = rules.map((rule) => patternRows(activationPatterns(model, ps.set, rule, { domain: ps.domain, rowsPerChunk: cal.rowsPerChunk }), rowContext(cal), ps.name));
    out.patterns = { summary: pr.map((x) => x.summary), layers: pr.flatMap((x) => x.layers), neurons: pr.flatMap((x) => x.neurons) };
    step('patterns');
  }
  out.seconds.rest = (Date.now() - t2) / 1000;
  return out;
}
