// Vega-Lite spec builders. Each returns a plain, JSON-serialisable Vega-Lite v5 spec with the data
// inlined, so the same object can be shown in a notebook (application/vnd.vegalite.v5+json),
// rendered to SVG/PNG here, or saved as .vl.json and opened in the Vega editor.
import type { TopLevelSpec } from 'vega-lite';
import { DataInput, Row, toRows } from './data';

export type { TopLevelSpec } from 'vega-lite';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

export type FieldType = 'quantitative' | 'ordinal' | 'nominal' | 'temporal';

export interface FacetOptions {
  /** Field whose values each get a panel. */
  field: string;
  /** Panels per row before wrapping (default 3). */
  columns?: number;
  title?: string;
  type?: FieldType;
  /** Give each panel its own y scale (default shared). */
  independentY?: boolean;
  /** Panel order: the field's values in this order (default: ascending). */
  sort?: string[];
}

/** Error bars from two columns holding the lower and upper ends of each interval. */
export interface ErrorBarOptions {
  lower: string;
  upper: string;
}

export interface ChartOptions {
  x: string;
  y: string;
  title?: string;
  xTitle?: string;
  yTitle?: string;
  xType?: FieldType;
  /** Field that splits the data into coloured series. */
  color?: string;
  colorTitle?: string;
  colorType?: FieldType;
  /** Fixed colours: value i of `domain` is drawn in `range[i]` (so one value keeps one colour across figures). */
  colorScale?: { domain: string[]; range: string[] };
  /** Log-scale axes; rows with a non-positive value on that axis are dropped. */
  logX?: boolean;
  logY?: boolean;
  /** Include zero in the y scale (default false). */
  yZero?: boolean;
  /** d3-format strings for the axis labels (default: '~s' on log axes, e.g. 300k, 1M). */
  xFormat?: string;
  yFormat?: string;
  /** Fixed axis domains. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Per-panel size in pixels (default 360 x 240). */
  width?: number;
  height?: number;
  facet?: string | FacetOptions;
  errorBars?: ErrorBarOptions;
  /** Extra fields for the interactive tooltip (x, y and colour are always there). */
  tooltip?: string[];
  /** Order of the x values on an ordinal or nominal axis (default: ascending as strings). */
  xSort?: string[];
  /** Horizontal reference lines (e.g. a target), drawn dashed in dark grey; not a data series, so not in the legend. */
  hRules?: number[];
}

export interface LineChartOptions extends ChartOptions {
  /** Mark each data point (default true). */
  points?: boolean;
  /** Field mapped to the dash pattern (a second series dimension). */
  strokeDash?: string;
}

/** A fitted curve drawn as a line over the scatter points. */
export interface FitOverlay {
  /** Points on the curve (dense enough to look smooth); same column names as the data by default. */
  data: DataInput;
  x?: string;
  y?: string;
  /** Dash the curve (default true). */
  dashed?: boolean;
  /** Field that splits the curve rows into separate lines without a colour of their own (Vega-Lite `detail`). */
  detail?: string;
}

export interface ScatterChartOptions extends ChartOptions {
  /** Field mapped to the point shape. */
  shape?: string;
  /** Fixed shapes per value of `shape` (Vega-Lite shape names: circle, square, triangle-up, ...). */
  shapeScale?: { domain: string[]; range: string[] };
  /** Legend title of the shape field. */
  shapeTitle?: string;
  /** Point area in square pixels (default 40). */
  size?: number;
  fit?: FitOverlay;
}

// Internal column that tells data rows from fitted-curve rows, so both live in one dataset
// (the only way the overlay also works inside a facet).
const LAYER = '__layer';

/** Escapes a column name for a Vega-Lite field reference (dots and brackets mean nesting there). */
export function fieldRef(name: string): string {
  return name.replace(/[.[\]\\]/g, (c) => '\\' + c);
}

function datum(name: string): string {
  return `datum[${JSON.stringify(name)}]`;
}

type Json = Record<string, unknown>;

