#!/usr/bin/env node
// sparsity: activation-sparsity metrics of a checkpoint, or of every checkpoint of a training run.
//   node dist/lib/cli/sparsity.js data/runs/x/checkpoints/tokens-000001048576 [--p 0.01] [--baselines] [--patterns]
//   node dist/lib/cli/sparsity.js data/runs/x [--k 3] [--cett 0.1]      (stabilised PPL-p% over the run)
// Prints tables (or JSON with --json) on stdout, progress on stderr; bad input is one line, exit 2.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendName, initBackend } from '../backend/select';
import { CONFIG_FILE, loadCheckpoint } from '../checkpoint/hf';
import { evalSet, evalSetForDomain, loadCorpus } from '../data';
import {
  activationPatterns, baselineSweep, calibrate, checkP, DEFAULT_EVAL_TOKENS, fixedCett, LayerRow, NeuronRow, PatternLayerRow, PatternRow, patternRows,
  PatternRule, pplPSparsity, rowContext, runCheckpoints, SearchRow, searchSteps, SparsityRow, stabilised,
} from '../metrics';
import { tableText } from '../plot/table';
import { CHECKPOINTS_DIR, META_FILE, RUN_FILE } from '../checkpoint/run-dir';
import { readJsonChecked } from '../util/checked-read';
import { acquireLock } from '../util/lock';
import { numberFlag, parseCli } from '../util/args';
import { runCli, UserError } from '../util/errors';
import { Progress } from '../util/progress';
import { provenance } from '../util/provenance';

const USAGE = `usage: sparsity PATH [options]
  PATH                 a checkpoint directory (config.json + model.safetensors, Hugging Face LLaMA layout)
                       or a training run directory (checkpoints/tokens-*/): stabilised PPL-p% over the run
  --p X                PPL increase allowed, as a fraction in (0, 1) (default 0.01: PPL-1%)
  --k N                run: search the CETT jointly on the last N checkpoints (default 3)
  --include-decay      run: also measure checkpoints of the learning-rate decay stage (left out by default)
  --cett X[,Y...]      also measure at these fixed CETT values
  --baselines          checkpoint: also sweep the baselines (zero, FAT-eps, top-k, quantile)
  --patterns           checkpoint: also show activation patterns (per layer, dead neurons, per token)
  --domain NAME        patterns of one corpus domain (e.g. brown:news), on an evaluation set of that domain
  --eval-tokens N      evaluation-set size in tokens (default ${DEFAULT_EVAL_TOKENS})
  --context N          tokens per evaluation row (default: the model's context)
  --tol X              bisection tolerance on the CETT (default 1e-3)
  --search exact|grid  threshold search: exact (default) or the paper's 65,536-candidate grid
  --json               print JSON instead of tables
  --quiet              no progress on stderr`;

interface Output {
  path: string;
  kind: 'checkpoint' | 'run';
  rows: SparsityRow[];
  layers: LayerRow[];
  search: SearchRow[];
  patterns?: { summary: PatternRow[]; layers: PatternLayerRow[]; neurons: NeuronRow[] };
  cett: number | null;
  provenance: ReturnType<typeof provenance>;
}

function parseList(flag: string, v: string | undefined): number[] {
  if (v === undefined) return [];
  return v.split(',').map((x) => {
    const n = Number(x.trim());
    if (x.trim() === '' || !Number.isFinite(n)) throw new UserError(`--${flag} expects numbers separated by commas, got '${v}'`);
    return n;
  });
}

function kindOf(p: string): 'checkpoint' | 'run' {
  if (!fs.existsSync(p)) throw new UserError(`${p} does not exist`);
  if (!fs.statSync(p).isDirectory()) throw new UserError(`${p} is not a directory (expected a checkpoint or a run directory)`);
  if (fs.existsSync(path.join(p, CONFIG_FILE))) return 'checkpoint';
  if (fs.existsSync(path.join(p, CHECKPOINTS_DIR)) || fs.existsSync(path.join(p, RUN_FILE))) return 'run';
  throw new UserError(`${p} is neither a checkpoint directory (no ${CONFIG_FILE}) nor a run directory (no ${CHECKPOINTS_DIR}/)`);
}

