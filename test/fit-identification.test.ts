// Fits that say when they are not identified, warmup points kept out, warnings, the quantiles behind
// every interval, information criteria, and the findings that must not print what a fit does not
// determine (issue: "Findings a reader can trust").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitTrajectories } from '../lib/experiments/aggregate';
import { isFitOk, stableSeries } from '../lib/experiments/schema';
import { pplLabel } from '../lib/metrics/rows';
import * as F from '../lib/findings';
import { compareBaselines, fitLaw, fitMetrics, lawValue, PUBLISHED_FITS, rngFor } from '../lib/laws';
import { fCdf, fQuantile, normalQuantile, tCdf, tQuantile } from '../lib/laws/quantiles';
import { UserError } from '../lib/util/errors';
import { syntheticResults, SYNTH_RUNS } from './findings-fixture';

const D = Array.from({ length: 12 }, (_, i) => 2e5 * 1.4 ** i);

test('quantiles: exact normal, Student t and F (not simple-statistics probit)', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-12);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306167813) < 1e-12);
  assert.ok(Math.abs(tQuantile(0.975, 1) - 12.706204736174707) < 1e-9);
  assert.ok(Math.abs(tQuantile(0.975, 18) - 2.10092204024096) < 1e-10);
  assert.ok(Math.abs(tQuantile(0.975, 1e9) - 1.959963984540054) < 1e-8);
  assert.ok(Math.abs(tCdf(tQuantile(0.9, 7.5), 7.5) - 0.9) < 1e-12);
  assert.ok(Math.abs(fQuantile(0.95, 2, 10) - 4.102821015130399) < 1e-9);
  assert.ok(Math.abs(fCdf(fQuantile(0.999, 3, 12), 3, 12) - 0.999) < 1e-10);
});

test('R^2 of a flat curve is undefined, not -161.9', () => {
  const y = Array(10).fill(0.3);
  assert.ok(Number.isNaN(fitMetrics(y, y.map(() => 0.3 + 1e-3)).r2));
  const f = fitLaw(D.map((d) => ({ D: d, A: 0.3 })), { act: 'relu', uncertainty: 'none' });
  assert.ok(Number.isNaN(f.r2));
  assert.match(f.warnings, /flat/);
});

test('a ReLU curve still falling as a straight line in ln D: the limit is not identified, with the upper bound the data support', () => {
  const pts = D.map((d) => ({ D: d, A: 0.6 - 0.05 * Math.log(d / D[0]) }));
  const f = fitLaw(pts, { act: 'relu', unit: 'tokens', uncertainty: 'none' });
  assert.equal(f.limit_identified, false, JSON.stringify(f));
  assert.notEqual(f.at_bound + f.interval_at_bound, '');
  assert.equal(f.limit_bound_side, 'upper');
  assert.ok(f.limit_bound! <= Math.min(...pts.map((p) => p.A)) + 0.05);
  assert.match(f.warnings, /bound/);
});

test('a SiLU curve still rising: A0 at its bound 1 is not identified, with a lower bound; a well-sampled SiLU law is', () => {
  const rising = D.map((d) => ({ D: d, A: 0.2 + 0.03 * Math.log(d / D[0]) }));
  const f = fitLaw(rising, { act: 'silu', unit: 'tokens', uncertainty: 'none' });
  assert.equal(f.limit_identified, false);
  assert.equal(f.limit_bound_side, 'lower');
  const r = PUBLISHED_FITS.find((x) => x.act === 'silu')!;
  const rng = rngFor(4);
  const good = Array.from({ length: 20 }, (_, i) => { const d = 3 * 1.3 ** i; return { D: d, A: lawValue({ ...r, law: 'silu' }, d) + 5e-4 * rng.normal() }; });
  const g = fitLaw(good, { act: 'silu', unit: 'B', uncertainty: 'none' });
  assert.equal(g.limit_identified, true, g.warnings);
  assert.ok(g.A0_lo < r.A0 && r.A0 < g.A0_hi, `${g.A0_lo} ${g.A0_hi}`);
});

