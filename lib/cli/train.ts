#!/usr/bin/env node
// Train one model: `node dist/lib/cli/train.js --preset d64-l2 --act relu --tokens 2M --out data/runs/x`.
// Running the same command again resumes an interrupted run, or does nothing if it finished.
// `--replicas R` trains R seeds (--seeds a,b,... or seed, seed+1, ...) of the same model as one
// batched model; each is written to its own ordinary run directory, <out>-s<seed>.
import * as path from 'node:path';
import { presetConfig, presetNames } from '../model/presets';
import { ACTIVATION_NAMES, activationDef, type Activation } from '../model/activations';
import { trainReplicas, TRAIN_DEFAULTS, TrainOptions } from '../train/trainer';
import { REBUILDABLE } from '../checkpoint/run-dir';
import { numberFlag, parseCli } from '../util/args';
import { runCli, UserError } from '../util/errors';

// No --act-threshold flag: activations that read a threshold (fatrelu) are for hub checkpoints only.
const TRAINABLE: Activation[] = ACTIVATION_NAMES.filter((a) => !activationDef(a).threshold);

const USAGE = `usage: train --preset NAME [--act ${TRAINABLE.join('|')}] --tokens N [--out DIR] [--seed N] [--replicas R [--seeds A,B,...]] [--batch N] [--seq-len N]
             [--lr X] [--warmup STEPS] [--decay FRACTION] [--eval-tokens N] [--ckpt-first TOKENS] [--ckpt-factor X] [--quiet]
             [--rebuild FILE[,FILE]]  rebuild damaged run files from what is intact (${REBUILDABLE.join(', ')}); the damaged file is kept aside
presets: ${presetNames().join(', ')}`;

runCli(async () => {
  const { values } = parseCli(process.argv.slice(2), {
    preset: { type: 'string' }, act: { type: 'string', default: 'relu' }, tokens: { type: 'string' }, out: { type: 'string' },
    seed: { type: 'string' }, replicas: { type: 'string' }, seeds: { type: 'string' }, batch: { type: 'string' }, 'seq-len': { type: 'string' }, lr: { type: 'string' },
    warmup: { type: 'string' }, decay: { type: 'string' }, 'eval-tokens': { type: 'string' },
    'ckpt-first': { type: 'string' }, 'ckpt-factor': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean' }, rebuild: { type: 'string' },
  }, USAGE);
  if (values.help) { process.stdout.write(USAGE + '\n'); return; }
  if (!values.preset) throw new UserError(`--preset is required\n${USAGE}`);
  if (!(TRAINABLE as string[]).includes(values.act ?? '')) throw new UserError(`--act must be ${TRAINABLE.join(' or ')}, got '${values.act}'`);
  const tokens = numberFlag('tokens', values.tokens);
  if (tokens === undefined) throw new UserError(`--tokens is required\n${USAGE}`);
  const model = presetConfig(values.preset, values.act as Activation);
  const seed = numberFlag('seed', values.seed) ?? TRAIN_DEFAULTS.seed;
  const replicas = numberFlag('replicas', values.replicas) ?? (values.seeds ? values.seeds.split(',').length : 1);
  if (!Number.isInteger(replicas) || replicas < 1) throw new UserError(`--replicas must be a positive integer, got ${values.replicas}`);
  const seeds = values.seeds ? values.seeds.split(',').map((x) => numberFlag('seeds', x)!) : Array.from({ length: replicas }, (_, i) => seed + i);
  if (seeds.length !== replicas) throw new UserError(`--seeds lists ${seeds.length} seeds but --replicas is ${replicas}`);
  const base = values.out ?? path.join('data', 'runs', `${values.preset}-${values.act}-${values.tokens}`);
  const dirFor = (s: number) => (values.out && replicas === 1 ? values.out : `${base}-s${s}`);
  const group: TrainOptions[] = seeds.map((s) => ({
    ...TRAIN_DEFAULTS,
    runDir: dirFor(s),
    model,
    preset: values.preset,
    seed: s,
    batchSize: numberFlag('batch', values.batch) ?? TRAIN_DEFAULTS.batchSize,
    seqLen: numberFlag('seq-len', values['seq-len']) ?? model.context,
    totalTokens: tokens,
    lr: numberFlag('lr', values.lr) ?? TRAIN_DEFAULTS.lr,
    warmupSteps: numberFlag('warmup', values.warmup) ?? TRAIN_DEFAULTS.warmupSteps,
    decayFraction: numberFlag('decay', values.decay) ?? TRAIN_DEFAULTS.decayFraction,
    evalTokens: numberFlag('eval-tokens', values['eval-tokens']) ?? TRAIN_DEFAULTS.evalTokens,
    checkpointFirstTokens: numberFlag('ckpt-first', values['ckpt-first']) ?? TRAIN_DEFAULTS.checkpointFirstTokens,
    checkpointFactor: numberFlag('ckpt-factor', values['ckpt-factor']) ?? TRAIN_DEFAULTS.checkpointFactor,
    quiet: values.quiet,
    rebuild: values.rebuild?.split(',').map((f) => f.trim()),
    command: ['train', ...process.argv.slice(2)].join(' '),
  }));
  const summaries = await trainReplicas(group);
  for (const s of summaries) process.stdout.write(JSON.stringify(s) + '\n');
  const failed = summaries.filter((s) => s.error);
  if (failed.length) throw new UserError(failed.length === 1 ? failed[0].error! : `${failed.length} replicas stopped on a NaN loss (${failed.map((f) => f.runDir).join(', ')}); the others finished`);
});
