// Tabular input accepted by the plot and table helpers: an array of plain objects (one per row),
// or anything shaped like a danfojs DataFrame ({ columns: string[], values: unknown[][] }).
// Duck-typed on purpose, so lib/plot never loads danfojs-node (about 1 s, mathjs and all).

import type { Row } from '../util/tables';
export type { Row };

/** The part of a danfojs DataFrame that the helpers read (`values` must be 2-D: one array per row). */
export interface DataFrameLike {
  readonly columns: readonly string[];
  // danfojs types it as 1-D | 2-D (shared with Series); checked at run time.
  readonly values: readonly unknown[];
}

/** Rows of any shape (typed tables such as lib/experiments/schema.ts's included) or a DataFrame. */
export type DataInput = readonly object[] | DataFrameLike;

export function isDataFrameLike(x: unknown): x is DataFrameLike {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const o = x as { columns?: unknown; values?: unknown };
  return Array.isArray(o.columns) && Array.isArray(o.values) && o.values.every((r) => Array.isArray(r));
}

/** Rows of a table, as plain objects; non-finite numbers become null (JSON cannot hold them). */
export function toRows(input: DataInput): Row[] {
  if (Array.isArray(input)) return (input as readonly Row[]).map(cleanRow);
  if (isDataFrameLike(input)) {
    const cols = input.columns;
    return (input.values as readonly (readonly unknown[])[]).map((vals) => {
      const r: Row = {};
      cols.forEach((c, i) => { r[c] = cleanValue(vals[i]); });
      return r;
    });
  }
  throw new TypeError('expected an array of row objects or a DataFrame (with columns and 2-D values)');
}

/** Column names in first-seen order across all rows. */
export function columnsOf(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function cleanRow(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = cleanValue(v);
  return out;
}

function cleanValue(v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (typeof v === 'bigint') return Number(v);
  return v;
}
