// Training throughput per preset and backend, next to PyTorch eager on the same shapes, and where
// the time goes (kernels per step, top kernels by time; on the native backend, TensorFlow ops per
// step counted at the binding, since its training pass runs most of them outside tfjs):
//   node dist/bench/train-speed.js [--steps N] [--backends wasm,tensorflow,cpu] [--presets d64-l2,d128-l4]
//                                  [--profile] [--torch-threads 1,2] [--no-torch] [--replicas 1,4] [--threads 1,2] [--rounds K] [--glibc-malloc]
// The native rows run with lib/backend/malloc-env.ts settings, as reproduce runs them; --glibc-malloc runs them on glibc's defaults.
// --replicas adds rows for R seeds trained as one replica-stacked model (tokens/s counts all replicas).
// --threads runs the native backend once per thread count (TF_NUM_INTRAOP_THREADS; default: the engine's own plan).
// Besides tokens/s, every row gives CPU milliseconds per 1,000 tokens (user + system time of the
// process over the timed steps): on a loaded machine that stays put where tokens/s does not, and with
// one thread it is the cost of the engine itself. --rounds K times K rounds of --steps steps and gives
// the median round (and the cheapest, least disturbed one) instead of one long round.
// The file runs unchanged in a checkout of an older engine (for before/after tables): it needs only
// Model, AdamW, trainStep and the backend's selection.
// Each backend runs in its own process (a process keeps one backend). The PyTorch side runs
// bench/train_speed_torch.py with $PYTHON (default /work/venv/bin/python, then python3) when it
// imports torch; otherwise its rows say why they are missing. Ratios are project / PyTorch tokens/s
// measured in this one run (the machine is shared: read ratios, not absolutes).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withMallocEnv } from '../lib/backend/malloc-env';
import { tf } from '../lib/backend/tf';
import { initBackend, backendDetail } from '../lib/backend/select';
import { presetConfig } from '../lib/model/presets';
import { paramCounts, ModelConfig } from '../lib/model/config';
import { Model } from '../lib/model/model';
import { AdamW } from '../lib/train/adamw';
import { trainStep } from '../lib/train/step';
import { TRAIN_DEFAULTS } from '../lib/train/trainer';
import { loadCorpus, trainBatch } from '../lib/data';
import { parseCli, numberFlag } from '../lib/util/args';

// Batch sizes of the issue's reference numbers: d64-l2 at context 64 with batch 32, d128-l4 at context 128 with batch 16.
const BATCH: Record<string, number> = { 'd64-l2': 32, 'd128-l4': 16 };

interface Row { [k: string]: unknown }

async function measure(preset: string, steps: number, profile: boolean, R: number, rounds: number): Promise<Row> {
  const c = presetConfig(preset, 'relu');
  const B = BATCH[preset] ?? 32, T = c.context;
  const corpus = loadCorpus();
  const m = new Model(c, R === 1 ? { seed: 0 } : { seeds: Array.from({ length: R }, (_, r) => r) });
  const opt = new AdamW(TRAIN_DEFAULTS.optimizer, m.params, (n) => m.specs.find((s) => s.name === n)?.kind !== 'norm', R);
  const step = (i: number) => {
    const bs = Array.from({ length: R }, (_, r) => trainBatch(corpus, { seed: r, step: i, batchSize: B, context: T }));
    const cat = (k: 'x' | 'y') => (R === 1 ? bs[0][k] : Int32Array.from(bs.flatMap((b) => Array.from(b[k]))));
    trainStep(m, opt, cat('x'), cat('y'), B, T, 1e-3);
  };
  step(0); step(1); // warm up (kernel set-up, allocation)
  const tensorsBefore = tf.memory().numTensors;
  const secs: number[] = [], cpus: number[] = []; // per round: seconds and CPU seconds per step
  for (let k = 0, i = 2; k < rounds; k++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < steps; j++) step(i++);
    secs.push(Number(process.hrtime.bigint() - t0) / 1e9 / steps);
    const cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / 1e6 / steps);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
  const sec = median(secs), perK = 1e6 / (R * B * T);
  const p = paramCounts(c);
  const row: Row = { backend: backendDetail(), preset: R === 1 ? preset : `${preset} x${R} replicas`, base: preset, params: p.total, batch: `${B}x${T}`, B, T, step_s: sec, tokens_per_s: (R * B * T) / sec,
    gflops: (6 * p.total * R * B * T) / sec / 1e9, tensors_flat: tf.memory().numTensors === tensorsBefore,
    threads: tf.getBackend() === 'tensorflow' ? process.env.TF_NUM_INTRAOP_THREADS ?? 'TF default' : 1,
    cpu_ms_per_1k: median(cpus) * perK, cpu_ms_per_1k_min: Math.min(...cpus) * perK };
  if (profile && tf.getBackend() === 'tensorflow') {
    // The native training pass runs TensorFlow ops outside tfjs's engine (lib/backend/native-raw.ts),
    // which tf.profile does not see: count and time every op at the binding instead.
    const ops = nativeOpsOf(() => step(rounds * steps + 2));
    row.kernels = ops.count;
    row.kernel_ms = ops.ms;
    row.top = ops.top;
  } else if (profile) {
    const info = await tf.profile(() => { step(rounds * steps + 2); return []; });
    const by = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      const e = by.get(k.name) ?? { calls: 0, ms: 0 };
      e.calls += 1;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      by.set(k.name, e);
    }
    row.kernels = info.kernels.length;
    row.kernel_ms = [...by.values()].reduce((s, e) => s + e.ms, 0);
    row.top = [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12).map(([name, e]) => ({ name, ...e }));
  }
  m.dispose(); opt.dispose();
  return row;
}

