#!/usr/bin/env node
// sparsity: activation-sparsity metrics of a checkpoint, or of every checkpoint of a training run.
//   node dist/lib/cli/sparsity.js data/runs/x/checkpoints/tokens-000001048576 [--p 0.01] [--baselines] [--patterns]
//   node dist/lib/cli/sparsity.js data/runs/x [--k 3] [--cett 0.1]      (stabilised PPL-p% over the run)
//   node dist/lib/cli/sparsity.js path/to/downloaded-model --text eval.txt   (a Hugging Face model directory)
// Prints tables (or JSON with --json) on stdout, progress on stderr; bad input is one line, exit 2.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendName, initBackend } from '../backend/select';
import { CONFIG_FILE } from '../checkpoint/hf';
import { evalSet, evalSetForDomain, loadCorpus } from '../data';
import { dumpEvalSet, evalSetHash } from '../data/text-eval';
import { checkWeights, hasTokenizer, hubEvalSet, loadHubModel, readHubConfig, WeightFiles } from '../hub';
import { paramCounts } from '../model/config';
import {
  checkpointSteps, checkP, checkTol, DEFAULT_EVAL_TOKENS, LayerRow, measureCheckpoint, MetricSet, NeuronRow, PatternLayerRow, PatternRow, pplLabel,
  MAX_TOL, runCheckpoints, SearchRow, searchSteps, SparsityRow, stabilised,
} from '../metrics';
import { tableText } from '../plot/table';
import { CHECKPOINTS_DIR, META_FILE, RUN_FILE } from '../checkpoint/run-dir';
import { readJsonChecked } from '../util/checked-read';
import { acquireLock } from '../util/lock';
import { numberFlag, parseCli } from '../util/args';
import { runCli, UserError } from '../util/errors';
import { Progress } from '../util/progress';
import { provenance } from '../backend/provenance';

/** Default evaluation row length for models with their own tokenizer (their context is often thousands). */
const HUB_CONTEXT = 512;

const USAGE = `usage: sparsity PATH [options]
  PATH                 a checkpoint directory: one of ours, or a Hugging Face model directory (config.json of
                       model_type llama or minicpm; model.safetensors or model.safetensors.index.json with its
                       shards; F32/F16/BF16; tokenizer.json, used to tokenise the evaluation text)
                       or a training run directory (checkpoints/tokens-*/): stabilised PPL-p% over the run
  --text FILE          evaluation text: a .txt file (one document) or .jsonl (one {"text": ...} per line),
                       tokenised by the model's tokenizer.json (else as UTF-8 bytes); default: the project
                       corpus (validation split; with a tokenizer.json its text, tokenised)
  --dump-eval DIR      write DIR/eval-set.json: the exact token windows evaluated (with row starts and sha256)
  --p X                PPL increase allowed, as a fraction in (0, 1) (default 0.01: PPL-1%)
  --k N                run: search the CETT jointly on the last N checkpoints (default 3)
  --include-decay      run: also measure checkpoints of the learning-rate decay stage (left out by default)
  --cett X[,Y...]      also measure at these fixed CETT values
  --baselines          checkpoint: also sweep the baselines (zero, FAT-eps, top-k, quantile)
  --patterns           checkpoint: also show activation patterns (per layer, dead neurons, per token)
  --domain NAME        patterns of one corpus domain (e.g. brown:news), on an evaluation set of that domain
  --eval-tokens N      evaluation-set size in tokens (default ${DEFAULT_EVAL_TOKENS})
  --context N          tokens per evaluation row (default: the model's context, at most ${HUB_CONTEXT} for a model
                       with its own tokenizer)
  --tol X              bisection tolerance on the CETT, in (0, 1e-3] (default 1e-3)
  --search exact|grid  threshold search: exact (default) or the paper's 65,536-candidate grid
  --json               print JSON instead of tables
  --quiet              no progress on stderr`;

interface EvalInfo {
  source: string;
  tokenizer: string;
  rows: number;
  context: number;
  sha256: string;
  starts: number[];
  stream_tokens: number | null;
  documents: number | null;
}

