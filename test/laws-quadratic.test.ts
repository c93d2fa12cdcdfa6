// The loss sweet spot: a quadratic in ln x, its minimum over the sampled range, and a residual-
// bootstrap interval. Coefficients are held against numpy's polyfit (test/fixtures/quadratic-min.json,
// made by scripts/golden/quadratic_min.py), so the check needs no Python.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { quadraticMinimum, rngFor } from '../lib/laws';

// dist/test/ -> test/fixtures (compiled), or test/ -> test/fixtures (tsx)
const FIXTURE = [path.join(__dirname, '..', '..', 'test', 'fixtures', 'quadratic-min.json'), path.join(__dirname, 'fixtures', 'quadratic-min.json')].find(fs.existsSync)!;
const { cases } = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { cases: Record<string, { x: number[]; y: number[]; a: number; b: number; c: number; vertex_x: number }> };
const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${got} vs numpy ${want}`);

test('quadratic minimum: coefficients and vertex equal numpy polyfit', () => {
  for (const [name, c] of Object.entries(cases)) {
    const s = quadraticMinimum(c.x, c.y, { resamples: 10 })!;
    close(s.a, c.a, `${name} a`);
    close(s.b, c.b, `${name} b`);
    close(s.c, c.c, `${name} c`);
  }
  const v = quadraticMinimum(cases.parabola_four_seeds.x, cases.parabola_four_seeds.y)!;
  close(v.x, cases.parabola_four_seeds.vertex_x, 'parabola vertex');
  assert.ok(v.lo < v.x && v.x < v.hi && v.lo > 1.5 && v.hi < 92, `${v.x} [${v.lo}, ${v.hi}]`);
  assert.ok(v.located && v.why === null && v.lack_of_fit_p! > 0.05 && v.at_edge < 0.025);
});

test('quadratic minimum: an asymmetric valley is not located where the parabola misses the seeds', () => {
  // Means 1.895, 1.870, 1.847, 1.831, 1.895 with seed noise ~0.005: the data's best is d/L 32, the parabola's vertex 13.6.
  const c = cases.valley_four_seeds;
  const s = quadraticMinimum(c.x, c.y)!;
  close(s.x, c.vertex_x, 'valley vertex');
  assert.equal(s.located, false);
  assert.ok(s.lack_of_fit_p! < 1e-4, `lack of fit p ${s.lack_of_fit_p}`);
  assert.match(s.why!, /does not fit within the seed noise/);
});

test('quadratic minimum: a curve without a valley inside puts it on an end, not located', () => {
  const cc = cases.concave_one_seed;
  const s = quadraticMinimum(cc.x, cc.y)!;
  assert.ok(s.c < 0);
  assert.equal(s.x, 180, 'concave and falling: the widest end');
  assert.equal(s.located, false);
  assert.match(s.why!, /no valley inside/);
  // Convex but still falling at the widest shape's noise level: the vertex sits inside, the interval reaches the end.
  const f = cases.falling_one_seed;
  const sf = quadraticMinimum(f.x, f.y)!;
  close(sf.x, f.vertex_x, 'falling vertex');
  assert.equal(sf.located, false, 'a parabola bends through a curve that only flattens');
  assert.match(sf.why!, /lowest measured value is at the largest x/);
  assert.equal(sf.lack_of_fit_p, null, 'one seed per shape: no pure error to test against');
});

test('quadratic minimum: recovers a known valley and its interval covers it; deterministic by seed', () => {
  const xs = [1, 2, 4, 8, 16, 32, 64, 128].flatMap((x) => [x, x, x, x]);
  let covered = 0;
  let width = 0;
  const trials = 40;
  for (let t = 0; t < trials; t++) {
    const rng = rngFor(11, t);
    const y = xs.map((x) => 1.8 + 0.01 * (Math.log(x) - Math.log(20)) ** 2 + 0.004 * rng.normal());
    const s = quadraticMinimum(xs, y, { resamples: 400, seed: t })!;
    if (s.lo <= 20 && 20 <= s.hi) covered++;
    width += Math.log(s.hi / s.lo) / trials;
    assert.ok(s.located || /interval reaches|lack of fit/.test(s.why!), `trial ${t}: ${s.why}`);
  }
  // Nominal 95%; the percentile bootstrap on 32 points runs a little narrow. 30 of 40 fails only a badly broken interval.
  assert.ok(covered >= 30, `covered ${covered} of ${trials}`);
  // ...and not by being the whole range (ln 128 = 4.85): noise 0.004 on a curvature of 0.01 pins the vertex.
  assert.ok(width < 0.5, `mean interval width ${width} in ln x`);
  const y = xs.map((x, i) => 1.8 + 0.01 * Math.log(x / 20) ** 2 + 0.004 * rngFor(3, i).normal());
  assert.deepEqual(quadraticMinimum(xs, y, { seed: 4 }), quadraticMinimum(xs, y, { seed: 4 }));
});

test('quadratic minimum: too few points or shapes give null, mismatched lengths an error', () => {
  assert.equal(quadraticMinimum([1, 2, 4], [1, 0.5, 1]), null, 'three points leave no residual');
  assert.equal(quadraticMinimum([1, 1, 2, 2], [1, 1.1, 0.5, 0.6]), null, 'two distinct x');
  assert.equal(quadraticMinimum([1, 2, 4, 8, NaN], [1, 0.5, 0.4, 1, 2])?.n, 4, 'non-finite points are dropped');
  assert.throws(() => quadraticMinimum([1, 2], [1]), /2 x values but 1 y values/);
});