function positional(o: ChartOptions, axis: 'x' | 'y', field: string): Json {
  const log = axis === 'x' ? o.logX : o.logY;
  const type = axis === 'x' ? o.xType ?? 'quantitative' : 'quantitative';
  const enc: Json = { field: fieldRef(field), type, title: (axis === 'x' ? o.xTitle : o.yTitle) ?? field };
  if (axis === 'x' && o.xSort) enc.sort = o.xSort;
  if (type === 'quantitative') {
    const scale: Json = {};
    // A "nice" log domain rounds out to whole decades, mostly empty at our sizes.
    if (log) Object.assign(scale, { type: 'log', nice: false, padding: 10 });
    else scale.zero = axis === 'y' ? o.yZero ?? false : false;
    const domain = axis === 'x' ? o.xDomain : o.yDomain;
    if (domain) scale.domain = domain;
    enc.scale = scale;
    const format = (axis === 'x' ? o.xFormat : o.yFormat) ?? (log ? '~s' : undefined);
    if (format) enc.axis = { format };
  }
  return enc;
}

function colorEnc(o: ChartOptions): Json | undefined {
  if (!o.color) return undefined;
  return {
    field: fieldRef(o.color), type: o.colorType ?? 'nominal', title: o.colorTitle ?? o.color,
    ...(o.colorScale ? { scale: { domain: o.colorScale.domain, range: o.colorScale.range } } : {}),
  };
}

function tooltipEnc(o: ChartOptions, extra: (string | undefined)[] = []): Json[] {
  const names = [o.x, o.y, o.color, ...extra, ...(o.tooltip ?? [])].filter((n): n is string => !!n);
  return [...new Set(names)].map((n) => ({ field: fieldRef(n) }));
}

/** Filters that drop rows a log axis cannot show. */
function logFilters(o: ChartOptions, xField: string, yField: string): Json[] {
  const f: Json[] = [];
  if (o.logX) f.push({ filter: `isValid(${datum(xField)}) && ${datum(xField)} > 0` });
  if (o.logY) f.push({ filter: `isValid(${datum(yField)}) && ${datum(yField)} > 0` });
  return f;
}

function errorBarLayer(o: ChartOptions, eb: ErrorBarOptions, filter?: Json): Json {
  const enc: Json = {
    x: positional(o, 'x', o.x),
    y: { ...positional(o, 'y', eb.lower), title: o.yTitle ?? o.y },
    y2: { field: fieldRef(eb.upper) },
  };
  const color = colorEnc(o);
  if (color) enc.color = color;
  const transform = [...(filter ? [filter] : []), ...logFilters(o, o.x, eb.lower)];
  return { ...(transform.length ? { transform } : {}), mark: { type: 'errorbar', ticks: true }, encoding: enc };
}

/** Wraps layers into a top-level spec, faceted or not. */
function topLevel(o: ChartOptions, rows: Row[], layerIn: Json[]): TopLevelSpec {
  const layer = [...layerIn, ...(o.hRules ?? []).map((y) => ({ mark: { type: 'rule', color: '#333333', strokeDash: [2, 2], strokeWidth: 1 }, encoding: { y: { datum: y } } }))];
  const width = o.width ?? 360;
  const height = o.height ?? 240;
  const base: Json = {
    $schema: VEGA_LITE_SCHEMA,
    ...(o.title ? { title: o.title } : {}),
    background: 'white',
    data: { values: rows },
  };
  if (!o.facet) return { ...base, width, height, layer } as unknown as TopLevelSpec;
  const f: FacetOptions = typeof o.facet === 'string' ? { field: o.facet } : o.facet;
  return {
    ...base,
    facet: { field: fieldRef(f.field), type: f.type ?? 'nominal', title: f.title ?? f.field, ...(f.sort ? { sort: f.sort } : {}) },
    columns: f.columns ?? 3,
    spec: { width, height, layer },
    ...(f.independentY ? { resolve: { scale: { y: 'independent' } } } : {}),
  } as unknown as TopLevelSpec;
}

/** Line chart: one line per value of `color` (and `strokeDash`), optional error bars and facets. */
export function lineChart(data: DataInput, o: LineChartOptions): TopLevelSpec {
  const rows = toRows(data);
  const enc: Json = { x: positional(o, 'x', o.x), y: positional(o, 'y', o.y), tooltip: tooltipEnc(o, [o.strokeDash]) };
  const color = colorEnc(o);
  if (color) enc.color = color;
  if (o.strokeDash) enc.strokeDash = { field: fieldRef(o.strokeDash), type: 'nominal', title: o.strokeDash };
  const filters = logFilters(o, o.x, o.y);
  const layer: Json[] = [{
    ...(filters.length ? { transform: filters } : {}),
    mark: { type: 'line', point: o.points ?? true },
    encoding: enc,
  }];
  if (o.errorBars) layer.push(errorBarLayer(o, o.errorBars));
  return topLevel(o, rows, layer);
}

