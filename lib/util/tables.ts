// Tidy tables on disk: JSON lines (what the library reads back, types intact) and a CSV copy
// (for spreadsheets and other tools). Both are written atomically.
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic';

export type Row = Record<string, unknown>;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: Row[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
}

/** Writes base.jsonl and base.csv. */
export function writeTable(base: string, rows: Row[]): void {
  writeFileAtomic(`${base}.jsonl`, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  writeFileAtomic(`${base}.csv`, toCsv(rows));
}

export function readTable(base: string): Row[] {
  const file = base.endsWith('.jsonl') ? base : `${base}.jsonl`;
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);
}
