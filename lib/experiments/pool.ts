// Runs independent jobs in child processes, a few at a time. One single-threaded process per core
// used this 2-core machine best (tiny matMuls gain nothing from a second thread). Children report
// as JSON lines (lib/experiments/child-events.ts); any other line they print is passed on as text.
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { ChildEvent, parseEvent } from './child-events';

export interface Job { id: string; args: string[] }

/** What a child said: an event, or a line of plain text (stdout or stderr). */
export type ChildMessage = ChildEvent | { event: 'text'; line: string };

export interface JobResult {
  id: string;
  code: number;
  seconds: number;
  /** Whether the child reported `done` (a child that exits 0 without it did not finish its work). */
  done: boolean;
  /** The last text lines and errors it printed, for a failure message. */
  tail: string[];
}

const TAIL_LINES = 20;

export async function runPool(
  script: string, jobs: Job[], concurrency: number, onMessage: (id: string, m: ChildMessage) => void,
  onDone: (r: JobResult) => void = () => {}, env: NodeJS.ProcessEnv = process.env,
): Promise<JobResult[]> {
  const results: JobResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const t0 = Date.now();
      const tail: string[] = [];
      let done = false;
      const keep = (line: string) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      };
      const code = await new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [...process.execArgv, script, ...job.args], { stdio: ['ignore', 'pipe', 'pipe'], env });
        // readline joins a line split between two reads, so a JSON line always arrives whole.
        const handle = (raw: string) => {
          const line = raw.replace(/\x1b\[K/g, '').trim();
          if (!line) return;
          const e = parseEvent(line);
          if (!e) {
            keep(line);
            onMessage(job.id, { event: 'text', line });
            return;
          }
          if (e.event === 'done') done = true;
          if (e.event === 'error') keep(`${e.internal ? 'internal error' : 'error'}: ${e.message}`);
          onMessage(job.id, e);
        };
        for (const stream of [child.stdout, child.stderr]) readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', handle);
        child.on('close', (c) => resolve(c ?? 1));
      });
      const result = { id: job.id, code, seconds: (Date.now() - t0) / 1000, done, tail };
      results.push(result);
      onDone(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  return results;
}