test('warmup: checkpoints of the warmup stage are left out, in fitLaw and in the profile fits', () => {
  const pts = D.map((d, i) => ({ D: d, A: 0.1 + Math.exp(-1.2 * (d / 1e6) ** 0.6 - 1.5), stage: i === 0 ? 'warmup' : 'stable' }));
  const f = fitLaw(pts, { act: 'relu', unit: 'tokens', uncertainty: 'none' });
  assert.equal(f.n_dropped, 1);
  assert.match(f.warmup_rule, /1 in the warmup stage/);
  const m = syntheticResults(SYNTH_RUNS.slice(0, 1)).measurements[0];
  const first = Math.min(...m.trajectory.filter((r) => r.method === 'ppl-p-stable').map((r) => r.tokens as number));
  m.trajectory.forEach((r) => { if (r.tokens === first) r.stage = 'warmup'; });
  const fit = fitTrajectories([m]).fits.filter(isFitOk).find((x) => x.series === 'ppl-1%-stable')!;
  assert.ok(fit.D_min * 1e6 > first, `D_min ${fit.D_min} M`);
  assert.match(fit.warmup_rule, /warmup stage/);
});

test('profile fits: a series the fitting library refuses is a row with its reason; any other exception (a bug) propagates', () => {
  const m = syntheticResults(SYNTH_RUNS.slice(0, 1)).measurements[0];
  // A real refusal: the stabilised series cut to two checkpoints is too short for the law.
  const stable = m.trajectory.filter((r) => r.method === 'ppl-p-stable');
  const short = { ...m, trajectory: [...m.trajectory.filter((r) => r.method !== 'ppl-p-stable'), ...stable.slice(0, 2)] };
  const out = fitTrajectories([short]);
  const row = out.fits.find((f) => f.series === 'ppl-1%-stable')!;
  assert.ok(!isFitOk(row) && /only 2 points/.test(row.error) && row.n_points === 2, JSON.stringify(row));
  assert.ok(out.fits.some(isFitOk), 'the other series are still fitted');
  assert.equal(out.baselines.length, 0);
  // A TypeError from the fitter is not a failed fit: aggregation stops with it.
  const bug = () => { throw new TypeError("Cannot read properties of undefined (reading 'D')"); };
  assert.throws(() => fitTrajectories([m], bug), TypeError);
  const refuse = () => { throw new UserError('refused'); };
  assert.ok(fitTrajectories([m], refuse).fits.every((f) => !isFitOk(f) && f.error === 'refused'));
});

test('labels come from p: PPL-p% names and the stabilised series of a profile measured at p = 0.05', () => {
  assert.deepEqual([0.01, 0.05, 0.07, 0.1, 0.075].map(pplLabel), ['PPL-1%', 'PPL-5%', 'PPL-7%', 'PPL-10%', 'PPL-7.5%']);
  assert.equal(stableSeries(0.01), 'ppl-1%-stable');
  const m = syntheticResults(SYNTH_RUNS.slice(0, 1)).measurements[0];
  const at5 = {
    ...m, stabilised: { ...m.stabilised, p: 0.05 },
    trajectory: m.trajectory.map((r) => (r.method === 'ppl-p-stable' ? { ...r, param: 0.05 } : r)),
  };
  const out = fitTrajectories([at5]);
  assert.ok(out.fits.some((f) => f.series === 'ppl-5%-stable' && isFitOk(f)));
  assert.ok(!out.fits.some((f) => f.series === 'ppl-1%-stable'));
  assert.ok(out.baselines.length > 0 && out.baselines.every((b) => b.series === 'ppl-5%-stable'), 'baselines of the stabilised series');
});

