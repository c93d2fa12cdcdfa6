// The PPL-p% search and the stabilising strategy on a small trained model, and the sparsity command.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint, saveCheckpoint, WEIGHTS_FILE } from '../lib/checkpoint/hf';
import { readSafetensors, writeSafetensors } from '../lib/checkpoint/safetensors';
import { evalSet, loadCorpus } from '../lib/data';
import { calibrate, measureAtCett, pplPSparsity, runCheckpoints, stabilised, MetricSet } from '../lib/metrics';
import { presetConfig } from '../lib/model/presets';
import { train, TRAIN_DEFAULTS } from '../lib/train/trainer';
import { microModel, runCommand, setup, tmpDir } from './helpers';

let runDir = '';
let set: MetricSet;

test.before(async () => {
  await setup();
  runDir = path.join(tmpDir('sl-metrics-'), 'run');
  const cfg = presetConfig('micro', 'relu');
  // ~300 steps of 256 tokens: loss ~2.8 nats, enough for sparsification to cost PPL (a few seconds)
  await train({
    ...TRAIN_DEFAULTS, runDir, model: cfg, seed: 0, batchSize: 16, seqLen: 16, totalTokens: 16 * 16 * 300, warmupSteps: 30,
    checkpointFirstTokens: 19_200, checkpointFactor: 2, evalTokens: 512, quiet: true,
  });
  set = evalSet(loadCorpus(), { tokens: 2048, context: 16 });
});

test('the PPL-p% search lands within tolerance on a small trained model', () => {
  const refs = runCheckpoints(runDir);
  assert.equal(refs.length, 3);
  const model = loadCheckpoint(refs[refs.length - 1].dir);
  const cal = calibrate(model, set, { name: 'last', tokens: refs[refs.length - 1].tokens });
  for (const [p, tol] of [[0.01, 1e-3], [0.05, 5e-4]] as const) {
    const r = pplPSparsity(cal, p, { tol });
    const { cett, cettHigh } = r.search;
    assert.equal(r.search.saturated, false, `p=${p}: the trained model should not saturate`);
    assert.ok(cettHigh - cett <= tol && cettHigh > cett, `bracket [${cett}, ${cettHigh}]`);
    assert.ok(r.row.ppl_ratio <= 1 + p, `ratio at the lower end ${r.row.ppl_ratio}`);
    assert.ok(measureAtCett(cal, cettHigh).ppl.ratio > 1 + p, 'ratio above 1 + p at the upper end');
    assert.ok(Math.abs(r.row.ppl_ratio - (1 + p)) < 0.3 * p, `ratio ${r.row.ppl_ratio} near 1 + ${p}`);
    assert.equal(r.steps.length, Math.ceil(Math.log2(1 / tol)));
    // every reported number is labelled and every ratio is a fraction
    assert.equal(r.row.method, 'ppl-p');
    assert.equal(r.row.param, p);
    assert.equal(r.row.eval_tokens, 2048);
    assert.equal(r.row.checkpoint, 'last');
    for (const v of [r.row.activation_ratio, r.row.activation_ratio_calc!, r.row.sparsity_ratio, r.row.cett!]) assert.ok(v >= 0 && v <= 1);
    assert.ok(r.row.ppl_ratio_se > 0 && r.row.ppl_ratio_se < p);
    assert.equal(r.layers.length, 1);
    assert.equal(r.layers[0].activation_ratio, r.layers[0].activation_ratio_calc); // one layer: calc = real
  }
  model.dispose();
});

