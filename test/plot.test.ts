// lib/plot: spec builders compile, static rendering works, figures are saved, tables format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  concatCharts, displayBundle, fieldRef, figureBundle, lineChart, pngSize, renderPng, renderSvg,
  sampleCurve, saveFigure, scatterChart, tableBundle, tableHtml, tableText, toRows, toVega, VEGALITE_MIME,
} from '../lib/plot';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const rows = ['relu', 'silu'].flatMap((act) => ['s', 'm'].flatMap((size) => [1e5, 3e5, 1e6].map((t, i) => ({
  tokens: t, act, size, ratio: act === 'relu' ? 0.2 - 0.03 * i : 0.3 + 0.03 * i, lo: 0.1 + 0.01 * i, hi: 0.4 + 0.01 * i,
}))));

type Json = Record<string, any>;

test('lineChart: series, log x, error bars and facets compile to Vega', () => {
  const spec = lineChart(rows, {
    x: 'tokens', y: 'ratio', color: 'act', logX: true, facet: { field: 'size', columns: 2 },
    errorBars: { lower: 'lo', upper: 'hi' }, title: 't',
  }) as Json;
  assert.equal(spec.$schema, 'https://vega.github.io/schema/vega-lite/v5.json');
  assert.equal(spec.facet.field, 'size');
  assert.equal(spec.spec.layer.length, 2);
  assert.equal(spec.spec.layer[0].encoding.x.scale.type, 'log');
  assert.equal(spec.spec.layer[1].mark.type, 'errorbar');
  assert.doesNotThrow(() => toVega(spec as any));
  const plain = lineChart(rows, { x: 'tokens', y: 'ratio' }) as Json;
  assert.equal(plain.layer.length, 1);
  assert.equal(plain.layer[0].encoding.color, undefined);
  assert.doesNotThrow(() => toVega(plain as any));
  assert.ok(JSON.parse(JSON.stringify(plain)), 'plain JSON');
});

test('scatterChart: fitted-curve overlay shares the dataset and works inside a facet', () => {
  const fit = sampleCurve((x) => 0.2 * Math.pow(x / 1e5, -0.1), 1e5, 1e6, { log: true, n: 20, x: 'tokens', y: 'ratio', extra: { act: 'relu', size: 's' } });
  assert.equal(fit.length, 20);
  assert.ok(Math.abs((fit[19].tokens as number) - 1e6) < 1e-6);
  const spec = scatterChart(rows, { x: 'tokens', y: 'ratio', color: 'act', logX: true, fit: { data: fit }, facet: 'size' }) as Json;
  const values = spec.data.values as Json[];
  assert.equal(values.length, rows.length + fit.length);
  assert.deepEqual(new Set(values.map((r) => r.__layer)), new Set(['data', 'fit']));
  assert.deepEqual(spec.spec.layer.map((l: Json) => l.mark.type), ['point', 'line']);
  assert.doesNotThrow(() => toVega(spec as any));
  // Fit columns named differently are renamed onto the chart's x and y.
  const s2 = scatterChart(rows, { x: 'tokens', y: 'ratio', fit: { data: [{ t: 1e5, f: 0.1 }, { t: 1e6, f: 0.2 }], x: 't', y: 'f' } }) as Json;
  const fitted = (s2.data.values as Json[]).filter((r) => r.__layer === 'fit');
  assert.deepEqual(fitted.map((r) => [r.tokens, r.ratio]), [[1e5, 0.1], [1e6, 0.2]]);
});

test('field names with dots are escaped; non-finite numbers become null', () => {
  assert.equal(fieldRef('ppl.ratio'), 'ppl\\.ratio');
  const spec = lineChart([{ 'a.b': 1, y: NaN }, { 'a.b': 2, y: 3 }], { x: 'a.b', y: 'y' }) as Json;
  assert.equal(spec.layer[0].encoding.x.field, 'a\\.b');
  assert.equal(spec.data.values[0].y, null);
  assert.doesNotThrow(() => toVega(spec as any));
});

test('renderSvg and renderPng produce an SVG document and a PNG at the requested scale', async () => {
  const spec = lineChart(rows, { x: 'tokens', y: 'ratio', color: 'act', width: 200, height: 120 });
  const svg = await renderSvg(spec);
  assert.match(svg, /^<svg[\s>]/);
  assert.match(svg, /<\/svg>\s*$/);
  const png1 = await renderPng(spec, { scale: 1 });
  assert.deepEqual(png1.subarray(0, 8), PNG_MAGIC);
  const png2 = await renderPng(spec);
  assert.equal(pngSize(png2).width, 2 * pngSize(png1).width);
});

test('saveFigure writes .vl.json, .svg and .png', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plot-test-'));
  try {
    const spec = concatCharts([
      lineChart(rows, { x: 'tokens', y: 'ratio', color: 'act', width: 150, height: 100 }),
      scatterChart(rows, { x: 'tokens', y: 'ratio', color: 'act', width: 150, height: 100 }),
    ]);
    const out = await saveFigure(spec, path.join(dir, 'sub', 'fig'));
    assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')).sort(), ['fig.png', 'fig.svg', 'fig.vl.json']);
    assert.deepEqual(JSON.parse(fs.readFileSync(out.spec, 'utf8')), JSON.parse(JSON.stringify(spec)));
    assert.match(fs.readFileSync(out.svg, 'utf8'), /^<svg/);
    assert.deepEqual(fs.readFileSync(out.png).subarray(0, 8), PNG_MAGIC);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('figureBundle holds Vega-Lite JSON, a PNG sized for display, and text; nothing is sent outside a kernel', async () => {
  const spec = scatterChart(rows, { x: 'tokens', y: 'ratio', title: 'T', width: 120, height: 80 });
  const { data, metadata } = await figureBundle(spec);
  assert.deepEqual(Object.keys(data).sort(), [VEGALITE_MIME, 'image/png', 'text/plain'].sort());
  assert.deepEqual(Buffer.from(data['image/png'] as string, 'base64').subarray(0, 8), PNG_MAGIC);
  assert.ok((metadata['image/png'] as Json).width > 120);
  const both = await figureBundle(spec, { static: 'both', staticOnly: true });
  assert.deepEqual(Object.keys(both.data).sort(), ['image/png', 'image/svg+xml', 'text/plain']);
  assert.equal(displayBundle({ 'text/plain': 'x' }), false);
});

test('tables: rows and DataFrame-like input, number formatting, escaping, elision', () => {
  const df = { columns: ['name', 'value'], values: [['<relu>', 0.123456789], ['silu', 12]] };
  assert.deepEqual(toRows(df), [{ name: '<relu>', value: 0.123456789 }, { name: 'silu', value: 12 }]);
  const html = tableHtml(df, { caption: 'c' });
  assert.match(html, /<table/);
  assert.match(html, /&lt;relu&gt;/);
  assert.match(html, />0\.1235</);
  const text = tableText(df);
  assert.deepEqual(text.split('\n').map((l) => l.trimEnd()), [
    'name     value',
    '------  ------',
    '<relu>  0.1235',
    'silu        12',
  ]);
  const many = Array.from({ length: 100 }, (_, i) => ({ i, x: i * 1e-5 }));
  const t = tableText(many, { maxRows: 6 });
  assert.equal(t.split('\n').length, 2 + 6 + 1 + 1);
  assert.match(t, /1\.000e-5/);
  assert.match(t, /\[100 rows x 2 columns\]/);
  assert.deepEqual(Object.keys(tableBundle(many)), ['text/html', 'text/plain']);
  assert.throws(() => toRows({ nope: 1 } as any), /row objects or a DataFrame/);
});
