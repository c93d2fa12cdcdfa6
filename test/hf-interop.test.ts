// Checkpoints load both ways with Hugging Face transformers. Skipped where python3 lacks torch and
// transformers (they are not a project dependency; `pip install torch transformers` enables it).
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadCheckpoint, saveCheckpoint } from '../lib/checkpoint/hf';
import { microModel, randomIds, setup, tmpDir } from './helpers';

const script = path.join(__dirname, '..', '..', 'scripts', 'hf_interop.py');
const scriptPath = fs.existsSync(script) ? script : path.join(__dirname, '..', 'scripts', 'hf_interop.py');
const hasHF = spawnSync('python3', ['-c', 'import torch, transformers'], { encoding: 'utf8' }).status === 0;
const py = (...args: string[]) => {
  const r = spawnSync('python3', [scriptPath, ...args], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; };

test.before(setup);

test('a checkpoint written here gives the same logits in transformers', { skip: hasHF ? false : 'python3 has no torch/transformers' }, () => {
  for (const act of ['relu', 'silu'] as const) {
    const m = microModel(act, 9, 'micro-l2');
    const dir = tmpDir();
    saveCheckpoint(m, dir);
    const ids = randomIds(32, 256, 5);
    fs.writeFileSync(path.join(dir, 'ids.json'), JSON.stringify({ ids: Array.from(ids), B: 2, T: 16 }));
    py('logits', dir, path.join(dir, 'ids.json'), path.join(dir, 'out.json'));
    const theirs = (JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as number[][]).flat();
    const ours = m.forward(ids, 2, 16).logits.dataSync();
    assert.ok(maxDiff(ours, theirs) < 1e-4, `${act}: max |diff| ${maxDiff(ours, theirs)}`);
    m.dispose();
  }
});

test('a checkpoint written by transformers loads here with the same logits', { skip: hasHF ? false : 'python3 has no torch/transformers' }, () => {
  for (const act of ['relu', 'silu']) {
    const dir = tmpDir();
    py('make', dir, act);
    const exp = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8'));
    const m = loadCheckpoint(dir);
    const ours = m.forward(Int32Array.from(exp.ids), exp.B, exp.T).logits.dataSync();
    assert.ok(maxDiff(ours, (exp.logits as number[][]).flat()) < 1e-4, `${act}: max |diff| ${maxDiff(ours, (exp.logits as number[][]).flat())}`);
    m.dispose();
  }
});