test('stabilising strategy: one CETT searched on the last k checkpoints, applied to all', () => {
  const refs = runCheckpoints(runDir);
  const steps: number[] = [];
  const res = stabilised(refs, set, { p: 0.01, k: 2, fixedCetts: [0.1], onProgress: (d) => steps.push(d) });
  assert.equal(res.k, 2);
  assert.deepEqual(res.searchedOn, refs.slice(1).map((r) => r.name));
  const main = res.rows.filter((r) => r.method === 'ppl-p-stable');
  assert.equal(main.length, 3);
  assert.deepEqual(main.map((r) => r.tokens), refs.map((r) => r.tokens));
  for (const r of main) assert.equal(r.cett, res.cett);
  const tailMean = (main[1].ppl_ratio + main[2].ppl_ratio) / 2;
  assert.ok(tailMean <= 1.01, `mean PPL ratio of the searched checkpoints ${tailMean}`);
  assert.equal(res.rows.filter((r) => r.method === 'cett' && r.param === 0.1).length, 3);
  assert.equal(res.layers.length, 3 * 2);
  assert.deepEqual(steps, steps.map((_, i) => i + 1));
  // the same CETT on the last checkpoint alone gives the same numbers as the search reported
  const last = loadCheckpoint(refs[2].dir);
  const again = measureAtCett(calibrate(last, set), res.cett);
  assert.equal(again.ppl.ratio, main[2].ppl_ratio);
  assert.equal(again.activationRatio, main[2].activation_ratio);
  last.dispose();
});

test('run checkpoints: the decay stage is left out unless asked for', () => {
  const copy = path.join(tmpDir(), 'run');
  fs.cpSync(runDir, copy, { recursive: true });
  const last = runCheckpoints(copy)[2].dir;
  const metaFile = path.join(last, 'meta.json');
  fs.writeFileSync(metaFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(metaFile, 'utf8')), stage: 'decay' }));
  assert.equal(runCheckpoints(copy).length, 2);
  assert.equal(runCheckpoints(copy, { includeDecay: true }).length, 3);
  assert.throws(() => runCheckpoints(tmpDir()), /no finished checkpoints/);
});

test('sparsity command: JSON for a run directory', () => {
  const r = runCommand('sparsity', [runDir, '--json', '--eval-tokens', '1024', '--k', '2', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.kind, 'run');
  assert.equal(out.rows.length, 3);
  assert.ok(out.cett > 0 && out.cett < 1);
  for (const row of out.rows) {
    assert.equal(row.eval_tokens, 1024);
    assert.ok(row.activation_ratio > 0 && row.activation_ratio <= 1);
    assert.equal(typeof row.backend, 'string');
  }
});

test('sparsity command: a table for a checkpoint, with baselines and patterns', () => {
  const ck = runCheckpoints(runDir)[2].dir;
  const r = runCommand('sparsity', [ck, '--eval-tokens', '512', '--baselines', '--patterns', '--domain', 'brown:news', '--cett', '0.1', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  for (const m of ['ppl-p', 'cett', 'zero', 'fat', 'topk-token', 'topk-layer', 'quantile', 'brown:news']) assert.match(r.stdout, new RegExp(`\\b${m}\\b`));
});

test('sparsity command: bad input gets one clear line and exit code 2', () => {
  const dir = tmpDir();
  // a checkpoint whose FFN is not gated (no gate_proj)
  const m = microModel('relu');
  const ng = path.join(dir, 'nongated');
  saveCheckpoint(m, ng);
  m.dispose();
  const file = path.join(ng, WEIGHTS_FILE);
  const { tensors } = readSafetensors(file);
  for (const k of [...tensors.keys()]) if (k.includes('gate_proj')) tensors.delete(k);
  writeSafetensors(file, tensors, { format: 'pt' });
  const ck = runCheckpoints(runDir)[2].dir;
  fs.mkdirSync(path.join(dir, 'empty'));
  const cases: [string[], RegExp][] = [
    [[ng], /must be gated/],
    [[ck, '--p', '1.5'], /p must be in \(0, 1\)/],
    [[ck, '--eval-tokens', '0'], /--eval-tokens must be a positive integer/],
    [[ck, '--context', '64'], /exceeds the model's context/], // evaluation rows longer than the model's context
    [[path.join(dir, 'empty')], /neither a checkpoint directory/],
  ];
  for (const [args, re] of cases) {
    const r = runCommand('sparsity', [...args, '--quiet']);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr.trim().split('\n')[0], re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
