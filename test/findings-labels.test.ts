// Run labels are unique within a profile's results: seeds of one model (and runs of one model at
// different budgets) are told apart, so tables and verdicts that key on labels never merge them.
// Before, `long`'s three seeds shared "ReLU d24-l1 (9.29k)": F0 listed seed 0's numbers three times
// and judged its PPL-p% levels on the three seeds' values strung together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../lib/findings';
import { syntheticResults, SYNTH_RUNS } from './findings-fixture';

const base = SYNTH_RUNS.find((r) => r.id === 'd32-l1-relu')!;
const seeded = syntheticResults([
  ...SYNTH_RUNS.filter((r) => r.id !== 'd32-l1-relu'),
  { ...base, id: 'd32-l1-relu-s0', seed: 0 }, { ...base, id: 'd32-l1-relu-s1', seed: 1 }, { ...base, id: 'd32-l1-relu-s2', seed: 2 },
]);

test('labels: unique, with the seed only where seeds of a model differ', () => {
  const labels = F.runsOf(seeded).map((r) => r.label);
  assert.equal(new Set(labels).size, labels.length, labels.join(' | '));
  assert.deepEqual(labels.filter((l) => l.startsWith('ReLU d32-l1')), ['ReLU d32-l1 (16k), seed 0', 'ReLU d32-l1 (16k), seed 1', 'ReLU d32-l1 (16k), seed 2']);
  assert.ok(labels.includes('SiLU d32-l1 (16k)'), 'a model with one run keeps its plain label');
  assert.deepEqual(F.runsOf(syntheticResults()).map((r) => r.label), F.runsOf(syntheticResults()).map((r) => `${r.act === 'relu' ? 'ReLU' : 'SiLU'} ${r.size}`), 'no seeds: labels as before');
});

test('labels: F0 judges each seed on its own numbers', () => {
  const f0 = F.f0Runs(seeded);
  assert.equal(F.f0CettStanding(seeded).length, f0.length);
  assert.equal(new Set(F.f0CettStanding(seeded).map((s) => s.model)).size, f0.length, 'one standing per run');
  const levels = F.f0Verdicts(seeded).find((v) => v.claim.startsWith('PPL-1% keeps'))!;
  assert.equal(levels.verdict, 'partly', "each seed's levels fall monotonically (strung together they did not)");
  assert.match(levels.ours, new RegExp(`on ${f0.length} model`));
});
