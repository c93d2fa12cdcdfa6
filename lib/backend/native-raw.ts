// TensorFlow ops run straight through the tfjs-node binding, outside tfjs's engine.
//
// Through tfjs, every op costs about 12 us of JS on top of TensorFlow's own ~4.5 us (engine scopes,
// tensor tracking), and with a gradient tape several times that (saved-tensor clones, tape nodes,
// backprop bookkeeping). A pass written as one batch of raw ops (lib/model/native-train.ts) pays only
// TensorFlow's part. Tensors here are the binding's handle ids: inputs come from tfjs tensors,
// every op's outputs are deleted by dispose() unless handed back to tfjs with toTensor().
import { tf } from './tf';

type Attr = { name: string; type: number; value: unknown };
interface Binding {
  TF_FLOAT: number; TF_INT32: number; TF_BOOL: number;
  TF_ATTR_TYPE: number; TF_ATTR_BOOL: number; TF_ATTR_INT: number;
  executeOp(name: string, attrs: Attr[], inputs: number[], outputs: number): { id: number; shape: number[]; dtype: number }[];
  createTensor(shape: number[], dtype: number, values: Float32Array | Int32Array): number;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): Float32Array | Int32Array;
}
interface NodeBackend {
  binding: Binding;
  getInputTensorIds(tensors: tf.TensorInfo[]): number[];
  createOutputTensor(metadata: { id: number; shape: number[]; dtype: number }): tf.Tensor;
}

/** A handle: the binding's id and the shape TensorFlow reported. */
export interface H { id: number; shape: number[] }

// Constants live as long as the process: a training run uses a few dozen shapes and scalars.
const constants = new Map<string, H>();

export class RawOps {
  private readonly b: Binding;
  private readonly backend: NodeBackend;
  private readonly made: H[] = [];
  private readonly F: Attr;

  constructor() {
    this.backend = tf.backend() as unknown as NodeBackend;
    if (tf.getBackend() !== 'tensorflow' || !this.backend.binding) throw new Error('raw TensorFlow ops need the native backend');
    this.b = this.backend.binding;
    this.F = this.type('T', 'float32');
  }

  type(name: string, dtype: 'float32' | 'int32' | 'bool'): Attr {
    return { name, type: this.b.TF_ATTR_TYPE, value: dtype === 'float32' ? this.b.TF_FLOAT : dtype === 'int32' ? this.b.TF_INT32 : this.b.TF_BOOL };
  }
  private bool(name: string, value: boolean): Attr { return { name, type: this.b.TF_ATTR_BOOL, value }; }
  private int(name: string, value: number): Attr { return { name, type: this.b.TF_ATTR_INT, value }; }

  /** The handle of a tfjs tensor (uploading data tfjs has not handed to TensorFlow yet); not ours to delete. */
  input(t: tf.Tensor): H {
    return { id: this.backend.getInputTensorIds([t])[0], shape: t.shape };
  }

  /** Runs one op; its outputs are deleted by dispose() unless kept. */
  run(name: string, attrs: Attr[], inputs: H[], n = 1): H[] {
    const out = this.b.executeOp(name, attrs, inputs.map((h) => h.id), n).map((o) => ({ id: o.id, shape: o.shape }));
    this.made.push(...out);
    return out;
  }
  private one(name: string, attrs: Attr[], inputs: H[]): H { return this.run(name, attrs, inputs)[0]; }

  private constant(key: string, shape: number[], dtype: number, values: Float32Array | Int32Array): H {
    let h = constants.get(key);
    if (!h) constants.set(key, (h = { id: this.b.createTensor(shape, dtype, values), shape }));
    return h;
  }
  i32(values: number[]): H { return this.constant(`i${values.join(',')}`, [values.length], this.b.TF_INT32, Int32Array.from(values)); }
  i32scalar(v: number): H { return this.constant(`s${v}`, [], this.b.TF_INT32, Int32Array.of(v)); }
  f32(v: number): H { return this.constant(`f${v}`, [], this.b.TF_FLOAT, Float32Array.of(v)); }
  /** An int32 tensor made for this pass (token ids); deleted by dispose(). */
  ints(values: Int32Array, shape: number[]): H {
    const h = { id: this.b.createTensor(shape, this.b.TF_INT32, values), shape };
    this.made.push(h);
    return h;
  }

  // elementwise, float32
  mul(a: H, b: H): H { return this.one('Mul', [this.F], [a, b]); }
  add(a: H, b: H): H { return this.one('AddV2', [this.F], [a, b]); }
  sub(a: H, b: H): H { return this.one('Sub', [this.F], [a, b]); }
  square(a: H): H { return this.one('Square', [this.F], [a]); }
  rsqrt(a: H): H { return this.one('Rsqrt', [this.F], [a]); }
  relu(a: H): H { return this.one('Relu', [this.F], [a]); }
  reluGrad(dy: H, x: H): H { return this.one('ReluGrad', [this.F], [dy, x]); }
  sigmoid(a: H): H { return this.one('Sigmoid', [this.F], [a]); }
  /** dy * y * (1 - y), the sigmoid's gradient from its output y. */
  sigmoidGrad(y: H, dy: H): H { return this.one('SigmoidGrad', [this.F], [y, dy]); }
  softmax(a: H): H { return this.one('Softmax', [this.F], [a]); }
  greaterEqual(a: H, b: H): H { return this.one('GreaterEqual', [this.F], [a, b]); }
  zerosLike(a: H): H { return this.one('ZerosLike', [this.F], [a]); }
  select(cond: H, a: H, b: H): H { return this.one('Select', [this.F], [cond, a, b]); }

