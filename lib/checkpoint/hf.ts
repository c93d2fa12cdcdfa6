// Checkpoints in the Hugging Face LLaMA layout: config.json + model.safetensors, weights [out, in].
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelConfig } from '../model/config';
import { hubConfig, toHubConfig } from '../hub/config';
import { Model } from '../model/model';
import { paramSpecs } from '../model/params';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';
import { NamedTensor, readSafetensors, writeSafetensors } from './safetensors';

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';

/** Our config as a Hugging Face config.json (LLaMA, or MiniCPM when its scales are set); see lib/hub/config.ts. */
export function toHFConfig(c: ModelConfig): Record<string, unknown> {
  return toHubConfig(c);
}

/** A Hugging Face config.json (llama or minicpm) as our config, refusing what the model cannot run. */
export function fromHFConfig(j: Record<string, unknown>, where = 'config.json'): ModelConfig {
  return hubConfig(j, where);
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** Write a checkpoint directory's two files (each atomically). */
export function saveCheckpoint(model: Model, dir: string, metadata: Record<string, string> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, NamedTensor>();
  const weights = model.weights();
  for (const spec of model.specs) {
    const w = weights.get(spec.name)!;
    if (spec.transposedInHF) {
      const [inDim, outDim] = spec.shape;
      tensors.set(spec.name, { data: transpose2d(w, inDim, outDim), shape: [outDim, inDim] });
    } else {
      tensors.set(spec.name, { data: w, shape: spec.shape });
    }
  }
  writeSafetensors(path.join(dir, WEIGHTS_FILE), tensors, { format: 'pt', ...metadata });
  writeFileAtomic(path.join(dir, CONFIG_FILE), JSON.stringify(toHFConfig(model.config), null, 2) + '\n');
}

export function readCheckpointConfig(dir: string): ModelConfig {
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new UserError(`no ${CONFIG_FILE} in ${dir}: not a checkpoint directory`);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new UserError(`${file} is not valid JSON`);
  }
  return fromHFConfig(j, file);
}

/** Load weights from a checkpoint directory into internal layout (validating names and shapes). */
export function readCheckpointWeights(dir: string, config: ModelConfig): Map<string, Float32Array> {
  const file = path.join(dir, WEIGHTS_FILE);
  const { tensors } = readSafetensors(file);
  const out = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const t = tensors.get(spec.name);
    if (!t) {
      const hint = spec.name.includes('gate_proj') ? ' (the FFN must be gated: gate_proj, up_proj, down_proj)' : '';
      throw new UserError(`${file}: tensor '${spec.name}' is missing${hint}`);
    }
    const expected = spec.transposedInHF ? [spec.shape[1], spec.shape[0]] : spec.shape;
    if (t.shape.join(',') !== expected.join(',')) throw new UserError(`${file}: tensor '${spec.name}' has shape [${t.shape}], config expects [${expected}]`);
    out.set(spec.name, spec.transposedInHF ? transpose2d(t.data, expected[0], expected[1]) : t.data);
  }
  return out;
}

export function loadCheckpoint(dir: string): Model {
  const config = readCheckpointConfig(dir);
  return new Model(config, readCheckpointWeights(dir, config));
}
