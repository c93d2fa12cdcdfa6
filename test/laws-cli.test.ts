// The fit-law command: bad input gives one line on stderr and exit code 2; good input a table or JSON.
// Most cases run in process (fitLawCommand); two run as real processes to check the exit code and
// stderr, using the compiled command under `npm test` (dist/) and the TypeScript source under tsx.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fitLawCommand } from '../lib/cli/fit-law';
import { PUBLISHED_FITS, lawValue, rngFor } from '../lib/laws';
import { UserError } from '../lib/util/errors';
import { startCommand } from './helpers';

/** The compiled command under `npm test`, the TypeScript source under tsx (test/helpers). */
function spawnCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return startCommand('fit-law', args).done;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fit-law-'));
function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

const r = PUBLISHED_FITS[6]; // SiLU 0.2B
const truth = { law: r.act, A0: r.A0, alpha: r.alpha, b: r.b, c: r.c, unit: 'B' as const };
const rng = rngFor(3);
const DB = Array.from({ length: 30 }, (_, i) => Math.pow(300, i / 29));
const A = DB.map((d) => lawValue(truth, d) + 1e-4 * rng.normal());
const goodCsv = write('good.csv', 'step,tokens,activation_ratio\n' + DB.map((d, i) => `${i},${d * 1e9},${A[i]}`).join('\n') + '\n');
const goodJsonlB = write('good_b.jsonl', DB.map((d, i) => JSON.stringify({ tokens: d, activation_ratio: A[i] })).join('\n') + '\n');
const head = 'tokens,activation_ratio\n';

test('bad input: a one-line UserError naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['--input', path.join(dir, 'missing.csv'), '--act', 'silu'], /no such file/],
    [['--input', write('cols.csv', 'tokens,ratio\n1e9,0.3\n'), '--act', 'silu'], /needs columns tokens and activation_ratio \(found: tokens, ratio\)/],
    [['--input', write('few.csv', head + '1e9,0.3\n2e9,0.32\n'), '--act', 'silu'], /3 parameters but only 2 points/],
    [['--input', write('zero.csv', head + '1e9,0.3\n0,0.32\n3e9,0.33\n4e9,0.34\n'), '--act', 'silu'], /line 3: tokens must be positive/],
    [['--input', write('neg.jsonl', '{"tokens":-5,"activation_ratio":0.3}\n'), '--act', 'silu'], /line 1: tokens must be positive/],
    [['--input', write('range.csv', head + '1e9,0.3\n2e9,1.3\n'), '--act', 'silu'], /line 3: activation ratio must be in \[0, 1\]/],
    [['--input', write('nan.csv', head + '1e9,0.3\n2e9,NaN\n'), '--act', 'silu'], /line 3: activation ratio is not a number/],
    [['--input', write('nan.jsonl', '{"tokens":1e9,"activation_ratio":null}\n'), '--act', 'silu'], /line 1: activation ratio is not a number \(got null\)/],
    [['--input', write('blank.csv', head + '1e9,0.3\n2e9,\n'), '--act', 'silu'], /line 3: activation ratio is not a number/],
    [['--input', write('bad.jsonl', '{"tokens":1e9,"activation_ratio":0.3}\n{oops\n'), '--act', 'silu'], /line 2: not valid JSON/],
    [['--input', write('curve.txt', head), '--act', 'silu'], /unsupported file type/],
    [['--input', goodCsv], /--act must be relu or silu/],
    [['--act', 'silu'], /--input is required/],
    [['--input', goodCsv, '--act', 'silu', '--unit', 'K'], /unknown token unit/],
    [['--input', goodCsv, '--act', 'silu', '--seed', 'x'], /--seed expects an integer/],
    [['--input', goodCsv, '--act', 'silu', '--frobnicate'], /unknown argument/],
  ];
  for (const [args, re] of cases) {
    const what = args.join(' ');
    assert.throws(() => fitLawCommand(args), (e: unknown) => {
      assert.ok(e instanceof UserError, `${what}: not a UserError: ${String(e)}`);
      assert.match(e.message, re, what);
      assert.ok(!e.message.includes('\n'), `${what}: more than one line`);
      return true;
    });
  }
});

test('flags are parsed as every command parses them (lib/util/args): --name=value, -h, a missing value, a stray word', () => {
  const a = JSON.parse(fitLawCommand([`--input=${goodCsv}`, '--act=silu', '--uncertainty=none', '--json']));
  const b = JSON.parse(fitLawCommand(['--input', goodCsv, '--act', 'silu', '--uncertainty', 'none', '--json']));
  assert.deepEqual(a, b);
  assert.match(fitLawCommand(['-h']), /^usage: fit-law/);
  const cases: [string[], string][] = [
    [['--input', goodCsv, '--act'], '--act needs a value (see --help)'],
    [['--input', goodCsv, '--act', 'silu', 'extra'], 'unknown argument "extra" (see --help)'],
    [['--input', goodCsv, '--act', 'silu', '--frobnicate'], 'unknown argument "--frobnicate" (see --help)'],
    [['--input', goodCsv, '--act', 'silu', '--json=yes'], '--json takes no value (see --help)'],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => fitLawCommand(args), (e: unknown) => e instanceof UserError && e.message === message, args.join(' '));
  }
});

test('good input: table and JSON, and the input unit does not change the fit', () => {
  const table = fitLawCommand(['--input', goodCsv, '--act', 'silu', '--replicates', '50']);
  assert.match(table, /^A0\s+0\.3/m);
  assert.match(table, /against the baselines/);
  assert.match(table, /^sigmoid\s/m);
  const out = JSON.parse(fitLawCommand(['--input', goodCsv, '--act', 'silu', '--replicates', '50', '--json', '--n-params', '2e8']));
  assert.ok(Math.abs(out.fit.A0 - r.A0) < 1e-3, `A0 ${out.fit.A0}`);
  assert.equal(out.fit.unit, 'B');
  assert.deepEqual(out.compare.map((x: { law: string }) => x.law), ['silu', 'log', 'sigmoid']);
  assert.ok(out.convergence.tokens_per_param_within_eps > 0);
  const outB = JSON.parse(fitLawCommand(['--input', goodJsonlB, '--act', 'silu', '--unit', 'B', '--replicates', '50', '--json']));
  assert.ok(Math.abs(outB.fit.A0 - out.fit.A0) < 1e-9, 'tokens and B input give the same fit');
  assert.ok(Math.abs(outB.fit.c / out.fit.c - 1) < 1e-6);
  assert.match(fitLawCommand(['--help']), /^usage: fit-law/);
});

test('as a process: exit code 2 and one stderr line for bad input, 0 and JSON for good input', async () => {
  const [bad, good] = await Promise.all([
    spawnCli(['--input', write('range2.csv', head + '1e9,0.3\n2e9,-0.5\n'), '--act', 'relu']),
    spawnCli(['--input', goodCsv, '--act', 'silu', '--uncertainty', 'none', '--json']),
  ]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^error: .*line 3: activation ratio must be in \[0, 1\] \(got -0\.5\)\n$/);
  assert.equal(good.code, 0, good.stderr);
  assert.ok(Math.abs(JSON.parse(good.stdout).fit.A0 - r.A0) < 1e-3);
});
