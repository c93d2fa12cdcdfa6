// The committed hub fixtures (written by scripts/hub_fixtures.py) and comparisons against them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensors } from '../lib/checkpoint/safetensors';
import { loadHubModel } from '../lib/hub';

/** test/fixtures/hub in the source tree (tests run from dist/test). */
export const FIXTURES = [path.join(__dirname, '..', '..', 'test', 'fixtures', 'hub'), path.join(__dirname, 'fixtures', 'hub')].find((p) => fs.existsSync(p))!;
export const SAMPLE = path.join(FIXTURES, 'sample.txt');
export const GENERATOR = [path.join(__dirname, '..', '..', 'scripts', 'hub_fixtures.py'), path.join(__dirname, '..', 'scripts', 'hub_fixtures.py')].find((p) => fs.existsSync(p))!;

export interface Expected {
  ids: number[];
  starts: number[];
  context: number;
  x: number[];
  y: number[];
  fatrelu_threshold: number;
  nll: Record<string, number[]>;
  logits: Record<string, Float32Array>;
}

export function readExpected(dir = FIXTURES): Expected {
  const e = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
  const { tensors } = readSafetensors(path.join(dir, 'expected.safetensors'));
  e.logits = Object.fromEntries([...tensors].map(([k, t]) => [k.replace(/\.logits$/, ''), t.data]));
  return e;
}

/** max |a - b| / max |b|: agreement relative to the reference's scale. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / den;
}

/** Logits and per-token NLL of a model directory on the expected windows. */
export function ourOutputs(dir: string, e: Expected): { logits: Float32Array; nll: Float32Array } {
  const { model } = loadHubModel(dir);
  const B = e.starts.length;
  const out = model.forward(Int32Array.from(e.x), B, e.context);
  const logits = out.logits.dataSync() as Float32Array;
  const nll = model.tokenNll(out.logits, Int32Array.from(e.y)).dataSync() as Float32Array;
  out.logits.dispose();
  model.dispose();
  return { logits, nll };
}

/** A copy of a fixture model directory with its config.json edited. */
export function copyWithConfig(src: string, dst: string, edit: (c: Record<string, unknown>) => void): string {
  fs.cpSync(src, dst, { recursive: true });
  const file = path.join(dst, 'config.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c));
  return dst;
}
