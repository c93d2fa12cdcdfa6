// Law fitting (lib/laws): recovery of the paper's published fits, determinism, warmup rule, baselines,
// predictions, diagnostics and bad input.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  FORMS,
  PUBLISHED_FITS,
  compareBaselines,
  convergenceRow,
  convertTokens,
  curveRows,
  fitLaw,
  fitLawDetailed,
  lawValue,
  linearised,
  rngFor,
  sigmoidForm,
  logForm,
  slopeAt,
  slopeRows,
  tokensAtRatio,
  tokensToWithin,
  type CurvePoint,
  type LawParams,
  type PublishedFit,
} from '../lib/laws';
import { lineWithSe, ols } from '../lib/laws/linalg';
import { UserError } from '../lib/util/errors';

const NOISE_SD = 1e-4;

function truth(r: PublishedFit): LawParams {
  return { law: r.act, A0: r.A0, alpha: r.alpha, b: r.b, c: r.c, unit: 'B' };
}

/**
 * n log-uniform token counts (seeded, endpoints included) between lo and 300B, as raw tokens.
 * lo is 1B, or later where the published SiLU law is below 0.05 at 1B (three rows go negative there:
 * the fits only describe the range the paper trained on).
 */
function sampleCurve(r: PublishedFit, n: number, seed: number, sd = NOISE_SD): CurvePoint[] {
  const rng = rngFor(seed);
  let lo = 1;
  while (lawValue(truth(r), lo) < 0.05) lo *= 1.01;
  const u = [0, 1, ...Array.from({ length: n - 2 }, () => rng.next())].sort((a, b) => a - b);
  return u.map((t) => {
    const DB = lo * Math.pow(300 / lo, t);
    return { D: convertTokens(DB, 'B', 'tokens'), A: lawValue(truth(r), DB) + sd * rng.normal() };
  });
}

function mseOf(p: LawParams, pts: readonly CurvePoint[]): number {
  return pts.reduce((s, q) => s + (lawValue(p, q.D) - q.A) ** 2, 0) / pts.length;
}

test('recovery: every published row, 25-40 noisy points in 1B-300B tokens', (t) => {
  const summary: string[] = [];
  let covered = 0;
  PUBLISHED_FITS.forEach((r, i) => {
    const n = 25 + ((i * 7) % 16); // 25..40
    const pts = sampleCurve(r, n, 100 + i);
    const d = fitLawDetailed(pts, { act: r.act, unit: 'tokens', reportUnit: 'B', replicates: 60, seed: 1 });
    const f = d.fit;
    const err = Math.abs(f.A0 - r.A0);
    // Compare errors on exactly the points the fit used (the warmup rule may drop some).
    const mseTrue = mseOf(truth(r), d.used);
    summary.push(`${r.act} ${r.scale} n=${n} |dA0|=${err.toExponential(2)} mse/mse_true=${(f.mse / mseTrue).toFixed(4)}`);
    assert.equal(f.unit, 'B');
    assert.equal(f.law, r.act);
    assert.ok(err < 1e-3, `${r.act} ${r.scale}: |A0 - true| = ${err}`);
    assert.ok(f.mse <= mseTrue * (1 + 1e-9), `${r.act} ${r.scale}: fit MSE ${f.mse} worse than the true parameters' ${mseTrue}`);
    assert.ok(f.n_used >= n - 2, `${r.act} ${r.scale}: warmup rule dropped ${f.n_dropped} points of a clean curve`);
    assert.ok(f.A0_lo <= f.A0 && f.A0 <= f.A0_hi && f.A0_lo < f.A0_hi, 'interval brackets the estimate');
    assert.ok(f.alpha > 0 && f.c > 0);
    if (f.A0_lo <= r.A0 && r.A0 <= f.A0_hi) covered++;
  });
  t.diagnostic(summary.join('\n'));
  t.diagnostic(`true A0 inside the 95% bootstrap interval for ${covered}/10 rows`);
  assert.ok(covered >= 7, `bootstrap intervals cover the true A0 in only ${covered}/10 rows`);
});

