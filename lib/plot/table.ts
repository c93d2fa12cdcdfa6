// Tables as HTML (for notebooks, GitHub and exported HTML) and as aligned plain text (terminals,
// text/plain fallback). Input: row objects or a danfojs DataFrame.
import { DataInput, Row, columnsOf, toRows } from './data';

export interface TableOptions {
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
  /** Show at most this many rows: the first and last halves, with a gap marker (default 60). */
  maxRows?: number;
  /** Columns to show, in this order (default: all, first-seen order). */
  columns?: string[];
  caption?: string;
}

export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(Math.max(0, digits - 1));
    return String(Number(v.toPrecision(digits)));
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

interface Prepared {
  cols: string[];
  body: (string[] | null)[]; // null marks the elided middle
  numeric: boolean[];
  total: number;
}

function prepare(input: DataInput, o: TableOptions): Prepared {
  const rows = toRows(input);
  const cols = o.columns ?? columnsOf(rows);
  const max = Math.max(2, o.maxRows ?? 60);
  let shown: (Row | null)[] = rows;
  if (rows.length > max) {
    const head = Math.ceil(max / 2);
    shown = [...rows.slice(0, head), null, ...rows.slice(rows.length - (max - head))];
  }
  const numeric = cols.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'));
  const body = shown.map((r) => (r ? cols.map((c) => formatCell(r[c], o.digits)) : null));
  return { cols, body, numeric, total: rows.length };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An HTML <table> (class "dataframe", the class pandas uses, so notebook CSS styles it). */
export function tableHtml(input: DataInput, o: TableOptions = {}): string {
  const p = prepare(input, o);
  const align = (i: number) => (p.numeric[i] ? ' style="text-align: right;"' : ' style="text-align: left;"');
  const lines: string[] = ['<table border="1" class="dataframe">'];
  if (o.caption) lines.push(`<caption>${esc(o.caption)}</caption>`);
  lines.push('<thead><tr>' + p.cols.map((c, i) => `<th${align(i)}>${esc(c)}</th>`).join('') + '</tr></thead>');
  lines.push('<tbody>');
  for (const r of p.body) {
    if (r === null) lines.push('<tr>' + p.cols.map(() => '<td>…</td>').join('') + '</tr>');
    else lines.push('<tr>' + r.map((v, i) => `<td${align(i)}>${esc(v)}</td>`).join('') + '</tr>');
  }
  lines.push('</tbody>', '</table>');
  if (p.body.includes(null)) lines.push(`<p>${p.total} rows × ${p.cols.length} columns</p>`);
  return lines.join('\n');
}

/** The same table as aligned plain text. */
export function tableText(input: DataInput, o: TableOptions = {}): string {
  const p = prepare(input, o);
  const widths = p.cols.map((c, i) => Math.max(c.length, ...p.body.map((r) => (r ? r[i].length : 1))));
  const pad = (s: string, i: number) => (p.numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const out: string[] = [];
  if (o.caption) out.push(o.caption);
  out.push(p.cols.map(pad).join('  '));
  out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of p.body) out.push(r ? r.map(pad).join('  ') : p.cols.map((_, i) => pad('…', i)).join('  '));
  if (p.body.includes(null)) out.push(`[${p.total} rows x ${p.cols.length} columns]`);
  return out.map((l) => l.trimEnd()).join('\n');
}
