// A synthetic Results object for the findings tests: runs whose trajectories follow the paper's
// laws exactly (plus a small deterministic wiggle), F0 sweeps where CETT is the best rule, and
// activation patterns with known structure. Built in memory, so the tests need no result files.
import * as os from 'node:os';
import * as path from 'node:path';
import { fitTrajectories } from '../lib/experiments/aggregate';
import type { RunMeasurement } from '../lib/experiments/measure-run';
import { getProfile, type Finding, type Profile, type RunSpec } from '../lib/experiments/profiles';
import type { Results } from '../lib/experiments/results';
import type { F0Row, ModelFields, TrajectoryRow } from '../lib/experiments/schema';
import type { MethodName } from '../lib/metrics/rows';

export const CKPT_TOKENS = Array.from({ length: 9 }, (_, k) => Math.round(250_000 * Math.SQRT2 ** k)); // 250k .. 4M

export interface SynthRun {
  id: string;
  act: 'relu' | 'silu';
  d: number;
  layers: number;
  params: number;
  findings: Finding[];
  /** Activation ratio at D tokens (the law the trajectory follows). */
  law: (D: number) => number;
  /** Final validation loss. */
  loss: number;
  /** ReLU zero count and dead ratio at the last checkpoint. */
  zero?: number;
  dead?: number;
  seed?: number;
  /** Per-token ratios (same length for every run: one shared evaluation set). */
  tokenRatio?: number[];
}

const wiggle = (k: number) => 0.0015 * Math.sin(3.1 * k + 0.7);

export const reluLaw = (A0: number, b: number, c: number, alpha: number) => (D: number) => Math.exp(-c * Math.pow(D / 1e6, alpha) + b) + A0;
export const siluLaw = (A0: number, c: number, alpha: number) => (D: number) => -c * Math.pow(D / 1e6, -alpha) + A0;

/** F0 sweep of one model: CETT dominates every baseline; the zero count sits at `zero`. */
function f0Rows(base: Omit<ModelFields, 'tokens_per_param'>, act: 'relu' | 'silu', zero: number): F0Row[] {
  // PPL ratio as a function of the activation ratio a: the baseline needs 0.1 more active for the same ratio.
  const cettCurve = (a: number) => 1 + 0.0005 / (a * a);                 // 1.01 at a = 0.2236
  const baseline = (a: number) => 1 + 0.0005 / ((a - 0.1) * (a - 0.1)); // 1.01 at a = 0.3236
  const row = (method: MethodName, param: number | null, param_name: string, a: number, r: number, extra: Partial<F0Row> = {}): F0Row => ({
    ...base, tokens_per_param: CKPT_TOKENS[CKPT_TOKENS.length - 1] / base.non_embedding_params, method, param, param_name, checkpoint: 'last', tokens: CKPT_TOKENS[CKPT_TOKENS.length - 1], eval_tokens: 4096, backend: 'test',
    activation_ratio: a, activation_ratio_calc: a, sparsity_ratio: 1 - a, ppl_ratio: r, ppl_ratio_se: 0.0005, dense_loss: 2, cett: null, saturated: null, ...extra,
  });
  const out = [0.12, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5].map((a, i) => row('cett', 0.02 * (7 - i), 'cett', a, cettCurve(a), { cett: 0.02 * (7 - i) }));
  out.push(row('ppl-p', 0.01, 'p', 0.2236, 1.01, { cett: 0.08 }), row('ppl-p', 0.05, 'p', 0.1, 1.05, { cett: 0.17 }), row('ppl-p', 0.1, 'p', 0.0707, 1.1, { cett: 0.23 }));
  for (const a of [0.2, 0.3, 0.4, 0.5]) out.push(row('topk-token', a, 'k', a, baseline(a)));
  for (const a of [0.25, 0.35, 0.45]) out.push(row('fat', a / 10, 'eps', a, baseline(a) + 0.001));
  if (act === 'relu') out.push(row('zero', null, '', zero, 1));
  return out;
}

