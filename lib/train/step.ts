// One optimisation step: loss and gradients, then AdamW; the update is skipped when the loss is
// not finite, so the caller can stop with the last good weights. Shared by the trainer and bench/.
import { tf, Tensor } from '../backend/tf';
import { Model } from '../model/model';
import { AdamW } from './adamw';

export interface StepResult { loss: number; gradNorm: number; applied: boolean }

export function trainStep(model: Model, opt: AdamW, x: Int32Array, y: Int32Array, B: number, T: number, lr: number): StepResult {
  const vars = [...model.params.values()];
  const { value, grads } = tf.variableGrads(() => model.loss(x, y, B, T), vars);
  const loss = value.dataSync()[0];
  value.dispose();
  if (!Number.isFinite(loss)) {
    tf.dispose(grads);
    return { loss, gradNorm: NaN, applied: false };
  }
  const nameOf = new Map([...model.params].map(([n, v]) => [v.name, n]));
  const named = new Map<string, Tensor>();
  for (const [k, g] of Object.entries(grads)) named.set(nameOf.get(k)!, g);
  const gradNorm = opt.apply(named, lr);
  tf.dispose(grads);
  return { loss, gradNorm, applied: true };
}
