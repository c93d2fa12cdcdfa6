// One optimisation step of a (possibly replica-stacked) model: losses and gradients, then AdamW.
// A replica whose loss is not finite (or that is no longer alive) keeps its weights, so the caller
// can stop it with its last good weights while the others go on. One host read per step (the
// losses and gradient norms, logged every step). Shared by the trainer and bench/.
import { tf, Tensor } from '../backend/tf';
import { Model } from '../model/model';
import { AdamW } from './adamw';

export interface StepResult {
  losses: Float32Array;     // [R] mean training loss of each replica
  gradNorms: Float32Array;  // [R] pre-clip gradient norm of each replica (NaN where not applied)
  applied: boolean[];       // [R] whether the update was applied
}

/** x, y: [R*B*T] tokens and targets, replica-major; alive: replicas still training (default all). */
export function trainStep(model: Model, opt: AdamW, x: Int32Array, y: Int32Array, B: number, T: number, lr: number, alive?: boolean[]): StepResult {
  const R = model.replicas;
  const vars = [...model.params.values()];
  const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
  let per: Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    per = tf.keep(model.replicaLosses(x, y, B, T)); // [R]
    return tf.sum(per) as tf.Scalar;                // replicas do not interact: each gets its own gradient
  }, vars);
  const out = tf.tidy(() => {
    const ok = tf.logicalAnd(tf.isFinite(per!), tf.tensor1d(alive ?? new Array(R).fill(true), 'bool')); // [R]
    const named = new Map<string, Tensor>();
    for (const [k, g] of Object.entries(grads)) named.set(nameOf.get(k)!, g);
    const norms = opt.apply(named, lr, ok);         // [R]
    return tf.concat([per!, norms]).dataSync() as Float32Array;
  });
  tf.dispose([value, per!, ...Object.values(grads)]);
  const losses = out.slice(0, R);
  const applied = Array.from(losses, (l, r) => Number.isFinite(l) && (alive ? alive[r] : true));
  const gradNorms = out.slice(R).map((g, r) => (applied[r] ? g : NaN));
  return { losses, gradNorms, applied };
}
