// Notebook display for the tslab kernel. tslab's public `display` sends one MIME type per message;
// a figure must go out as ONE display_data holding several (the Vega-Lite JSON that JupyterLab
// renders interactively, plus a static PNG/SVG for GitHub, classic Notebook and nbconvert HTML),
// so the frontend picks the richest it supports. That needs tslab's internal send function
// (`lastWriteDisplayData` in tslab/dist/jupyter.js, set for the executing cell); it is found in
// the module cache of the running kernel, so it works whichever tslab copy started it.
// Outside a kernel, show() and showTable() print a text form. Both return nothing, so that as the
// last expression of a cell they add no echo; figureBundle()/tableBundle() give what they send.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { DataInput } from './data';
import { pngSize, renderSvg, svgToPng } from './render';
import { TableOptions, tableHtml, tableText } from './table';

export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** MIME type -> content (strings for text and base64 images, objects for JSON types). */
export type MimeBundle = Record<string, unknown>;

type WriteDisplayData = (
  data: { data: MimeBundle; metadata: Record<string, unknown>; transient: Record<string, unknown> },
  update: boolean,
) => void;

interface TslabJupyterModule {
  lastWriteDisplayData: WriteDisplayData | null;
}

function tslabJupyter(): TslabJupyterModule | undefined {
  // The kernel's own module, loaded by whichever tslab serves this process. A global tslab hands
  // over to the project's copy, so two may be loaded: take the one that is executing a cell.
  let found: TslabJupyterModule | undefined;
  for (const [file, mod] of Object.entries(require.cache)) {
    if (!/[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file) || !mod?.exports || !('lastWriteDisplayData' in mod.exports)) continue;
    found = mod.exports as TslabJupyterModule;
    if (typeof found.lastWriteDisplayData === 'function') return found;
  }
  return found;
}

/**
 * Sends one display_data message with all the MIME types in `data` (the frontend shows the
 * richest it can). Returns false, sending nothing, outside a tslab kernel.
 */
export function displayBundle(data: MimeBundle, metadata: Record<string, unknown> = {}): boolean {
  const write = tslabJupyter()?.lastWriteDisplayData;
  if (typeof write !== 'function') return false;
  write({ data, metadata, transient: {} }, false);
  return true;
}

export interface ShowOptions {
  /** Static image(s) sent with the Vega-Lite JSON (default 'png'). */
  static?: 'png' | 'svg' | 'both';
  /** PNG pixel density (default 2; displayed at the spec's size). */
  scale?: number;
  /** Leave out the interactive Vega-Lite JSON (static image only; smaller notebooks). */
  staticOnly?: boolean;
}

/** The MIME bundle and metadata show() sends: Vega-Lite JSON + static image + text. */
export async function figureBundle(spec: TopLevelSpec, o: ShowOptions = {}): Promise<{ data: MimeBundle; metadata: Record<string, unknown> }> {
  const kind = o.static ?? 'png';
  const svg = await renderSvg(spec);
  const data: MimeBundle = {};
  const metadata: Record<string, unknown> = {};
  if (!o.staticOnly) data[VEGALITE_MIME] = spec;
  if (kind === 'png' || kind === 'both') {
    const scale = o.scale ?? 2;
    const png = svgToPng(svg, { scale });
    data['image/png'] = png.toString('base64');
    const { width, height } = pngSize(png);
    metadata['image/png'] = { width: Math.round(width / scale), height: Math.round(height / scale) };
  }
  if (kind === 'svg' || kind === 'both') data['image/svg+xml'] = svg;
  const title = (spec as { title?: unknown }).title;
  data['text/plain'] = `<Vega-Lite chart${typeof title === 'string' ? `: ${title}` : ''}>`;
  return { data, metadata };
}

/**
 * Shows a chart in the notebook: the interactive Vega-Lite view where the frontend renders it
 * (JupyterLab) and the static image everywhere else, in one output. `await` it in the cell.
 */
export async function show(spec: TopLevelSpec, o: ShowOptions = {}): Promise<void> {
  const dir = process.env.SPARSING_FIGURES_DIR;
  if (dir) {
    const { data } = figureFileBundle(await renderSvg(spec), titleOf(spec), dir, o.scale ?? 1.5);
    if (!displayBundle(data)) process.stdout.write(`${data['text/plain']}\n`);
    return;
  }
  // SPARSING_STATIC_FIGURES=1 (set by scripts/run-notebooks.sh for the committed notebooks): the PNG
  // alone, at 1.5x, not the Vega-Lite JSON that repeats every data point; keeps notebooks small.
  if (process.env.SPARSING_STATIC_FIGURES === '1') o = { staticOnly: true, scale: 1.5, ...o };
  const { data, metadata } = await figureBundle(spec, o);
  if (!displayBundle(data, metadata)) process.stdout.write(`${data['text/plain']}\n`);
}

function titleOf(spec: TopLevelSpec): string {
  const t = (spec as { title?: unknown }).title;
  return typeof t === 'string' ? t : typeof (t as { text?: unknown })?.text === 'string' ? (t as { text: string }).text : 'figure';
}

/**
 * SPARSING_FIGURES_DIR (set by scripts/run-notebooks.sh for the committed notebooks): the figure is
 * written there as a PNG named by its title and content, and the notebook shows it by a link
 * relative to the folder the executed notebook is written to (SPARSING_FIGURES_LINK_FROM, else the
 * kernel's folder, which is the notebook's), so committed notebooks stay small.
 */
export function figureFileBundle(svg: string, title: string, dir: string, scale = 1.5): { data: MimeBundle; file: string } {
  const png = svgToPng(svg, { scale });
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'figure';
  const file = path.join(dir, `${slug}-${createHash('sha256').update(png).digest('hex').slice(0, 10)}.png`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, png);
  const { width } = pngSize(png);
  const rel = path.relative(process.env.SPARSING_FIGURES_LINK_FROM ?? process.cwd(), file).split(path.sep).join('/');
  const alt = title.replace(/[[\]]/g, '');
  return { file, data: { 'text/html': `<img src="${rel}" alt="${alt.replace(/"/g, '&quot;')}" width="${Math.round(width / scale)}">`, 'text/markdown': `![${alt}](${rel})`, 'text/plain': `<figure: ${rel}>` } };
}

/** The MIME bundle showTable() sends: an HTML table and its plain-text form. */
export function tableBundle(input: DataInput, o: TableOptions = {}): MimeBundle {
  return { 'text/html': tableHtml(input, o), 'text/plain': tableText(input, o) };
}

/** Shows rows or a danfojs DataFrame as an HTML table (with a plain-text fallback). */
export function showTable(input: DataInput, o: TableOptions = {}): void {
  const data = tableBundle(input, o);
  if (!displayBundle(data)) process.stdout.write(`${data['text/plain']}\n`);
}