test('recovery without noise is exact for every parameter', () => {
  for (const r of PUBLISHED_FITS) {
    const pts = sampleCurve(r, 30, 7, 0);
    const f = fitLaw(pts, { act: r.act, uncertainty: 'none' });
    assert.ok(Math.abs(f.A0 - r.A0) < 1e-9, `${r.act} ${r.scale} A0 ${f.A0}`);
    assert.ok(Math.abs(f.alpha / r.alpha - 1) < 1e-6, `${r.act} ${r.scale} alpha ${f.alpha}`);
    assert.ok(Math.abs(f.c / r.c - 1) < 1e-6, `${r.act} ${r.scale} c ${f.c}`);
    if (r.b !== null) assert.ok(Math.abs(f.b! - r.b) < 1e-6, `${r.act} ${r.scale} b ${f.b}`);
    else assert.equal(f.b, null);
  }
});

test('the report unit changes c (and D) but not the curve or A0', () => {
  const r = PUBLISHED_FITS[2];
  const pts = sampleCurve(r, 30, 3);
  const inB = fitLaw(pts, { act: 'relu', reportUnit: 'B', uncertainty: 'none' });
  const inTok = fitLaw(pts, { act: 'relu', reportUnit: 'tokens', uncertainty: 'none' });
  const inputInM = pts.map((p) => ({ D: convertTokens(p.D, 'tokens', 'M'), A: p.A }));
  const fromM = fitLaw(inputInM, { act: 'relu', unit: 'M', reportUnit: 'B', uncertainty: 'none' });
  assert.ok(Math.abs(inB.A0 - inTok.A0) < 1e-9);
  assert.ok(Math.abs(inB.A0 - fromM.A0) < 1e-9);
  assert.ok(Math.abs(inTok.c / (inB.c * Math.pow(1e-9, inB.alpha)) - 1) < 1e-6, 'c scales as k^alpha');
  assert.ok(Math.abs(lawValue(inB, 50) - lawValue(inTok, 50e9)) < 1e-9);
  assert.ok(Math.abs(lawValue(inB, 50) - lawValue(inTok, 50, 'B')) < 1e-9, 'lawValue converts the unit it is given');
});

test('deterministic: same data and seed give the same row; the seed moves only the intervals', () => {
  const pts = sampleCurve(PUBLISHED_FITS[6], 33, 11);
  const a = fitLaw(pts, { act: 'silu', replicates: 80, seed: 5 });
  const b = fitLaw(pts.slice().reverse(), { act: 'silu', replicates: 80, seed: 5 });
  assert.deepEqual(a, b);
  const c = fitLaw(pts, { act: 'silu', replicates: 80, seed: 6 });
  assert.equal(c.A0, a.A0);
  assert.equal(c.c, a.c);
  // The bootstrap interval moves with the seed; the profile-likelihood interval of A0 does not.
  assert.notEqual(c.A0_boot_lo, a.A0_boot_lo);
  assert.equal(c.A0_lo, a.A0_lo);
});

test('uncertainty methods: points bootstrap and covariance give sensible intervals', () => {
  const r = PUBLISHED_FITS[7];
  const pts = sampleCurve(r, 30, 21);
  const boot = fitLaw(pts, { act: 'silu', uncertainty: 'bootstrap-points', replicates: 80 });
  const cov = fitLaw(pts, { act: 'silu', uncertainty: 'covariance' });
  const none = fitLaw(pts, { act: 'silu', uncertainty: 'none' });
  for (const f of [boot, cov]) {
    assert.ok(f.A0_boot_lo < f.A0 && f.A0 < f.A0_boot_hi, f.uncertainty_method);
    assert.ok(f.A0_boot_hi - f.A0_boot_lo < 0.01, `${f.uncertainty_method}: interval too wide`);
  }
  assert.match(boot.uncertainty_method, /bootstrap over points/);
  assert.match(cov.uncertainty_method, /covariance/);
  assert.ok(Number.isNaN(none.A0_boot_lo));
  assert.equal(none.uncertainty_method, 'none');
  // The profile-likelihood interval of the limit needs no replicates.
  assert.ok(none.A0_lo < none.A0 && none.A0 < none.A0_hi);
});

