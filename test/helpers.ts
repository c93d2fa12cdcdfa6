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

import { spawnSync } from "node:child_process";

/** Runs one of the project's commands (compiled JS under dist, or TS through tsx) and captures it. */
export function runCommand(name: string, args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const js = path.join(__dirname, '..', 'lib', 'cli', `${name}.js`);
  const argv = fs.existsSync(js) ? [js, ...args] : ['--import', 'tsx', path.join(__dirname, '..', 'lib', 'cli', `${name}.ts`), ...args];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env: { ...process.env, SPARSING_QUIET_BACKEND: '1', ...env }, timeout: 300_000 }); // generous: CI machines are shared
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

import { spawn, ChildProcess } from 'node:child_process';

function commandArgv(name: string, args: string[]): string[] {
  const js = path.join(__dirname, '..', 'lib', 'cli', `${name}.js`);
  return fs.existsSync(js) ? [js, ...args] : ['--import', 'tsx', path.join(__dirname, '..', 'lib', 'cli', `${name}.ts`), ...args];
}

/** Starts one of the project's commands in the background; `done` resolves with its exit code and output. */
export function startCommand(name: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, commandArgv(name, args), { env: { ...process.env, SPARSING_QUIET_BACKEND: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (b) => { stdout += b; });
  child.stderr!.on('data', (b) => { stderr += b; });
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  return { child, done };
}

/** Every file under dir (relative path -> bytes), to check that nothing was changed or deleted. */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** Asserts that every file of `before` is still there with the same bytes (and lists what is new). */
export function unchangedFiles(before: Map<string, Buffer>, dir: string): { changed: string[]; added: string[] } {
  const after = snapshot(dir);
  const changed = [...before].filter(([p, b]) => !after.get(p)?.equals(b)).map(([p]) => p);
  const added = [...after.keys()].filter((p) => !before.has(p));
  return { changed, added };
}

/** Waits until `check()` is true (polling), or throws after `ms`. */
export async function waitFor(check: () => boolean, ms = 60_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
