// The chunked evaluation pass: running a model over a fixed set of rows in chunks and handing each
// chunk's results (per-token NLL, optionally per-layer s and a, optionally kept counts) to a
// callback as plain Float32Arrays. Every evaluation goes through it: validation loss (lib/train),
// dense, captured and sparsified passes (lib/metrics). Chunks keep the WASM heap small (it never
// shrinks); every tensor lives inside one tf.tidy per chunk. The same rowsPerChunk must be used for
// the dense calibration pass and the sparse passes, so that a layer whose inputs are dense sees
// bit-identical activations in both.
import { tf } from '../backend/tf';
import { LayerSparsifier, Model } from './model';

/** Any fixed set of rows of `context` tokens with next-token targets. */
export interface EvalRows { x: Int32Array; y: Int32Array; rows: number; context: number }

/** About 4096 tokens per chunk: large enough for fast matMuls, small enough for the WASM heap. */
export const CHUNK_TOKENS = 4096;

export function defaultRowsPerChunk(context: number): number {
  return Math.max(1, Math.floor(CHUNK_TOKENS / context));
}

export interface Chunk {
  start: number;          // first row of the chunk
  rows: number;
  tokens: number;         // rows * context
  nll: Float32Array;      // [tokens] per-token NLL (nats)
  s?: Float32Array[];     // per layer [tokens * dFF] gate activation (when capture)
  a?: Float32Array[];     // per layer [tokens * dFF] a = s * u, before any sparsification (when capture)
  active?: number[];      // per layer kept (token, neuron) pairs; NaN for layers left dense
}

export interface PassOptions {
  rowsPerChunk?: number;
  /** Read back s and/or a of every layer. */
  capture?: { s?: boolean; a?: boolean };
  /** Sparsifiers for the chunk starting at row `start` (null entries leave a layer dense). */
  sparsify?: (start: number, rows: number) => LayerSparsifier[];
}

/** One pass over the set; `onChunk` runs once per chunk, in row order. */
export function forEachChunk(model: Model, set: EvalRows, opts: PassOptions, onChunk: (c: Chunk) => void): void {
  const T = set.context;
  const rowsPer = opts.rowsPerChunk ?? defaultRowsPerChunk(T);
  const L = model.config.layers;
  for (let r = 0; r < set.rows; r += rowsPer) {
    const B = Math.min(rowsPer, set.rows - r);
    const ids = set.x.subarray(r * T, (r + B) * T);
    const targets = set.y.subarray(r * T, (r + B) * T);
    const sp = opts.sparsify?.(r, B);
    const chunk: Chunk = { start: r, rows: B, tokens: B * T, nll: new Float32Array(0) };
    tf.tidy(() => {
      const out = model.forward(ids, B, T, { capture: Boolean(opts.capture), sparsify: sp });
      chunk.nll = model.tokenNll(out.logits, targets).dataSync() as Float32Array; // [B*T]
      if (opts.capture?.s) chunk.s = out.layers!.map((l) => l.s.dataSync() as Float32Array);
      if (opts.capture?.a) chunk.a = out.layers!.map((l) => l.a.dataSync() as Float32Array);
      if (sp) {
        // activeCounts has one entry per non-null sparsifier, in layer order.
        const counts = out.activeCounts!.map((t) => t.dataSync()[0]);
        let k = 0;
        chunk.active = Array.from({ length: L }, (_, l) => (sp[l] ? counts[k++] : NaN));
      }
      tf.dispose(out as unknown as tf.TensorContainer);
    });
    onChunk(chunk);
  }
}

/** Per-token NLL over the whole set (optionally sparsified), [rows * context]. */
export function passNll(model: Model, set: EvalRows, opts: PassOptions = {}): { nll: Float32Array; active?: number[] } {
  const nll = new Float32Array(set.rows * set.context);
  let active: number[] | undefined;
  forEachChunk(model, set, { ...opts, capture: undefined }, (c) => {
    nll.set(c.nll, c.start * set.context);
    if (c.active) active = active ? active.map((v, l) => v + c.active![l]) : c.active.slice();
  });
  return { nll, active };
}

/** The down projection of layer l in internal layout, [dFF, d] row-major: row i is W_out[:, i]. */
export function downProj(model: Model, layer: number): Float32Array {
  return model.p(`model.layers.${layer}.mlp.down_proj.weight`).dataSync() as Float32Array;
}
