// Small tensor ops shared by the model. WASM only takes its fast path for plain 2-D products
// without transpose flags, so it gets custom gradients with explicit transposes (matMul2d,
// per-head 2-D attention) and one-hot products; the other backends (native TensorFlow, cpu) use transpose
// flags, gathers and a sparse cross-entropy, which cost fewer and cheaper kernels there.
import { tf, Tensor, Tensor1D, Tensor2D } from '../backend/tf';
import { sparseSoftmaxXent } from '../backend/native-ops';

/** True where transpose flags, gathers and segment sums are fast (every backend but WASM). */
export function flagsBackend(): boolean {
  return tf.getBackend() !== 'wasm';
}

/**
 * y = a @ b for 2-D a [n, k] and b [k, m]. The gradients use explicit transposes so that every
 * product is a plain 2-D matMul (autograd's own gradient uses the slow transposed-operand path).
 */
export const matMul2d: (a: Tensor2D, b: Tensor2D) => Tensor2D = tf.customGrad(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((a: Tensor2D, b: Tensor2D, save: (ts: Tensor[]) => void) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: Tensor2D, saved: Tensor[]) => {
        const [sa, sb] = saved as [Tensor2D, Tensor2D];
        return [tf.matMul(dy, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy)];
      },
    };
  }) as any,
) as unknown as (a: Tensor2D, b: Tensor2D) => Tensor2D;

/**
 * RMSNorm over the last axis: y = n * w with n = x * r, r = 1 / sqrt(mean(x^2) + eps).
 * x [..., d], w broadcastable ([d] or [R, 1, d]). The gradient is written out (autograd's takes
 * about twice the kernels, through rsqrt's and mean's own gradients):
 *   g = dy * w,  dx = r * (g - n * mean(g * n)),  dw = dy * n summed over the broadcast axes.
 */
export function rmsNorm<X extends Tensor>(x: X, w: Tensor, eps: number): X {
  const f = tf.customGrad(((xi: Tensor, wi: Tensor, save: (ts: Tensor[]) => void) => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xi), -1, true), eps));    // [..., 1]
    const n = tf.mul(xi, r);                                               // [..., d]
    save([n, r, wi]);
    return {
      value: tf.mul(n, wi),                                                // [..., d]
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sn, sr, sw] = saved;
        const g = tf.mul(dy, sw);                                          // [..., d]
        const dx = tf.mul(sr, tf.sub(g, tf.mul(sn, tf.mean(tf.mul(g, sn), -1, true)))); // [..., d]
        const axes = tf.backend_util.getReductionAxes(sw.shape, dy.shape);
        const dw = tf.reshape(tf.sum(tf.mul(dy, sn), axes), sw.shape);   // w's shape
        return [dx, dw];
      },
    };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  }) as any) as unknown as (a: Tensor, b: Tensor) => X;
  return f(x, w);
}

/**
 * Per-row negative log-likelihood of integer targets, -log softmax(logits)[target]: logits [M, V],
 * targets [M] -> [M]. The gradient is written out, (softmax - onehot) * dy, so no one-hot matrix
 * enters the forward pass and no log-softmax is differentiated op by op.
 */
export function sparseNll(logits: Tensor2D, targets: Tensor1D): Tensor1D {
  if (tf.getBackend() === 'tensorflow') return nativeSparseNll(logits, targets);
  const [M, V] = logits.shape;
  const f = tf.customGrad(((z: Tensor2D, save: (ts: Tensor[]) => void) => {
    const lse = tf.logSumExp(z, -1);                                          // [M]
    const flat = tf.add(tf.mul(tf.range(0, M, 1, 'int32'), tf.scalar(V, 'int32')), targets); // [M] index of each target in z
    save([z, lse, tf.oneHot(targets, V, 1, 0, 'float32')]);                  // targets do not outlive the caller's tidy, so keep their one-hot
    return {
      value: tf.sub(lse, tf.gather(tf.reshape(z, [-1]), flat)),               // [M]
      gradFunc: (dy: Tensor1D, saved: Tensor[]) => {
        const [sz, slse, onehot] = saved as [Tensor2D, Tensor1D, Tensor2D];
        const p = tf.exp(tf.sub(sz, tf.expandDims(slse, 1)));                 // [M, V] softmax
        return [tf.mul(tf.sub(p, onehot), tf.expandDims(dy, 1))];             // [M, V]
      },
    };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  }) as any) as unknown as (z: Tensor2D) => Tensor1D;
  return f(logits);
}

