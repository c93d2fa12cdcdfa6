// Measuring one trained run of a profile: the stabilised PPL-p% trajectory (and a common fixed
// CETT), dead neurons and the ReLU zero count per checkpoint, and on the final checkpoint the F0
// trade-off curves and the activation patterns. Written once, atomically, as measure/<id>.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendName, initBackend } from '../backend/select';
import { loadCheckpoint } from '../checkpoint/hf';
import { evalSet, evalSetForDomain, loadCorpus } from '../data';
import { hasExactZeros } from '../model/activations';
import { paramCounts } from '../model/config';
import { presetConfig } from '../model/presets';
import {
  activationPatterns, baselineSweep, calibrate, CheckpointRef, fixedCett, MetricSet, pplPSparsity, runCheckpoints, SparsityRow, stabilised,
} from '../metrics';
import { listCheckpoints } from '../checkpoint/run-dir';
import { writeFileAtomic, WriteFailure } from '../util/atomic';
import { UserError } from '../util/errors';
import { Progress } from '../util/progress';
import { provenance } from '../backend/provenance';
import { clusteredMeanSe } from '../metrics/clustered-se';
import { measureFile, runDir } from './paths';
import { Profile, RunSpec } from './profiles';
import type { F0Row, TrajectoryRow } from './schema';

/** Domains whose activation patterns are compared (F3); each gets its own held-out set. */
export const PATTERN_DOMAINS = ['nlp:mixed', 'brown:news', 'brown:learned', 'brown:fiction', 'brown:humor'];
const DOMAIN_TOKENS = 4096;
/**
 * Fixed CETT values of the F0 trade-off curves; a profile's measure.f0Points takes the first n. The
 * first 12 are the grid the smoke and default profiles measure; the last 4 fill the factor-2 gaps at
 * the low end, where the PPL-p% points lie, for profiles that ask for more (long asks for 16).
 */
export const F0_CETTS = [0.005, 0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 0.0075, 0.015, 0.03, 0.055];

/** The CETT values of a profile's F0 curves, ascending; a count the grid cannot give is refused, not cut. */
export function f0Cetts(points: number): number[] {
  if (!Number.isInteger(points) || points < 4 || points > F0_CETTS.length) {
    throw new UserError(`measure.f0Points must be an integer from 4 to ${F0_CETTS.length} (the F0 curves' fixed-CETT grid holds ${F0_CETTS.length} values), got ${points}`);
  }
  return F0_CETTS.slice(0, points).sort((a, b) => a - b);
}

const round = (x: number, digits = 5) => Number(x.toFixed(digits));

export interface RunMeasurement {
  run: RunSpec;
  params: ReturnType<typeof paramCounts>;
  d_over_l: number;
  provenance: ReturnType<typeof provenance>;
  seconds: number;
  stabilised: { p: number; k: number; cett: number; saturated: boolean; searched_on: string[] };
  trajectory: TrajectoryRow[];   // one row per checkpoint x method
  f0: F0Row[];                   // final checkpoint, every method and knob
  patterns: {
    layers: { layer: number; frequency_sorted: number[] }[];            // stabilised rule, full eval set
    /** activation_ratio_se: standard error clustered by evaluation row (absent in measurements made before it was recorded). */
    domains: { domain: string; tokens: number; activation_ratio: number; activation_ratio_se?: number; dead_ratio: number; frequency_sorted: number[][] }[];
    token_ratio: number[];                                             // per evaluation token, stabilised rule
  };
}

function refsFor(profile: Profile, spec: RunSpec): CheckpointRef[] {
  const stable = new Set(listCheckpoints(runDir(profile.name, spec.id)).filter((c) => c.stage !== 'decay').map((c) => c.dir));
  const all = runCheckpoints(runDir(profile.name, spec.id)).filter((r) => stable.has(r.dir));
  const used = all.filter((r) => (r.tokens ?? 0) >= profile.measure.minTokens);
  return used.length >= 2 ? used : all; // tiny profiles: keep what there is
}