/** Every TensorFlow op one call of fn runs on the native backend, by op name, with its wall time. */
function nativeOpsOf(fn: () => void): { count: number; ms: number; top: { name: string; calls: number; ms: number }[] } {
  const backend = tf.backend() as unknown as { binding: { executeOp: (...a: unknown[]) => unknown } };
  const original = backend.binding;
  const by = new Map<string, { calls: number; ms: number }>();
  const timed = Object.create(original);
  Object.defineProperty(timed, 'executeOp', {
    value: (name: string, ...rest: unknown[]) => {
      const t0 = process.hrtime.bigint();
      const out = original.executeOp(name, ...rest);
      const e = by.get(name) ?? { calls: 0, ms: 0 };
      e.calls += 1;
      e.ms += Number(process.hrtime.bigint() - t0) / 1e6;
      by.set(name, e);
      return out;
    },
  });
  backend.binding = timed;
  try { fn(); } finally { backend.binding = original; }
  const all = [...by.values()];
  return {
    count: all.reduce((s, e) => s + e.calls, 0), ms: all.reduce((s, e) => s + e.ms, 0),
    top: [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12).map(([name, e]) => ({ name, ...e })),
  };
}

function python(): string | undefined {
  for (const p of [process.env.PYTHON, '/work/venv/bin/python', 'python3']) {
    if (!p) continue;
    const r = spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return undefined;
}

function torchRow(py: string, c: ModelConfig, B: number, T: number, threads: number, steps: number, rounds: number): Row {
  const script = [path.join(__dirname, 'train_speed_torch.py'), path.join(__dirname, '..', '..', 'bench', 'train_speed_torch.py')].find((f) => fs.existsSync(f))!;
  const r = spawnSync(py, [script, '--d', String(c.d), '--layers', String(c.layers), '--heads', String(c.heads), '--dff', String(c.dFF),
    '--batch', String(B), '--seq', String(T), '--threads', String(threads), '--steps', String(steps), '--rounds', String(rounds), '--act', c.act],
  { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) return { note: (r.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 100) };
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main() {
  const { values } = parseCli(process.argv.slice(2), {
    steps: { type: 'string' }, backends: { type: 'string' }, presets: { type: 'string' }, child: { type: 'boolean' },
    profile: { type: 'boolean' }, 'torch-threads': { type: 'string' }, 'no-torch': { type: 'boolean' }, 'glibc-malloc': { type: 'boolean' }, replicas: { type: 'string' }, threads: { type: 'string' },
    rounds: { type: 'string' },
  }, 'usage: train-speed [--steps N] [--backends wasm,tensorflow] [--presets d64-l2,d128-l4] [--profile] [--torch-threads 1,2] [--no-torch] [--replicas 1,4] [--threads 1,2] [--rounds K]');
  const rounds = numberFlag('rounds', values.rounds) ?? 1;
  const replicas = (values.replicas ?? '1').split(',').map(Number);
  const steps = numberFlag('steps', values.steps) ?? 10;
  const presets = (values.presets ?? 'd64-l2,d128-l4').split(',');
  if (values.child) {
    await initBackend({ quiet: true });
    for (const p of presets) for (const R of replicas) process.stdout.write(JSON.stringify(await measure(p, steps, !!values.profile && R === 1, R, rounds)) + '\n');
    return;
  }
  const rows: Row[] = [];
  const tfThreads = values.threads ? values.threads.split(',').map((t) => String(numberFlag('threads', t))) : [undefined];
  for (const b of (values.backends ?? 'wasm,tensorflow').split(',')) {
    for (const th of b.startsWith('tensorflow') ? tfThreads : [undefined]) {
      // As reproduce runs them (lib/backend/malloc-env.ts), unless --glibc-malloc asks for glibc's defaults.
      const env = { ...(values['glibc-malloc'] ? process.env : withMallocEnv(process.env)), SPARSING_BACKEND: b, ...(th ? { TF_NUM_INTRAOP_THREADS: th } : {}) };
      const r = spawnSync(process.execPath, [...process.execArgv, __filename, '--child', '--steps', String(steps), '--rounds', String(rounds), '--presets', presets.join(','), '--replicas', replicas.join(','), ...(values.profile ? ['--profile'] : [])],
        { encoding: 'utf8', env });
      if (r.status !== 0) { rows.push({ backend: b, preset: '-', note: (r.stderr.trim().split('\n').pop() || `stopped (${r.signal ?? `exit ${r.status}`})`).slice(0, 100) }); continue; }
      for (const line of r.stdout.trim().split('\n')) rows.push(JSON.parse(line));
    }
  }
  // PyTorch on the same shapes
  const torch = new Map<string, Row>(); // `${preset}/${threads}` -> row
  const threads = (values['torch-threads'] ?? '1,2').split(',').map(Number);
  const py = values['no-torch'] ? undefined : python();
  const torchNote = values['no-torch'] ? 'skipped (--no-torch)' : py ? '' : 'skipped: no Python with torch ($PYTHON, /work/venv/bin/python, python3)';
  if (py) for (const p of presets) for (const th of threads) torch.set(`${p}/${th}`, torchRow(py, presetConfig(p, 'relu'), BATCH[p] ?? 32, presetConfig(p).context, th, steps, rounds));

  const thCols = threads.map((t) => `PyTorch ${t}T tok/s`);
  const ratioCols = threads.map((t) => `ratio vs ${t}T`);
  console.log(`| backend | threads | preset | params | batch | s/step | tokens/s | CPU ms/1k tok | CPU min | GFLOP/s (6PT) | tensors flat | ${thCols.join(' | ')} | ${ratioCols.join(' | ')} |`);
  console.log(`|---|---|---|---|---|---|---|---|---|---|---|${thCols.map(() => '---|').join('')}${ratioCols.map(() => '---|').join('')}`);
  for (const r of rows) {
    if (r.note) { console.log(`| ${r.backend} | not available: ${r.note} |`); continue; }
    const tps = r.tokens_per_s as number;
    const th = threads.map((t) => (r.base === r.preset ? torch.get(`${r.preset}/${t}`) : undefined));
    const thText = th.map((x) => (x ? (x.note ? `failed: ${x.note}` : String(Math.round(x.tokens_per_s as number))) : '-'));
    const ratios = th.map((x) => (x && !x.note ? (tps / (x.tokens_per_s as number)).toFixed(2) : '-'));
    console.log(`| ${r.backend} | ${r.threads} | ${r.preset} | ${r.params} | ${r.batch} | ${(r.step_s as number).toFixed(3)} | ${Math.round(tps)} | ${(r.cpu_ms_per_1k as number).toFixed(1)} | ${(r.cpu_ms_per_1k_min as number).toFixed(1)} | ${(r.gflops as number).toFixed(1)} | ${r.tensors_flat} | ${thText.join(' | ')} | ${ratios.join(' | ')} |`);
  }
  if (torch.size) {
    console.log('\n| PyTorch | threads | tokens/s | CPU ms/1k tok | CPU min |');
    console.log('|---|---|---|---|---|');
    for (const [k, x] of torch) console.log(x.note ? `| ${k} | failed: ${x.note} |` : `| ${k.split('/')[0]} | ${x.threads} | ${Math.round(x.tokens_per_s as number)} | ${(x.cpu_ms_per_1k as number).toFixed(1)} | ${(x.cpu_ms_per_1k_min as number).toFixed(1)} |`);
  }
  if (torchNote) console.log(`\nPyTorch: ${torchNote}`);
  else console.log(`\nPyTorch ${[...torch.values()].find((x) => x.torch)?.torch ?? '?'} eager (${py}), same shapes, random tokens.`);
  if (values.profile) {
    for (const r of rows) {
      if (r.note || !r.top) continue;
      const what = String(r.backend).startsWith('tensorflow') ? 'TensorFlow ops' : 'kernels';
      console.log(`\n${r.backend} ${r.preset}: ${r.kernels} ${what} per step, ${(r.kernel_ms as number).toFixed(1)} ms in them`);
      console.log('| kernel | calls | ms |');
      console.log('|---|---|---|');
      for (const k of r.top as { name: string; calls: number; ms: number }[]) console.log(`| ${k.name} | ${k.calls} | ${k.ms.toFixed(2)} |`);
    }
  }
}
main();
