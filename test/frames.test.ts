// DataFrames of the result tables (danfojs, loaded lazily) and the namespaced public API that the
// notebooks call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resultFrames } from '../lib/experiments/frames';
import { TABLE_SHAPES } from '../lib/experiments/schema';
import { figureFileBundle } from '../lib/plot/notebook';
import { toDataFrame } from '../lib/plot/frame';
import { toRows } from '../lib/plot/data';
import { projectRoot } from '../lib/experiments/paths';
import { syntheticResults, SYNTH_RUNS } from './findings-fixture';
import { tmpDir } from './helpers';

test('toDataFrame: columns in first-seen order across rows, missing and non-finite values as null, rows back unchanged', () => {
  const df = toDataFrame([{ a: 1, b: 'x' }, { a: NaN, c: true }, { b: 'z', a: 3 }]);
  assert.deepEqual(df.columns, ['a', 'b', 'c']);
  assert.deepEqual(df.shape, [3, 3]);
  const back = toRows(df);
  assert.equal(back[0].a, 1);
  assert.equal(back[1].a, null);
  assert.equal(back[2].b, 'z');
  assert.deepEqual(toDataFrame([]).shape, [0, 0]);
});

test('resultFrames: one frame per table, with the schema columns, and a groupby a notebook uses', () => {
  const results = syntheticResults(SYNTH_RUNS.slice(0, 2));
  const frames = resultFrames(results);
  const byTable = { trajectory: frames.trajectory, f0: frames.f0, fits: frames.fits, law_baselines: frames.lawBaselines, slopes: frames.slopes } as const;
  for (const [name, df] of Object.entries(byTable)) {
    for (const col of Object.keys(TABLE_SHAPES[name as keyof typeof byTable])) assert.ok(df.columns.includes(col), `${name} lacks ${col}`);
  }
  assert.equal(frames.trajectory.shape[0], results.trajectory.length);
  for (const col of ['A0', 'A0_lo', 'A0_hi', 'limit_identified', 'r2']) assert.ok(frames.fits.columns.includes(col), col);
  const g = toRows(frames.trajectory.groupby(['run', 'method']).col(['activation_ratio']).count());
  const want = new Set(results.trajectory.map((r) => `${r.run}|${r.method}`));
  assert.equal(g.length, want.size);
});

test('the library does not load danfojs-node until a frame is built', () => {
  const index = path.join(__dirname, '..', 'lib', 'index.js');
  const code = `const sl = require(${JSON.stringify(index)});
    const loaded = () => Object.keys(require.cache).some((f) => /danfojs-node/.test(f));
    const before = loaded(); sl.toDataFrame([{ a: 1 }]); console.log(JSON.stringify([before, loaded()]));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, SPARSING_BACKEND: 'cpu' } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), [false, true]);
});

test('the namespaced index exposes every function the notebooks call, and keeps its top level short', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const sl = require('../lib/index') as Record<string, unknown>;
  assert.ok(Object.keys(sl).length <= 30, `top level: ${Object.keys(sl).join(', ')}`);
  for (const ns of ['findings', 'metrics', 'laws', 'plot', 'model', 'train', 'data', 'results', 'checkpoint']) assert.equal(typeof sl[ns], 'object', ns);
  const dir = path.join(projectRoot(), 'notebooks');
  let calls = 0;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ipynb'))) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    for (const c of nb.cells.filter((x: { cell_type: string }) => x.cell_type === 'code')) {
      for (const m of (c.source as string[]).join('').matchAll(/\bsl((?:\.[A-Za-z_]\w*)+)\(/g)) {
        const v = m[1].slice(1).split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], sl);
        assert.equal(typeof v, 'function', `${f}: sl${m[1]}`);
        calls++;
      }
    }
  }
  assert.ok(calls > 40, `${calls} calls found`);
});

test('figureFileBundle: the PNG is written under the figures folder and linked relative to where the notebook is written', () => {
  const dir = tmpDir('sl-figs-');
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="red"/></svg>';
  const old = process.env.SPARSING_FIGURES_LINK_FROM;
  process.env.SPARSING_FIGURES_LINK_FROM = dir;
  try {
    const { data, file } = figureFileBundle(svg, 'A [test] figure', path.join(dir, 'figures'), 1);
    assert.ok(fs.existsSync(file));
    assert.match(path.basename(file), /^a-test-figure-[0-9a-f]{10}\.png$/);
    assert.equal(data['text/markdown'], `![A test figure](figures/${path.basename(file)})`);
    assert.match(String(data['text/html']), /^<img src="figures\/a-test-figure-[0-9a-f]{10}\.png" alt="A test figure" width="40">$/);
  } finally {
    if (old === undefined) delete process.env.SPARSING_FIGURES_LINK_FROM; else process.env.SPARSING_FIGURES_LINK_FROM = old;
  }
});

test('the committed notebooks link their figures as files that exist, and stay small', () => {
  const dir = path.join(projectRoot(), 'notebooks');
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ipynb'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.ok(text.length < 150_000, `${f}: ${text.length} bytes`);
    assert.ok(!text.includes('"image/png"'), `${f} embeds a PNG`);
    for (const m of text.matchAll(/\]\((figures\/[\w.-]+\.png)\)/g)) assert.ok(fs.existsSync(path.join(dir, m[1])), `${f}: ${m[1]} is missing`);
  }
});
