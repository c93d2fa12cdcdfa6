import test from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runCommand, tmpDir } from './helpers';

const oneLine = (s: string) => s.trim().split('\n')[0];

test('train command: bad input gets one clear line and exit code 2, never a stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['--preset', 'nope', '--tokens', '1k'], /unknown preset 'nope'/],
    [['--preset', 'micro', '--tokens', '1k', '--bogus'], /^error: unknown argument "--bogus" \(see --help\)$/],
    [['--preset', 'micro'], /--tokens is required/],
    [['--preset', 'micro', '--tokens', 'lots'], /--tokens expects a number/],
    [['--preset', 'micro', '--act', 'gelu', '--tokens', '1k'], /--act must be relu or silu/],
  ];
  for (const [args, re] of cases) {
    const r = runCommand('train', args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(oneLine(r.stderr), re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('train command trains a micro model and a second call does nothing', () => {
  const out = path.join(tmpDir(), 'run');
  const args = ['--preset', 'micro', '--tokens', '4k', '--batch', '8', '--seq-len', '16', '--eval-tokens', '256', '--ckpt-first', '1k', '--ckpt-factor', '2', '--out', out, '--quiet'];
  const r = runCommand('train', args);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.steps, 31);
  assert.ok(Number.isFinite(summary.finalValLoss));
  const again = runCommand('train', args);
  assert.equal(again.code, 0);
  assert.equal(JSON.parse(again.stdout.trim()).seconds, 0);
});
