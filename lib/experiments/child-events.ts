// How a child process of `reproduce` (lib/cli/run-one.ts --json) reports to its parent: one JSON
// object per line on stdout. Progress and finished stages come from lib/util/progress.ts; the child
// ends with `done` (its runs are trained and measured) or `error`. Anything else a child prints
// (a warning on stderr, a crash's stack) is plain text, which the parent shows as it is.
import type { ProgressReport } from '../util/progress';

export type ChildEvent =
  | ProgressReport
  | { event: 'done'; runs: string[]; seconds: number }
  | { event: 'error'; message: string; internal: boolean };

/** The fields each event must carry, with their types: a line that lacks one is plain text. */
const FIELDS: { [E in ChildEvent['event']]: Record<string, 'string' | 'number' | 'boolean' | 'array'> } = {
  progress: { task: 'string', done: 'number', total: 'number', fraction: 'number', detail: 'string', elapsed_s: 'number' },
  stage: { task: 'string', message: 'string' },
  done: { runs: 'array', seconds: 'number' },
  error: { message: 'string', internal: 'boolean' },
};

export function eventLine(e: ChildEvent): string {
  return JSON.stringify(e) + '\n';
}

/** The event a line carries, or undefined when the line is plain text. */
export function parseEvent(line: string): ChildEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) return undefined;
  const o = j as Record<string, unknown>;
  if (typeof o.event !== 'string' || !Object.prototype.hasOwnProperty.call(FIELDS, o.event)) return undefined;
  for (const [k, t] of Object.entries(FIELDS[o.event as ChildEvent['event']])) {
    if (t === 'array' ? !Array.isArray(o[k]) : typeof o[k] !== t) return undefined;
  }
  return o as ChildEvent;
}