test('warmup: a transient running WITH the trend (first points a little above a falling ReLU curve) is dropped; a clean curve loses nothing', () => {
  for (const r of PUBLISHED_FITS.filter((x) => x.act === 'relu' && ['0.8B', '1.2B'].includes(x.scale))) {
    const rng = rngFor(3);
    const clean = Array.from({ length: 20 }, (_, i) => { const d = 0.5 * (600 ** (i / 19)); return { D: d, A: lawValue({ ...r, law: 'relu' }, d) + 7e-4 * rng.normal() }; });
    const bumped = clean.map((p, i) => (i < 2 ? { D: p.D, A: p.A + 0.006 } : p));
    const none = fitLaw(bumped, { act: 'relu', unit: 'B', uncertainty: 'none', warmup: 'none' });
    const def = fitLaw(bumped, { act: 'relu', unit: 'B', uncertainty: 'none' });
    assert.ok(Math.abs(none.A0 - r.A0) > 0.02, `${r.scale}: without a rule the transient should pull A0 off (${none.A0})`);
    assert.equal(def.n_dropped, 2, def.warmup_rule);
    assert.ok(Math.abs(def.A0 - r.A0) < 0.005, `${r.scale}: A0 ${def.A0} vs ${r.A0}`);
    assert.equal(fitLaw(clean, { act: 'relu', unit: 'B', uncertainty: 'none' }).n_dropped, 0);
  }
});

test('warnings: too few distinct token counts, a direction against the law', () => {
  const ten = Array.from({ length: 10 }, (_, i) => ({ D: i < 5 ? 1e6 : 2e6, A: 0.3 - 0.01 * (i % 5) }));
  assert.match(fitLaw(ten, { act: 'relu', uncertainty: 'none' }).warnings, /distinct token counts? for 4 parameters/);
  const rising = D.map((d) => ({ D: d, A: 0.2 + 0.03 * Math.log(d / D[0]) }));
  assert.match(fitLaw(rising, { act: 'relu', unit: 'tokens', uncertainty: 'none', warmup: 'none' }).warnings, /rises with D, against the relu law/);
});

test('covariance intervals: t with n - m dof, none for a parameter at a bound', () => {
  const r = PUBLISHED_FITS.find((x) => x.act === 'silu')!;
  const rng = rngFor(9);
  const pts = Array.from({ length: 8 }, (_, i) => { const d = 3 * 1.5 ** i; return { D: d, A: lawValue({ ...r, law: 'silu' }, d) + 1e-3 * rng.normal() }; });
  const f = fitLaw(pts, { act: 'silu', unit: 'B', uncertainty: 'covariance' });
  assert.match(f.uncertainty_method, /t with 5 df/);
  const still = fitLaw(D.map((d) => ({ D: d, A: 0.2 + 0.03 * Math.log(d / D[0]) })), { act: 'silu', unit: 'tokens', uncertainty: 'covariance' });
  assert.ok(Number.isNaN(still.A0_boot_lo), 'A0 pinned at 1: no zero-width Wald interval');
});

test('law against baselines: AICc charges the law its extra parameter', () => {
  const pts = D.map((d) => ({ D: d, A: 0.1 + Math.exp(-1.2 * (d / 1e6) ** 0.6 - 1.5) + 0.002 * Math.sin(d) }));
  const rows = compareBaselines(pts, { act: 'relu', unit: 'tokens' });
  for (const r of rows) {
    const k = r.n_params + 1;
    assert.ok(Math.abs(r.aic - (r.n_used * Math.log(r.mse) + 2 * k)) < 1e-9);
    assert.ok(Math.abs(r.aicc - r.aic - (2 * k * (k + 1)) / (r.n_used - k - 1)) < 1e-9);
  }
  assert.deepEqual([...rows.map((r) => r.rank_aicc)].sort(), [1, 2, 3]);
});