  // reductions over the given axes
  mean(a: H, axes: number[], keep: boolean): H { return this.one('Mean', [this.bool('keep_dims', keep), this.F, this.type('Tidx', 'int32')], [a, this.i32(axes)]); }
  sum(a: H, axes: number[], keep: boolean): H { return this.one('Sum', [this.bool('keep_dims', keep), this.F, this.type('Tidx', 'int32')], [a, this.i32(axes)]); }

  // layout
  reshape(a: H, shape: number[]): H {
    if (shape.length === a.shape.length && shape.every((s, i) => s === a.shape[i])) return a;
    return this.one('Reshape', [this.F, this.type('Tshape', 'int32')], [a, this.i32(shape)]);
  }
  transpose(a: H, perm: number[]): H { return this.one('Transpose', [this.F, this.type('Tperm', 'int32')], [a, this.i32(perm)]); }
  reverse(a: H, axes: number[]): H { return this.one('ReverseV2', [this.type('Tidx', 'int32'), this.F], [a, this.i32(axes)]); }
  tile(a: H, reps: number[]): H { return this.one('Tile', [this.F, this.type('Tmultiples', 'int32')], [a, this.i32(reps)]); }
  split(a: H, sizes: number[], axis: number): H[] {
    return this.run('SplitV', [this.int('num_split', sizes.length), this.F, this.type('Tlen', 'int32')], [a, this.i32(sizes), this.i32scalar(axis)], sizes.length);
  }
  concat(parts: H[], axis: number): H {
    return this.one('ConcatV2', [this.int('N', parts.length), this.F, this.type('Tidx', 'int32')], [...parts, this.i32scalar(axis)]);
  }

  // products: 2-D MatMul and batched BatchMatMulV2, with TensorFlow's transpose flags
  matMul(a: H, b: H, ta = false, tb = false): H {
    return this.one('MatMul', [this.F, this.bool('transpose_a', ta), this.bool('transpose_b', tb)], [a, b]);
  }
  batchMatMul(a: H, b: H, adjA = false, adjB = false): H {
    return this.one('BatchMatMulV2', [this.F, this.bool('adj_x', adjA), this.bool('adj_y', adjB)], [a, b]);
  }

  // rows
  gather(params: H, indices: H): H {
    return this.one('GatherV2', [this.int('batch_dims', 0), this.type('Tparams', 'float32'), this.type('Tindices', 'int32'), this.type('Taxis', 'int32')], [params, indices, this.i32scalar(0)]);
  }
  segmentSum(data: H, ids: H, segments: number): H {
    return this.one('UnsortedSegmentSum', [this.F, this.type('Tindices', 'int32'), this.type('Tnumsegments', 'int32')], [data, ids, this.i32scalar(segments)]);
  }
  /** Per-row -log softmax(logits)[label] [M] and its gradient softmax - one-hot [M, V]. */
  sparseXent(logits: H, labels: H): [H, H] {
    const [loss, grad] = this.run('SparseSoftmaxCrossEntropyWithLogits', [this.F, this.type('Tlabels', 'int32')], [logits, labels], 2);
    return [loss, grad];
  }

  read(h: H): Float32Array {
    return this.b.tensorDataSync(h.id) as Float32Array;
  }

  /** Hands a handle to tfjs as a tensor of the current scope (dispose() then leaves it alone). */
  toTensor(h: H): tf.Tensor {
    const i = this.made.indexOf(h);
    if (i < 0) throw new Error('only a handle made by this pass can become a tensor');
    this.made.splice(i, 1);
    return this.backend.createOutputTensor({ id: h.id, shape: h.shape, dtype: this.b.TF_FLOAT });
  }

  /** A point to release() back to. */
  mark(): number {
    return this.made.length;
  }

  /** Deletes the handles made since the mark, but those in keep (a pass frees as it goes, as tfjs's scopes do). */
  release(mark: number, keep: H[]): void {
    const kept = new Set(keep.map((h) => h.id));
    for (const h of this.made.splice(mark)) {
      if (kept.has(h.id)) this.made.push(h);
      else this.b.deleteTensor(h.id);
    }
  }

  /** Deletes these handles now (each must be one this pass made and still holds). */
  free(hs: H[]): void {
    for (const h of hs) {
      const i = this.made.indexOf(h);
      if (i < 0) continue; // an input, a constant, or an alias already freed
      this.made.splice(i, 1);
      this.b.deleteTensor(h.id);
    }
  }

  /** Deletes every handle this pass made and did not hand to tfjs. */
  dispose(): void {
    for (const h of this.made) this.b.deleteTensor(h.id);
    this.made.length = 0;
  }
}
