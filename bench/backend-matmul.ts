// matMul throughput per available backend, with and without transposed operands.
//   npx tsx bench/backend-matmul.ts [--time=1] [--trials=5] [--backends=tensorflow,wasm,cpu]
// Prints a table of GFLOP/s (2*M*N*K per product, result read back each time): median (best) of the
// trials, since other processes on a small machine stall the multi-threaded native kernels. The native backend is included when
// `npm run setup:native` has been run; WASM is the SIMD single-thread build the project uses.
import * as os from 'os';
import { tf } from '../lib/backend/tf';
import { registerWasmBackend } from '../lib/backend/wasm';
import { loadNative } from '../lib/backend/native';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const MIN_TIME = Number(opt('time', '1'));    // seconds per cell, split into TRIALS trials
const TRIALS = Number(opt('trials', '5'));
const WANT = opt('backends', 'tensorflow,wasm,cpu').split(',');

interface Shape { label: string; m: number; k: number; n: number; ta: boolean; tb: boolean }
const SHAPES: Shape[] = [
  { label: '[256x256] x [256x1024]', m: 256, k: 256, n: 1024, ta: false, tb: false },
  { label: '[256x256] x [1024x256]^T', m: 256, k: 256, n: 1024, ta: false, tb: true },
  { label: '[256x256]^T x [256x1024]', m: 256, k: 256, n: 1024, ta: true, tb: false },
  { label: '[1024x256] x [256x1024]', m: 1024, k: 256, n: 1024, ta: false, tb: false },
  { label: '[1024x256] x [1024x256]^T', m: 1024, k: 256, n: 1024, ta: false, tb: true },
  { label: '[256x1024]^T x [256x256]', m: 1024, k: 256, n: 256, ta: true, tb: false },
];

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; });
}

/** GFLOP/s of one shape on the current backend: median and best of TRIALS timed trials. */
function gflops(sh: Shape): { median: number; best: number } {
  const a = tf.tensor2d(rand(sh.m * sh.k, 1), sh.ta ? [sh.k, sh.m] : [sh.m, sh.k]);
  const b = tf.tensor2d(rand(sh.k * sh.n, 2), sh.tb ? [sh.n, sh.k] : [sh.k, sh.n]);
  const once = (): void => { const c = tf.matMul(a, b, sh.ta, sh.tb); c.dataSync(); c.dispose(); };
  once(); // warm-up: kernel setup, weight packing, allocator
  const rates: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    let reps = 0;
    let dt = 0;
    const t0 = process.hrtime.bigint();
    while (dt < MIN_TIME / TRIALS || reps < 1) {
      once();
      reps++;
      dt = Number(process.hrtime.bigint() - t0) / 1e9;
    }
    rates.push((2 * sh.m * sh.n * sh.k * reps) / dt / 1e9);
  }
  a.dispose(); b.dispose();
  rates.sort((x, y) => x - y);
  return { median: rates[Math.floor(rates.length / 2)], best: rates[rates.length - 1] };
}

async function main(): Promise<void> {
  process.env.SPARSING_QUIET_BACKEND = '1';
  const backends: { name: string; detail: string }[] = [];
  if (WANT.includes('tensorflow')) {
    const d = loadNative();
    if (d && await tf.setBackend('tensorflow')) backends.push({ name: 'tensorflow', detail: d });
    else console.log('tensorflow: not available (npm run setup:native)');
  }
  if (WANT.includes('wasm')) {
    registerWasmBackend();
    if (await tf.setBackend('wasm').catch(() => false)) backends.push({ name: 'wasm', detail: 'wasm (SIMD, 1 thread)' });
  }
  if (WANT.includes('cpu') && await tf.setBackend('cpu')) backends.push({ name: 'cpu', detail: 'cpu (pure JS)' });

  const rows: string[][] = [];
  for (const sh of SHAPES) {
    const row = [sh.label];
    for (const b of backends) {
      await tf.setBackend(b.name);
      const r = gflops(sh);
      row.push(`${r.median.toFixed(1)} (${r.best.toFixed(r.best < 10 ? 1 : 0)})`);
    }
    rows.push(row);
  }
  const head = ['matMul GFLOP/s: median (best)', ...backends.map((b) => b.name)];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  console.log(`${backends.map((b) => `${b.name}: ${b.detail}`).join('\n')}`);
  console.log(`(${os.cpus().length} CPU cores, load average ${os.loadavg()[0].toFixed(1)}, ${TRIALS} trials over >= ${MIN_TIME} s per cell)\n`);
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