test('findings: derived quantities of a limit that is not identified are not numbers; one-sided bounds decide F3 when they can', () => {
  const res = syntheticResults();
  const big = res.fits.find((f) => f.run === 'd64-l2-relu' && f.series === 'ppl-1%-stable')!;
  Object.assign(big, { limit_identified: false, at_bound: 'b = 100 (upper bound)', limit_bound_side: 'upper', limit_bound: 0.05 });
  const conv = F.f3ConvergenceRows(res).find((r) => String(r.model).includes('d64-l2') && String(r.model).startsWith('ReLU'))!;
  assert.equal(conv.tokens_to_within_eps, null);
  assert.match(String(conv.limit), /not identified \(A0 <= 0.05\)/);
  const lim = F.f3LimitRows(res).find((r) => String(r.model).startsWith('ReLU d64'))!;
  assert.equal(lim.A0, null);
  assert.ok(!F.f3SlopeCurveRows(res).some((r) => String(r.model).startsWith('ReLU d64')));
  const v = F.f3Verdicts(res).find((x) => x.claim.startsWith("ReLU's limit"))!;
  assert.equal(v.verdict, 'disagrees', v.rule); // 0.05 upper bound lies below the small model's interval around 0.1
  assert.ok(!/NaN|undefined/.test(F.f3Narrative(res)));
  assert.ok(!F.f1LinearisedRows(res).some((r) => String(r.model).startsWith('ReLU d64')));
});

test('figures: PPL levels in the order of p; one layer drawn once; fixed colours per activation', () => {
  const res = syntheticResults();
  const spec = F.f0LevelSpec(res) as unknown as { layer: { encoding: { x: { sort?: string[] } } }[] };
  assert.deepEqual(spec.layer[0].encoding.x.sort, ['PPL-1%', 'PPL-5%', 'PPL-10%']);
  const one = F.f3FrequencyRows(res).filter((r) => String(r.size).startsWith('d32-l1'));
  assert.equal(new Set(one.map((r) => r.panel)).size, 2, 'ReLU and SiLU once each, not first/middle/last');
  const trade = F.f0TradeoffSpec(res) as unknown as { data: { values: { method?: string }[] }; spec: { layer: { mark: { type: string } }[] } };
  assert.ok(!trade.data.values.some((r) => String(r.method).startsWith('target')), 'the target is a reference line, not a method');
  assert.ok(trade.spec.layer.some((l) => l.mark.type === 'rule'));
  for (const s of [F.f1TrajectorySpec(res), F.f1LossSpec(res)]) assert.match(JSON.stringify(s), /"domain":\["ReLU","SiLU"\],"range":\["#4c78a8","#f58518"\]/);
});

test('F3 at equal tokens per parameter and F2 at equal loss', () => {
  const res = syntheticResults();
  const eq = F.f3EqualTppRows(res);
  assert.ok(eq.length > 0);
  for (const r of eq) assert.ok(F.EQUAL_TPP.includes(r.tokens_per_param as number));
  const f2 = F.f2EqualLossRows(res);
  assert.ok(f2.target_loss !== null && f2.rows.length === 4);
  const byVocab = F.perVocabularyMeans([0.1, 0.3, 0.5, 0.7], [1, 1, 2, 2], 1);
  assert.deepEqual([...byVocab.entries()].map(([t, v]) => [t, Number(v.mean.toFixed(12)), v.n]), [[1, 0.2, 2], [2, 0.6, 2]]);
});

test('per-domain uncertainty: a row-clustered standard error, drawn when the measurement has it and said to be missing when not', () => {
  const se = F.clusteredMeanSe([1, 1, 3, 3], 2);
  assert.equal(se.mean, 2);
  assert.equal(se.clusters, 2);
  assert.ok(Math.abs(se.se - 1) < 1e-12); // row means 1 and 3: sd sqrt(2), / sqrt(2)
  const res = syntheticResults();
  assert.match(JSON.stringify(F.f3DomainSpec(res)), /no interval: these measurements predate/);
  for (const m of res.measurements) for (const d of m.patterns.domains) d.activation_ratio_se = 0.01;
  const spec = JSON.stringify(F.f3DomainSpec(res));
  assert.match(spec, /"errorbar"/);
  assert.match(spec, /clustered by evaluation row/);
});
