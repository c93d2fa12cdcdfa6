// Causal attention over heads: q [BH, T, hd], kT [BH, hd, T], v [BH, T, hd] -> [BH, T, hd].
// On WASM, batched matMul runs ~10x slower than plain 2-D products, so there it loops over
// (sequence, head) pairs with 2-D products; elsewhere it uses one batched product.
import { tf } from '../backend/tf';
import { batchMatMul, matMul2d } from './ops';

type T3 = tf.Tensor3D;
type T2 = tf.Tensor2D;

function perHead(q: T3, kT: T3, v: T3, mask: T2, scale: number): T3 {
  const qs = tf.unstack(q) as T2[];
  const ks = tf.unstack(kT) as T2[];
  const scores = tf.stack(qs.map((qi, i) => matMul2d(qi, ks[i]))) as T3; // [BH, T, T]
  const p = tf.softmax(tf.add(tf.mul(scores, scale), mask)) as T3;
  const ps = tf.unstack(p) as T2[];
  const vs = tf.unstack(v) as T2[];
  return tf.stack(ps.map((pi, i) => matMul2d(pi, vs[i]))) as T3;
}

function batched(q: T3, kT: T3, v: T3, mask: T2, scale: number): T3 {
  const p = tf.softmax(tf.add(tf.mul(batchMatMul(q, kT), scale), mask)) as T3;
  return batchMatMul(p, v);
}

export function causalAttention(q: T3, kT: T3, v: T3, mask: T2, scale: number): T3 {
  return tf.getBackend() === 'wasm' ? perHead(q, kT, v, mask, scale) : batched(q, kT, v, mask, scale);
}
