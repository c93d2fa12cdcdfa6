// Runs independent jobs in child processes, a few at a time. One single-threaded process per core
// used this 2-core machine best (tiny matMuls gain nothing from a second thread).
import { spawn } from 'node:child_process';

export interface Job { id: string; args: string[] }
export interface JobResult { id: string; code: number; seconds: number; lastLines: string[] }

export async function runPool(
  script: string, jobs: Job[], concurrency: number, onLine: (id: string, line: string) => void, onDone: (r: JobResult) => void = () => {},
): Promise<JobResult[]> {
  const results: JobResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const t0 = Date.now();
      const lastLines: string[] = [];
      const code = await new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [...process.execArgv, script, ...job.args], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
        const handle = (buf: Buffer) => {
          for (const raw of buf.toString().split(/[\r\n]+/)) {
            const line = raw.replace(/\x1b\[K/g, '').trim();
            if (!line) continue;
            lastLines.push(line);
            if (lastLines.length > 20) lastLines.shift();
            onLine(job.id, line);
          }
        };
        child.stdout.on('data', handle);
        child.stderr.on('data', handle);
        child.on('close', (c) => resolve(c ?? 1));
      });
      const result = { id: job.id, code, seconds: (Date.now() - t0) / 1000, lastLines };
      results.push(result);
      onDone(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, jobs.length)) }, worker));
  return results;
}
