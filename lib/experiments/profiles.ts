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

export interface Profile {
  name: string; description: string; runs: RunSpec[]; measure: MeasureSpec;
  /** Wall-clock minutes on 2 cores the profile must finish in (reproduce --plan checks its estimate against it). */
  budgetMinutes?: number;
}

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
const WD30K = ['wd30k-l1', 'wd30k-l2', 'wd30k-l4', 'wd30k-l8', 'wd30k-l16'];
const WD524K = ['wd524k-l1', 'wd524k-l2', 'wd524k-l4', 'wd524k-l8', 'wd524k-l16'];

/** `long`'s checkpoints: every 2^(1/4) of tokens. */
const LONG = { ...PILOT, ckptFactor: Math.pow(2, 0.25) };

/**
 * `long`'s F3 budgets: every size reaches the common 2M tokens and the common 2 tokens per parameter
 * (the most the 1.05M model can afford); the small family (<= 40k parameters) goes on to the paper's
 * 200 tokens per parameter.
 */
const F3_COMMON_TOKENS = 2_000_000;
const F3_COMMON_TPP = 2;
const F3_SMALL_TPP = 200;
const F3_SMALL_MAX_PARAMS = 40_000;
/** `long`'s F3 sizes (d/L 32 from 16k up; below it d/L drifts, see presets.ts) and each one's tokens, rounded up to 100k. */
const F3_LONG: [string, number][] = ['d24-l1', 'd32-l1', 'd32-l2', 'd48-l2', 'd64-l2', 'd96-l3', 'd128-l4'].map((preset) => {
  const n = paramCounts(presetConfig(preset)).nonEmbedding;
  const want = Math.max(F3_COMMON_TOKENS, F3_COMMON_TPP * n, n <= F3_SMALL_MAX_PARAMS ? F3_SMALL_TPP * n : 0);
  return [preset, Math.ceil(want / 1e5) * 1e5];
});

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
    budgetMinutes: 45,
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
    budgetMinutes: 150,
    description: 'issue #13, about 150 minutes on 2 cores when the engine is fast enough (reproduce --profile long --plan prints the estimate): ' +
      'F3 over seven sizes from 9k to 1.05M parameters, ReLU and SiLU, three seeds, each trained past the common 2M tokens and 2 tokens per parameter, the sizes up to 40k on to 200 tokens per parameter; ' +
      'F2 at ~131k with four seeds, a ~30k family at 5M tokens (~160 tokens per parameter) and a ~524k family whose widest shape passes d/L 114; the smallest SiLU model to 16M tokens; checkpoints every 2^(1/4) of tokens (twice the default: the first 25% of a run still holds enough points for early prediction)',
    runs: merge([
      // F3: one run per (size, act, seed) serves both designs: the learning rate is constant after warmup, so a checkpoint
      // at 2M tokens (or at 4 N) is what a run stopped there would have given: the common-token and common-tokens-per-parameter points.
      ...F3_LONG.flatMap(([preset, tokens]) => expand({ presets: [preset], acts: ['relu', 'silu'], seeds: [0, 1, 2], tokens, findings: ['F0', 'F1', 'F3'], ckptFirstTokens: 125_000 }, LONG)),
      ...expand({ presets: WD, acts: ['relu'], seeds: [0, 1, 2, 3], tokens: 2_000_000, findings: ['F2'], ckptFirstTokens: 125_000 }, LONG),
      ...expand({ presets: WD30K, acts: ['relu'], seeds: [0], tokens: 5_000_000, findings: ['F2'], ckptFirstTokens: 125_000 }, LONG),
      ...expand({ presets: WD524K, acts: ['relu'], seeds: [0], tokens: 2_000_000, findings: ['F2'], ckptFirstTokens: 125_000 }, LONG),
      // Item 4: is SiLU's law identified once the smallest model sees ~1000 tokens per parameter?
      ...expand({ presets: ['d32-l1'], acts: ['silu'], seeds: [0], tokens: 16_000_000, findings: ['F1'], ckptFirstTokens: 125_000 }, LONG),
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
 * maxParams. On native with one thread (bench/train-speed.ts --replicas 1,4, idle machine,
 * data/bench/train-speed-vs-torch.json) 4 replicas of d64-l2 (148k parameters) give 1.13x the
 * tokens/s of one model (2.5x before the raw-TensorFlow training pass removed the per-op cost they
 * amortised), and 4 of d128-l4 (1.08M) 0.79x: slower per token, so large models train alone.
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