test('warmup: the SiLU dip is dropped by the default rule, and leaving it in hurts', () => {
  const r = PUBLISHED_FITS[5];
  const body = sampleCurve(r, 28, 31);
  const dip = body[0].A;
  // Early checkpoints above the dip, falling into it (what section 5 of method.md saw).
  const early = [0.2e9, 0.35e9, 0.5e9, 0.7e9].map((D, i) => ({ D, A: dip + 0.04 - 0.01 * i }));
  const pts = [...early, ...body];
  const def = fitLawDetailed(pts, { act: 'silu', uncertainty: 'none' });
  assert.equal(def.fit.n_dropped, 4);
  assert.deepEqual(def.dropped.map((p) => p.D), early.map((p) => p.D / 1e9));
  assert.ok(Math.abs(def.fit.A0 - r.A0) < 1e-3);
  const none = fitLaw(pts, { act: 'silu', warmup: 'none', uncertainty: 'none' });
  assert.equal(none.n_dropped, 0);
  assert.ok(none.mse > 10 * def.fit.mse, 'the law cannot follow the dip');
  const byTokens = fitLaw(pts, { act: 'silu', warmup: { minTokens: 0.9, unit: 'B' }, uncertainty: 'none' });
  assert.equal(byTokens.n_dropped, 4);
  const byCount = fitLaw(pts, { act: 'silu', warmup: { dropFirst: 2 }, uncertainty: 'none' });
  assert.equal(byCount.n_dropped, 2);
});

// For alpha near 1 (the 0.8B row) the sigmoid's tail, a - 1 + exp(c*D + d) for c < 0, is nearly the
// ReLU law itself, so there the sigmoid comes close; the law must still be best by MSE, and by MAE
// within 10%.
test('baselines: the law beats log and sigmoid on law-shaped curves, by MAE and MSE', (t) => {
  const lines: string[] = [];
  for (const r of [PUBLISHED_FITS[1], PUBLISHED_FITS[3], PUBLISHED_FITS[5], PUBLISHED_FITS[8]]) {
    const rows = compareBaselines(sampleCurve(r, 30, 41), { act: r.act });
    assert.deepEqual(rows.map((x) => x.law), [r.act, 'log', 'sigmoid']);
    assert.equal(rows[0].rank_mse, 1, `${r.act} ${r.scale}`);
    const bestMae = Math.min(...rows.map((x) => x.mae));
    assert.ok(rows[0].mae <= 1.1 * bestMae, `${r.act} ${r.scale}: law MAE ${rows[0].mae} vs best ${bestMae}`);
    assert.ok(rows[1].mse > 3 * rows[0].mse, `${r.act} ${r.scale}: the logarithm should fit clearly worse`);
    assert.equal(rows[0].mse_ratio, 1);
    assert.ok(rows.every((x) => x.n_used === rows[0].n_used), 'same points for every form');
    assert.equal(rows[1].limit, null, 'the logarithm has no limit');
    lines.push(`${r.act} ${r.scale}: ` + rows.map((x) => `${x.law} mse=${x.mse.toExponential(2)}`).join(', '));
  }
  t.diagnostic(lines.join('\n'));
});

test('baselines are fitted properly: each wins on curves of its own shape', () => {
  const D = Array.from({ length: 30 }, (_, i) => 1 + (299 * i) / 29); // in B
  const rng = rngFor(9);
  const sig = [1.07, -0.009, -1.89]; // a, c, d: falls from ~0.2 toward a - 1 = 0.07
  const sigPts = D.map((x) => ({ D: x, A: sigmoidForm.value(x, sig) + 1e-4 * rng.normal() }));
  assert.ok(sigPts.every((p) => p.A > 0 && p.A < 1));
  const s = compareBaselines(sigPts, { act: 'relu', unit: 'B', warmup: 'none' });
  const sigRow = s.find((x) => x.law === 'sigmoid')!;
  assert.equal(sigRow.rank_mse, 1);
  assert.ok(sigRow.mse < 2e-8, `sigmoid MSE ${sigRow.mse} on its own curve`);
  const lg = [0.3, 0.5, -0.02]; // A0, b, c: slowly falling
  const logPts = D.map((x) => ({ D: x, A: logForm.value(x, lg) + 1e-4 * rng.normal() }));
  const l = compareBaselines(logPts, { act: 'relu', unit: 'B', warmup: 'none' });
  const logRow = l.find((x) => x.law === 'log')!;
  assert.ok(logRow.mse < 2e-8, `log MSE ${logRow.mse} on its own curve`);
  assert.ok(logRow.mse <= l[0].mse * 1.05, 'log fits a log curve at least as well as the ReLU law');
});

