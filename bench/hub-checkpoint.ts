// Time and memory of `sparsity` on a hub-style checkpoint: writes a random LLaMA of the given shape
// as BF16 shards (GQA, untied head, a real tokenizer.json from the test fixtures), runs the sparsity
// command on it in a child process, and prints the phases, the peak memory and a per-billion-parameter
// extrapolation (time scales with parameters x evaluation tokens; memory with 4 bytes per parameter
// plus the CETT curves while built, 12 bytes per nonzero (token, neuron) pair).
//   npx tsx bench/hub-checkpoint.ts [--d=768] [--layers=12] [--heads=12] [--kv=4] [--dff=2048] [--vocab=32000]
//        [--act=silu] [--eval-tokens=2048] [--context=256] [--dir=/tmp/hub-bench]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { initBackend, backendName } from '../lib/backend/select';
import { saveHubModel } from '../lib/hub';
import { Model } from '../lib/model/model';
import { paramCounts, ModelConfig } from '../lib/model/config';
import { tableText } from '../lib/plot/table';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def;
const n = (name: string, def: number) => Number(opt(name, String(def)));
const ROOT = path.resolve(__dirname, '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const config: ModelConfig = {
    vocab: n('vocab', 32000), d: n('d', 768), layers: n('layers', 12), heads: n('heads', 12), kvHeads: n('kv', 4), dFF: n('dff', 2048),
    act: opt('act', 'silu') as ModelConfig['act'], context: 2048, normEps: 1e-5, ropeTheta: 10000, tiedHead: false,
  };
  const evalTokens = n('eval-tokens', 2048);
  const context = n('context', 256);
  const dir = opt('dir', path.join(os.tmpdir(), 'hub-bench'));
  const params = paramCounts(config);
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    const t0 = Date.now();
    const m = new Model(config, { seed: 1 });
    const tok = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'hub', 'llama', 'tokenizer.json'), 'utf8'));
    const { files } = saveHubModel(m, dir, { dtype: 'BF16', maxShardBytes: 100e6, tokenizerJson: tok });
    m.dispose();
    process.stderr.write(`wrote ${files.length} BF16 shards of a ${(params.total / 1e6).toFixed(1)}M-parameter model to ${dir} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  const cli = path.join(ROOT, 'dist', 'lib', 'cli', 'sparsity.js');
  const r = spawnSync(process.execPath, [cli, dir, '--eval-tokens', String(evalTokens), '--context', String(context), '--json', '--quiet'],
    { encoding: 'utf8', env: { ...process.env, SPARSING_QUIET_BACKEND: '1' }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout);
  const s = out.seconds;
  const perB = 1e9 / params.total;
  const at16k = 16384 / (out.eval.rows * out.eval.context);
  const rows = [
    { what: 'measured', params_M: params.total / 1e6, eval_tokens: out.eval.rows * out.eval.context, load_s: s.load, calibrate_s: s.calibrate, search_s: s.search, total_s: s.total, cpu_s: out.cpu_seconds, peak_rss_GB: out.peak_rss_mb / 1024 },
    {
      what: 'per 1B params, 16,384 tokens (extrapolated)', params_M: 1000, eval_tokens: 16384, load_s: s.load * perB, calibrate_s: s.calibrate * perB * at16k,
      search_s: s.search * perB * at16k, total_s: s.load * perB + (s.total - s.load) * perB * at16k, cpu_s: out.cpu_seconds * perB * at16k,
      peak_rss_GB: (4e9 + 12 * (config.layers * config.dFF * perB) * 16384) / 2 ** 30,
    },
  ];
  process.stdout.write(`# sparsity on a random ${(params.total / 1e6).toFixed(0)}M-parameter LLaMA (d ${config.d}, ${config.layers} layers, ${config.heads}/${config.kvHeads} heads, dFF ${config.dFF}, vocab ${config.vocab}, ${config.act}), BF16 shards, backend ${backendName()}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}\n`);
  process.stdout.write(`# PPL-1% search: ${out.search.length} sparse passes; CETT ${out.cett}; memory extrapolation: 4 bytes per parameter + 12 bytes per (token, neuron) pair of the CETT curves while built (SiLU: all pairs)\n`);
  process.stdout.write(tableText(rows, {}) + '\n');
}

main().catch((e) => { process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n'); process.exit(1); });
