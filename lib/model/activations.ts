// The FFN gate activations, in one place: each one's function, Hugging Face `hidden_act` name, the
// activation-data law it follows, its name and colour in tables and figures, and whether its output
// has exact zeros (so that the zero count applies). FATReLU (x if x >= threshold else 0) is ReLU
// with a threshold, as in ProSparse/MiniCPM-S, and follows the ReLU law.
//
// Adding an activation (GELU, say) is one entry here:
//   gelu: { hfName: 'gelu', label: 'GELU', color: '#…', law: null, exactZeros: false, threshold: false, fn: (x) => … },
// The config check (config.ts), the Hugging Face config mapping (lib/hub/config.ts), the law lookup
// (lib/laws/forms.ts: law null is a clear error until a law is fitted for it), the zero count, and the
// labels and colours of the findings all read this table; test/registries.test.ts checks every entry.
//
// No runtime TensorFlow import here (the functions use the tensors' own methods), so lib/laws can
// read the law names without loading tfjs.
import type { Tensor2D } from '../backend/tf';

/**
 * The activation-data laws of method.md section 3, by name: ReLU's decreasing logspace power law and
 * SiLU's increasing power law. lib/laws/forms.ts maps each name to its Form.
 */
export const ACTIVATION_LAWS = ['relu', 'silu'] as const;
export type ActivationLaw = (typeof ACTIVATION_LAWS)[number];

export interface ActivationDef {
  /** Hugging Face config `hidden_act`. */
  hfName: string;
  /** Name in tables, figures and narratives. */
  label: string;
  /** Its colour in every figure (lib/findings/colors.ts keeps model sizes off these colours). */
  color: string;
  /** The law its activation ratio follows against training data, or null when none is known. */
  law: ActivationLaw | null;
  /** Its output is exactly 0 on part of the input: a neuron is inactive when s = 0 (the zero count). */
  exactZeros: boolean;
  /** fn reads config.actThreshold (Hugging Face configs carry it as `hidden_act_param`). */
  threshold: boolean;
  fn: (x: Tensor2D, threshold: number) => Tensor2D;
}

export const ACTIVATIONS = {
  relu: {
    hfName: 'relu', label: 'ReLU', color: '#4c78a8', law: 'relu', exactZeros: true, threshold: false,
    fn: (x: Tensor2D) => x.relu(),
  },
  silu: {
    hfName: 'silu', label: 'SiLU', color: '#f58518', law: 'silu', exactZeros: false, threshold: false,
    fn: (x: Tensor2D) => x.mul<Tensor2D>(x.sigmoid()),
  },
  fatrelu: {
    hfName: 'fatrelu', label: 'FATReLU', color: '#1f3f66', law: 'relu', exactZeros: true, threshold: true,
    // x.where(c, y) is where(c, x, y); it keeps the gradient 1 above the threshold and 0 below, like ReLU's.
    fn: (x: Tensor2D, threshold: number) => x.where<Tensor2D>(x.greaterEqual(threshold), x.zerosLike()),
  },
} satisfies Record<string, ActivationDef>;

export type Activation = keyof typeof ACTIVATIONS;

export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as Activation[];

export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ACTIVATIONS, name);
}

export function isActivationLaw(name: unknown): name is ActivationLaw {
  return (ACTIVATION_LAWS as readonly unknown[]).includes(name);
}

/** The registry entry of an activation, typed as the common shape. */
export function activationDef(act: Activation): ActivationDef {
  return ACTIVATIONS[act];
}

/** Whether the zero count (active iff s != 0) applies: the activation has exact zeros. */
export function hasExactZeros(act: Activation): boolean {
  return isActivation(act) && activationDef(act).exactZeros;
}

/** The activations with exact zeros, for error messages ("relu, fatrelu"). */
export function exactZeroActivations(): string {
  return ACTIVATION_NAMES.filter(hasExactZeros).join(', ');
}

/** The display name of an activation ("ReLU"); an unknown name is returned as it is. */
export function activationLabel(act: string): string {
  return isActivation(act) ? ACTIVATIONS[act].label : act;
}

/** The activation named by a Hugging Face `hidden_act`, or undefined when not supported. */
export function activationFromHF(hfName: unknown): Activation | undefined {
  return ACTIVATION_NAMES.find((a) => ACTIVATIONS[a].hfName === hfName);
}

export function activate(x: Tensor2D, act: Activation, threshold = 0): Tensor2D {
  return activationDef(act).fn(x, threshold);
}
