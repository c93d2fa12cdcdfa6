// Line and line-then-plateau fits (the width-depth finding): breakpoint recovery and model choice.
import test from 'node:test';
import assert from 'node:assert/strict';
import { comparePiecewise, fitLine, fitLinePlateau, rngFor } from '../lib/laws';
import { UserError } from '../lib/util/errors';

// Shaped like F2 at 0.1B: the limit ratio grows with d/L up to ~114, then stays near 8%.
const BREAK = 114;
const xs = [20, 28, 36, 48, 60, 74, 88, 100, 110, 120, 135, 160, 190, 230, 282, 340, 420];
const truth = (x: number) => 0.03 + ((0.08 - 0.03) * Math.min(x, BREAK)) / BREAK;

test('line-plateau recovers the breakpoint and plateau, and beats the line by AIC', () => {
  const rng = rngFor(5);
  const y = xs.map((x) => truth(x) + 5e-4 * rng.normal());
  const [line, lp] = comparePiecewise(xs, y, { replicates: 200, seed: 2 });
  assert.equal(lp.model, 'line-plateau');
  assert.ok(Math.abs(lp.breakpoint! - BREAK) < 8, `breakpoint ${lp.breakpoint}`);
  assert.ok(Math.abs(lp.plateau! - 0.08) < 1e-3, `plateau ${lp.plateau}`);
  assert.ok(lp.breakpoint_lo! <= BREAK && BREAK <= lp.breakpoint_hi!, `CI [${lp.breakpoint_lo}, ${lp.breakpoint_hi}]`);
  assert.ok(lp.aic < line.aic - 10 && lp.bic < line.bic - 10, 'the plateau earns its parameter');
  assert.ok(lp.mse < line.mse);
});

test('exact data give the exact breakpoint, even between data points', () => {
  const y = xs.map(truth);
  const lp = fitLinePlateau(xs, y, { replicates: 0 });
  assert.ok(Math.abs(lp.breakpoint! - BREAK) < 1e-6, `breakpoint ${lp.breakpoint}`);
  assert.ok(Math.abs(lp.slope - 0.05 / BREAK) < 1e-9);
  assert.ok(lp.mse < 1e-20);
  assert.equal(lp.uncertainty_method, 'none');
});

test('on a straight line the plateau model is not preferred', () => {
  const rng = rngFor(8);
  const y = xs.map((x) => 0.02 + 0.0002 * x + 5e-4 * rng.normal());
  const [line, lp] = comparePiecewise(xs, y, { replicates: 50 });
  assert.ok(Math.abs(line.slope - 0.0002) < 2e-5);
  assert.ok(lp.bic > line.bic - 2, `BIC line ${line.bic} vs plateau ${lp.bic}`);
  assert.ok(lp.breakpoint! > 300, `a spurious early breakpoint at ${lp.breakpoint}`);
});

test('piecewise bad input', () => {
  assert.throws(() => fitLine([1], [1]), UserError);
  assert.throws(() => fitLinePlateau([1, 2, 2], [1, 2, 3]), /at least 3 distinct x/);
  assert.throws(() => fitLine([1, 2, 3], [1, NaN, 3]), /not a finite number/);
  assert.throws(() => fitLine([1, 2, 3], [1, 2]), /x has 3 values but y has 2/);
});
