// Benchmark: the stabilised PPL-1% measurement of a 15-checkpoint run of preset d64-l2 (ReLU) on
// the default evaluation set, timed per phase and printed as a table. Trains the run first if it is
// missing (data/runs/bench-d64-l2-relu, ~1.5M tokens; ~1.5 min native, a few minutes on WASM).
//   npx tsx bench/sparsity-speed.ts                  this process's backend
//   npx tsx bench/sparsity-speed.ts --backends tensorflow,wasm   one child process per backend
//   npx tsx bench/sparsity-speed.ts --compare-search  exact threshold search vs naive bisection
//   npx tsx bench/sparsity-speed.ts --noise           PPL-ratio standard error and CETT spread vs evaluation size
// Options: --eval-tokens N, --k N, --p X, --json, --train-only.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendDetail, backendName, initBackend } from '../lib/backend/select';
import { loadCheckpoint } from '../lib/checkpoint/hf';
import { evalSet, loadCorpus } from '../lib/data';
import {
  calibrate, cettCurve, DEFAULT_EVAL_TOKENS, downProj, forEachChunk, measureAtCett, MetricSet, pplPSparsity, runCheckpoints, stabilised, thresholdByBisection,
} from '../lib/metrics';
import { presetConfig } from '../lib/model/presets';
import { tableText } from '../lib/plot/table';
import { train, TRAIN_DEFAULTS } from '../lib/train/trainer';
import { DONE_FILE, listCheckpoints } from '../lib/checkpoint/run-dir';
import { numberFlag, parseCli } from '../lib/util/args';
import { runCli, UserError } from '../lib/util/errors';

export const BENCH_RUN = path.join('data', 'runs', 'bench-d64-l2-relu');

/** 15 checkpoints from 2^17 tokens, a factor 2^(1/4) apart: 131k ... 1.48M tokens. */
export async function ensureBenchRun(quiet = false): Promise<string> {
  const cfg = presetConfig('d64-l2', 'relu');
  const tokensPerStep = TRAIN_DEFAULTS.batchSize * cfg.context;
  const first = 2 ** 17;
  const total = Math.round((first * 2 ** 3.5) / tokensPerStep) * tokensPerStep;
  if (!fs.existsSync(path.join(BENCH_RUN, DONE_FILE)) && !quiet) process.stderr.write(`training ${BENCH_RUN} (${total} tokens) first\n`);
  await train({
    ...TRAIN_DEFAULTS, runDir: BENCH_RUN, model: cfg, preset: 'd64-l2', seed: 0, seqLen: cfg.context,
    totalTokens: total, checkpointFirstTokens: first, checkpointFactor: 2 ** 0.25, quiet,
  });
  return BENCH_RUN;
}

const r4 = (x: number) => Number(x.toPrecision(4));

interface SpeedResult {
  backend: string;
  backend_detail: string;
  checkpoints: number;
  eval_tokens: number;
  k: number;
  cett: number;
  calibrate_s: number;
  search_s: number;
  apply_s: number;
  total_s: number;
  rows: Record<string, unknown>[];
}

function stabilisedSpeed(set: MetricSet, p: number, k: number): SpeedResult {
  const refs = runCheckpoints(BENCH_RUN);
  const res = stabilised(refs, set, { p, k, onProgress: (d, t, what) => { if (d % 5 === 0 || d === t) process.stderr.write(`  ${d}/${t} ${what}\n`); } });
  const loss = new Map(listCheckpoints(BENCH_RUN).map((c) => [c.tokens, c.val_loss]));
  return {
    backend: backendName(), backend_detail: backendDetail(), checkpoints: refs.length, eval_tokens: set.rows * set.context, k: res.k, cett: res.cett,
    calibrate_s: r4(res.seconds.calibrate), search_s: r4(res.seconds.search), apply_s: r4(res.seconds.apply), total_s: r4(res.seconds.total),
    rows: res.rows.map((r) => ({
      tokens: r.tokens, val_loss: r4(loss.get(r.tokens!) ?? NaN), activation_ratio: r4(r.activation_ratio), activation_ratio_calc: r4(r.activation_ratio_calc!),
      ppl_ratio: r4(r.ppl_ratio), ppl_ratio_se: r4(r.ppl_ratio_se), cett: r4(r.cett!),
    })),
  };
}

