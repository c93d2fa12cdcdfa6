// The FFN gate activations, in one place: name -> function and Hugging Face `hidden_act` name.
// FATReLU (x if x >= threshold else 0) is ReLU with a threshold, as in ProSparse/MiniCPM-S.
import { tf, Tensor2D } from '../backend/tf';

export interface ActivationDef {
  hfName: string;
  /** threshold is config.actThreshold (used by 'fatrelu' only). */
  fn: (x: Tensor2D, threshold: number) => Tensor2D;
}

export const ACTIVATIONS = {
  relu: { hfName: 'relu', fn: (x: Tensor2D) => tf.relu(x) as Tensor2D },
  silu: { hfName: 'silu', fn: (x: Tensor2D) => tf.mul(x, tf.sigmoid(x)) as Tensor2D },
  fatrelu: {
    hfName: 'fatrelu',
    // where() keeps the gradient 1 above the threshold and 0 below, like ReLU's.
    fn: (x: Tensor2D, threshold: number) => tf.where(tf.greaterEqual(x, threshold), x, tf.zerosLike(x)) as Tensor2D,
  },
} satisfies Record<string, ActivationDef>;

export type Activation = keyof typeof ACTIVATIONS;

export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as Activation[];

export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ACTIVATIONS, name);
}

/** The activation named by a Hugging Face `hidden_act`, or undefined when not supported. */
export function activationFromHF(hfName: unknown): Activation | undefined {
  return ACTIVATION_NAMES.find((a) => ACTIVATIONS[a].hfName === hfName);
}

export function activate(x: Tensor2D, act: Activation, threshold = 0): Tensor2D {
  return ACTIVATIONS[act].fn(x, threshold);
}
