// The quick start (notebook 00): train a tiny model for about a minute with train(), then measure
// its PPL-1% sparsity on the last checkpoint with lib/metrics, next to a sweep of fixed CETT values
// (the curve PPL-1% picks its point from) and, for ReLU, the plain zero count.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCheckpoint } from '../checkpoint/hf';
import { evalSet, loadCorpus } from '../data';
import { hasExactZeros, type Activation } from '../model/activations';
import { paramCounts } from '../model/config';
import { presetConfig } from '../model/presets';
import { activationPatterns, calibrate, fixedCett, pplPSparsity, type SparsityRow } from '../metrics';
import { concatCharts, lineChart, scatterChart, type TopLevelSpec } from '../plot';
import { TRAIN_DEFAULTS, type TrainOptions } from '../train/trainer';
import { listCheckpoints } from '../checkpoint/run-dir';
import { Row } from './common';
import { fmt, fmtCount, pct, round } from './format';

/** Training tokens of the quick start: about a minute on one core; the smoke profile (CI) takes a tenth. */
export const QUICK_START_TOKENS = { full: 2_000_000, smoke: 60_000 };
const SWEEP = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4];

/** Options for train(): a d32-l1 model (16k non-embedding parameters) in a fresh temporary folder. */
export function quickStartOptions(o: { act?: Activation; preset?: string; tokens?: number; dir?: string } = {}): TrainOptions {
  const smoke = process.env.SPARSING_PROFILE === 'smoke';
  const tokens = o.tokens ?? (smoke ? QUICK_START_TOKENS.smoke : QUICK_START_TOKENS.full);
  const model = presetConfig(o.preset ?? 'd32-l1', o.act ?? 'relu');
  return {
    ...TRAIN_DEFAULTS,
    runDir: o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sparsing-quickstart-')),
    model, preset: o.preset ?? 'd32-l1', seqLen: 64, totalTokens: tokens,
    warmupSteps: smoke ? 10 : TRAIN_DEFAULTS.warmupSteps,
    checkpointFirstTokens: Math.round(tokens / 8), evalTokens: 4096, quiet: true,
  };
}

/** The options in words, for the notebook. */
export function describeQuickStart(o: TrainOptions): string {
  const p = paramCounts(o.model);
  return `${o.model.act.toUpperCase()} model d=${o.model.d}, ${o.model.layers} layer(s), d_ff=${o.model.dFF}: ${fmtCount(p.nonEmbedding)} non-embedding parameters; ` +
    `${fmtCount(o.totalTokens)} training tokens in batches of ${o.batchSize} x ${o.seqLen}, lr ${o.lr}, checkpoints from ${fmtCount(o.checkpointFirstTokens)} tokens; run folder ${o.runDir}`;
}

export interface QuickStartMeasurement {
  act: Activation;
  checkpoints: Row[];          // tokens and validation loss of every checkpoint
  ppl1: SparsityRow;           // PPL-1% on the last checkpoint
  sweep: SparsityRow[];        // fixed CETT values on the last checkpoint
  zeroRatio: number | null;    // ReLU: fraction of exactly non-zero gate activations
  evalTokens: number;
}

/** Measures the last checkpoint of a finished run: PPL-1%, a CETT sweep, and the zero count (ReLU). */
export function quickStartMeasure(runDir: string, o: { evalTokens?: number } = {}): QuickStartMeasurement {
  const cks = listCheckpoints(runDir);
  if (!cks.length) throw new Error(`${runDir} has no checkpoints: run train() first`);
  const last = cks[cks.length - 1];
  const model = loadCheckpoint(last.dir);
  try {
    const evalTokens = o.evalTokens ?? (process.env.SPARSING_PROFILE === 'smoke' ? 2048 : 8192);
    const set = evalSet(loadCorpus(), { tokens: evalTokens, context: Math.min(64, model.config.context) });
    const cal = calibrate(model, set, { name: path.basename(last.dir), tokens: last.tokens });
    const ppl1 = pplPSparsity(cal, 0.01).row;
    const sweep = SWEEP.map((c) => fixedCett(cal, c).row);
    const zeroRatio = hasExactZeros(model.config.act) ? activationPatterns(model, set, { method: 'zero' }).activationRatio : null;
    return {
      act: model.config.act, ppl1, sweep, zeroRatio, evalTokens: set.rows * set.context,
      checkpoints: cks.map((c) => ({ tokens: c.tokens, val_loss: round(c.val_loss) })),
    };
  } finally {
    model.dispose();
  }
}

