// Every finding's figures, by name, and saving them all under <results.dir>/figures/ (the runner
// calls saveFindingFigures after aggregating, so the figures exist without opening a notebook).
import * as path from 'node:path';
import type { Results } from '../experiments/results';
import { saveFigure, type SavedFigure, type TopLevelSpec } from '../plot';
import { f0Figures } from './f0';
import { f1Figures } from './f1';
import { f2Figures } from './f2';
import { f3Figures } from './f3';

export interface NamedFigure { name: string; spec: TopLevelSpec }

export function findingFigures(results: Results): NamedFigure[] {
  return [...f0Figures(results), ...f1Figures(results), ...f2Figures(results), ...f3Figures(results)];
}

/** Writes <name>.vl.json, .svg and .png for every figure; returns what was written. */
export async function saveFindingFigures(results: Results, dir = path.join(results.dir, 'figures')): Promise<SavedFigure[]> {
  const out: SavedFigure[] = [];
  for (const f of findingFigures(results)) out.push(await saveFigure(f.spec, path.join(dir, f.name)));
  return out;
}
