// The three extension registries: activations (lib/model/activations.ts), baselines
// (lib/metrics/baseline-rules.ts) and findings (lib/findings/registry.ts). Each test walks the whole
// registry, so a new entry is checked without touching this file, except where a reference is needed:
//   adding GELU to ACTIVATIONS makes REFERENCE below a compile error until its formula is given; then
//     its HF name, label, colour, law (or the clear error for none), config and hub round trip are checked;
//   adding a baseline to BASELINES gets its label, knob, sweep rows, F0 style and docs/metrics.md row checked;
//   adding a finding to FINDINGS gets its runs, figures, verdict rules and narrative checked on synthetic results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf, Tensor2D } from '../lib/backend/tf';
import { PROFILES } from '../lib/experiments/profiles';
import * as F from '../lib/findings';
import { SIZE_RANGE } from '../lib/findings/colors';
import { hubConfig, toHubConfig } from '../lib/checkpoint/hf-config';
import { fitLaw, FORMS, lawForAct, lawNameForAct, reluForm, siluForm } from '../lib/laws';
import {
  BASELINE_METHODS, BASELINES, baselineInfo, baselineSweep, calibrate, DEFAULT_QUANTILES, isBaselineMethod, measureBaseline, MetricSet, quantileThresholds,
  sortedAbsGate,
} from '../lib/metrics';
import { activate, ACTIVATION_NAMES, activationDef, activationFromHF, hasExactZeros, isActivationLaw, type Activation } from '../lib/model/activations';
import { validateConfig } from '../lib/model/config';
import { presetConfig } from '../lib/model/presets';
import { UserError } from '../lib/util/errors';
import { syntheticResults } from './findings-fixture';
import { microModel, randomIds, setup } from './helpers';

test.before(setup);

const ROOT = path.join(__dirname, '..', '..');
const root = fs.existsSync(path.join(ROOT, 'package.json')) ? ROOT : path.join(__dirname, '..'); // dist/test or test (tsx)

/** Each activation's formula in plain numbers (t: the threshold). */
const REFERENCE: Record<Activation, (x: number, t: number) => number> = {
  relu: (x) => Math.max(x, 0),
  silu: (x) => x / (1 + Math.exp(-x)),
  fatrelu: (x, t) => (x >= t ? x : 0),
};