function measurement(s: SynthRun, profile: string): RunMeasurement {
  const spec: RunSpec = {
    id: s.id, preset: s.id.replace(/-(relu|silu).*$/, ''), act: s.act, seed: s.seed ?? 0, tokens: CKPT_TOKENS[CKPT_TOKENS.length - 1], batchSize: 32, seqLen: 64,
    lr: 2e-3, warmupSteps: 100, ckptFirstTokens: CKPT_TOKENS[0], ckptFactor: Math.SQRT2, findings: s.findings,
  };
  const base = { run: s.id, preset: spec.preset, act: s.act, seed: spec.seed, d: s.d, layers: s.layers, d_over_l: s.d / s.layers, non_embedding_params: s.params };
  const n = CKPT_TOKENS.length;
  const trajectory: TrajectoryRow[] = [];
  CKPT_TOKENS.forEach((D, k) => {
    const common = { ...base, tokens_per_param: D / s.params, checkpoint: `tokens-${D}`, tokens: D, eval_tokens: 4096, backend: 'test', val_loss: s.loss + 0.6 * (1 - k / (n - 1)) ** 2, stage: 'stable' };
    const a = s.law(D) + wiggle(k);
    trajectory.push({ ...common, method: 'ppl-p-stable', param: 0.01, param_name: 'p', activation_ratio: a, ppl_ratio: 1.01, cett: 0.1, saturated: false });
    trajectory.push({ ...common, method: 'cett', param: 0.1, param_name: 'cett', activation_ratio: a * 0.9, ppl_ratio: 1.009, cett: 0.1 });
  });
  if (s.act === 'relu') CKPT_TOKENS.forEach((D, k) => trajectory.push({
    ...base, tokens_per_param: D / s.params, method: 'zero', param: null, param_name: '', checkpoint: `tokens-${D}`, tokens: D, eval_tokens: 4096, backend: 'test',
    activation_ratio: (s.zero ?? 0.3) + 0.1 * (1 - k / (n - 1)), dead_ratio: k === n - 1 ? s.dead ?? 0 : 0.01 * (1 - k / (n - 1)), val_loss: null, stage: 'stable',
  }));
  const dFF = 4 * s.d;
  const last = s.law(CKPT_TOKENS[n - 1]);
  // Sorted frequencies: a linear ramp around the activation ratio (same shape at every size).
  const freq = (scale: number) => Array.from({ length: dFF }, (_, i) => Math.max(0, Math.min(1, scale * 2 * (1 - i / (dFF - 1)))));
  return {
    run: spec, params: { total: s.params + 256 * s.d, embedding: 256 * s.d, nonEmbedding: s.params }, d_over_l: s.d / s.layers,
    provenance: { commit: 'test', backend: 'test', backend_detail: 'test', date: '2026-01-01', node: process.version } as unknown as RunMeasurement['provenance'],
    seconds: 1, stabilised: { p: 0.01, k: 3, cett: 0.1, saturated: false, searched_on: [] }, trajectory,
    f0: s.findings.includes('F0') ? f0Rows(base, s.act, s.zero ?? 0.3) : [],
    patterns: {
      layers: Array.from({ length: s.layers }, (_, layer) => ({ layer, frequency_sorted: freq(last) })),
      domains: s.findings.includes('F3') ? ['brown:news', 'brown:fiction'].map((domain, j) => ({
        domain, tokens: 1000, activation_ratio: last * (1 + 0.02 * j), dead_ratio: 0, frequency_sorted: Array.from({ length: s.layers }, () => freq(last * (1 + 0.02 * j))),
      })) : [],
      token_ratio: s.tokenRatio ?? [],
    },
  };
}

/** Per-token "hardness" shared by every size (so the sizes correlate), scaled to each model's level. */
export function tokenRatios(level: number, n = 400, noise = 0): number[] {
  return Array.from({ length: n }, (_, i) => level * (1 + 0.5 * Math.sin(i * 0.37)) + noise * Math.cos(i * 1.7));
}

export const SYNTH_RUNS: SynthRun[] = [
  // F0 + F1 + F3: two sizes, ReLU falls to a flat-ish limit, SiLU rises.
  { id: 'd32-l1-relu', act: 'relu', d: 32, layers: 1, params: 16_000, findings: ['F0', 'F1', 'F3'], law: reluLaw(0.1, -1.5, 1.2, 0.6), loss: 2.0, zero: 0.4, dead: 0.002, tokenRatio: tokenRatios(0.1) },
  { id: 'd32-l1-silu', act: 'silu', d: 32, layers: 1, params: 16_000, findings: ['F0', 'F1', 'F3'], law: siluLaw(0.42, 0.06, 0.5), loss: 2.01, tokenRatio: tokenRatios(0.4) },
  { id: 'd64-l2-relu', act: 'relu', d: 64, layers: 2, params: 131_000, findings: ['F1', 'F3'], law: reluLaw(0.101, -1.3, 1.0, 0.6), loss: 1.8, zero: 0.3, dead: 0.001, tokenRatio: tokenRatios(0.11, 400, 0.005) },
  { id: 'd64-l2-silu', act: 'silu', d: 64, layers: 2, params: 131_000, findings: ['F1', 'F3'], law: siluLaw(0.41, 0.07, 0.5), loss: 1.81, tokenRatio: tokenRatios(0.39, 400, 0.01) },
  // F2: a width-depth family whose limit grows with d/L (the paper's direction).
  ...[[16, 8], [32, 4], [64, 2], [128, 1]].map(([d, L]) => ({
    id: `wd-l${L}-relu`, act: 'relu' as const, d, layers: L, params: 130_000, findings: ['F2'] as Finding[],
    law: reluLaw(0.08 + 0.0005 * (d / L), -1.5, 1.2, 0.6), loss: 1.8 + (L === 8 ? 0.1 : L === 1 ? 0.05 : 0.002 * L), zero: 0.3,
  })),
];

export function syntheticResults(runs: SynthRun[] = SYNTH_RUNS): Results {
  const ms = runs.map((r) => measurement(r, 'synthetic'));
  const { fits, baselines, slopes } = fitTrajectories(ms);
  const profile: Profile = { ...getProfile('default'), name: 'synthetic', description: 'synthetic results for tests', runs: ms.map((m) => m.run) };
  return {
    profile, dir: path.join(os.tmpdir(), 'sl-synthetic-results'), manifest: {}, runs: [],
    trajectory: ms.flatMap((m) => m.trajectory), f0: ms.flatMap((m) => m.f0), fits, lawBaselines: baselines, slopes, measurements: ms,
  };
}
