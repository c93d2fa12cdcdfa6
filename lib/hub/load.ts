// Loading a model directory as it comes from the Hugging Face hub (config.json, single or sharded
// safetensors in F32/F16/BF16) into our Model, one tensor at a time: names and shapes are checked
// against the headers first, then each tensor is read, decoded, transposed and handed to the model
// before the next is read, so peak memory is the float32 model plus one tensor.
import * as path from 'node:path';
import { ModelConfig } from '../model/config';
import { Model } from '../model/model';
import { paramSpecs, ParamSpec } from '../model/params';
import { UserError } from '../util/errors';
import { readCheckpointConfig, transposeTiled } from '../checkpoint/hf';
import { WeightFiles } from './shards';

export { CONFIG_FILE } from '../checkpoint/hf';

/** Tensors a checkpoint may carry that the model does not use. */
const HARMLESS = /(^|\.)rotary_emb\.inv_freq$|^lm_head\.weight$/;

export function readHubConfig(dir: string): ModelConfig {
  return readCheckpointConfig(dir, 'model directory');
}

/** Re-exported: the tiled transpose lives with the checkpoint format. */
export { transposeTiled };

function hfShape(spec: ParamSpec): number[] {
  return spec.transposedInHF ? [spec.shape[1], spec.shape[0]] : spec.shape;
}

/** Checks every parameter is present with the right shape, and nothing unknown is left over. */
export function checkWeights(files: WeightFiles, config: ModelConfig): ParamSpec[] {
  const specs = paramSpecs(config);
  for (const spec of specs) {
    const e = files.entries.get(spec.name);
    if (!e) {
      const hint = spec.name.includes('gate_proj') ? ' (the FFN must be gated: gate_proj, up_proj, down_proj)'
        : spec.name === 'lm_head.weight' ? ' (config.json says tie_word_embeddings false)' : '';
      throw new UserError(`${files.dir}: tensor '${spec.name}' is missing${hint}`);
    }
    const want = hfShape(spec);
    if (e.shape.join(',') !== want.join(',')) throw new UserError(`${path.basename(e.file)}: tensor '${spec.name}' has shape [${e.shape}], config.json expects [${want}]`);
  }
  const known = new Set(specs.map((s) => s.name));
  const extra = [...files.entries.keys()].filter((n) => !known.has(n) && !HARMLESS.test(n));
  if (extra.length) {
    const bias = extra.find((n) => n.endsWith('.bias'));
    const what = bias ? `bias tensors (e.g. '${bias}') are not supported` : `unexpected tensors ${extra.slice(0, 3).map((n) => `'${n}'`).join(', ')}${extra.length > 3 ? ` and ${extra.length - 3} more` : ''} (an architecture this loader does not know)`;
    throw new UserError(`${files.dir}: ${what}`);
  }
  return specs;
}

/**
 * A Map whose values are read from disk when asked for and not kept: the Model constructor takes
 * its weights through `get`, one parameter at a time.
 */
class DiskWeights extends Map<string, Float32Array> {
  constructor(private readonly files: WeightFiles, private readonly specs: Map<string, ParamSpec>, private readonly onRead?: (name: string) => void) {
    super();
  }

  override has(name: string): boolean {
    return this.specs.has(name);
  }

  override get(name: string): Float32Array | undefined {
    const spec = this.specs.get(name);
    if (!spec) return undefined;
    const { data, shape } = this.files.read(name);
    this.onRead?.(name);
    return spec.transposedInHF ? transposeTiled(data, shape[0], shape[1]) : data;
  }
}

export interface LoadOptions {
  /** Called after each tensor is read (done, total tensors). */
  onProgress?: (done: number, total: number, name: string) => void;
}

export interface LoadedModel {
  model: Model;
  config: ModelConfig;
  files: string[];
  diskBytes: number;
  dtypes: string[];
}

/** Loads DIR (config.json + model.safetensors or model.safetensors.index.json with its shards). */
export function loadHubModel(dir: string, opts: LoadOptions = {}): LoadedModel {
  const config = readHubConfig(dir);
  const files = WeightFiles.open(dir);
  const specs = checkWeights(files, config);
  let done = 0;
  const weights = new DiskWeights(files, new Map(specs.map((s) => [s.name, s])), (name) => opts.onProgress?.(++done, specs.length, name));
  const model = new Model(config, weights);
  const dtypes = [...new Set(specs.map((s) => files.entries.get(s.name)!.dtype))].sort();
  return { model, config, files: files.files, diskBytes: files.totalBytes(), dtypes };
}
