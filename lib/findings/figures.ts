// Every finding's figures, by name, and saving them all under <results.dir>/figures/ (the runner
// calls saveFindingFigures after aggregating, so the figures exist without opening a notebook).
import * as path from 'node:path';
import type { Results } from '../experiments/results';
import { saveFigure, type SavedFigure } from '../plot';
import type { NamedFigure } from './common';
import { allFigures } from './registry';

/** The figures of every finding in the registry (registry.ts). */
export function findingFigures(results: Results): NamedFigure[] {
  return allFigures(results);
}

/** Writes <name>.vl.json, .svg and .png for every figure; returns what was written. */
export async function saveFindingFigures(results: Results, dir = path.join(results.dir, 'figures')): Promise<SavedFigure[]> {
  const out: SavedFigure[] = [];
  for (const f of findingFigures(results)) out.push(await saveFigure(f.spec, path.join(dir, f.name)));
  return out;
}
