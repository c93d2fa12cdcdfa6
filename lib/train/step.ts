// One optimisation step of a (possibly replica-stacked) model: losses and gradients, then AdamW.
// The native backend computes losses and gradients with its own written-out pass
// (lib/model/native-train.ts); the other backends through tfjs's autograd.
// A replica whose loss is not finite (or that is no longer alive) keeps its weights, so the caller
// can stop it with its last good weights while the others go on. The losses are read before the
// update (to skip non-finite ones without device-side masking) and the norms after: both are
// logged every step. Shared by the trainer and bench/.
import { tf, Tensor } from '../backend/tf';
import { Model } from '../model/model';
import { LossAndGrads, nativeLossAndGrads, nativeTrainable } from '../model/native-train';
import { AdamW } from './adamw';

export interface StepResult {
  losses: Float32Array;     // [R] mean training loss of each replica
  gradNorms: Float32Array;  // [R] pre-clip gradient norm of each replica (NaN where not applied)
  applied: boolean[];       // [R] whether the update was applied
}

/** x, y: [R*B*T] tokens and targets, replica-major; alive: replicas still training (default all). */
export function trainStep(model: Model, opt: AdamW, x: Int32Array, y: Int32Array, B: number, T: number, lr: number, alive?: boolean[]): StepResult {
  const R = model.replicas;
  const { losses, grads } = nativeTrainable(model) ? nativeLossAndGrads(model, x, y, B, T) : autogradLossAndGrads(model, x, y, B, T);
  const applied = Array.from(losses, (l, r) => Number.isFinite(l) && (alive ? alive[r] : true));
  let norms = new Float32Array(R).fill(NaN);
  if (applied.some(Boolean)) {
    const t = opt.apply(grads, lr, applied);         // [R]
    norms = t.dataSync() as Float32Array;
    t.dispose();
  }
  tf.dispose([...grads.values()]);
  const gradNorms = norms.map((g, r) => (applied[r] ? g : NaN));
  return { losses, gradNorms, applied };
}

/** Losses and gradients through tfjs's autograd (every backend; the native one has its own pass). */
export function autogradLossAndGrads(model: Model, x: Int32Array, y: Int32Array, B: number, T: number): LossAndGrads {
  const vars = [...model.params.values()];
  const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
  let per: Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    per = tf.keep(model.replicaLosses(x, y, B, T)); // [R]
    return tf.sum(per) as tf.Scalar;                // replicas do not interact: each gets its own gradient
  }, vars);
  const losses = (per!.dataSync() as Float32Array).slice();
  tf.dispose([value, per!]);
  return { losses, grads: new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g as Tensor])) };
}
