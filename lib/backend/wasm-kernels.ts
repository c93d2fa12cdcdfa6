// Faster WASM kernels for Slice, Unpack and Transpose. The stock kernels read their input with readSync, which
// copies the whole input out of the heap for every piece (an unstack of [64,128,128] took over
// 100 ms); these read it in place through a heap view and copy only the piece.
import { tf } from './tf';

type Info = { dataId: object; shape: number[]; dtype: tf.DataType };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type WasmBackend = any;

function sliceInPlace(x: Info, begin: number[], size: number[], backend: WasmBackend): Info {
  const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, begin, size);
  const out: Info = backend.makeOutput(s, x.dtype);
  const xVals = backend.typedArrayFromHeap(x);
  const outVals = backend.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, b, s)) {
    const flat = tf.slice_util.computeFlatOffset(b, strides);
    outVals.set(xVals.subarray(flat, flat + tf.util.sizeFromShape(s)));
    return out;
  }
  // General case: copy contiguous innermost runs.
  const rank = x.shape.length;
  const inner = s[rank - 1];
  const outer = tf.util.sizeFromShape(s.slice(0, rank - 1));
  const idx = new Array(rank - 1).fill(0);
  for (let o = 0; o < outer; o++) {
    let off = b[rank - 1];
    for (let d = 0; d < rank - 1; d++) off += (b[d] + idx[d]) * strides[d];
    outVals.set(xVals.subarray(off, off + inner), o * inner);
    for (let d = rank - 2; d >= 0; d--) { if (++idx[d] < s[d]) break; idx[d] = 0; }
  }
  return out;
}

/**
 * Transpose in JS over heap views: runs of the innermost output axis are gathered with a fixed
 * input stride, and a kept innermost axis is copied in whole runs. The stock kernel managed about
 * 40M elements/s on [2048,128]; this is several times faster.
 */
function transposeInPlace(x: Info, perm: number[], backend: WasmBackend): Info {
  const rank = x.shape.length;
  const outShape = perm.map((p) => x.shape[p]);
  const out: Info = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const inStrides = [...tf.util.computeStrides(x.shape), 1];
  const strideOf = perm.map((p) => inStrides[p]); // input stride of each output axis
  const inner = outShape[rank - 1];
  const innerStride = strideOf[rank - 1];
  const outer = tf.util.sizeFromShape(outShape.slice(0, rank - 1));
  const idx = new Array(Math.max(0, rank - 1)).fill(0);
  let base = 0;
  for (let o = 0; o < outer; o++) {
    const d0 = o * inner;
    if (innerStride === 1) dst.set(src.subarray(base, base + inner), d0);
    else for (let j = 0, k = base; j < inner; j++, k += innerStride) dst[d0 + j] = src[k];
    for (let d = rank - 2; d >= 0; d--) {
      base += strideOf[d];
      if (++idx[d] < outShape[d]) break;
      base -= strideOf[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** 2-D transpose in cache-friendly tiles. */
function transpose2d(x: Info, backend: WasmBackend): Info {
  const [r, c] = x.shape;
  const out: Info = backend.makeOutput([c, r], x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const TILE = 32;
  for (let i0 = 0; i0 < r; i0 += TILE) {
    const i1 = Math.min(r, i0 + TILE);
    for (let j0 = 0; j0 < c; j0 += TILE) {
      const j1 = Math.min(c, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const row = i * c;
        for (let j = j0; j < j1; j++) dst[j * r + i] = src[row + j];
      }
    }
  }
  return out;
}

let done = false;
export function registerWasmKernelFixes(): void {
  if (done) return;
  done = true;
  const slice = ({ inputs, attrs, backend }: { inputs: { x: Info }; attrs: { begin: number[]; size: number[] }; backend: WasmBackend }) => {
    if (inputs.x.dtype === 'string') throw new Error('string slicing is not supported by the fast WASM Slice');
    return sliceInPlace(inputs.x, attrs.begin, attrs.size, backend);
  };
  const unpack = ({ inputs, attrs, backend }: { inputs: { value: Info }; attrs: { axis: number }; backend: WasmBackend }) => {
    const x = inputs.value;
    const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
    const outShape = x.shape.filter((_, i) => i !== axis);
    const begin = new Array(x.shape.length).fill(0);
    const size = x.shape.slice();
    size[axis] = 1;
    return Array.from({ length: x.shape[axis] }, (_, i) => {
      begin[axis] = i;
      const o = sliceInPlace(x, begin, size, backend);
      return { dataId: o.dataId, dtype: o.dtype, shape: outShape };
    });
  };
  const stockTranspose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  const transpose = (args: { inputs: { x: Info }; attrs: { perm: number[] }; backend: WasmBackend }) => {
    const { x } = args.inputs;
    if (x.dtype === 'string' || x.dtype === 'complex64') return stockTranspose(args as unknown as tf.KernelFunc extends (a: infer A) => unknown ? A : never);
    const perm = args.attrs.perm;
    if (x.shape.length === 2 && perm[0] === 1) return transpose2d(x, args.backend);
    return transposeInPlace(x, perm, args.backend);
  };
  for (const [name, fn] of [['Slice', slice], ['Unpack', unpack], ['Transpose', transpose]] as const) {
    // Keep the stock setup: other WASM kernels call the stock transpose internally.
    const stock = tf.getKernel(name, 'wasm');
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: fn as unknown as tf.KernelFunc, setupFunc: stock?.setupFunc });
  }
}