/** sparseNll through TensorFlow's fused SparseSoftmaxCrossEntropyWithLogits, which gives the gradient with the loss. */
function nativeSparseNll(logits: Tensor2D, targets: Tensor1D): Tensor1D {
  const f = tf.customGrad(((z: Tensor2D, save: (ts: Tensor[]) => void) => {
    const [loss, grad] = sparseSoftmaxXent(z, targets);                      // [M], [M, V]
    save([grad]);
    return { value: loss, gradFunc: (dy: Tensor1D, saved: Tensor[]) => [tf.mul(saved[0], tf.expandDims(dy, 1))] }; // [M, V]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  }) as any) as unknown as (z: Tensor2D) => Tensor1D;
  return f(logits);
}

/**
 * Rotary tables in the Hugging Face LLaMA convention: for head size h, frequencies
 * theta^(-2i/h), cos/sin of cat(freqs, freqs), and rotate_half(x) = cat(-x2, x1) per head.
 * Returns cos and sin tiled to [T, d] (all heads) and the [d, d] matrix R with x @ R = rotate_half(x),
 * so rotation is two elementwise products and one plain 2-D matMul (no slicing).
 */
export function ropeTables(T: number, d: number, heads: number, theta: number): { cos: Float32Array; sin: Float32Array; rot: Float32Array } {
  const h = d / heads;
  const half = h / 2;
  const cos = new Float32Array(T * d);
  const sin = new Float32Array(T * d);
  for (let t = 0; t < T; t++) {
    for (let hd = 0; hd < heads; hd++) {
      for (let j = 0; j < h; j++) {
        const i = j % half;
        const freq = Math.pow(theta, (-2 * i) / h);
        const ang = t * freq;
        cos[t * d + hd * h + j] = Math.cos(ang);
        sin[t * d + hd * h + j] = Math.sin(ang);
      }
    }
  }
  // rotate_half: out[j] = -x[j + half] for j < half, out[j] = x[j - half] for j >= half.
  const rot = new Float32Array(d * d); // row = input index, col = output index
  for (let hd = 0; hd < heads; hd++) {
    const o = hd * h;
    for (let j = 0; j < half; j++) {
      rot[(o + j + half) * d + (o + j)] = -1;
      rot[(o + j) * d + (o + j + half)] = 1;
    }
  }
  return { cos, sin, rot };
}

/**
 * Rotary tables for a fused [q | k | v] projection of nQ + nK + nV heads of size h, for rotation by
 * reversal: viewing each head as [2, h/2], rotate_half(x) = reverse(x) * [-1, +1], so the sign is
 * folded into sin. The q columns are pre-multiplied by qScale (the attention's 1/sqrt(h)); the v
 * columns pass through (cos 1, sin 0). Returns cos and signed sin, each [T, (nQ+nK+nV) h].
 */
export function fusedRopeTables(T: number, h: number, nQ: number, nK: number, nV: number, theta: number, qScale: number): { cos: Float32Array; sin: Float32Array } {
  const W = (nQ + nK + nV) * h;
  const half = h / 2;
  const cos = new Float32Array(T * W);
  const sin = new Float32Array(T * W);
  for (let t = 0; t < T; t++) {
    for (let hd = 0; hd < nQ + nK + nV; hd++) {
      const scale = hd < nQ ? qScale : 1;
      for (let j = 0; j < h; j++) {
        const o = t * W + hd * h + j;
        if (hd >= nQ + nK) { cos[o] = 1; continue; }
        const ang = t * Math.pow(theta, (-2 * (j % half)) / h);
        cos[o] = Math.cos(ang) * scale;
        sin[o] = Math.sin(ang) * scale * (j < half ? -1 : 1);
      }
    }
  }
  return { cos, sin };
}

/** Upper-triangular additive mask [T, T]: 0 on and below the diagonal, -1e9 above. */
export function causalMask(T: number): Float32Array {
  const m = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return m;
}

/** One-hot float matrix; cast from int because tf.oneHot(..., 'float32') is wrong on WASM. */
export function oneHotFloat(ids: Tensor, depth: number): Tensor2D {
  return tf.cast(tf.oneHot(tf.cast(ids, 'int32') as tf.Tensor1D, depth), 'float32') as Tensor2D;
}