interface Output {
  path: string;
  kind: 'checkpoint' | 'run';
  eval: EvalInfo;
  model?: { config: Record<string, unknown>; params: number; non_embedding_params: number; dtypes: string[]; disk_bytes: number; load_seconds: number };
  rows: SparsityRow[];
  layers: LayerRow[];
  search: SearchRow[];
  patterns?: { summary: PatternRow[]; layers: PatternLayerRow[]; neurons: NeuronRow[] };
  cett: number | null;
  /** checkpoint: wall seconds of each phase; peak_rss_mb: the process's peak resident memory. */
  seconds?: { load: number; calibrate: number; search: number; rest: number; total: number };
  peak_rss_mb?: number;
  cpu_seconds?: number;   // user + system CPU time of the whole process (all threads)
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

const MAIN_COLS = ['method', 'param', 'checkpoint', 'tokens', 'activation_ratio', 'activation_ratio_calc', 'ppl_ratio', 'ppl_ratio_se', 'cett', 'saturated',
  'dense_loss', 'dense_ppl', 'sparse_loss', 'sparse_ppl'];

/** The text table shows the losses behind the ratio: sparse loss = dense loss + ln(PPL ratio). */
function withLosses(r: SparsityRow): SparsityRow & { dense_ppl: number; sparse_loss: number; sparse_ppl: number } {
  const sparse = r.dense_loss + Math.log(r.ppl_ratio);
  return { ...r, dense_ppl: Math.exp(r.dense_loss), sparse_loss: sparse, sparse_ppl: Math.exp(sparse) };
}

/**
 * Rough peak memory of the metrics (GB): float32 weights + the CETT curves while they are built
 * (12 bytes per nonzero (token, neuron) pair: every pair for SiLU, fewer for ReLU).
 */
function memoryEstimateGB(params: number, layers: number, dFF: number, tokens: number): number {
  return (4 * params + 12 * layers * dFF * tokens) / 1e9;
}
const LAYER_COLS = ['method', 'param', 'checkpoint', 'layer', 'threshold', 'threshold_status', 'cett_at_threshold', 'activation_ratio', 'activation_ratio_calc'];

runCli(async () => {
  const { values, positionals } = parseCli(process.argv.slice(2), {
    p: { type: 'string' }, k: { type: 'string' }, cett: { type: 'string' }, baselines: { type: 'boolean' }, patterns: { type: 'boolean' },
    domain: { type: 'string' }, 'eval-tokens': { type: 'string' }, context: { type: 'string' }, tol: { type: 'string' },
    search: { type: 'string' }, 'include-decay': { type: 'boolean' }, json: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean' },
    text: { type: 'string' }, 'dump-eval': { type: 'string' },
  }, USAGE);
  if (values.help) { process.stdout.write(USAGE + '\n'); return; }
  if (positionals.length !== 1) throw new UserError(`expected one PATH, got ${positionals.length}\n${USAGE}`);
  const target = positionals[0];
  const p = numberFlag('p', values.p) ?? 0.01;
  checkP(p);
  const k = numberFlag('k', values.k) ?? 3;
  if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`--k must be a positive integer, got ${values.k}`);
  const tol = numberFlag('tol', values.tol) ?? MAX_TOL;
  checkTol(tol, '--tol');
  const evalTokens = numberFlag('eval-tokens', values['eval-tokens']) ?? DEFAULT_EVAL_TOKENS;
  if (!(Number.isInteger(evalTokens) && evalTokens >= 1)) throw new UserError(`--eval-tokens must be a positive integer, got ${values['eval-tokens']}`);
  const search = values.search ?? 'exact';
  if (search !== 'exact' && search !== 'grid') throw new UserError(`--search must be exact or grid, got '${search}'`);
  const cetts = parseList('cett', values.cett);
  for (const c of cetts) if (!(c >= 0 && c <= 1)) throw new UserError(`--cett values must be in [0, 1], got ${c}`);
  const kind = kindOf(target);
  if (kind === 'run' && (values.baselines || values.patterns)) throw new UserError('--baselines and --patterns apply to one checkpoint; give a checkpoint directory');
  if (values.domain && !values.patterns) throw new UserError('--domain restricts --patterns; add --patterns');
  if (values.domain && values.text) throw new UserError('--domain picks a corpus domain; it does not apply to --text');
  if (values.text !== undefined && !fs.existsSync(values.text)) throw new UserError(`text file ${values.text} does not exist`);

  // A run directory is measured by one process at a time, and not while it is being trained (a
  // directory nobody can write needs no lock).
  if (kind === 'run') acquireLock(target, ['sparsity', ...process.argv.slice(2)].join(' '), { readOnlyOk: true });
  await initBackend({ quiet: values.quiet });
  const refs = kind === 'run' ? runCheckpoints(target, { includeDecay: values['include-decay'] }) : [{ dir: target, tokens: tokensOf(target), name: path.basename(path.resolve(target)) }];
  // The first checkpoint's config gives the context (and fails early with a clear error if it is unreadable).
  const config = readHubConfig(refs[0].dir);
  if (kind === 'checkpoint') checkWeights(WeightFiles.open(refs[0].dir), config); // names, shapes and shards, from the headers only
  const ownTokenizer = hasTokenizer(refs[0].dir);
  const context = numberFlag('context', values.context) ?? (ownTokenizer ? Math.min(config.context, HUB_CONTEXT) : config.context);
  if (!(Number.isInteger(context) && context >= 1)) throw new UserError(`--context must be a positive integer, got ${values.context}`);
  const rowsWanted = Math.ceil(evalTokens / context);
  // Our byte-level models on the corpus keep the corpus evaluation set (and its domains); anything
  // else is a token stream from the text, cut into windows the same way.
  const corpus = !ownTokenizer && values.text === undefined ? loadCorpus() : undefined;
  let set: MetricSet & { starts: Int32Array };
  let evalInfo: EvalInfo;
  if (corpus) {
    const es = evalSet(corpus, { tokens: rowsWanted * context, context });
    set = es;
    evalInfo = { source: 'the project corpus (validation split)', tokenizer: 'bytes', rows: es.rows, context, sha256: evalSetHash(es), starts: Array.from(es.starts), stream_tokens: corpus.val.length, documents: null };
  } else {
    const hs = hubEvalSet(refs[0].dir, { text: values.text, tokens: rowsWanted * context, context, vocab: config.vocab });
    set = hs;
    evalInfo = { source: hs.source, tokenizer: hs.tokenizer, rows: hs.rows, context, sha256: evalSetHash(hs), starts: Array.from(hs.starts), stream_tokens: hs.streamTokens, documents: hs.documents };
  }
  if (values['dump-eval']) {
    const file = dumpEvalSet(set, values['dump-eval'], { source: evalInfo.source, tokenizer: evalInfo.tokenizer, model: path.resolve(target) });
    if (!values.quiet) process.stderr.write(`evaluation windows written to ${file}\n`);
  }
  const domainIndex = values.domain === undefined ? undefined : corpus!.domains.indexOf(values.domain);
  if (domainIndex === -1) throw new UserError(`unknown domain '${values.domain}'; known: ${corpus!.domains.join(', ')}`);

  const out: Output = { path: target, kind, eval: evalInfo, rows: [], layers: [], search: [], cett: null, provenance: provenance() };
  const opts = { search: search as 'exact' | 'grid', tol };
  if (kind === 'run') {
    const kk = Math.min(k, refs.length);
    const work = refs.length + searchSteps(tol) * kk + (refs.length - kk) + refs.length * cetts.length; // as counted by stabilised()
    const prog = new Progress(`sparsity ${path.basename(path.resolve(target))}`, work, 3000, values.quiet);
    const res = stabilised(refs, set, { ...opts, p, k, fixedCetts: cetts, onProgress: (done, _total, what) => prog.update(done, what) });
    prog.done(`CETT ${res.cett.toFixed(4)} from the last ${res.k} checkpoints; ${res.seconds.total.toFixed(1)} s`);
    Object.assign(out, { rows: res.rows, layers: res.layers, search: res.steps, cett: res.cett });
  } else {
    const counts = paramCounts(config);
    const label = `sparsity ${refs[0].name}`;
    if (!values.quiet) {
      const gb = memoryEstimateGB(counts.total, config.layers, config.dFF, set.rows * context);
      process.stderr.write(`${label}: ${(counts.total / 1e6).toFixed(1)}M parameters, ${set.rows} rows of ${context} tokens; peak memory up to about ${gb.toFixed(1)} GB\n`);
    }
    const t0 = Date.now();
    const loadProg = new Progress(`${label} loading`, config.layers * 9 + 3, 3000, values.quiet);
    const loaded = loadHubModel(refs[0].dir, { onProgress: (done, total, name) => loadProg.update(done * (config.layers * 9 + 3) / total, name) });
    loadProg.done(`${loaded.files.length} file(s), ${loaded.dtypes.join('/')}, ${(loaded.diskBytes / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const model = loaded.model;
    out.model = {
      config: { ...config }, params: counts.total, non_embedding_params: counts.nonEmbedding, dtypes: loaded.dtypes, disk_bytes: loaded.diskBytes,
      load_seconds: (Date.now() - t0) / 1000,
    };
    const prog = new Progress(label, checkpointSteps({ tol, cetts: cetts.length, baselines: Boolean(values.baselines), patterns: Boolean(values.patterns) }), 3000, values.quiet);
    let done = 0;
    // Quantile thresholds are calibrated on held-out text of the training split when the corpus is
    // the evaluation text; on a user's text, on the evaluation set itself.
    const calib = corpus && values.baselines ? evalSet(corpus, { tokens: set.rows * context, context, split: 'train' }) : undefined;
    // One domain gets its own set of the same size (drawn from that domain's held-out documents),
    // so that rare neurons and dead ones are judged on as many tokens as the whole-corpus pattern.
    const patternSet = values.domain === undefined ? undefined
      : { set: evalSetForDomain(corpus!, values.domain, { tokens: set.rows * context, context }), name: values.domain, domain: domainIndex };
    const m = measureCheckpoint(model, set, {
      ...opts, p, name: refs[0].name, tokens: refs[0].tokens, cetts, baselines: values.baselines, calib, patterns: values.patterns, patternSet,
      onStep: (what) => prog.update(++done, what),
      onCalibrate: (rows, total) => prog.update(rows / total, `calibrating: ${rows}/${total} rows`),
    });
    Object.assign(out, { rows: m.rows, layers: m.layers, search: m.search, cett: m.cett, patterns: m.patterns });
    out.seconds = { load: out.model.load_seconds, ...m.seconds, total: (Date.now() - t0) / 1000 };
    out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
    const cpu = process.cpuUsage();
    out.cpu_seconds = (cpu.user + cpu.system) / 1e6;
    const r = m.rows[0];
    prog.done(`${pplLabel(p)} at CETT ${r.cett!.toFixed(4)}: activation ratio ${r.activation_ratio.toFixed(4)} (calibration ${m.seconds.calibrate.toFixed(1)} s, search ${m.seconds.search.toFixed(1)} s, rest ${m.seconds.rest.toFixed(1)} s)`);
    model.dispose();
  }

  if (values.json) {
    process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1) + '\n');
    return;
  }
  const w = (s: string) => process.stdout.write(s + '\n');
  w(`# ${kind} ${target}: evaluation ${set.rows * set.context} tokens (${set.rows} rows of ${context}) from ${evalInfo.source}, tokens ${evalInfo.tokenizer === 'bytes' ? 'UTF-8 bytes' : evalInfo.tokenizer}, sha256 ${evalInfo.sha256.slice(0, 16)}, backend ${backendName()}`);
  w(tableText(out.rows.map(withLosses), { columns: MAIN_COLS, maxRows: 200 }));
  w('');
  w(tableText(out.layers, { columns: LAYER_COLS, maxRows: 200 }));
  if (out.patterns) {
    w('');
    w(tableText(out.patterns.summary, { columns: ['method', 'param', 'domain', 'pattern_tokens', 'activation_ratio', 'dead_ratio', 'token_ratio_p10', 'token_ratio_p50', 'token_ratio_p90'] }));
    w('');
    w(tableText(out.patterns.layers, { columns: ['method', 'param', 'domain', 'layer', 'activation_ratio', 'dead_ratio'] }));
  }
});
