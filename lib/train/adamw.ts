// AdamW with decoupled weight decay on matrices only, and global-norm gradient clipping.
// Written out (tfjs has no AdamW) so its state can be saved and restored exactly.
//
// All parameters are updated at once: gradients and parameters are concatenated into one
// [R, P] buffer (R replicas, P parameters per replica), so a step costs a fixed few kernels
// whatever the number of tensors, and clipping is per replica (each replica is its own model).
// The moments live in that flat layout; `stateOf`/`setState` read and write one replica's.
import { tf, Tensor } from '../backend/tf';

export interface AdamWConfig { beta1: number; beta2: number; eps: number; weightDecay: number; gradClip: number }

export class AdamW {
  private readonly names: string[];
  private readonly sizes: number[];   // per-replica size of each parameter
  private readonly total: number;
  private readonly m: tf.Variable;    // [R, P]
  private readonly v: tf.Variable;    // [R, P]
  private readonly decayMask: Tensor; // [1, P]: 1 on decayed (matrix) entries, 0 on the others
  step = 0;

  constructor(readonly cfg: AdamWConfig, private readonly params: Map<string, tf.Variable>, decayed: (name: string) => boolean, readonly replicas = 1) {
    this.names = [...params.keys()];
    this.sizes = this.names.map((n) => params.get(n)!.size / replicas);
    this.total = this.sizes.reduce((a, b) => a + b, 0);
    this.m = tf.variable(tf.zeros([replicas, this.total]), false);
    this.v = tf.variable(tf.zeros([replicas, this.total]), false);
    const mask = new Float32Array(this.total);
    let off = 0;
    this.names.forEach((n, i) => { if (decayed(n)) mask.fill(1, off, off + this.sizes[i]); off += this.sizes[i]; });
    this.decayMask = tf.tensor2d(mask, [1, this.total]);
  }

  /**
   * Applies one update; grads keyed by parameter name. Replicas whose `ok` entry is false keep
   * their parameters and moments (a replica whose loss went NaN); leave `ok` out when all are
   * (the masking costs broadcasts). Returns the pre-clip gradient norm of each replica, [R].
   */
  apply(grads: Map<string, Tensor>, lr: number, ok?: boolean[]): tf.Tensor1D {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay, gradClip } = this.cfg;
    const t = this.step;
    const R = this.replicas;
    const bc1 = 1 - Math.pow(beta1, t);
    const bc2 = 1 - Math.pow(beta2, t);
    return tf.tidy(() => {
      const flat = (get: (n: string) => Tensor) => tf.concat(this.names.map((n) => tf.reshape(get(n), [R, -1])), 1); // [R, P]
      const g0 = flat((n) => { const g = grads.get(n); if (!g) throw new Error(`no gradient for ${n}`); return g; });
      const norm = tf.sqrt(tf.sum(tf.square(g0), 1, true));                                   // [R, 1]
      const scale = tf.where(tf.greater(norm, gradClip), tf.div(gradClip, tf.add(norm, 1e-6)), tf.onesLike(norm)); // [R, 1]
      const g = tf.mul(g0, scale);                                                              // [R, P]
      const m = tf.add(tf.mul(this.m, beta1), tf.mul(g, 1 - beta1));                            // [R, P]
      const v = tf.add(tf.mul(this.v, beta2), tf.mul(tf.square(g), 1 - beta2));                // [R, P]
      const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));              // [R, P]
      const p0 = flat((n) => this.params.get(n)!);                                              // [R, P]
      const decay = tf.sub(1, tf.mul(this.decayMask, lr * weightDecay));                        // [1, P]
      let p = tf.sub(tf.mul(p0, decay), tf.mul(update, lr));                                    // [R, P]
      let [mk, vk] = [m, v];
      if (ok && !ok.every(Boolean)) {
        const keep = tf.tile(tf.tensor2d(ok, [R, 1], 'bool'), [1, this.total]);             // [R, P]
        p = tf.where(keep, p, p0); mk = tf.where(keep, m, this.m); vk = tf.where(keep, v, this.v);
      }
      this.m.assign(mk);
      this.v.assign(vk);
      const parts = tf.split(p, this.sizes, 1);
      this.names.forEach((n, i) => { const x = this.params.get(n)!; x.assign(tf.reshape(parts[i], x.shape)); });
      return tf.reshape(norm, [R]) as tf.Tensor1D;
    });
  }

  /** One replica's moments, flat in parameter order. */
  stateOf(replica = 0): { m: Float32Array; v: Float32Array } {
    const row = (x: tf.Variable) => (x.dataSync() as Float32Array).slice(replica * this.total, (replica + 1) * this.total);
    return { m: row(this.m), v: row(this.v) };
  }

  setState(replica: number, m: Float32Array, v: Float32Array): void {
    if (m.length !== this.total || v.length !== this.total) throw new Error(`optimizer state: expected ${this.total} values`);
    for (const [x, src] of [[this.m, m], [this.v, v]] as const) {
      const all = (x.dataSync() as Float32Array).slice();
      all.set(src, replica * this.total);
      x.assign(tf.tensor2d(all, [this.replicas, this.total]));
    }
  }

  get size(): number { return this.total; }

  dispose(): void {
    tf.dispose([this.m, this.v, this.decayMask]);
  }
}
