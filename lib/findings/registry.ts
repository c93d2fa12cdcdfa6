// Every finding the notebooks show, in notebook order: each module (f0.ts, f1.ts, ...) exports its
// FindingDef (id, tag, title, notebook, runs, figures, verdicts, narrative) and is listed here once.
// saveFindingFigures, allVerdicts and test/registries.test.ts read this list.
//
// Adding a finding: write its module (rows, figures, verdicts, narrative; the maths stays there),
// export a FindingDef from it, add it below, and tag the runs it needs in lib/experiments/profiles.ts.
import type { Results } from '../experiments/results';
import type { FindingDef, NamedFigure, Verdict } from './common';
import { F0_FINDING } from './f0';
import { F1_FINDING } from './f1';
import { F1_EARLY_FINDING } from './f1-early';
import { F2_FINDING } from './f2';
import { F3_FINDING } from './f3';
import { F3_SIZE_LAW_FINDING } from './f3-size-law';

export const FINDINGS: readonly FindingDef[] = [F0_FINDING, F1_FINDING, F1_EARLY_FINDING, F2_FINDING, F3_FINDING, F3_SIZE_LAW_FINDING];

/** The finding with this id ('F0', 'F1-early', ...); throws when there is none. */
export function findingById(id: string): FindingDef {
  const f = FINDINGS.find((x) => x.id === id);
  if (!f) throw new Error(`no finding '${id}' (known: ${FINDINGS.map((x) => x.id).join(', ')})`);
  return f;
}

/** Every finding's figures, in registry order. */
export function allFigures(results: Results): NamedFigure[] {
  return FINDINGS.flatMap((f) => f.figures(results));
}

/** Every verdict of every finding, in registry order. */
export function allVerdicts(results: Results): Verdict[] {
  return FINDINGS.flatMap((f) => f.verdicts(results));
}