/** Scatter plot with an optional fitted curve drawn over it (same colours, dashed). */
export function scatterChart(data: DataInput, o: ScatterChartOptions): TopLevelSpec {
  const pts = toRows(data);
  const fitRows = o.fit ? toRows(o.fit.data) : [];
  const fx = o.fit?.x ?? o.x;
  const fy = o.fit?.y ?? o.y;
  // One dataset: the points, then the curve rows renamed onto the data's x and y columns.
  const rows: Row[] = o.fit
    ? [
        ...pts.map((r) => ({ ...r, [LAYER]: 'data' })),
        ...fitRows.map((r) => {
          const { [fx]: xv, [fy]: yv, ...rest } = r;
          return { ...rest, [o.x]: xv, [o.y]: yv, [LAYER]: 'fit' };
        }),
      ]
    : pts;
  const only = (kind: string): Json[] => (o.fit ? [{ filter: `${datum(LAYER)} === '${kind}'` }] : []);
  const enc: Json = { x: positional(o, 'x', o.x), y: positional(o, 'y', o.y), tooltip: tooltipEnc(o, [o.shape]) };
  const color = colorEnc(o);
  if (color) enc.color = color;
  if (o.shape) {
    enc.shape = { field: fieldRef(o.shape), type: 'nominal', title: o.shapeTitle ?? o.shape, ...(o.shapeScale ? { scale: { domain: o.shapeScale.domain, range: o.shapeScale.range } } : {}) };
  }
  const filters = logFilters(o, o.x, o.y);
  const layer: Json[] = [{
    transform: [...only('data'), ...filters],
    mark: { type: 'point', filled: true, size: o.size ?? 40, opacity: 0.85 },
    encoding: enc,
  }];
  if (o.errorBars) layer.push(errorBarLayer(o, o.errorBars, o.fit ? only('data')[0] : undefined));
  if (o.fit) {
    const fitEnc: Json = { x: positional(o, 'x', o.x), y: positional(o, 'y', o.y) };
    if (color) fitEnc.color = color;
    if (o.fit.detail) fitEnc.detail = { field: fieldRef(o.fit.detail), type: 'nominal' };
    layer.push({
      transform: [...only('fit'), ...filters],
      mark: { type: 'line', strokeWidth: 1.5, ...(o.fit.dashed ?? true ? { strokeDash: [5, 3] } : {}) },
      encoding: fitEnc,
    });
  }
  for (const l of layer) if (Array.isArray(l.transform) && l.transform.length === 0) delete l.transform;
  return topLevel(o, rows, layer);
}

/** Samples y = f(x) on a grid (log-spaced when `log`), for FitOverlay.data. */
export function sampleCurve(
  f: (x: number) => number,
  from: number,
  to: number,
  opts: { n?: number; log?: boolean; x?: string; y?: string; extra?: Row } = {},
): Row[] {
  const n = Math.max(2, opts.n ?? 100);
  const xName = opts.x ?? 'x';
  const yName = opts.y ?? 'y';
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    const x = opts.log ? Math.exp(Math.log(from) + t * (Math.log(to) - Math.log(from))) : from + t * (to - from);
    const y = f(x);
    out.push({ ...(opts.extra ?? {}), [xName]: x, [yName]: Number.isFinite(y) ? y : null });
  }
  return out;
}

/** Side-by-side (or stacked) composition of finished charts; data stays with each chart. */
export function concatCharts(specs: TopLevelSpec[], opts: { direction?: 'horizontal' | 'vertical'; title?: string } = {}): TopLevelSpec {
  const key = opts.direction === 'vertical' ? 'vconcat' : 'hconcat';
  const inner = specs.map((s) => {
    const { $schema: _schema, background: _bg, ...rest } = s as unknown as Json;
    return rest;
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(opts.title ? { title: opts.title } : {}),
    background: 'white',
    [key]: inner,
  } as unknown as TopLevelSpec;
}