test('predictions: limit, tokens to come within eps, slope, in explicit units', () => {
  for (const r of [PUBLISHED_FITS[2], PUBLISHED_FITS[6]]) {
    const p = truth(r);
    const DB = tokensToWithin(p, 0.005);
    assert.ok(Math.abs(Math.abs(lawValue(p, DB) - r.A0) - 0.005) < 1e-12, 'A(D_eps) is eps from A0');
    assert.ok(Math.abs(tokensToWithin(p, 0.005, 'tokens') / (DB * 1e9) - 1) < 1e-12);
    const h = 1e-4;
    const fd = (lawValue(p, 20 + h) - lawValue(p, 20 - h)) / (2 * h);
    assert.ok(Math.abs(slopeAt(p, 20) / fd - 1) < 1e-6, 'analytic slope matches finite differences');
    assert.ok(Math.abs(slopeAt(p, 20e9, 'tokens') / (slopeAt(p, 20) / 1e9) - 1) < 1e-12, 'per-token slope');
    assert.equal(Math.sign(slopeAt(p, 20)), r.act === 'relu' ? -1 : 1);
  }
  // The ReLU curve can start within eps: then no data is needed.
  assert.equal(tokensToWithin(truth(PUBLISHED_FITS[4]), 0.5), 0);

  const d = fitLawDetailed(sampleCurve(PUBLISHED_FITS[1], 30, 51), { act: 'relu', replicates: 60 });
  const conv = convergenceRow(d, { eps: 0.002, nParams: 2e8 });
  assert.ok(conv.D_within_eps_lo <= conv.D_within_eps && conv.D_within_eps <= conv.D_within_eps_hi);
  assert.ok(Math.abs(conv.tokens_per_param_within_eps! - (conv.D_within_eps * 1e9) / 2e8) < 1e-6);
  const rows = slopeRows(d, { atTokensPerParam: [10, 100], nParams: 2e8 });
  assert.equal(rows[0].D, 2); // 10 tokens/param * 2e8 params = 2B tokens
  assert.ok(Math.abs(rows[1].dA_dTPP! / (slopeAt(d, 20e9, 'tokens') * 2e8) - 1) < 1e-12, 'dA/d(tokens per param)');
  assert.ok(rows[0].dA_dD < rows[1].dA_dD, 'a ReLU curve flattens: the slope rises toward 0');
});

test('the law forms carry the predictions: slope is dA/dD of value, tokensWithin and tokensAt invert value', () => {
  for (const r of [PUBLISHED_FITS[2], PUBLISHED_FITS[6]]) {
    const form = FORMS[r.act];
    const p = r.act === 'relu' ? [r.A0, r.alpha, r.b ?? NaN, r.c] : [r.A0, r.alpha, r.c];
    const h = 1e-4;
    for (const D of [3, 20, 150]) {
      const fd = (form.value(D + h, p) - form.value(D - h, p)) / (2 * h);
      assert.ok(Math.abs(form.slope(D, p) / fd - 1) < 1e-6, `${r.act} slope at ${D}`);
      assert.equal(lawValue(truth(r), D), form.value(D, p), 'predict.ts evaluates through the form');
      assert.equal(slopeAt(truth(r), D), form.slope(D, p));
    }
    assert.ok(Math.abs(Math.abs(form.value(form.tokensWithin(0.005, p), p) - r.A0) - 0.005) < 1e-12);
    assert.ok(Math.abs(form.tokensAt(form.value(40, p), p) / 40 - 1) < 1e-9);
    assert.equal(tokensAtRatio(r.act, p, form.value(40, p)), form.tokensAt(form.value(40, p), p));
    assert.equal(form.tokensAt(r.A0, p), Infinity, 'the limit itself is never reached');
  }
});

