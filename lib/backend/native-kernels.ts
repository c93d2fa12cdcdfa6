// Leaner versions of tfjs-node's kernels for the ops our training step calls most.
//
// tfjs-node hands TensorFlow each shape, permutation or axis list (Reshape, Transpose, Sum, Mean,
// Tile, ...) as a fresh int32 tensor: made through the engine, uploaded, run, disposed, every call.
// These kernels keep one uploaded int32 tensor per distinct list and reuse it, Mean skips its
// float32-to-float32 Cast, and GatherV2 leaves the index check to TensorFlow (which refuses an
// index out of range itself) instead of reading the indices back to JS. A Cast to the same dtype
// a Reshape to the same shape and a Transpose that keeps the axes in place (autograd makes many)
// return their input without calling TensorFlow, as tfjs-node's own Identity does. Each runs the same TensorFlow op with the same
// inputs, so the numbers are the same bits as tfjs-node's.
import { tf } from './tf';

/** The parts of tfjs-node's NodeJSKernelBackend these kernels (and native-ops.ts) use. */
export interface NodeBackend {
  binding: { TF_ATTR_BOOL: number; TF_ATTR_INT: number; TF_ATTR_TYPE: number; TF_INT32: number; TF_FLOAT: number };
  write(values: Int32Array, shape: number[], dtype: 'int32'): object;
  disposeData(dataId: object, force: boolean): boolean;
  incRef(dataId: object): void;
  executeSingleOutput(name: string, attrs: unknown[], inputs: unknown[]): tf.TensorInfo;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: unknown[], n: number): tf.TensorInfo[];
  getDTypeInteger(dtype: string): number;
}

// One uploaded constant per distinct int32 list: the few shapes of a training run recur every step.
// A process that meets an unusual variety of shapes empties the cache when it is full (ops run
// synchronously, so no entry is in use then).
const MAX_CONSTANTS = 4096;
type Const = { dataId: object; shape: number[]; dtype: 'int32' };
const constants = new WeakMap<object, Map<string, Const>>();

function int32(backend: NodeBackend, values: readonly number[], scalar = false): Const {
  let cache = constants.get(backend);
  if (!cache) constants.set(backend, (cache = new Map()));
  const key = (scalar ? 's' : 'v') + values.join(',');
  let t = cache.get(key);
  if (!t) {
    if (cache.size >= MAX_CONSTANTS) { for (const c of cache.values()) backend.disposeData(c.dataId, true); cache.clear(); }
    const shape = scalar ? [] : [values.length];
    t = { dataId: backend.write(Int32Array.from(values), shape, 'int32'), shape, dtype: 'int32' };
    cache.set(key, t);
  }
  return t;
}

export const typeAttr = (b: NodeBackend, name: string, dtype: string) => ({ name, type: b.binding.TF_ATTR_TYPE, value: b.getDTypeInteger(dtype) });
const reductionAttrs = (b: NodeBackend, dtype: string, keepDims: boolean) => [
  { name: 'keep_dims', type: b.binding.TF_ATTR_BOOL, value: keepDims }, typeAttr(b, 'T', dtype), typeAttr(b, 'Tidx', 'int32'),
];

