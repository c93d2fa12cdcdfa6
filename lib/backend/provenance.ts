// Where a result came from: code version, backend, time. Recorded in every result file.
import { execSync } from 'node:child_process';
import * as os from 'node:os';
import { backendDetail, backendName, backendThreads } from './select';

export function gitCommit(cwd = process.cwd()): string {
  try {
    const sha = execSync('git rev-parse HEAD', { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

export interface Provenance {
  commit: string; backend: string; backend_detail: string; date: string; host_cpus: number; node: string;
  /** Threads each op ran on (TensorFlow's intra-op pool on the native backend): the numbers can depend on it. */
  threads: number;
}

export function provenance(): Provenance {
  return {
    commit: gitCommit(),
    backend: backendName(),
    backend_detail: backendDetail(),
    date: new Date().toISOString(),
    host_cpus: os.cpus().length,
    threads: backendThreads().threads,
    node: process.version,
  };
}
