// Training batches as a pure function of (seed, step, batchSize, context): offsets come from the
// RNG stream (seed, BATCH_KEY, step), so resuming at step k needs no saved data position.
import { rngFor } from '../util/rng';
import { Corpus } from './types';

/** Stream key that keeps batch draws apart from other users of the same seed (weight init, ...). */
export const BATCH_KEY = 0xba7c4;

export interface BatchOptions {
  seed: number;
  step: number;
  batchSize: number;
  context: number;
}

export interface Batch {
  x: Int32Array; // [batchSize * context], row-major
  y: Int32Array; // x shifted by one: y[r, t] = the byte after x[r, t]
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`trainBatch: ${name} must be an integer >= ${min}, got ${v}`);
}

/** Random windows of the train stream (uniform start offsets; windows may cross document ends). */
export function trainBatch(corpus: Corpus, opts: BatchOptions): Batch {
  const { seed, step, batchSize, context } = opts;
  checkInt('step', step, 0);
  checkInt('batchSize', batchSize, 1);
  checkInt('context', context, 1);
  const data = corpus.train;
  const nStarts = data.length - context; // start s needs s + context < length for the last target
  if (nStarts < 1) throw new RangeError(`trainBatch: context ${context} does not fit the ${data.length}-byte train split`);
  const rng = rngFor(seed, BATCH_KEY, step);
  const x = new Int32Array(batchSize * context);
  const y = new Int32Array(batchSize * context);
  for (let r = 0; r < batchSize; r++) {
    const s = rng.int(nStarts);
    const o = r * context;
    for (let t = 0; t < context; t++) {
      x[o + t] = data[s + t];
      y[o + t] = data[s + t + 1];
    }
  }
  return { x, y };
}
