// fit-law --target-ratio (issue #13 item 5): the tokens needed to reach a ratio, with an interval, and
// one-line refusals (exit 2) when the limit is not identified or the target lies beyond it.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fitLawCommand } from '../lib/cli/fit-law';
import { PUBLISHED_FITS, lawValue, rngFor, tokensAtRatio } from '../lib/laws';
import { startCommand } from './helpers';

/** The compiled command under `npm test`, the TypeScript source under tsx (test/helpers). */
function spawnCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return startCommand('fit-law', args).done;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fit-law-target-'));
const r = PUBLISHED_FITS[6]; // SiLU 0.2B: A0 0.39
const truth = { law: r.act, A0: r.A0, alpha: r.alpha, b: r.b, c: r.c, unit: 'B' as const };
const rng = rngFor(3);
const DB = Array.from({ length: 30 }, (_, i) => Math.pow(300, i / 29));
const silu = path.join(dir, 'silu.csv');
fs.writeFileSync(silu, 'tokens,activation_ratio\n' + DB.map((d) => `${d * 1e9},${lawValue(truth, d) + 1e-4 * rng.normal()}`).join('\n') + '\n');
// A ReLU curve straight in ln D: no bend, so its limit is not identified.
const straight = path.join(dir, 'straight.csv');
fs.writeFileSync(straight, 'tokens,activation_ratio\n' + DB.slice(0, 12).map((d, i) => `${d * 1e9},${0.3 - 0.02 * Math.log(d) + 0.0004 * Math.sin(3 * i)}`).join('\n') + '\n');

test('--target-ratio: tokens to reach the ratio, near the true law\'s, with an interval around it', () => {
  const out = JSON.parse(fitLawCommand(['--input', silu, '--act', 'silu', '--replicates', '50', '--json', '--target-ratio', '0.37']));
  const want = tokensAtRatio('silu', [r.A0, r.alpha, r.c], 0.37);
  assert.equal(out.fit.limit_identified, true);
  assert.ok(Math.abs(out.target.D / want - 1) < 0.05, `${out.target.D} vs ${want}`);
  assert.ok(out.target.D_lo <= out.target.D && out.target.D <= out.target.D_hi);
  assert.equal(out.target.unit, 'B');
  const table = fitLawCommand(['--input', silu, '--act', 'silu', '--replicates', '50', '--target-ratio', '0.37', '--n-params', '2e8']);
  assert.match(table, /^activation ratio 0\.37(00)? reached after [\d.]+ B tokens = [\d.e+]+ tokens per parameter \[95%: [\d.]+, [\d.]+\]/m);
});

test('--target-ratio refusals: one line on stderr, exit 2', async () => {
  const [beyond, unidentified, range] = await Promise.all([
    spawnCli(['--input', silu, '--act', 'silu', '--replicates', '20', '--target-ratio', '0.45']),
    spawnCli(['--input', straight, '--act', 'relu', '--replicates', '20', '--target-ratio', '0.2']),
    spawnCli(['--input', silu, '--act', 'silu', '--replicates', '20', '--target-ratio', '1.5']),
  ]);
  for (const [res, re] of [[beyond, /rises toward its limit A0 = 0\.39\d* and never gets above it/], [unidentified, /the limit is not identified/], [range, /--target-ratio must be in \(0, 1\)/]] as const) {
    assert.equal(res.code, 2, res.stderr);
    assert.equal(res.stdout, '');
    const lines = res.stderr.trim().split('\n');
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0], /^error: cannot predict|^error: --target-ratio/);
    assert.match(lines[0], re);
  }
});
