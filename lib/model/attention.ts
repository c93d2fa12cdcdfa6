// Causal attention over heads: q, k, v [BH, T, hd] (q already scaled by 1/sqrt(hd)) -> [BH, T, hd].
// On WASM, batched matMul runs ~10x slower than plain 2-D products, so there it loops over
// (sequence, head) pairs with 2-D products; elsewhere it uses one batched product with a
// transpose flag for k.
import { tf } from '../backend/tf';
import { flagsBackend, matMul2d } from './ops';

type T3 = tf.Tensor3D;
type T2 = tf.Tensor2D;

function perHead(q: T3, k: T3, v: T3, mask: T2): T3 {
  const qs = tf.unstack(q) as T2[];
  const ks = tf.unstack(tf.transpose(k, [0, 2, 1])) as T2[];                // each [hd, T]
  const scores = tf.stack(qs.map((qi, i) => matMul2d(qi, ks[i]))) as T3;   // [BH, T, T]
  const p = tf.softmax(tf.add(scores, mask)) as T3;
  const ps = tf.unstack(p) as T2[];
  const vs = tf.unstack(v) as T2[];
  return tf.stack(ps.map((pi, i) => matMul2d(pi, vs[i]))) as T3;            // [BH, T, hd]
}

function batched(q: T3, k: T3, v: T3, mask: T2): T3 {
  const p = tf.softmax(tf.add(tf.matMul(q, k, false, true), mask)) as T3;  // [BH, T, T]
  return tf.matMul(p, v);                                                  // [BH, T, hd]
}

export function causalAttention(q: T3, k: T3, v: T3, mask: T2): T3 {
  return flagsBackend() ? batched(q, k, v, mask) : perHead(q, k, v, mask);
}