/** The one table: PPL-1% against the zero count and a few fixed CETT values. */
export function quickStartTable(m: QuickStartMeasurement): Row[] {
  const row = (rule: string, r: { activation_ratio: number; ppl_ratio: number; cett: number | null }) => ({
    rule, cett: round(r.cett), activation_ratio: round(r.activation_ratio), ppl_ratio: round(r.ppl_ratio, 5),
  });
  return [
    row(m.ppl1.saturated ? 'PPL-1% (searched CETT; SATURATED: perplexity never rose by 1%)' : 'PPL-1% (searched CETT)', m.ppl1),
    ...(m.zeroRatio !== null ? [row('zero count (s != 0)', { activation_ratio: m.zeroRatio, ppl_ratio: 1, cett: null })] : []),
    ...m.sweep.map((r) => row(`fixed CETT ${fmt(r.cett)}`, r)),
  ];
}

/** Validation loss per checkpoint, and PPL ratio against activation ratio with the PPL-1% point. */
export function quickStartSpec(m: QuickStartMeasurement): TopLevelSpec {
  const loss = lineChart(m.checkpoints, { x: 'tokens', y: 'val_loss', logX: true, title: 'Validation loss while training', xTitle: 'training tokens', yTitle: 'loss (nats per byte)', width: 300, height: 220 });
  const pts: Row[] = [
    ...m.sweep.map((r) => ({ point: 'fixed CETT', activation_ratio: r.activation_ratio, ppl_ratio: r.ppl_ratio, cett: r.cett })),
    { point: m.ppl1.saturated ? 'PPL-1% (search saturated)' : 'PPL-1%', activation_ratio: m.ppl1.activation_ratio, ppl_ratio: m.ppl1.ppl_ratio, cett: m.ppl1.cett },
    // Dropping exact zeros changes nothing, so the zero count sits at PPL ratio 1.
    ...(m.zeroRatio !== null ? [{ point: 'zero count (ReLU)', activation_ratio: m.zeroRatio, ppl_ratio: 1, cett: null }] : []),
  ];
  // PPL-1% is one more point on the same CETT curve: draw the curve through it.
  const curve = [...m.sweep, m.ppl1].map((r) => ({ point: 'fixed CETT', activation_ratio: r.activation_ratio, ppl_ratio: r.ppl_ratio }));
  const trade = scatterChart(pts, {
    x: 'activation_ratio', y: 'ppl_ratio', color: 'point', colorTitle: '', fit: { data: curve, dashed: false }, size: 70, hRules: [1.01],
    colorScale: { domain: ['fixed CETT', 'PPL-1%', 'PPL-1% (search saturated)', 'zero count (ReLU)'], range: ['#999999', '#222222', '#e45756', '#d62728'] },
    title: 'Sparser costs perplexity: PPL-1% stops at the dotted line, 1.01', xTitle: 'activation ratio', yTitle: 'PPL ratio (sparse / dense)', width: 300, height: 220, tooltip: ['cett'],
  });
  return concatCharts([loss, trade]);
}

export function quickStartNarrative(m: QuickStartMeasurement): string {
  const first = m.checkpoints[0];
  const last = m.checkpoints[m.checkpoints.length - 1];
  const z = m.zeroRatio;
  return [
    `The model trained to ${fmtCount(last.tokens as number)} tokens; its validation loss went from ${fmt(last === first ? null : (first.val_loss as number), 4)} at ${fmtCount(first.tokens as number)} tokens to ${fmt(last.val_loss as number, 4)}.`,
    `On ${m.evalTokens} held-out tokens, PPL-1% found CETT ${fmt(m.ppl1.cett)}: with every layer cut at that CETT, ${pct(m.ppl1.activation_ratio)} of the FFN neurons stay active and the perplexity rises by a factor ${fmt(m.ppl1.ppl_ratio, 4)} (target 1.01).`,
    m.ppl1.saturated
      ? `**The search saturated:** even at the largest CETT (${fmt(m.ppl1.cett)}) the perplexity rose by less than 1%, so this model is too barely trained for PPL-1% to measure anything; the ratio above is where the search stopped, and no comparison with the zero count is made.`
      : z !== null ? `The plain zero count of this ReLU model says ${pct(z)} are active, so PPL-1% is ${pct(1 - m.ppl1.activation_ratio / z)} sparser than it.` : 'A SiLU model has no exact zeros, so only CETT-based rules apply.',
  ].join(' ');
}
