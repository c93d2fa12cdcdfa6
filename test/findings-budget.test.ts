// The F1 view of one activation's runs by training budget (the `long` profile's 16M-token SiLU run).
import test from 'node:test';
import assert from 'node:assert/strict';
import { f1BudgetRows, f1LongestRunText } from '../lib/findings/f1';
import { syntheticResults, SYNTH_RUNS } from './findings-fixture';

test('f1BudgetRows lists one activation by size, with the limit only where identified', () => {
  const r = syntheticResults();
  const rows = f1BudgetRows(r, 'silu');
  assert.deepEqual(rows.map((x) => x.run), ['d32-l1-silu', 'd64-l2-silu']);
  for (const row of rows) {
    if (row.A0 === null) assert.match(String(row.limit), /not identified|no fit|fit failed/);
    else assert.ok((row.A0_lo as number) <= (row.A0 as number) && (row.A0 as number) <= (row.A0_hi as number));
  }
  // the synthetic SiLU trajectories follow the law with limit 0.42 and 0.41
  assert.ok(Math.abs((rows[0].A0 as number) - 0.42) < 0.02, `A0 ${rows[0].A0}`);
});

test('f1LongestRunText names the run with the most tokens per parameter and its limit against the paper', () => {
  const r = syntheticResults();
  const text = f1LongestRunText(r, 'silu');
  assert.match(text, /SiLU d32-l1/);              // 16k parameters: more tokens per parameter than the 131k model
  assert.match(text, /identified: A0 0\.4\d*/);
  assert.match(text, /paper, 0\.1B-1\.2B: 38\.2%-40\.9%/);
  const none = syntheticResults(SYNTH_RUNS.filter((x) => x.act !== 'silu'));
  assert.match(f1LongestRunText(none, 'silu'), /^No SiLU runs/);
});
