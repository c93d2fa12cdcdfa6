// The limit against model size (issue #13 item 2): the weighted fit recovers known parameters, its
// interval covers the truth, and it says "not identified" at bounds, with too few sizes, and when the
// trend has no curvature; non-identified sizes enter only as one-sided bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitSizeLaw, rngFor, sizeInsensitiveFrom, sizeLawValue, type SizePoint } from '../lib/laws';

const SIZES = [8e3, 16e3, 33e3, 66e3, 131e3, 262e3, 524e3, 1.05e6];
const TRUE = { A_inf: 0.07, gamma: 0.5, k: 25 };

function points(sd: number, seed: number, truth = TRUE, sizes = SIZES): SizePoint[] {
  const rng = rngFor(seed);
  return sizes.map((N) => {
    // Box-Muller from the project's seeded generator.
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const A0 = sizeLawValue(truth, N) + sd * z;
    return { N, A0, A0_lo: A0 - 1.96 * sd, A0_hi: A0 + 1.96 * sd, identified: true };
  });
}

test('size law: recovers A_inf, gamma and k from exact points, with a tight interval', () => {
  const f = fitSizeLaw(points(0, 1).map((p) => ({ ...p, A0_lo: (p.A0 as number) - 0.002, A0_hi: (p.A0 as number) + 0.002 })));
  assert.ok(f.identified, f.not_identified_because);
  assert.ok(Math.abs(f.A_inf - 0.07) < 1e-4, String(f.A_inf));
  assert.ok(Math.abs(f.gamma - 0.5) < 1e-3, String(f.gamma));
  assert.ok(Math.abs(f.k - 25) / 25 < 1e-2, String(f.k));
  assert.ok(f.A_inf_lo < 0.07 && f.A_inf_hi > 0.07 && f.A_inf_hi - f.A_inf_lo < 0.02);
  assert.equal(f.dof, SIZES.length - 3);
  // Scale-insensitive within 0.005 from N where 25 N^-0.5 = 0.005, i.e. 2.5e7.
  assert.ok(Math.abs(sizeInsensitiveFrom(f, 0.005) / 2.5e7 - 1) < 0.05);
});

test('size law: the 95% interval on A_inf covers the truth in most noisy replicates', () => {
  let cover = 0;
  const reps = 20;
  for (let s = 0; s < reps; s++) {
    const f = fitSizeLaw(points(0.004, 100 + s));
    if (f.A_inf_lo <= 0.07 && 0.07 <= f.A_inf_hi) cover++;
  }
  assert.ok(cover >= 16, `coverage ${cover}/${reps}`);
});

test('size law: not identified with three sizes, on a straight trend in ln N, or with A_inf at its bound', () => {
  const three = fitSizeLaw(points(0.002, 3).slice(0, 3));
  assert.equal(three.identified, false);
  assert.match(three.not_identified_because, /passes through them/);
  const two = fitSizeLaw(points(0.002, 3).slice(0, 2));
  assert.equal(two.identified, false);
  assert.ok(Number.isNaN(two.A_inf));
  // A0 falling linearly in ln N: no curvature, so the asymptote is anywhere the box allows.
  const line: SizePoint[] = SIZES.map((N) => {
    const A0 = 0.5 - 0.04 * Math.log(N / 8e3);
    return { N, A0, A0_lo: A0 - 0.004, A0_hi: A0 + 0.004, identified: true };
  });
  const fl = fitSizeLaw(line);
  assert.equal(fl.identified, false);
  assert.match(fl.not_identified_because, /bound/);
  // Limits still falling steeply towards 0 at the largest size: A_inf runs to its lower bound 0.
  const zero = fitSizeLaw(points(0.001, 4, { A_inf: 0, gamma: 0.3, k: 2 }).map((p) => ({ ...p, A0: Math.max(0, p.A0 as number) })));
  assert.equal(zero.identified, false);
  assert.match(zero.not_identified_because, /A_inf = 0 \(lower bound\)|reaches its lower bound/);
});

test('size law: non-identified sizes are one-sided bounds, checked but not fitted', () => {
  const pts = points(0.002, 5);
  const withBounds: SizePoint[] = [
    ...pts,
    { N: 2e6, A0: null, A0_lo: null, A0_hi: null, identified: false, bound: 0.02, boundSide: 'upper', label: 'big' },
    { N: 4e6, A0: null, A0_lo: null, A0_hi: null, identified: false, bound: 0.5, boundSide: 'upper', label: 'loose' },
  ];
  const f = fitSizeLaw(withBounds);
  const g = fitSizeLaw(pts);
  assert.equal(f.n_fitted, SIZES.length);
  assert.equal(f.n_bounds, 2);
  assert.equal(f.A_inf, g.A_inf); // bounds do not move the fit
  assert.equal(f.bound_violations, 1);
  assert.match(f.warnings, /breaks the one-sided bound of big/);
});