/** Exact threshold search (build the curve once, then look up) vs naive bisection per target, on the last checkpoint. */
function compareSearch(set: MetricSet): Record<string, unknown>[] {
  const refs = runCheckpoints(BENCH_RUN);
  const model = loadCheckpoint(refs[refs.length - 1].dir);
  const { layers, dFF } = model.config;
  const N = set.rows * set.context;
  const A = Array.from({ length: layers }, () => new Float32Array(N * dFF));
  forEachChunk(model, set, { capture: { a: true } }, (ch) => ch.a!.forEach((a, l) => A[l].set(a, ch.start * set.context * dFF)));
  const norms = model.downProjNorms();
  const targets = [0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6]; // about one PPL-1% search
  const naiveTargets = 3;
  const out: Record<string, unknown>[] = [];
  for (let l = 0; l < layers; l++) {
    const W = downProj(model, l);
    // The machine is shared: every time is the minimum over 3 repetitions (build) or 3 targets (naive).
    let curve = cettCurve(A[l], W, norms[l], N);
    let build = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const t = performance.now();
      curve = cettCurve(A[l], W, norms[l], N);
      build = Math.min(build, (performance.now() - t) / 1000);
    }
    let t = performance.now();
    const exact = targets.map((c) => curve.threshold(c));
    const query = (performance.now() - t) / 1000 / targets.length;
    let perNaive = Infinity;
    const naive = targets.slice(0, naiveTargets).map((c) => {
      t = performance.now();
      const r = thresholdByBisection(A[l], W, norms[l], N, c);
      perNaive = Math.min(perNaive, (performance.now() - t) / 1000);
      return r;
    });
    const grid = targets.slice(0, naiveTargets).map((c) => curve.threshold(c, 'grid'));
    const agree = grid.every((g, i) => g.threshold === naive[i].threshold);
    const exactTotal = build + query * targets.length;
    out.push({
      backend: backendName(), layer: l, eval_tokens: N, events: curve.keys.length, build_s: r4(build), query_ms: r4(query * 1000),
      exact_10_targets_s: r4(exactTotal), naive_per_target_s: r4(perNaive), naive_evaluations: naive[0].evaluations,
      naive_10_targets_s: r4(perNaive * targets.length), speedup_10_targets: r4((perNaive * targets.length) / exactTotal),
      grid_equals_naive: agree, max_rel_threshold_gap_exact_vs_grid: r4(Math.max(...grid.map((g, i) => (exact[i].threshold - g.threshold) / exact[i].threshold))),
    });
  }
  model.dispose();
  return out;
}

/**
 * Noise vs evaluation size: 16 disjoint subsets (interleaved rows of one large evaluation set) per
 * size. For each size: the mean reported standard error of the PPL ratio (at the PPL-1% point and at
 * the fixed CETT 0.1) against the spread over subsets of the PPL ratio at CETT 0.1 (which checks the
 * error formula), and the spread of the CETT found by the PPL-p% search and of its activation ratio.
 */