/** The input itself, one more reference to its data (what tfjs-node's Identity kernel returns). */
function same(b: NodeBackend, x: tf.TensorInfo): tf.TensorInfo {
  b.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

type Args = { inputs: Record<string, tf.TensorInfo>; attrs: Record<string, unknown>; backend: unknown };
const kernels: Record<string, (a: Args) => tf.TensorInfo | tf.TensorInfo[]> = {
  Cast: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    if (attrs.dtype === x.dtype) return same(b, x);
    return b.executeSingleOutput('Cast', [typeAttr(b, 'SrcT', x.dtype), typeAttr(b, 'DstT', attrs.dtype as string), { name: 'Truncate', type: b.binding.TF_ATTR_BOOL, value: false }], [x]);
  },
  Reshape: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    const shape = attrs.shape as number[];
    if (shape.length === x.shape.length && tf.util.arraysEqual(tf.util.inferFromImplicitShape(shape, tf.util.sizeFromShape(x.shape)), x.shape)) return same(b, x);
    return b.executeSingleOutput('Reshape', [typeAttr(b, 'T', x.dtype), typeAttr(b, 'Tshape', 'int32')], [x, int32(b, attrs.shape as number[])]);
  },
  Transpose: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    const perm = attrs.perm as number[];
    if (perm.every((p, i) => p === i)) return same(b, x);
    return b.executeSingleOutput('Transpose', [typeAttr(b, 'T', x.dtype), typeAttr(b, 'Tperm', 'int32')], [x, int32(b, attrs.perm as number[])]);
  },
  Sum: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    const axes = tf.util.parseAxisParam(attrs.axis as number[], x.shape);
    return b.executeSingleOutput('Sum', reductionAttrs(b, x.dtype, attrs.keepDims as boolean), [x, int32(b, axes)]);
  },
  Max: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    const axes = tf.util.parseAxisParam(attrs.reductionIndices as number[], x.shape);
    return b.executeSingleOutput('Max', reductionAttrs(b, x.dtype, attrs.keepDims as boolean), [x, int32(b, axes)]);
  },
  Mean: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    const axes = tf.util.parseAxisParam(attrs.axis as number[], x.shape);
    if (x.dtype !== 'float32') return original.Mean!({ inputs: { x }, attrs, backend } as never) as tf.TensorInfo;
    return b.executeSingleOutput('Mean', reductionAttrs(b, 'float32', attrs.keepDims as boolean), [x, int32(b, axes)]);
  },
  Tile: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    return b.executeSingleOutput('Tile', [typeAttr(b, 'T', x.dtype), typeAttr(b, 'Tmultiples', 'int32')], [x, int32(b, attrs.reps as number[])]);
  },
  Reverse: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    const axes = tf.util.parseAxisParam(attrs.dims as number[], x.shape);
    return b.executeSingleOutput('ReverseV2', [typeAttr(b, 'Tidx', 'int32'), typeAttr(b, 'T', x.dtype)], [x, int32(b, axes)]);
  },
  ExpandDims: ({ inputs: { input }, attrs, backend }) => {
    const b = backend as NodeBackend;
    return b.executeSingleOutput('ExpandDims', [], [input, int32(b, [attrs.dim as number], true)]);
  },
  Concat: ({ inputs, attrs, backend }) => {
    const b = backend as NodeBackend;
    const xs = Array.from(inputs as unknown as tf.TensorInfo[]);
    if (xs.some((t) => t.dtype !== xs[0].dtype)) return original.Concat!({ inputs, attrs, backend } as never) as tf.TensorInfo;
    return b.executeSingleOutput('ConcatV2', [{ name: 'N', type: b.binding.TF_ATTR_INT, value: xs.length }, typeAttr(b, 'Tidx', 'int32'), typeAttr(b, 'T', xs[0].dtype)],
      [...xs, int32(b, [attrs.axis as number], true)]);
  },
  SplitV: ({ inputs: { x }, attrs, backend }) => {
    const b = backend as NodeBackend;
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits as number[], axis);
    return b.executeMultipleOutputs('SplitV', [{ name: 'num_split', type: b.binding.TF_ATTR_INT, value: sizes.length }, typeAttr(b, 'T', x.dtype), typeAttr(b, 'Tlen', 'int32')],
      [x, int32(b, sizes), int32(b, [axis], true)], sizes.length);
  },
  GatherV2: ({ inputs: { x, indices }, attrs, backend }) => {
    const b = backend as NodeBackend;
    return b.executeSingleOutput('GatherV2', [{ name: 'batch_dims', type: b.binding.TF_ATTR_INT, value: attrs.batchDims as number },
      typeAttr(b, 'Tparams', x.dtype), typeAttr(b, 'Tindices', indices.dtype), typeAttr(b, 'Taxis', 'int32')], [x, indices, int32(b, [attrs.axis as number], true)]);
  },
  UnsortedSegmentSum: ({ inputs: { x, segmentIds }, attrs, backend }) => {
    const b = backend as NodeBackend;
    return b.executeSingleOutput('UnsortedSegmentSum', [typeAttr(b, 'T', x.dtype), typeAttr(b, 'Tindices', 'int32'), typeAttr(b, 'Tnumsegments', 'int32')],
      [x, segmentIds, int32(b, [attrs.numSegments as number], true)]);
  },
};

const original: Record<string, tf.KernelFunc | undefined> = {};
let registered = false;

/** Replaces tfjs-node's registrations of these kernels for the 'tensorflow' backend (once per process). */
export function registerNativeKernels(): void {
  if (registered) return;
  registered = true;
  for (const [name, kernelFunc] of Object.entries(kernels)) {
    const before = tf.getKernel(name, 'tensorflow');
    if (!before) continue; // not a kernel this tfjs-node registers: leave it to the engine's own fallback
    original[name] = before.kernelFunc;
    tf.unregisterKernel(name, 'tensorflow');
    tf.registerKernel({ kernelName: name, backendName: 'tensorflow', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
