// Experiments declared as data. A profile is a list of training runs (each tagged with the
// findings that use it) plus how to measure them. `smoke` is for tests and CI, `default` is the
// README's main job, `long` is closer to the paper's regime (hours).
import { Activation, paramCounts } from '../model/config';
import { presetConfig } from '../model/presets';
import { UserError } from '../util/errors';

export type Finding = 'F0' | 'F1' | 'F2' | 'F3';

export interface RunSpec {
  id: string;            // unique within the profile; also the folder name
  preset: string;
  act: Activation;
  seed: number;
  tokens: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  warmupSteps: number;
  ckptFirstTokens: number;
  ckptFactor: number;
  findings: Finding[];
}

export interface MeasureSpec {
  evalTokens: number;        // held-out tokens for every sparsity measurement
  p: number;                 // PPL-p% target (0.01 = PPL-1%)
  stabiliseLastK: number;    // checkpoints used to fix the CETT of a run
  fixedCett: number;         // a common CETT for comparisons across runs
  minTokens: number;         // checkpoints below this carry no information (search saturates)
  f0Ps: number[];            // PPL-p% levels shown in F0
  f0Points: number;          // knob values per method for the F0 trade-off curves
}

export interface Profile { name: string; description: string; runs: RunSpec[]; measure: MeasureSpec }

interface Family { presets: string[]; acts: Activation[]; seeds: number[]; tokens: number; findings: Finding[]; ckptFirstTokens: number }

function expand(f: Family, base: Pick<RunSpec, 'batchSize' | 'lr' | 'warmupSteps' | 'ckptFactor'> & { seqLen?: number }): RunSpec[] {
  const out: RunSpec[] = [];
  for (const preset of f.presets) for (const act of f.acts) for (const seed of f.seeds) {
    const cfg = presetConfig(preset, act);
    out.push({
      id: `${preset}-${act}-s${seed}-${formatTokens(f.tokens)}`, preset, act, seed, tokens: f.tokens,
      seqLen: Math.min(base.seqLen ?? 64, cfg.context), batchSize: base.batchSize, lr: base.lr, warmupSteps: base.warmupSteps,
      ckptFirstTokens: f.ckptFirstTokens, ckptFactor: base.ckptFactor, findings: f.findings,
    });
  }
  return out;
}