/** A checkpoint's token count from its meta.json (optional: checkpoints from elsewhere have none). */
function tokensOf(dir: string): number | null {
  const file = path.join(dir, META_FILE);
  if (!fs.existsSync(file)) return null;
  return readJsonChecked<{ tokens: number }>(file, { tokens: 'integer' }, 'move it aside to measure the checkpoint without its token count').tokens;
}

const MAIN_COLS = ['method', 'param', 'checkpoint', 'tokens', 'activation_ratio', 'activation_ratio_calc', 'ppl_ratio', 'ppl_ratio_se', 'cett', 'saturated'];
const LAYER_COLS = ['method', 'param', 'checkpoint', 'layer', 'threshold', 'threshold_status', 'cett_at_threshold', 'activation_ratio', 'activation_ratio_calc'];

runCli(async () => {
  const { values, positionals } = parseCli(process.argv.slice(2), {
    p: { type: 'string' }, k: { type: 'string' }, cett: { type: 'string' }, baselines: { type: 'boolean' }, patterns: { type: 'boolean' },
    domain: { type: 'string' }, 'eval-tokens': { type: 'string' }, context: { type: 'string' }, tol: { type: 'string' },
    search: { type: 'string' }, 'include-decay': { type: 'boolean' }, json: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean' },
  }, USAGE);
  if (values.help) { process.stdout.write(USAGE + '\n'); return; }
  if (positionals.length !== 1) throw new UserError(`expected one PATH, got ${positionals.length}\n${USAGE}`);
  const target = positionals[0];
  const p = numberFlag('p', values.p) ?? 0.01;
  checkP(p);
  const k = numberFlag('k', values.k) ?? 3;
  if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`--k must be a positive integer, got ${values.k}`);
  const tol = numberFlag('tol', values.tol) ?? 1e-3;
  if (!(tol > 0 && tol <= 1e-3)) throw new UserError(`--tol must be in (0, 1e-3], got ${values.tol}`);
  const evalTokens = numberFlag('eval-tokens', values['eval-tokens']) ?? DEFAULT_EVAL_TOKENS;
  if (!(Number.isInteger(evalTokens) && evalTokens >= 1)) throw new UserError(`--eval-tokens must be a positive integer, got ${values['eval-tokens']}`);
  const search = values.search ?? 'exact';
  if (search !== 'exact' && search !== 'grid') throw new UserError(`--search must be exact or grid, got '${search}'`);
  const cetts = parseList('cett', values.cett);
  for (const c of cetts) if (!(c >= 0 && c <= 1)) throw new UserError(`--cett values must be in [0, 1], got ${c}`);
  const kind = kindOf(target);
  if (kind === 'run' && (values.baselines || values.patterns)) throw new UserError('--baselines and --patterns apply to one checkpoint; give a checkpoint directory');
  if (values.domain && !values.patterns) throw new UserError('--domain restricts --patterns; add --patterns');

  // A run directory is measured by one process at a time, and not while it is being trained (a
  // directory nobody can write needs no lock).
  if (kind === 'run') acquireLock(target, ['sparsity', ...process.argv.slice(2)].join(' '), { readOnlyOk: true });
  await initBackend({ quiet: values.quiet });
  const refs = kind === 'run' ? runCheckpoints(target, { includeDecay: values['include-decay'] }) : [{ dir: target, tokens: tokensOf(target), name: path.basename(path.resolve(target)) }];
  // The first checkpoint gives the context (and fails early with a clear error if it is unreadable).
  const first = loadCheckpoint(refs[0].dir);
  const context = numberFlag('context', values.context) ?? first.config.context;
  first.dispose();
  const corpus = loadCorpus();
  const rowsWanted = Math.ceil(evalTokens / context);
  const set = evalSet(corpus, { tokens: rowsWanted * context, context });
  const domainIndex = values.domain === undefined ? undefined : corpus.domains.indexOf(values.domain);
  if (domainIndex === -1) throw new UserError(`unknown domain '${values.domain}'; known: ${corpus.domains.join(', ')}`);

  const out: Output = { path: target, kind, rows: [], layers: [], search: [], cett: null, provenance: provenance() };
  const opts = { search: search as 'exact' | 'grid', tol };
  if (kind === 'run') {
    const kk = Math.min(k, refs.length);
    const work = refs.length + searchSteps(tol) * kk + (refs.length - kk) + refs.length * cetts.length; // as counted by stabilised()
    const prog = new Progress(`sparsity ${path.basename(path.resolve(target))}`, work, 3000, values.quiet);
    const res = stabilised(refs, set, { ...opts, p, k, fixedCetts: cetts, onProgress: (done, _total, what) => prog.update(done, what) });
    prog.done(`CETT ${res.cett.toFixed(4)} from the last ${res.k} checkpoints; ${res.seconds.total.toFixed(1)} s`);
    Object.assign(out, { rows: res.rows, layers: res.layers, search: res.steps, cett: res.cett });
  } else {
    const model = loadCheckpoint(refs[0].dir);
    const prog = new Progress(`sparsity ${refs[0].name}`, 1 + 10 + cetts.length + (values.baselines ? 21 : 0), 3000, values.quiet);
    let done = 0;
    const tick = (what: string) => prog.update(++done, what);
    const cal = calibrate(model, set, { name: refs[0].name, tokens: refs[0].tokens });
    tick('calibrated');
    const r = pplPSparsity(cal, p, { ...opts, onStep: (s) => tick(`cett ${s.cett.toFixed(4)} ppl ratio ${s.ppl_ratio.toFixed(4)}`) });
    out.rows.push(r.row);
    out.layers.push(...r.layers);
    out.search = r.steps;
    out.cett = r.row.cett;
    for (const c of cetts) {
      const f = fixedCett(cal, c, opts);
      out.rows.push(f.row);
      out.layers.push(...f.layers);
      tick(`cett ${c}`);
    }
    if (values.baselines) {
      // Quantile thresholds are calibrated on held-out text of the training split, not on the evaluation set.
      const calib = evalSet(corpus, { tokens: set.rows * context, context, split: 'train' });
      const b = baselineSweep(cal, { onStep: tick, calib });
      out.rows.push(...b.rows);
      out.layers.push(...b.layers);
    }
    if (values.patterns) {
      const rules: PatternRule[] = [{ method: 'ppl-p', param: p, thresholds: r.layers.map((l) => l.threshold ?? Infinity), norms: cal.norms }];
      if (model.config.act === 'relu') rules.unshift({ method: 'zero' });
      const dname = values.domain ?? 'all';
      // One domain gets its own set of the same size (drawn from that domain's held-out documents),
      // so that rare neurons and dead ones are judged on as many tokens as the whole-corpus pattern.
      const pset = values.domain === undefined ? set : evalSetForDomain(corpus, values.domain, { tokens: set.rows * context, context });
      const pr = rules.map((rule) => patternRows(activationPatterns(model, pset, rule, { domain: domainIndex, rowsPerChunk: cal.rowsPerChunk }), rowContext(cal), dname));
      out.patterns = { summary: pr.map((x) => x.summary), layers: pr.flatMap((x) => x.layers), neurons: pr.flatMap((x) => x.neurons) };
    }
    prog.done(`PPL-${p * 100}% at CETT ${r.row.cett!.toFixed(4)}: activation ratio ${r.row.activation_ratio.toFixed(4)}`);
    model.dispose();
  }

  if (values.json) {
    process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n');
    return;
  }
  const w = (s: string) => process.stdout.write(s + '\n');
  w(`# ${kind} ${target}: evaluation ${set.rows * set.context} tokens (${set.rows} rows of ${context}), backend ${backendName()}`);
  w(tableText(out.rows, { columns: MAIN_COLS, maxRows: 200 }));
  w('');
  w(tableText(out.layers, { columns: LAYER_COLS, maxRows: 200 }));
  if (out.patterns) {
    w('');
    w(tableText(out.patterns.summary, { columns: ['method', 'param', 'domain', 'pattern_tokens', 'activation_ratio', 'dead_ratio', 'token_ratio_p10', 'token_ratio_p50', 'token_ratio_p90'] }));
    w('');
    w(tableText(out.patterns.layers, { columns: ['method', 'param', 'domain', 'layer', 'activation_ratio', 'dead_ratio'] }));
  }
});
