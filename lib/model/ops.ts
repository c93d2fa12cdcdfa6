// Small tensor ops shared by the model. Everything here is backend-neutral; the custom matMul
// exists because WASM only takes its fast path for plain 2-D products without transpose flags.
import { tf, Tensor, Tensor2D } from '../backend/tf';

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

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * w. x [n, d], w [d]. */
export function rmsNorm(x: Tensor2D, w: Tensor, eps: number): Tensor2D {
  return tf.tidy(() => {
    const ms = tf.mean(tf.square(x), -1, true); // [n, 1]
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w) as Tensor2D;
  });
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

/**
 * Batched product a [b, n, k] @ b [b, k, m] whose gradients use explicit transposes rather than
 * the transpose flags (slow on WASM).
 */
export const batchMatMul: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D = tf.customGrad(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((a: tf.Tensor3D, b: tf.Tensor3D, save: (ts: Tensor[]) => void) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor3D, saved: Tensor[]) => {
        const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
        return [tf.matMul(dy, tf.transpose(sb, [0, 2, 1])), tf.matMul(tf.transpose(sa, [0, 2, 1]), dy)];
      },
    };
  }) as any,
) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;