export function formatTokens(n: number): string {
  return n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3}k` : String(n);
}

/** Runs requested by several findings are trained once: merge by id, joining their findings. */
function merge(runs: RunSpec[]): RunSpec[] {
  const byId = new Map<string, RunSpec>();
  for (const r of runs) {
    const prev = byId.get(r.id);
    if (prev) prev.findings = [...new Set([...prev.findings, ...r.findings])].sort() as Finding[];
    else byId.set(r.id, { ...r, findings: [...r.findings] });
  }
  return [...byId.values()];
}

const PILOT = { batchSize: 32, lr: 2e-3, warmupSteps: 100, ckptFactor: Math.SQRT2 };

const WD = ['wd131k-l1', 'wd131k-l2', 'wd131k-l4', 'wd131k-l8', 'wd131k-l16'];

export const PROFILES: Record<string, Profile> = {
  smoke: {
    name: 'smoke',
    description: 'seconds to a minute: micro models on a few thousand tokens, to exercise every step',
    runs: merge([
      ...expand({ presets: ['micro'], acts: ['relu', 'silu'], seeds: [0], tokens: 24_576, findings: ['F0', 'F1', 'F3'], ckptFirstTokens: 4096 },
        { batchSize: 8, seqLen: 16, lr: 5e-3, warmupSteps: 10, ckptFactor: 2 }),
      ...expand({ presets: ['micro-l2'], acts: ['relu', 'silu'], seeds: [0], tokens: 24_576, findings: ['F1', 'F2', 'F3'], ckptFirstTokens: 4096 },
        { batchSize: 8, seqLen: 16, lr: 5e-3, warmupSteps: 10, ckptFactor: 2 }),
    ]),
    measure: { evalTokens: 1024, p: 0.01, stabiliseLastK: 2, fixedCett: 0.1, minTokens: 0, f0Ps: [0.01, 0.05, 0.1], f0Points: 5 },
  },
  default: {
    name: 'default',
    description: 'the README main job: ReLU and SiLU at d/L 32 for three sizes (16k and 131k parameters to 4M tokens, 443k to 2M), and a width-depth family of ReLU models at ~131k parameters to 2M tokens, two seeds each',
    runs: merge([
      ...expand({ presets: ['d32-l1', 'd64-l2'], acts: ['relu', 'silu'], seeds: [0], tokens: 4_000_000, findings: ['F0', 'F1', 'F3'], ckptFirstTokens: 125_000 }, PILOT),
      ...expand({ presets: ['d96-l3'], acts: ['relu', 'silu'], seeds: [0], tokens: 2_000_000, findings: ['F3'], ckptFirstTokens: 125_000 }, PILOT),
      ...expand({ presets: WD, acts: ['relu'], seeds: [0, 1], tokens: 2_000_000, findings: ['F2'], ckptFirstTokens: 125_000 }, PILOT),
    ]),
    measure: { evalTokens: 16_384, p: 0.01, stabiliseLastK: 3, fixedCett: 0.1, minTokens: 150_000, f0Ps: [0.01, 0.05, 0.1], f0Points: 12 },
  },
  long: {
    name: 'long',
    description: 'hours: longer training, four sizes, three seeds of the width-depth family',
    runs: merge([
      ...expand({ presets: ['d32-l1', 'd64-l2', 'd96-l3', 'd128-l4'], acts: ['relu', 'silu'], seeds: [0], tokens: 16_000_000, findings: ['F0', 'F1', 'F3'], ckptFirstTokens: 125_000 }, PILOT),
      ...expand({ presets: WD, acts: ['relu'], seeds: [0, 1, 2], tokens: 8_000_000, findings: ['F2'], ckptFirstTokens: 125_000 }, PILOT),
    ]),
    measure: { evalTokens: 16_384, p: 0.01, stabiliseLastK: 3, fixedCett: 0.1, minTokens: 150_000, f0Ps: [0.01, 0.05, 0.1], f0Points: 16 },
  },
};

export function getProfile(name: string): Profile {
  const p = PROFILES[name];
  if (!p) throw new UserError(`unknown profile '${name}'; known profiles: ${Object.keys(PROFILES).join(', ')}`);
  return p;
}

/**
 * Runs that differ only in seed (same preset, activation, token budget and training settings)
 * trained together as replicas of one batched model, in profile order; groups hold at most
 * maxSize runs. Everything else is a group of one, and so is every run of a model above
 * maxParams: replicas paid off at d64-l2 (148k parameters: 4 replicas 2.5x the tokens/s of one)
 * but not at d128-l4 (1.08M: a replica step's backward pass was ~2x slower per token than one
 * model's; cause not found), measured on native (bench/train-speed.ts --replicas 1,4).
 */
export function replicaGroups(runs: RunSpec[], maxSize = 4, maxParams = 300_000): RunSpec[][] {
  const key = (r: RunSpec) => JSON.stringify([r.preset, r.act, r.tokens, r.batchSize, r.seqLen, r.lr, r.warmupSteps, r.ckptFirstTokens, r.ckptFactor]);
  const groups = new Map<string, RunSpec[][]>();
  const order: RunSpec[][] = [];
  for (const r of runs) {
    if (paramCounts(presetConfig(r.preset, r.act)).total > maxParams) { order.push([r]); continue; }
    const list = groups.get(key(r)) ?? [];
    groups.set(key(r), list);
    const last = list[list.length - 1];
    if (last && last.length < maxSize) { last.push(r); continue; }
    const g = [r];
    list.push(g);
    order.push(g);
  }
  return order;
}
