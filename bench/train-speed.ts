// Training throughput per preset and backend, printed as a table:
//   node dist/bench/train-speed.js [--steps N] [--backends wasm,tensorflow,cpu] [--presets d64-l2,d128-l4]
// Each backend runs in its own process (a process keeps one backend). Effective GFLOP/s counts
// 6 x parameters x tokens per second, the usual estimate for a forward and backward pass.
import { spawnSync } from 'node:child_process';
import { tf } from '../lib/backend/tf';
import { initBackend, backendDetail } from '../lib/backend/select';
import { presetConfig } from '../lib/model/presets';
import { paramCounts } from '../lib/model/config';
import { Model } from '../lib/model/model';
import { AdamW } from '../lib/train/adamw';
import { TRAIN_DEFAULTS } from '../lib/train/trainer';
import { loadCorpus, trainBatch } from '../lib/data';
import { parseCli, numberFlag } from '../lib/util/args';

// Batch sizes of the reference numbers: d64-l2 at context 64 with batch 32, d128-l4 at context 128 with batch 16.
const BATCH: Record<string, number> = { 'd64-l2': 32, 'd128-l4': 16 };

async function measure(preset: string, steps: number) {
  const c = presetConfig(preset, 'relu');
  const B = BATCH[preset] ?? 32, T = c.context;
  const corpus = loadCorpus();
  const m = new Model(c, { seed: 0 });
  const opt = new AdamW(TRAIN_DEFAULTS.optimizer, m.params, () => true);
  const vars = [...m.params.values()];
  const nameOf = new Map([...m.params].map(([n, v]) => [v.name, n]));
  const step = (i: number) => {
    const { x, y } = trainBatch(corpus, { seed: 0, step: i, batchSize: B, context: T });
    const { value, grads } = tf.variableGrads(() => m.loss(x, y, B, T), vars);
    value.dataSync(); value.dispose();
    opt.apply(new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g])), 1e-3);
    tf.dispose(grads);
  };
  step(0); step(1); // warm up (kernel set-up, allocation)
  const tensorsBefore = tf.memory().numTensors;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) step(i + 2);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9 / steps;
  const p = paramCounts(c);
  const row = { backend: backendDetail(), preset, params: p.total, batch: `${B}x${T}`, step_s: sec, tokens_per_s: (B * T) / sec,
    gflops: (6 * p.total * B * T) / sec / 1e9, tensors_flat: tf.memory().numTensors === tensorsBefore };
  m.dispose(); opt.dispose();
  return row;
}

async function main() {
  const { values } = parseCli(process.argv.slice(2), {
    steps: { type: 'string' }, backends: { type: 'string' }, presets: { type: 'string' }, child: { type: 'boolean' },
  }, 'usage: train-speed [--steps N] [--backends wasm,tensorflow] [--presets d64-l2,d128-l4]');
  const steps = numberFlag('steps', values.steps) ?? 10;
  const presets = (values.presets ?? 'd64-l2,d128-l4').split(',');
  if (values.child) {
    await initBackend({ quiet: true });
    for (const p of presets) process.stdout.write(JSON.stringify(await measure(p, steps)) + '\n');
    return;
  }
  const rows: Record<string, unknown>[] = [];
  for (const b of (values.backends ?? 'wasm,tensorflow').split(',')) {
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', '--steps', String(steps), '--presets', presets.join(',')],
      { encoding: 'utf8', env: { ...process.env, SPARSING_BACKEND: b } });
    if (r.status !== 0) { rows.push({ backend: b, preset: '-', note: (r.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 100) }); continue; }
    for (const line of r.stdout.trim().split('\n')) rows.push(JSON.parse(line));
  }
  console.log('| backend | preset | params | batch | s/step | tokens/s | GFLOP/s (6PT) | tensors flat |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.note) { console.log(`| ${r.backend} | not available: ${r.note} |||||||`); continue; }
    console.log(`| ${r.backend} | ${r.preset} | ${r.params} | ${r.batch} | ${(r.step_s as number).toFixed(3)} | ${Math.round(r.tokens_per_s as number)} | ${(r.gflops as number).toFixed(1)} | ${r.tensors_flat} |`);
  }
}
main();
