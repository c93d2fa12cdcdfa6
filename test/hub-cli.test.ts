// `sparsity MODEL_DIR --text FILE` on hub-style directories: tables with dense and sparse losses,
// the exact evaluation windows written by --dump-eval (and their hash in the JSON), one-line errors.
import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTokenizer, saveHubModel } from '../lib/hub';
import { Model } from '../lib/model/model';
import { readTextDocuments, textEvalSet, tokenStream } from '../lib/data/text-eval';
import { runCommand, setup, tmpDir } from './helpers';
import { copyWithConfig, FIXTURES, SAMPLE } from './hub-fixtures';

test.before(setup);

const LLAMA = path.join(FIXTURES, 'llama');
const MINICPM = path.join(FIXTURES, 'minicpm');

test('sparsity on a sharded bf16 LLaMA with --text: JSON with the eval hash, and --dump-eval writes those windows', () => {
  const dump = tmpDir();
  const r = runCommand('sparsity', [LLAMA, '--text', SAMPLE, '--eval-tokens', '128', '--context', '16', '--json', '--quiet', '--dump-eval', dump]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.eval.tokenizer, path.join(LLAMA, 'tokenizer.json'));
  assert.equal(out.eval.rows, 8);
  assert.deepEqual(out.model.dtypes, ['BF16']);
  assert.equal(out.model.config.kvHeads, 2);
  assert.equal(out.rows[0].method, 'ppl-p');
  const d = JSON.parse(fs.readFileSync(path.join(dump, 'eval-set.json'), 'utf8'));
  assert.equal(d.sha256, out.eval.sha256);
  assert.deepEqual(d.starts, out.eval.starts);
  // The windows are the text's tokens (by the model's tokenizer) at those starts.
  const stream = tokenStream(readTextDocuments(SAMPLE), loadTokenizer(LLAMA).encode);
  const set = textEvalSet(stream, { tokens: 128, context: 16, source: SAMPLE });
  d.windows.forEach((w: number[], i: number) => assert.deepEqual(w, Array.from(stream.subarray(d.starts[i], d.starts[i] + 17))));
  assert.deepEqual(Array.from(set.starts), d.starts);
});

test('sparsity on the MiniCPM layout with baselines and patterns: the text table shows dense and sparse loss and perplexity', () => {
  const r = runCommand('sparsity', [MINICPM, '--text', SAMPLE, '--eval-tokens', '96', '--context', '16', '--baselines', '--patterns', '--cett', '0.2', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0], /evaluation 96 tokens \(6 rows of 16\) from .*sample\.txt, tokens .*tokenizer\.json, sha256 [0-9a-f]{16}/);
  assert.match(lines[1], /dense_loss\s+dense_ppl\s+sparse_loss\s+sparse_ppl/);
  // the last four columns: dense_loss dense_ppl sparse_loss sparse_ppl (4 significant digits)
  const [dl, dp, sl, sp] = lines.find((l) => l.startsWith('cett'))!.trim().split(/\s+/).slice(-4).map(Number);
  assert.ok(Math.abs(Math.exp(dl) - dp) / dp < 2e-3, `dense ${dl} ${dp}`);
  assert.ok(Math.abs(Math.exp(sl) - sp) / sp < 2e-3, `sparse ${sl} ${sp}`);
  assert.ok(lines.some((l) => l.startsWith('zero')), 'relu: zero count');
  assert.ok(lines.some((l) => l.startsWith('topk-layer')), 'baselines');
});

test('sparsity on hub directories: bad input is one clear line and exit code 2', () => {
  const root = tmpDir();
  const noShard = path.join(root, 'no-shard');
  fs.cpSync(LLAMA, noShard, { recursive: true });
  fs.rmSync(path.join(noShard, 'model-00002-of-00005.safetensors'));
  const short = path.join(root, 'short.txt');
  fs.writeFileSync(short, 'Too short.');
  const jsonl = path.join(root, 'bad.jsonl');
  fs.writeFileSync(jsonl, '{"text": "fine"}\n{"txt": 3}\n');
  // a model with fewer ids than its tokenizer (a tokenizer from another model)
  const small = path.join(root, 'small');
  const m = new Model({ vocab: 200, d: 16, layers: 1, heads: 2, dFF: 32, act: 'relu', context: 32, normEps: 1e-5, ropeTheta: 1e4 }, { seed: 1 });
  saveHubModel(m, small, { tokenizerJson: JSON.parse(fs.readFileSync(path.join(LLAMA, 'tokenizer.json'), 'utf8')) });
  m.dispose();
  const cases: [string[], RegExp][] = [
    [[noShard, '--text', SAMPLE], /shard model-00002-of-00005.safetensors named in model.safetensors.index.json is missing/],
    [[LLAMA, '--text', short, '--eval-tokens', '64', '--context', '16'], /short.txt gives \d+ tokens, but 4 rows of 16 need 65/],
    [[LLAMA, '--text', jsonl], /bad.jsonl:2: expected a JSON string or an object with a "text" field/],
    [[LLAMA, '--text', path.join(root, 'absent.txt')], /text file .*absent.txt does not exist/],
    [[small, '--text', SAMPLE], /tokenizer has ids up to 299, but the model's vocab_size is 200/],
    [[copyWithConfig(LLAMA, path.join(root, 'v'), (c) => { c.vocab_size = 100; }), '--text', SAMPLE], /'model.embed_tokens.weight' has shape \[320,32\], config.json expects \[100,32\]/],
    [[copyWithConfig(MINICPM, path.join(root, 'act'), (c) => { c.hidden_act = 'gelu_new'; }), '--text', SAMPLE], /hidden_act 'gelu_new' is not supported/],
  ];
  for (const [args, re] of cases) {
    const r = runCommand('sparsity', [...args, '--quiet']);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
    assert.match(r.stderr.trim().split('\n')[0], re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