test('activations: each has a Hugging Face name that maps back, a label, a colour of its own, a law or a clear error', () => {
  const labels = new Set<string>();
  const colors = new Set<string>();
  for (const act of ACTIVATION_NAMES) {
    const def = activationDef(act);
    assert.equal(activationFromHF(def.hfName), act, `${act}: hidden_act '${def.hfName}' maps back`);
    assert.ok(def.label && !labels.has(def.label), `${act}: a label of its own`);
    labels.add(def.label);
    assert.match(def.color, /^#[0-9a-f]{6}$/, `${act}: a colour`);
    assert.ok(!colors.has(def.color) && !SIZE_RANGE.includes(def.color), `${act}: a colour no other activation or size has`);
    colors.add(def.color);
    if (def.law === null) {
      assert.throws(() => lawForAct(act), (e: unknown) => e instanceof UserError && /no activation-data law/.test(e.message));
    } else {
      assert.ok(isActivationLaw(def.law), `${act}: law '${def.law}' is an activation law`);
      assert.equal(lawForAct(act), FORMS[def.law], `${act}: lawForAct gives the Form of its law`);
    }
    // The config accepts it and a Hugging Face config.json round trip keeps it (with its threshold).
    const cfg = validateConfig(presetConfig('micro', act, def.threshold ? { actThreshold: 0.25 } : {}));
    const back = hubConfig(toHubConfig(cfg));
    assert.equal(back.act, act);
    assert.equal(back.actThreshold, def.threshold ? 0.25 : undefined);
  }
});

test('activations: fatrelu follows the ReLU law, silu the SiLU law; anything else is a UserError', () => {
  assert.equal(lawForAct('relu'), reluForm);
  assert.equal(lawForAct('fatrelu'), reluForm);
  assert.equal(lawForAct('silu'), siluForm);
  assert.equal(lawNameForAct('fatrelu'), 'relu');
  assert.throws(() => lawForAct('gelu' as Activation), (e: unknown) => e instanceof UserError && /unknown activation 'gelu'/.test(e.message));
  // fitLaw takes any activation with a law: fatrelu's fit is ReLU's.
  const pts = [0.5, 1, 2, 4, 8, 16, 32, 64].map((D, k) => ({ D: D * 1e6, A: Math.exp(-0.8 * Math.pow(D, 0.4) + 0.2) + 0.08 + 0.001 * Math.sin(k) }));
  const opts = { unit: 'tokens' as const, reportUnit: 'M' as const, uncertainty: 'none' as const, seed: 0 };
  const fat = fitLaw(pts, { ...opts, act: 'fatrelu' });
  const relu = fitLaw(pts, { ...opts, act: 'relu' });
  assert.equal(fat.law, 'relu');
  assert.equal(fat.A0, relu.A0);
});

test('activations: each function computes its formula, and exactZeros says whether it has exact zeros', () => {
  const xs = [-2, -0.5, -0.1, 0, 0.1, 0.3, 1.5];
  for (const act of ACTIVATION_NAMES) {
    for (const t of activationDef(act).threshold ? [0, 0.2, -1] : [0]) {
      const got = tf.tidy(() => Array.from(activate(tf.tensor2d([xs]) as Tensor2D, act, t).dataSync()));
      xs.forEach((x, i) => assert.ok(Math.abs(got[i] - REFERENCE[act](x, t)) < 1e-6, `${act}(${x}; t=${t}) = ${got[i]}`));
      assert.equal(got.some((v, i) => v === 0 && xs[i] !== 0), hasExactZeros(act), `${act}: exact zeros off x = 0`);
    }
  }
});

/** A random-token set for micro models. */
function set(rows: number, context = 16, seed = 3): MetricSet {
  return { x: randomIds(rows * context, 256, seed), y: randomIds(rows * context, 256, seed + 1), rows, context };
}

test('baselines: each has a label, a knob and its rule in words, and docs/metrics.md lists it', () => {
  const docs = fs.readFileSync(path.join(root, 'docs', 'metrics.md'), 'utf8');
  const labels = new Set<string>();
  for (const m of BASELINE_METHODS) {
    const def = baselineInfo(m);
    assert.ok(def.label && !labels.has(def.label), `${m}: a label of its own`);
    labels.add(def.label);
    assert.equal(F.METHOD_LABEL[m], def.label, `${m}: F0 tables use the registry label`);
    assert.ok(def.activeWhen.length > 10 && def.knobRange.length > 0, `${m}: its rule in words`);
    assert.match(docs, new RegExp(`\\| \`${m}\` \\|`), `${m}: a row in docs/metrics.md's baseline table`);
  }
  // Knob names are part of the result tables: the committed snapshot's rows must still read the same.
  for (const line of fs.readFileSync(path.join(root, 'data', 'snapshots', 'default', 'f0.jsonl'), 'utf8').split('\n').filter((l) => l.trim())) {
    const r = JSON.parse(line) as { method: string; param_name: string };
    if (isBaselineMethod(r.method)) assert.equal(BASELINES[r.method].knob, r.param_name, `${r.method}: the knob name of the committed tables`);
  }
  // The F0 figure gives every method (CETT and each baseline) its own colour and marker.
  assert.deepEqual(F.METHOD_STYLE.domain, [F.METHOD_LABEL.cett, ...BASELINE_METHODS.map((m) => BASELINES[m].label)]);
  assert.equal(new Set(F.METHOD_STYLE.colors).size, F.METHOD_STYLE.domain.length);
  assert.equal(new Set(F.METHOD_STYLE.shapes).size, F.METHOD_STYLE.domain.length);
});

test('baselines: a sweep measures every rule that applies, in registry order, with its knob in the rows', () => {
  for (const act of ACTIVATION_NAMES) {
    const m = microModel(act, 5);
    const cal = calibrate(m, set(4));
    const steps: string[] = [];
    const { rows, layers } = baselineSweep(cal, { onStep: (w) => steps.push(w) });
    assert.equal(steps.length, rows.length);
    const order = [...new Set(rows.map((r) => r.method))];
    assert.deepEqual(order, BASELINE_METHODS.filter((b) => baselineInfo(b).appliesTo(act)), `${act}: the rules that apply, in order`);
    assert.equal(order.includes('zero'), hasExactZeros(act), `${act}: the zero count exactly when there are exact zeros`);
    for (const b of order) {
      const def = baselineInfo(b);
      const mine = rows.filter((r) => r.method === b);
      assert.ok(mine.length >= 1 && mine.length <= def.sweepSize, `${act} ${b}: ${mine.length} rows for a sweep of ${def.sweepSize}`);
      for (const r of mine) {
        assert.equal(r.param_name, def.knob, `${b}: knob name`);
        assert.equal(r.param === null, def.knob === '', `${b}: a knob value exactly when it has a knob`);
        assert.ok(r.activation_ratio >= 0 && r.activation_ratio <= 1 && Number.isFinite(r.ppl_ratio), `${b}: a measurement`);
      }
      assert.equal(layers.filter((l) => l.method === b).length, mine.length * m.config.layers);
    }
    if (!hasExactZeros(act)) assert.throws(() => measureBaseline(cal, { method: 'zero' }), /ReLU models only/);
    m.dispose();
  }
});

test('baselines: the sweep reproduces single measurements (quantile thresholds from the same sorted |s|)', () => {
  const m = microModel('silu', 6);
  const cal = calibrate(m, set(4));
  const q = DEFAULT_QUANTILES[1];
  const one = measureBaseline(cal, { method: 'quantile', q, thresholds: quantileThresholds(sortedAbsGate(m, cal.set, cal.rowsPerChunk), q) }).row;
  const sweep = baselineSweep(cal, { knobs: { quantile: [q], fat: [0.05], 'topk-token': [], 'topk-layer': [] } }).rows;
  assert.deepEqual(sweep.map((r) => r.method), ['fat', 'quantile']);
  assert.deepEqual(sweep[1], one);
  m.dispose();
});

const results = syntheticResults();

test('findings: each entry has runs, figures named after it, verdicts with rules, and a narrative', () => {
  const ids = new Set<string>();
  const figureNames = new Set<string>();
  for (const f of F.FINDINGS) {
    assert.ok(!ids.has(f.id), `${f.id}: a unique id`);
    ids.add(f.id);
    assert.ok(fs.existsSync(path.join(root, f.notebook)), `${f.id}: notebook ${f.notebook} exists`);
    assert.ok(f.runs(results).length > 0, `${f.id}: runs on the synthetic results`);
    const figs = f.figures(results);
    assert.ok(figs.length > 0, `${f.id}: figures`);
    for (const fig of figs) {
      assert.ok(fig.name.startsWith(f.id.toLowerCase()), `${f.id}: figure ${fig.name} named after its finding`);
      assert.ok(!figureNames.has(fig.name), `figure ${fig.name} only once`);
      figureNames.add(fig.name);
    }
    const vs = f.verdicts(results);
    assert.ok(vs.length > 0, `${f.id}: verdicts`);
    for (const v of vs) {
      assert.equal(v.finding, f.tag, `${f.id}: verdict '${v.claim}' carries its tag`);
      assert.ok(v.claim && v.paper && v.rule, `${f.id}: verdict '${v.claim}' states the paper and its rule`);
    }
    const text = f.narrative(results);
    assert.ok(text.includes(`Profile **${results.profile.name}**`) && text.includes('| claim | paper | this run | verdict | decided by |'), `${f.id}: narrative with its verdict table`);
  }
  assert.deepEqual(F.findingFigures(results).map((x) => x.name), [...figureNames], 'saveFindingFigures writes every registered figure');
  assert.equal(F.allVerdicts(results).length, F.FINDINGS.reduce((n, f) => n + f.verdicts(results).length, 0));
});

test('findings: every finding a profile tags runs with has an entry, and the notebooks call only exported names', () => {
  for (const p of Object.values(PROFILES)) {
    for (const tag of new Set(p.runs.flatMap((r) => r.findings))) assert.ok(F.FINDINGS.some((f) => f.tag === tag), `profile ${p.name}: ${tag} has a registry entry`);
  }
  const dir = path.join(root, 'notebooks');
  for (const nb of fs.readdirSync(dir).filter((n) => n.endsWith('.ipynb'))) {
    const src = (JSON.parse(fs.readFileSync(path.join(dir, nb), 'utf8')).cells as { cell_type: string; source: string[] }[])
      .filter((c) => c.cell_type === 'code').map((c) => c.source.join('')).join('\n');
    for (const [, name] of src.matchAll(/sl\.findings\.([A-Za-z0-9_]+)/g)) {
      if (/^[A-Z][a-z]/.test(name)) continue; // a type (sl.findings.QuickStartMeasurement)
      assert.ok(name in F, `${nb}: sl.findings.${name} is exported`);
    }
  }
});
