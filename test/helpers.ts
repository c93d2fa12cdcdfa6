// Shared test fixtures: a backend set up once, a micro model, temp dirs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend/select';
import { presetConfig } from '../lib/model/presets';
import { Model } from '../lib/model/model';
import { Activation } from '../lib/model/config';

export async function setup(): Promise<void> {
  process.env.SPARSING_QUIET_BACKEND = '1';
  await initBackend({ quiet: true });
}

export function microModel(act: Activation = 'relu', seed = 1, preset = 'micro'): Model {
  return new Model(presetConfig(preset, act), { seed });
}

export function tmpDir(prefix = 'sl-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function randomIds(n: number, vocab = 256, seed = 7): Int32Array {
  let s = seed;
  return Int32Array.from({ length: n }, () => { s = (s * 1103515245 + 12345) % 2147483648; return s % vocab; });
}

import { spawnSync } from 'node:child_process';

/** Runs one of the project's commands (compiled JS under dist, or TS through tsx) and captures it. */
export function runCommand(name: string, args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const js = path.join(__dirname, '..', 'lib', 'cli', `${name}.js`);
  const argv = fs.existsSync(js) ? [js, ...args] : ['--import', 'tsx', path.join(__dirname, '..', 'lib', 'cli', `${name}.ts`), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, SPARSING_QUIET_BACKEND: '1', ...env }, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