function noise(p: number, sizes: number[], which: number[], subsets = 16): Record<string, unknown>[] {
  const refs = runCheckpoints(BENCH_RUN);
  const context = 64;
  const base = evalSet(loadCorpus(), { tokens: Math.max(...sizes) * subsets, context });
  const out: Record<string, unknown>[] = [];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => { const m = mean(xs); return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)); };
  for (const ci of which) {
    const ref = refs[(ci + refs.length) % refs.length];
    const model = loadCheckpoint(ref.dir);
    for (const size of sizes) {
      const rows = size / context;
      const m = base.rows / rows; // subset i takes rows i, i + m, i + 2m, ...
      const acc = { cett: [] as number[], act: [] as number[], se: [] as number[], r01: [] as number[], se01: [] as number[], act01: [] as number[] };
      for (let i = 0; i < subsets; i++) {
        const pick = (a: Int32Array) => {
          const o = new Int32Array(rows * context);
          for (let r = 0; r < rows; r++) o.set(a.subarray((r * m + i) * context, (r * m + i + 1) * context), r * context);
          return o;
        };
        const cal = calibrate(model, { x: pick(base.x), y: pick(base.y), rows, context });
        const r = pplPSparsity(cal, p);
        acc.cett.push(r.row.cett!); acc.act.push(r.row.activation_ratio); acc.se.push(r.row.ppl_ratio_se);
        const f = measureAtCett(cal, 0.1);
        acc.r01.push(f.ppl.ratio); acc.se01.push(f.ppl.se); acc.act01.push(f.activationRatio);
      }
      out.push({
        checkpoint_tokens: ref.tokens, eval_tokens: size, subsets,
        se_at_ppl1: r4(mean(acc.se)), se_at_cett01: r4(mean(acc.se01)), sd_ratio_at_cett01: r4(sd(acc.r01)), ratio_at_cett01: r4(mean(acc.r01)),
        cett_mean: r4(mean(acc.cett)), cett_sd: r4(sd(acc.cett)), act_mean: r4(mean(acc.act)), act_sd: r4(sd(acc.act)), act_at_cett01_sd: r4(sd(acc.act01)),
      });
      process.stderr.write(`  noise: ${ref.name} ${size} tokens done\n`);
    }
    model.dispose();
  }
  return out;
}

if (require.main === module) {
  runCli(async () => {
    const { values } = parseCli(process.argv.slice(2), {
      'train-only': { type: 'boolean' }, 'eval-tokens': { type: 'string' }, k: { type: 'string' }, p: { type: 'string' }, json: { type: 'boolean' },
      backends: { type: 'string' }, 'compare-search': { type: 'boolean' }, noise: { type: 'boolean' },
    }, 'usage: sparsity-speed [--backends a,b] [--compare-search] [--noise] [--eval-tokens N] [--k N] [--p X] [--json] [--train-only]');
    const evalTokens = numberFlag('eval-tokens', values['eval-tokens']) ?? DEFAULT_EVAL_TOKENS;
    const k = numberFlag('k', values.k) ?? 3;
    const p = numberFlag('p', values.p) ?? 0.01;
    if (values.backends) {
      // One child per backend (the backend is chosen once per process).
      const results: SpeedResult[] = [];
      for (const b of values.backends.split(',')) {
        process.stderr.write(`backend ${b}\n`);
        const args = ['--import', 'tsx', __filename, '--json', '--eval-tokens', String(evalTokens), '--k', String(k), '--p', String(p)];
        const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, SPARSING_BACKEND: b }, stdio: ['ignore', 'pipe', 'inherit'] });
        if (r.status !== 0) throw new UserError(`backend ${b}: the benchmark failed (exit ${r.status})`);
        results.push(JSON.parse(r.stdout) as SpeedResult);
      }
      process.stdout.write(tableText(results.map(({ rows: _x, ...t }) => t)) + '\n\n');
      process.stdout.write(tableText(results[0].rows, { caption: 'per checkpoint' }) + '\n');
      return;
    }
    await initBackend();
    await ensureBenchRun();
    if (values['train-only']) return;
    const set = evalSet(loadCorpus(), { tokens: evalTokens, context: 64 });
    if (values['compare-search']) {
      const rows = compareSearch(set);
      process.stdout.write(values.json ? JSON.stringify(rows) + '\n' : tableText(rows) + '\n');
      return;
    }
    if (values.noise) {
      const rows = noise(p, [1024, 4096, 16384], [-1, 7]);
      process.stdout.write(values.json ? JSON.stringify(rows) + '\n' : tableText(rows) + '\n');
      return;
    }
    const res = stabilisedSpeed(set, p, k);
    if (values.json) { process.stdout.write(JSON.stringify(res) + '\n'); return; }
    const { rows, ...timing } = res;
    process.stdout.write(tableText([timing]) + '\n\n' + tableText(rows) + '\n');
  });
}
