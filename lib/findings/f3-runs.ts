// The runs F3 compares: one per activation and size (the lowest seed when there are several, since
// size is the axis), smallest first.
import type { Results } from '../experiments/results';
import type { Activation } from '../model/activations';
import { groupBy, runsOf, RunInfo, trajectoryOf } from './common';

export function f3Runs(results: Results): RunInfo[] {
  return runsOf(results, 'F3');
}

export function f3BySize(results: Results): Map<Activation, RunInfo[]> {
  const out = new Map<Activation, RunInfo[]>();
  for (const [act, rs] of groupBy(f3Runs(results), (r) => r.act)) {
    const bySize = [...groupBy(rs, (r) => r.preset).values()].map((g) => g.sort((a, b) => a.seed - b.seed)[0]);
    out.set(act as Activation, bySize.sort((a, b) => a.params - b.params));
  }
  return out;
}

/** The largest checkpoint (tokens) every given run has: a common amount of data. */
export function commonTokens(results: Results, runs: RunInfo[]): number | null {
  const sets = runs.map((r) => new Set(trajectoryOf(results, r.id).map((t) => t.tokens)));
  if (!sets.length) return null;
  const common = [...sets[0]].filter((t) => sets.every((s) => s.has(t)));
  return common.length ? Math.max(...common) : null;
}
