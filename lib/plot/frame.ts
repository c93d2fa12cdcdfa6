// Tables as danfojs DataFrames, for the reader's own filters, groups and joins in a notebook.
// danfojs-node is required on first use only: it loads mathjs and tfjs-node (seconds), which the
// library must not pay for where no frame is built. Show a frame with showTable (it reads
// `columns` and `values`), not as a cell's last expression (tslab would print its inspect text).
import type { DataFrame } from 'danfojs-node';
import { columnsOf, DataInput, toRows } from './data';

type Danfo = typeof import('danfojs-node');
let danfo: Danfo | undefined;

/** The danfojs-node module, loaded the first time a frame is built. */
export function loadDanfo(): Danfo {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  danfo ??= require('danfojs-node') as Danfo;
  return danfo;
}

/** Rows (or a frame) as a danfojs DataFrame; non-finite numbers become null, column order is first-seen. */
export function toDataFrame(input: DataInput): DataFrame {
  const rows = toRows(input);
  const { DataFrame: Frame } = loadDanfo();
  if (!rows.length) return new Frame([]);
  const columns = columnsOf(rows);
  return new Frame(rows.map((r) => columns.map((c) => r[c] ?? null)), { columns });
}
