// Backend parity: the same computation, same weights, same batch give the same loss and gradients on
// every available backend (native TensorFlow, WASM) as on the pure-JS 'cpu' reference, to a relative
// difference under 1e-4 (per tensor: max |x - ref| / max |ref|). The native part is skipped, with the
// reason, when `npm run setup:native` has not been run.
import test from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../lib/backend/tf';
import { registerWasmBackend } from '../lib/backend/wasm';
import { loadNative, nativeUnavailableReason } from '../lib/backend/native';
import { Model } from '../lib/model/model';
import { presetConfig } from '../lib/model/presets';

const TOL = 1e-4;
const available = new Map<string, string>(); // backend -> why not ('' if available)
let nativeDetail: string | undefined;

test.before(async () => {
  process.env.SPARSING_QUIET_BACKEND = '1';
  nativeDetail = loadNative();
  available.set('tensorflow', nativeDetail ? '' : `native backend not set up or not loadable (npm run setup:native): ${nativeUnavailableReason()}`);
  registerWasmBackend();
  for (const b of ['cpu', 'wasm']) {
    let ok = false;
    try { ok = await tf.setBackend(b); } catch { ok = false; }
    if (b !== 'cpu') available.set(b, ok ? '' : `${b} backend did not initialise`);
    else assert.ok(ok, 'the pure-JS cpu backend must work');
  }
});

type Result = Map<string, Float32Array>; // 'loss' and one entry per gradient

/** Runs `fn` on `backend` and returns plain copies of its outputs. */
async function on(backend: string, fn: () => Result): Promise<Result> {
  assert.ok(await tf.setBackend(backend), `setBackend(${backend})`);
  assert.equal(tf.getBackend(), backend);
  return fn();
}

/** Largest per-tensor relative difference, and where. */
function compare(ref: Result, got: Result): { max: number; where: string } {
  let max = 0;
  let where = '';
  for (const [name, r] of ref) {
    const g = got.get(name);
    assert.ok(g && g.length === r.length, `${name}: missing or wrong size`);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < r.length; i++) {
      scale = Math.max(scale, Math.abs(r[i]));
      diff = Math.max(diff, Math.abs(r[i] - g[i]));
      assert.ok(Number.isFinite(g[i]), `${name}[${i}] is ${g[i]}`);
    }
    const rel = diff / Math.max(scale, 1e-30);
    if (rel > max) { max = rel; where = name; }
  }
  return { max, where };
}

function values(n: number, f: (i: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f(i));
}

/** A 2-layer MLP (with a transposed-operand matMul) + softmax cross-entropy, fixed weights. */
function mlp(): Result {
  const [B, D, H, C] = [16, 32, 48, 10];
  const [w1, b1, w2t] = tf.tidy(() => [
    tf.variable(tf.tensor2d(values(D * H, (i) => Math.sin(i * 0.713) * 0.25), [D, H]), true, 'parity_w1'),
    tf.variable(tf.tensor1d(values(H, (i) => Math.cos(i * 1.3) * 0.1)), true, 'parity_b1'),
    tf.variable(tf.tensor2d(values(C * H, (i) => Math.cos(i * 0.377) * 0.3), [C, H]), true, 'parity_w2t'),
  ]);
  try {
    const out: Result = new Map();
    tf.tidy(() => {
      const x = tf.tensor2d(values(B * D, (i) => Math.sin(i * 0.37) + 0.1 * Math.cos(i * 1.7)), [B, D]);
      const labels = tf.oneHot(tf.tensor1d(values(B, (i) => (i * 7) % C), 'int32'), C).toFloat();
      const { value, grads } = tf.variableGrads(() => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const logits = tf.matMul(h, w2t, false, true);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      }, [w1, b1, w2t]);
      out.set('loss', Float32Array.from(value.dataSync()));
      for (const [k, g] of Object.entries(grads)) out.set(k, Float32Array.from(g.dataSync()));
    });
    return out;
  } finally {
    w1.dispose(); b1.dispose(); w2t.dispose();
  }
}

/** The project's transformer (micro-l2 preset, seeded weights) on a fixed batch. */
function transformer(act: 'relu' | 'silu'): Result {
  const m = new Model(presetConfig('micro-l2', act), { seed: 11 });
  const [B, T] = [2, 12];
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 5) % 256);
  const targets = Int32Array.from({ length: B * T }, (_, i) => (i * 53 + 2) % 256);
  try {
    const vars = [...m.params.values()];
    const names = new Map([...m.params].map(([n, v]) => [v.name, n]));
    const { value, grads } = tf.variableGrads(() => m.loss(ids, targets, B, T), vars);
    const out: Result = new Map([['loss', Float32Array.from(value.dataSync())]]);
    for (const [k, g] of Object.entries(grads)) out.set(names.get(k) ?? k, Float32Array.from(g.dataSync()));
    value.dispose();
    tf.dispose(grads);
    return out;
  } finally {
    m.dispose();
  }
}

const CASES: [string, () => Result][] = [
  ['2-layer MLP, matMul + transposed matMul + softmax cross-entropy', mlp],
  ['transformer micro-l2 (relu)', () => transformer('relu')],
  ['transformer micro-l2 (silu)', () => transformer('silu')],
];

for (const [label, fn] of CASES) {
  test(`parity with cpu: ${label}`, async (t) => {
    const ref = await on('cpu', fn);
    for (const backend of ['tensorflow', 'wasm']) {
      await t.test(backend, async (st) => {
        const why = available.get(backend);
        if (why) { st.skip(why); return; }
        const got = await on(backend, fn);
        const { max, where } = compare(ref, got);
        st.diagnostic(`${backend} vs cpu: max relative difference ${max.toExponential(2)} (${where}); loss ${got.get('loss')![0]} vs ${ref.get('loss')![0]}`);
        assert.ok(max < TOL, `${backend} differs from cpu by ${max} in ${where}`);
      });
    }
  });
}

test('native backend registers on the project\'s single tfjs-core instance', async (t) => {
  if (!nativeDetail) { t.skip(available.get('tensorflow')); return; }
  assert.ok(await tf.setBackend('tensorflow'));
  assert.equal(tf.getBackend(), 'tensorflow');
  const cores = new Set(Object.keys(require.cache)
    .map((f) => /^(.*[\\/]@tensorflow[\\/]tfjs-core)[\\/]/.exec(f)?.[1])
    .filter((d): d is string => !!d));
  assert.equal(cores.size, 1, `tfjs-core loaded from ${[...cores].join(', ')}`);
  assert.ok(![...cores][0].includes('.native'), 'tfjs-core must come from the main node_modules');
  t.diagnostic(nativeDetail);
});