export async function measureRunIfMissing(profile: Profile, spec: RunSpec, quiet = false): Promise<RunMeasurement | undefined> {
  const file = measureFile(profile.name, spec.id);
  if (fs.existsSync(file)) return undefined;
  await initBackend({ quiet: true });
  const t0 = Date.now();
  const m = profile.measure;
  const f0Knobs = spec.findings.includes('F0') ? f0Cetts(m.f0Points) : []; // refused before any work
  const corpus = loadCorpus();
  const set: MetricSet = evalSet(corpus, { tokens: m.evalTokens, context: spec.seqLen });
  const refs = refsFor(profile, spec);
  const metas = new Map(listCheckpoints(runDir(profile.name, spec.id)).map((c) => [c.dir, c]));
  const progress = new Progress(`${spec.id} measure`, 1, 5000, quiet);

  // 1. The stabilised PPL-p% trajectory, plus the same checkpoints at one common CETT.
  const st = stabilised(refs, set, {
    p: m.p, k: m.stabiliseLastK, fixedCetts: [m.fixedCett],
    onProgress: (done, total, what) => progress.update(done / total * 0.6, `${what}`),
  });
  const config = presetConfig(spec.preset, spec.act);
  const params = paramCounts(config);
  const runFields = (tokens: number | null) => ({
    run: spec.id, preset: spec.preset, act: spec.act, seed: spec.seed, d: config.d, layers: config.layers, d_over_l: config.d / config.layers,
    non_embedding_params: params.nonEmbedding, tokens_per_param: tokens === null ? null : tokens / params.nonEmbedding,
  });
  const byCheckpoint = new Map(refs.map((r) => [r.name ?? path.basename(r.dir), r]));
  const trajectory: TrajectoryRow[] = st.rows.map((row: SparsityRow) => {
    const ref = byCheckpoint.get(row.checkpoint);
    const meta = ref ? metas.get(ref.dir) : undefined;
    return { ...runFields(row.tokens), ...row, val_loss: meta?.val_loss ?? null, stage: meta?.stage ?? null };
  });

  // The stabilised rule's per-layer thresholds at a checkpoint (undefined where the search left none).
  const stableThresholds = (checkpoint: string) => Array.from({ length: config.layers },
    (_, l) => st.layers.find((r) => r.method === 'ppl-p-stable' && r.checkpoint === checkpoint && r.layer === l)?.threshold);

  // 2. Per checkpoint: the sampling error of the stabilised ratio (per-token ratios under the same
  // thresholds, clustered by evaluation row), and ReLU's zero count and dead neurons (active on under
  // 0.1% of tokens).
  let lastStable: ReturnType<typeof activationPatterns> | undefined; // the final checkpoint's, reused in 3.
  refs.forEach((ref, i) => {
    const model = loadCheckpoint(ref.dir);
    const name = ref.name ?? path.basename(ref.dir);
    const meta = metas.get(ref.dir);
    const stableRow = trajectory.find((r) => r.method === 'ppl-p-stable' && r.checkpoint === name);
    const th = stableThresholds(name);
    if (stableRow && th.every((t): t is number => typeof t === 'number')) {
      const ps = activationPatterns(model, set, { method: 'ppl-p-stable', param: m.p, thresholds: th, norms: model.downProjNorms() });
      stableRow.activation_ratio_se = clusteredMeanSe(ps.tokenRatio, spec.seqLen).se;
      if (i === refs.length - 1) lastStable = ps;
    }
    if (hasExactZeros(spec.act)) {
      const pz = activationPatterns(model, set, { method: 'zero' });
      trajectory.push({
        ...runFields(ref.tokens), method: 'zero', param: null, param_name: '', checkpoint: name, tokens: ref.tokens, eval_tokens: set.rows * set.context, backend: backendName(),
        activation_ratio: pz.activationRatio, dead_ratio: pz.deadRatio.reduce((s, v) => s + v, 0) / pz.deadRatio.length,
        val_loss: meta?.val_loss ?? null, stage: meta?.stage ?? null,
      });
    }
    model.dispose();
    progress.update(0.6 + 0.1 * (i + 1) / refs.length, hasExactZeros(spec.act) ? 'ratio error and zero count' : 'ratio error');
  });

  // 3. The final checkpoint: F0 trade-off curves, and the activation patterns.
  const last = refs[refs.length - 1];
  const model = loadCheckpoint(last.dir);
  const f0: F0Row[] = [];
  if (spec.findings.includes('F0')) {
    const cal = calibrate(model, set, { name: last.name, tokens: last.tokens });
    const add = (r: SparsityRow) => f0.push({ ...runFields(r.tokens), ...r });
    for (const c of f0Knobs) add(fixedCett(cal, c).row);
    for (const p of m.f0Ps) add(pplPSparsity(cal, p).row);
    baselineSweep(cal).rows.forEach(add);
    progress.update(0.85, 'F0 curves');
  }
  const lastName = last.name ?? path.basename(last.dir);
  const thresholds = stableThresholds(lastName).map((t) => t ?? Infinity);
  const rule = { method: 'ppl-p-stable' as const, param: m.p, thresholds, norms: model.downProjNorms() };
  const full = lastStable ?? activationPatterns(model, set, rule);
  const sortedDesc = (f: Float32Array) => Array.from(f).sort((a, b) => b - a).map((v) => round(v));
  const domains: RunMeasurement['patterns']['domains'] = [];
  if (spec.findings.includes('F3')) {
    for (const name of PATTERN_DOMAINS.filter((d) => corpus.domains.includes(d))) {
      const dset = evalSetForDomain(corpus, name, { tokens: Math.min(DOMAIN_TOKENS, m.evalTokens), context: spec.seqLen });
      const p = activationPatterns(model, dset, rule);
      domains.push({ domain: name, tokens: p.tokens, activation_ratio: p.activationRatio, activation_ratio_se: clusteredMeanSe(p.tokenRatio, spec.seqLen).se, dead_ratio: p.deadRatio.reduce((s, v) => s + v, 0) / p.deadRatio.length, frequency_sorted: p.frequency.map(sortedDesc) });
    }
  }
  model.dispose();
  const result: RunMeasurement = {
    run: spec, params, d_over_l: config.d / config.layers, provenance: provenance(), seconds: (Date.now() - t0) / 1000,
    stabilised: { p: st.p, k: st.k, cett: st.cett, saturated: st.saturated, searched_on: st.searchedOn },
    trajectory, f0,
    patterns: {
      layers: full.frequency.map((f, layer) => ({ layer, frequency_sorted: sortedDesc(f) })),
      domains,
      token_ratio: Array.from(full.tokenRatio, (v) => round(v, 4)),
    },
  };
  try {
    writeFileAtomic(file, JSON.stringify(result) + '\n');
  } catch (e) {
    if (!(e instanceof WriteFailure)) throw e;
    throw new UserError(`${e.message}; the checkpoints of ${spec.id} and the other measurements are intact: free space (or fix permissions) and rerun to measure it`);
  }
  progress.done(`measured: stabilised CETT ${st.cett.toFixed(4)}, ${refs.length} checkpoints, ${result.seconds.toFixed(1)} s`);
  return result;
}
