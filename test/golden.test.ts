// Golden forward pass: micro checkpoints and what Hugging Face transformers computes for them (logits,
// per-token NLL, the FFN's s, u, a) plus brute-force CETT thresholds, committed under
// test/fixtures/golden by scripts/golden/make-golden.py. Needs no Python: it always runs.
// Only the public API is used (loadCheckpoint, Model.forward with capture, tokenNll, calibrate and
// CettCurve.threshold), so a rewrite of the model's internals is checked against the same numbers.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf } from '../lib/backend/tf';
import { loadCheckpoint } from '../lib/checkpoint/hf';
import { readSafetensors } from '../lib/checkpoint/safetensors';
import { calibrate } from '../lib/metrics/ppl-p';
import { setup } from './helpers';

// dist/test/ -> test/fixtures/golden (compiled), or test/ -> test/fixtures/golden (tsx)
const compiled = path.join(__dirname, '..', '..', 'test', 'fixtures', 'golden');
const ROOT = fs.existsSync(compiled) ? compiled : path.join(__dirname, 'fixtures', 'golden');

/**
 * Float32 against float32 with different summation orders: transformers' own float32-vs-float64
 * gap on this fixture is a few 1e-6 (golden.json, float32Noise), so 1e-4 (absolute plus relative,
 * as numpy's allclose) leaves room for any backend's order while a wrong op moves values by ~1e-1.
 */
const ATOL = 1e-4;
const RTOL = 1e-4;

interface CettGolden { layer: number; target: number; threshold: number; cett: number; kept: number; pairs: number }
interface Golden { B: number; T: number; ids: number[]; targets: number[]; cett: CettGolden[] }

function load(act: string) {
  const dir = path.join(ROOT, act);
  const golden = JSON.parse(fs.readFileSync(path.join(dir, 'golden.json'), 'utf8')) as Golden;
  const ref = readSafetensors(path.join(dir, 'golden.safetensors')).tensors;
  const want = (name: string) => {
    const t = ref.get(name);
    if (!t) throw new Error(`golden.safetensors has no tensor ${name}`);
    return t.data;
  };
  return { dir, golden, want, ids: Int32Array.from(golden.ids), targets: Int32Array.from(golden.targets) };
}

/** Asserts |ours - ref| <= ATOL + RTOL * |ref| everywhere, naming the worst element. */
function assertClose(ours: ArrayLike<number>, ref: ArrayLike<number>, what: string): void {
  assert.equal(ours.length, ref.length, `${what}: ${ours.length} values, golden has ${ref.length}`);
  let worst = -1;
  let excess = -Infinity;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(ours[i] - ref[i]) - (ATOL + RTOL * Math.abs(ref[i]));
    if (!(e <= excess)) { excess = e; worst = i; } // NaN counts as worst
  }
  assert.ok(excess <= 0, `${what}: element ${worst} is ${ours[worst]}, transformers gives ${ref[worst]}`);
}

test.before(setup);

for (const act of ['relu', 'silu']) {
  test(`${act}: logits and per-token NLL match transformers`, () => {
    const { dir, golden, want, ids, targets } = load(act);
    const model = loadCheckpoint(dir);
    tf.tidy(() => {
      const { logits } = model.forward(ids, golden.B, golden.T); // [B*T, 256]
      assertClose(logits.dataSync(), want('logits'), `${act} logits`);
      assertClose(model.tokenNll(logits, targets).dataSync(), want('nll'), `${act} NLL`); // [B*T]
    });
    model.dispose();
  });

  test(`${act}: FFN captures s, u, a match transformers' MLP hooks`, () => {
    const { dir, golden, want, ids } = load(act);
    const model = loadCheckpoint(dir);
    tf.tidy(() => {
      const { layers } = model.forward(ids, golden.B, golden.T, { capture: true });
      assert.equal(layers?.length, model.config.layers);
      layers!.forEach((cap, l) => {
        for (const k of ['s', 'u', 'a'] as const) assertClose(cap[k].dataSync(), want(`layers.${l}.${k}`), `${act} layer ${l} ${k}`); // [B*T, dFF]
      });
    });
    model.dispose();
  });

  test(`${act}: exact CETT thresholds match a brute-force search`, () => {
    const { dir, golden, ids, targets } = load(act);
    const model = loadCheckpoint(dir);
    const set = { x: ids, y: targets, rows: golden.B, context: golden.T };
    const cal = calibrate(model, set);
    for (const g of golden.cett) {
      const r = cal.curves[g.layer].threshold(g.target);
      const what = `${act} layer ${g.layer} at CETT ${g.target}`;
      assert.equal(r.status, 'ok', what);
      // The threshold is one of the keys |a_i| * ||W_out[:, i]||, so it carries the activations'
      // float32 noise (relative ~1e-6); the fixture guarantees its neighbours are >= 1e-4 away, so the
      // same key is chosen and the kept count is exact.
      assert.ok(Math.abs(r.threshold - g.threshold) <= RTOL * g.threshold, `${what}: threshold ${r.threshold}, brute force ${g.threshold}`);
      assert.equal(Math.round(r.active * g.pairs), g.kept, `${what}: kept pairs`);
      assert.ok(Math.abs(r.cett - g.cett) <= ATOL, `${what}: CETT ${r.cett}, brute force ${g.cett}`);
    }
    model.dispose();
  });
}
