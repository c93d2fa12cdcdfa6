// Reading a user's curve from CSV or JSON Lines. Every problem becomes a one-line UserError that names
// the file and line, because this is what a person running the command sees.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';
import { checkPoint, type CurvePoint } from './data';

export interface ReadCurveOptions {
  tokensColumn?: string;
  ratioColumn?: string;
}

/** Reads (tokens, activation_ratio[, stage]) points from a .csv/.tsv or .jsonl/.ndjson/.json file. D stays in the file's unit. */
export function readCurveFile(file: string, opts: ReadCurveOptions = {}): CurvePoint[] {
  const tCol = opts.tokensColumn ?? 'tokens';
  const rCol = opts.ratioColumn ?? 'activation_ratio';
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(e)})`);
  }
  const ext = path.extname(file).toLowerCase();
  let pts: CurvePoint[];
  if (ext === '.csv' || ext === '.tsv') pts = parseDelimited(text, file, tCol, rCol);
  else if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') pts = parseJson(text, file, tCol, rCol, ext === '.json');
  else throw new UserError(`${file}: unsupported file type "${ext || '(none)'}" (use .csv, .tsv, .jsonl or .json)`);
  if (pts.length === 0) throw new UserError(`${file}: no data rows`);
  return pts;
}

function splitRow(line: string, sep: string): string[] {
  return line.split(sep).map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
}

function num(cell: string | undefined): number {
  // Number('') is 0, which would hide a missing value; treat blanks as NaN.
  return cell === undefined || cell === '' ? NaN : Number(cell);
}

function parseDelimited(text: string, file: string, tCol: string, rCol: string): CurvePoint[] {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (first < 0) throw new UserError(`${file}: empty file`);
  const sep = lines[first].includes('\t') ? '\t' : lines[first].includes(';') && !lines[first].includes(',') ? ';' : ',';
  const header = splitRow(lines[first], sep);
  const ti = header.indexOf(tCol);
  const ri = header.indexOf(rCol);
  const si = header.indexOf('stage'); // optional: rows with stage "warmup" are left out of fits
  if (ti < 0 || ri < 0) {
    throw new UserError(`${file}: needs columns ${tCol} and ${rCol} (found: ${header.join(', ')})`);
  }
  const pts: CurvePoint[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = splitRow(lines[i], sep);
    const D = num(cells[ti]);
    const A = num(cells[ri]);
    checkPoint(D, A, `${file} line ${i + 1}`);
    pts.push(si >= 0 && cells[si] ? { D, A, stage: cells[si] } : { D, A });
  }
  return pts;
}

function parseJson(text: string, file: string, tCol: string, rCol: string, whole: boolean): CurvePoint[] {
  const records: { rec: unknown; line: number }[] = [];
  if (whole) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new UserError(`${file}: not valid JSON`);
    }
    if (!Array.isArray(v)) throw new UserError(`${file}: expected a JSON array of {${tCol}, ${rCol}} objects`);
    v.forEach((rec, i) => records.push({ rec, line: i + 1 }));
  } else {
    text.split(/\r?\n/).forEach((l, i) => {
      if (l.trim() === '') return;
      try {
        records.push({ rec: JSON.parse(l), line: i + 1 });
      } catch {
        throw new UserError(`${file} line ${i + 1}: not valid JSON`);
      }
    });
  }
  return records.map(({ rec, line }) => {
    const where = `${file} ${whole ? 'item' : 'line'} ${line}`;
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new UserError(`${where}: expected an object`);
    const o = rec as Record<string, unknown>;
    if (!(tCol in o) || !(rCol in o)) {
      throw new UserError(`${where}: needs fields ${tCol} and ${rCol} (found: ${Object.keys(o).join(', ') || 'none'})`);
    }
    // JSON has no NaN: numbers written as strings ("NaN", "1e9") are parsed, anything else is reported as is.
    const D = typeof o[tCol] === 'string' ? num(o[tCol] as string) : o[tCol];
    const A = typeof o[rCol] === 'string' ? num(o[rCol] as string) : o[rCol];
    checkPoint(D, A, where);
    return typeof o.stage === 'string' ? { D: D as number, A: A as number, stage: o.stage } : { D: D as number, A: A as number };
  });
}
