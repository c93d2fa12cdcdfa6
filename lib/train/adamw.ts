// AdamW with decoupled weight decay on matrices only, and global-norm gradient clipping.
// Written out (tfjs has no AdamW) so its state can be saved and restored exactly.
import { tf, Tensor } from '../backend/tf';

export interface AdamWConfig { beta1: number; beta2: number; eps: number; weightDecay: number; gradClip: number }

export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  step = 0;

  constructor(readonly cfg: AdamWConfig, private readonly params: Map<string, tf.Variable>, private readonly decayed: (name: string) => boolean) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update; grads keyed by parameter name. Returns the pre-clip gradient norm. */
  apply(grads: Map<string, Tensor>, lr: number): number {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay, gradClip } = this.cfg;
    const t = this.step;
    return tf.tidy(() => {
      const sq = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      const norm = Math.sqrt(tf.addN(sq).dataSync()[0]);
      const scale = norm > gradClip ? gradClip / (norm + 1e-6) : 1;
      const bc1 = 1 - Math.pow(beta1, t);
      const bc2 = 1 - Math.pow(beta2, t);
      for (const [name, p] of this.params) {
        const g0 = grads.get(name);
        if (!g0) continue;
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        const decayedP = this.decayed(name) ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayedP, tf.mul(update, lr)));
      }
      return norm;
    });
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
