// Reading back the files this project wrote, checked: a file cut short by a crash or a full disk,
// or damaged afterwards, becomes one line naming the file and what to do, never a SyntaxError.
import * as fs from 'node:fs';
import { UserError } from './errors';

/** Expected type of a field: 'number' also accepts null (NaN and infinities are written as null). */
export type FieldType = 'number' | 'integer' | 'string' | 'boolean' | 'object' | 'array';
export type Shape = Record<string, FieldType>;

export function damaged(file: string, why: string, todo: string): UserError {
  return new UserError(`${file} is damaged (${why}); ${todo}`);
}

function typeOk(v: unknown, t: FieldType): boolean {
  switch (t) {
    case 'number': return v === null || typeof v === 'number';
    case 'integer': return Number.isSafeInteger(v);
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    default: return typeof v === t;
  }
}

/** Why `v` does not have `shape` (first problem found), or undefined when it does. */
export function shapeProblem(v: unknown, shape: Shape): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `expected a JSON object, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`;
  for (const [k, t] of Object.entries(shape)) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) return `missing key '${k}'`;
    if (!typeOk(x, t)) return `key '${k}' should be ${t === 'integer' ? 'an integer' : `a${/^[aeio]/.test(t) ? 'n' : ''} ${t}`}, found ${JSON.stringify(x)?.slice(0, 40)}`;
  }
  return undefined;
}

function readText(file: string, todo: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw damaged(file, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, todo);
  }
}

/** A JSON file with the given top-level shape. */
export function readJsonChecked<T>(file: string, shape: Shape, todo: string): T {
  const text = readText(file, todo);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw damaged(file, text.trim() === '' ? 'empty' : `not valid JSON, ${Buffer.byteLength(text)} bytes: cut short or overwritten`, todo);
  }
  const problem = shapeProblem(v, shape);
  if (problem) throw damaged(file, problem, todo);
  return v as T;
}

/**
 * A JSON lines file whose rows have `shape`. tornLastOk: a last line without its newline that does
 * not parse is what a kill during an append leaves; it is dropped (the row is recomputed). Any
 * other bad line is damage.
 */
export function readJsonlChecked<T>(file: string, shape: Shape, todo: string, opts: { tornLastOk?: boolean } = {}): { rows: T[]; torn: boolean } {
  const text = readText(file, todo);
  const lines = text.split('\n');
  const rows: T[] = [];
  let torn = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.trim()) continue;
    const last = i === lines.length - 1; // no newline after it
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      if (last && opts.tornLastOk) { torn = true; continue; }
      throw damaged(file, `line ${i + 1} is not valid JSON${last ? ' (the file is cut short)' : ''}`, todo);
    }
    const problem = shapeProblem(v, shape);
    if (problem) throw damaged(file, `line ${i + 1}: ${problem}`, todo);
    rows.push(v as T);
  }
  return { rows, torn };
}
