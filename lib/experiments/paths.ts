// Where a profile's runs and results live. Training runs (checkpoints; large) go under data/runs,
// result tables (small; what notebooks read) under data/results.
import * as path from 'node:path';

export function projectRoot(): string {
  // lib/experiments -> repo root, from both the TS sources and dist/lib/experiments
  const up = path.resolve(__dirname, '..', '..');
  return path.basename(up) === 'dist' ? path.dirname(up) : up;
}

export function dataRoot(): string {
  return process.env.SPARSING_DATA_DIR ?? path.join(projectRoot(), 'data');
}

export const runsDir = (profile: string) => path.join(dataRoot(), 'runs', profile);
export const runDir = (profile: string, id: string) => path.join(runsDir(profile), id);
export const resultsDir = (profile: string) => path.join(dataRoot(), 'results', profile);
export const measureFile = (profile: string, id: string) => path.join(resultsDir(profile), 'measure', `${id}.json`);
export const MANIFEST_FILE = 'manifest.json';
