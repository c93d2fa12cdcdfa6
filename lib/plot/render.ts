// Static rendering of Vega-Lite specs: Vega-Lite -> Vega -> SVG (vega's headless View), and SVG ->
// PNG with @resvg/resvg-js. No browser, canvas or network. resvg needs a font file for the text:
// SPARSING_FONT (a .ttf/.otf path) when set, else DejaVu Sans (Debian: fonts-dejavu-core) when
// found, else whatever system fonts resvg finds (with a warning).
import * as fs from 'fs';
import * as path from 'path';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type * as ResvgJs from '@resvg/resvg-js';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../util/atomic';

// Loaded on first use: vega, vega-lite and resvg take about half a second to load, which every
// process importing the library (runner workers, CLIs) would otherwise pay.
let vegaMod: typeof Vega | undefined;
let vegaLiteMod: typeof VegaLite | undefined;
let resvgMod: typeof ResvgJs | undefined;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const vega = (): typeof Vega => (vegaMod ??= require('vega') as typeof Vega);
// eslint-disable-next-line @typescript-eslint/no-var-requires
const vegaLite = (): typeof VegaLite => (vegaLiteMod ??= require('vega-lite') as typeof VegaLite);
// eslint-disable-next-line @typescript-eslint/no-var-requires
const resvg = (): typeof ResvgJs => (resvgMod ??= require('@resvg/resvg-js') as typeof ResvgJs);

export const FONT_ENV = 'SPARSING_FONT';

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', // Debian/Ubuntu fonts-dejavu-core
  '/usr/share/fonts/dejavu/DejaVuSans.ttf', // Fedora, Arch
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/local/share/fonts/DejaVuSans.ttf',
  '/opt/homebrew/share/fonts/DejaVuSans.ttf',
  '/Library/Fonts/Arial.ttf', // macOS
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
];

let fontCache: ResvgRenderOptions['font'] | undefined;
let warnedNoFont = false;

/** The font files resvg will use (empty: none found, system fonts are tried). */
export function findFontFiles(): string[] {
  const forced = process.env[FONT_ENV];
  if (forced) {
    if (!fs.existsSync(forced)) throw new Error(`${FONT_ENV}=${forced}: no such font file`);
    return [forced];
  }
  for (const regular of FONT_CANDIDATES) {
    if (!fs.existsSync(regular)) continue;
    const files = [regular];
    const bold = regular.replace(/DejaVuSans\.ttf$/, 'DejaVuSans-Bold.ttf');
    if (bold !== regular && fs.existsSync(bold)) files.push(bold);
    return files;
  }
  return [];
}

function fontOptions(): NonNullable<ResvgRenderOptions['font']> {
  if (fontCache) return fontCache;
  const files = findFontFiles();
  if (files.length) {
    // resvg falls back to a loaded face when the SVG's family (vega says "sans-serif") is not one,
    // so loading just these files (fast: no system font scan) is enough.
    fontCache = { loadSystemFonts: false, fontFiles: files };
    if (/DejaVuSans\.ttf$/.test(files[0])) Object.assign(fontCache, { defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' });
  } else {
    if (!warnedNoFont) {
      warnedNoFont = true;
      process.stderr.write(`[sparsing-law] plot: DejaVu Sans not found (apt-get install fonts-dejavu-core, or set ${FONT_ENV}); trying system fonts for PNG text\n`);
    }
    fontCache = { loadSystemFonts: true };
  }
  return fontCache;
}

/** Compiles a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export function toVega(spec: TopLevelSpec): Vega.Spec {
  return vegaLite().compile(spec).spec as Vega.Spec;
}

/** Renders a Vega-Lite spec to an SVG document string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = vega();
  const view = new vg.View(vg.parse(toVega(spec)), { renderer: 'none', logLevel: vg.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Pixel density relative to the spec's size (default 2, for sharp text on any screen). */
  scale?: number;
}

/** Rasterises an SVG string to PNG bytes. */
export function svgToPng(svg: string, opts: PngOptions = {}): Buffer {
  const r = new (resvg().Resvg)(svg, {
    fitTo: { mode: 'zoom', value: opts.scale ?? 2 },
    font: fontOptions(),
    background: 'white',
    logLevel: 'off',
  });
  return r.render().asPng();
}

/** Renders a Vega-Lite spec to PNG bytes. */
export async function renderPng(spec: TopLevelSpec, opts: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), opts);
}

/** Width and height in pixels of a PNG, from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

export interface SavedFigure {
  spec: string;
  svg: string;
  png: string;
}

/**
 * Writes `<base>.vl.json` (the Vega-Lite spec, data inlined), `<base>.svg` and `<base>.png`,
 * creating folders as needed. A trailing .png/.svg/.vl.json/.json on `base` is ignored.
 */
export async function saveFigure(spec: TopLevelSpec, base: string, opts: PngOptions = {}): Promise<SavedFigure> {
  const stem = base.replace(/\.(vl\.json|json|svg|png)$/i, '');
  fs.mkdirSync(path.dirname(path.resolve(stem)), { recursive: true });
  const svg = await renderSvg(spec);
  const png = svgToPng(svg, opts);
  const out: SavedFigure = { spec: `${stem}.vl.json`, svg: `${stem}.svg`, png: `${stem}.png` };
  writeFileAtomic(out.spec, JSON.stringify(spec, null, 2) + '\n');
  writeFileAtomic(out.svg, svg);
  writeFileAtomic(out.png, png);
  return out;
}