test('diagnostics: linearised points lie on the fitted line for law-generated data', () => {
  for (const r of [PUBLISHED_FITS[3], PUBLISHED_FITS[9]]) {
    const pts = sampleCurve(r, 30, 61, 0);
    const f = fitLaw(pts, { act: r.act, uncertainty: 'none' });
    const lin = linearised(f, pts, 'tokens');
    assert.equal(lin.slope, r.act === 'relu' ? f.alpha : -f.alpha);
    assert.ok(lin.rows.length >= 28, `${lin.n_excluded} points excluded`);
    for (const row of lin.rows) assert.ok(Math.abs(row.y - row.y_line) < 1e-5, `${r.act}: ${row.y} vs ${row.y_line}`);
    const curve = curveRows(f, { from: 1, to: 300, n: 5 });
    assert.equal(curve.length, 5);
    assert.ok(Math.abs(curve[4].D - 300) < 1e-9);
  }
});

test('bad input is a one-line UserError', () => {
  const ok = sampleCurve(PUBLISHED_FITS[0], 10, 71);
  const cases: [unknown, RegExp][] = [
    [ok.slice(0, 3), /4 parameters but only 3 points/],
    [[...ok.slice(0, 5), { D: 0, A: 0.1 }], /tokens must be positive/],
    [[...ok.slice(0, 5), { D: -1e9, A: 0.1 }], /tokens must be positive/],
    [[...ok.slice(0, 5), { D: 1e9, A: 1.2 }], /must be in \[0, 1\]/],
    [[...ok.slice(0, 5), { D: 1e9, A: -0.01 }], /must be in \[0, 1\]/],
    [[...ok.slice(0, 5), { D: 1e9, A: NaN }], /activation ratio is not a number/],
    [[...ok.slice(0, 5), { D: NaN, A: 0.1 }], /tokens is not a number/],
    [{ D: [1, 2, 3], A: [0.1, 0.2] }, /differ in length/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => fitLaw(input as CurvePoint[], { act: 'relu' }), (e: unknown) => {
      assert.ok(e instanceof UserError, `not a UserError: ${String(e)}`);
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  }
  assert.throws(() => fitLaw(ok, { act: 'gelu' as 'relu' }), UserError);
  assert.throws(() => fitLaw(ok, { act: 'relu', unit: 'K' as 'B' }), UserError);
});

test('bounds hold when the data contradict the law', () => {
  // A falling curve given to the (rising) SiLU law: c sits at its positive lower bound, no NaN.
  const pts = sampleCurve(PUBLISHED_FITS[2], 20, 81);
  const f = fitLaw(pts, { act: 'silu', warmup: 'none', uncertainty: 'none' });
  assert.ok(f.c > 0 && f.alpha > 0 && f.A0 >= 0 && f.A0 <= 1);
  assert.ok(Number.isFinite(f.mse));
});

test('the one least-squares line: exact on a line, null on constant x, and lineWithSe built on it', () => {
  const x = [1, 2, 4, 8];
  const f = ols(x, x.map((v) => 3 - 0.25 * v))!;
  assert.ok(Math.abs(f.slope + 0.25) < 1e-15 && Math.abs(f.intercept - 3) < 1e-15 && f.sse < 1e-28);
  assert.equal(f.sxx, 28.75); // sum (x - 3.75)^2
  assert.equal(ols([2, 2, 2], [1, 2, 3]), null);
  const noisy = [0.9, 2.2, 2.8, 4.1, 5.0];
  const g = ols([0, 1, 2, 3, 4], noisy)!;
  const l = lineWithSe([0, 1, 2, 3, 4, 5], noisy); // the longer x is cut to y's length
  assert.equal(l.n, 5);
  assert.equal(l.slope, g.slope);
  assert.equal(l.intercept, g.intercept);
  assert.ok(Math.abs(l.se - Math.sqrt(g.sse / 3 / g.sxx)) < 1e-15);
  assert.ok(l.significant && Math.abs(l.t - l.slope / l.se) < 1e-12);
  const flat = lineWithSe([3, 3, 3], [1, 2, 3]);
  assert.ok(Number.isNaN(flat.slope) && !flat.significant);
});
