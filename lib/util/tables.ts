// Tidy tables on disk: JSON lines (what the library reads back, types intact) and a CSV copy
// (for spreadsheets and other tools). Both are written atomically.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeFileAtomic } from './atomic';
import { readJsonlChecked, Shape } from './checked-read';
import { UserError } from './errors';

/** One row of a table of any shape (the library's one untyped row; typed tables are in lib/experiments/schema.ts). */
export type Row = Record<string, unknown>;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows of any typed table (lib/experiments/schema.ts) as CSV, columns in first-seen order. */
export function toCsv(rows: readonly object[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell((r as Row)[c])).join(','))].join('\n') + '\n';
}

/** Writes base.jsonl and base.csv; returns the JSON lines' sha256 and row count (for a manifest). */
export function writeTable(base: string, rows: readonly object[]): { sha256: string; rows: number } {
  const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  writeFileAtomic(`${base}.jsonl`, jsonl);
  writeFileAtomic(`${base}.csv`, toCsv(rows));
  return { sha256: sha256(jsonl), rows: rows.length };
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads base.jsonl back, every line checked (tables are written whole, so any bad line is damage);
 * a missing table reads as empty unless `required`. `todo` says how to rebuild the table; `shape`
 * the keys and types every row must have (TABLE_SHAPES in lib/experiments/schema.ts).
 */
export function readTable<T extends object = Row>(base: string, opts: { todo?: string; required?: boolean; shape?: Shape } = {}): T[] {
  const file = base.endsWith('.jsonl') ? base : `${base}.jsonl`;
  const todo = opts.todo ?? 'rewrite it from its source';
  if (!fs.existsSync(file)) {
    if (opts.required) throw new UserError(`${file} is missing; ${todo}`);
    return [];
  }
  return readJsonlChecked<T>(file, opts.shape ?? {}, todo).rows;
}
