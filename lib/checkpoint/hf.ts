// Checkpoints in the Hugging Face LLaMA layout: config.json + model.safetensors, weights [out, in].
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelConfig } from '../model/config';
import { hubConfig, toHubConfig } from './hf-config';
import { Model } from '../model/model';
import { paramSpecs } from '../model/params';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic';
import { NamedTensor, readSafetensors, writeSafetensors } from './safetensors';

export const WEIGHTS_FILE = 'model.safetensors';
export const CONFIG_FILE = 'config.json';

/** Our config as a Hugging Face config.json (LLaMA, or MiniCPM when its scales are set); see ./hf-config.ts. */
export function toHFConfig(c: ModelConfig): Record<string, unknown> {
  return toHubConfig(c);
}

/** A Hugging Face config.json (llama or minicpm) as our config, refusing what the model cannot run. */
export function fromHFConfig(j: Record<string, unknown>, where = 'config.json'): ModelConfig {
  return hubConfig(j, where);
}

/** [rows, cols] row-major -> [cols, rows], in cache-sized tiles (a 1B model has 1e9 entries to move). */
export function transposeTiled(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  const B = 64;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = src[r * cols + c];
    }
  }
  return out;
}

/**
 * Write a checkpoint directory's two files (each atomically), of one replica of the model. The
 * model's fused products are split back into the HF tensors, so files keep HF names and layout.
 */
export function saveCheckpoint(model: Model, dir: string, metadata: Record<string, string> = {}, replica = 0): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, NamedTensor>();
  const weights = model.weights(replica);
  for (const spec of paramSpecs(model.config)) {
    const w = weights.get(spec.name)!;
    if (spec.transposedInHF) {
      const [inDim, outDim] = spec.shape;
      tensors.set(spec.name, { data: transposeTiled(w, inDim, outDim), shape: [outDim, inDim] });
    } else {
      tensors.set(spec.name, { data: w, shape: spec.shape });
    }
  }
  writeSafetensors(path.join(dir, WEIGHTS_FILE), tensors, { format: 'pt', ...metadata });
  writeFileAtomic(path.join(dir, CONFIG_FILE), JSON.stringify(toHFConfig(model.config), null, 2) + '\n');
}

/** config.json of a checkpoint (ours or a downloaded model's: `what` names it in the error). */
export function readCheckpointConfig(dir: string, what = 'checkpoint directory'): ModelConfig {
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new UserError(`no ${CONFIG_FILE} in ${dir}: not a ${what}`);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new UserError(`${file} is not valid JSON`);
  }
  return fromHFConfig(j, file);
}

/** Load weights from a checkpoint directory, by HF name in internal [in, out] orientation (validating names and shapes); the Model fuses them. */
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
    out.set(spec.name, spec.transposedInHF ? transposeTiled(t.data, expected[0], expected[1]) : t.data);
  }
  return out;
}

export function loadCheckpoint(dir: string): Model {
  const config = readCheckpointConfig(dir);
  return new Model(config, readCheckpointWeights(dir, config));
}
