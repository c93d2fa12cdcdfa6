// The law forms of method.md section 3 and the authors' baselines, each with its analytic gradient
// (the solver needs exact Jacobians: finite differences are what made ml-levenberg-marquardt fragile),
// bounds, and the parameter change that goes with a change of token unit.
//
// Forms work on D in any unit; the fitter normalises D internally and converts with `rescale`.

import { ACTIVATION_NAMES, activationDef, isActivation, type Activation, type ActivationLaw } from '../model/activations';
import { UserError } from '../util/errors';

/** The activation-data laws (named as in the activation registry) and the authors' two baselines. */
export type LawName = ActivationLaw | 'log' | 'sigmoid';

export interface Bounds {
  lower: number[];
  upper: number[];
}

/** Forms outside the activation-data laws (fitted against something other than tokens). */
export type FormName = LawName | 'size';

export interface Form {
  name: FormName;
  /** The formula as printed in tables. */
  formula: string;
  /** Parameter names, in the order of the parameter vector. */
  params: readonly string[];
  /** Index of the parameter used to tell multi-starts apart (the one that sets the curve's shape). */
  shapeIndex: number;
  /** Direction of the curve the form is meant for; decides the warmup rule. */
  direction: 'decreasing' | 'increasing' | 'either';
  value(D: number, p: readonly number[]): number;
  /** Writes dA/dp_j at D into out[j]. */
  grad(D: number, p: readonly number[], out: Float64Array): void;
  /** Parameter box for data whose D values (in the fitting unit) are `D`. */
  bounds(D: readonly number[]): Bounds;
  /** Parameters for D' = D / k, i.e. after switching to a unit k times larger. */
  rescale(p: readonly number[], k: number): number[];
  /** lim A(D) as D grows, or null when the form has none. */
  limit(p: readonly number[]): number | null;
}

/** A form of the paper's laws: what predictions (lib/laws/predict.ts) need besides the value. */
export interface LawForm extends Form {
  /** dA/dD at D. */
  slope(D: number, p: readonly number[]): number;
  /** The D beyond which A stays within eps of its limit (0 when it starts there). */
  tokensWithin(eps: number, p: readonly number[]): number;
  /** The D at which A equals `target` (0 when it starts past it), or Infinity when it never does (at or beyond the limit). */
  tokensAt(target: number, p: readonly number[]): number;
}

const BIG = 1e8;
// Positivity bounds for c and alpha: strictly positive as the paper states, but loose enough not to bind.
const POS = 1e-12;

/** ReLU, decreasing logspace power law: A = exp(-c D^alpha + b) + A0; params [A0, alpha, b, c]. */
export const reluForm: LawForm = {
  name: 'relu',
  formula: 'exp(-c*D^alpha + b) + A0',
  params: ['A0', 'alpha', 'b', 'c'],
  shapeIndex: 1,
  direction: 'decreasing',
  value(D, p) {
    return Math.exp(-p[3] * Math.pow(D, p[1]) + p[2]) + p[0];
  },
  grad(D, p, out) {
    const lnD = Math.log(D);
    const Da = Math.exp(p[1] * lnD);
    const E = Math.exp(-p[3] * Da + p[2]);
    out[0] = 1;
    out[1] = -p[3] * Da * lnD * E;
    out[2] = E;
    out[3] = -Da * E;
  },
  bounds: () => ({ lower: [0, 1e-3, -100, POS], upper: [1, 20, 100, BIG] }),
  rescale: (p, k) => [p[0], p[1], p[2], p[3] * Math.pow(k, p[1])],
  limit: (p) => p[0],
  slope(D, p) {
    const Da = Math.pow(D, p[1]);
    return -p[3] * p[1] * (Da / D) * Math.exp(-p[3] * Da + p[2]);
  },
  // exp(-c D^alpha + b) = eps gives D = ((b - ln eps)/c)^(1/alpha).
  tokensWithin(eps, p) {
    const z = p[2] - Math.log(eps);
    return z <= 0 ? 0 : Math.pow(z / p[3], 1 / p[1]);
  },
  // exp(-c D^alpha + b) + A0 = R gives D = ((b - ln(R - A0)) / c)^(1/alpha); falls toward A0 from above.
  tokensAt(target, p) {
    if (!(target > p[0])) return Infinity;
    const z = p[2] - Math.log(target - p[0]);
    return z <= 0 ? 0 : Math.pow(z / p[3], 1 / p[1]);
  },
};

/** SiLU, increasing power law: A = -c D^(-alpha) + A0; params [A0, alpha, c]. */
export const siluForm: LawForm = {
  name: 'silu',
  formula: '-c*D^(-alpha) + A0',
  params: ['A0', 'alpha', 'c'],
  shapeIndex: 1,
  direction: 'increasing',
  value(D, p) {
    return -p[2] * Math.pow(D, -p[1]) + p[0];
  },
  grad(D, p, out) {
    const lnD = Math.log(D);
    const Dm = Math.exp(-p[1] * lnD);
    out[0] = 1;
    out[1] = p[2] * Dm * lnD;
    out[2] = -Dm;
  },
  bounds: () => ({ lower: [0, 1e-3, POS], upper: [1, 20, BIG] }),
  rescale: (p, k) => [p[0], p[1], p[2] * Math.pow(k, -p[1])],
  limit: (p) => p[0],
  slope: (D, p) => p[2] * p[1] * Math.pow(D, -p[1] - 1),
  // c D^-alpha = eps gives D = (c/eps)^(1/alpha).
  tokensWithin: (eps, p) => Math.pow(p[2] / eps, 1 / p[1]),
  // -c D^-alpha + A0 = R gives D = (c / (A0 - R))^(1/alpha); rises toward A0 from below.
  tokensAt: (target, p) => (target < p[0] ? Math.pow(p[2] / (p[0] - target), 1 / p[1]) : Infinity),
};

/**
 * Logarithmic baseline c*log(a*D + b) + A0. Since c*log(a*D + b) = c*log(a) + c*log(D + b/a), `a` only
 * shifts A0 and the 4-parameter form is degenerate; we fit a = 1 without loss: params [A0, b, c].
 */
export const logForm: Form = {
  name: 'log',
  formula: 'c*log(a*D + b) + A0, a = 1',
  params: ['A0', 'b', 'c'],
  shapeIndex: 1,
  direction: 'either',
  value(D, p) {
    return p[2] * Math.log(D + p[1]) + p[0];
  },
  grad(D, p, out) {
    out[0] = 1;
    out[1] = p[2] / (D + p[1]);
    out[2] = Math.log(D + p[1]);
  },
  bounds(D) {
    const lo = Math.min(...D);
    const hi = Math.max(...D);
    return { lower: [-100, -lo * (1 - 1e-9), -100], upper: [100, 1e6 * hi, 100] };
  },
  rescale: (p, k) => [p[0] + p[2] * Math.log(k), p[1] / k, p[2]],
  limit: () => null,
};

/** 1 / (1 + e^z) without overflow. */
function invOnePlusExp(z: number): number {
  if (z > 0) {
    const e = Math.exp(-z);
    return e / (1 + e);
  }
  return 1 / (1 + Math.exp(z));
}

/**
 * Sigmoid-like baseline a - 1/(1 + b*exp(c*D + d)). b*exp(d) = exp(d + ln b), so b is redundant with d
 * (and b <= 0 makes a pole); we fit b = 1 without loss: params [a, c, d].
 */
export const sigmoidForm: Form = {
  name: 'sigmoid',
  formula: 'a - 1/(1 + b*exp(c*D + d)), b = 1',
  params: ['a', 'c', 'd'],
  shapeIndex: 1,
  direction: 'either',
  value(D, p) {
    return p[0] - invOnePlusExp(p[1] * D + p[2]);
  },
  grad(D, p, out) {
    const s = invOnePlusExp(p[1] * D + p[2]);
    const ds = s * (1 - s);
    out[0] = 1;
    out[1] = ds * D;
    out[2] = ds;
  },
  bounds(D) {
    const hi = Math.max(...D);
    return { lower: [-100, -1e4 / hi, -500], upper: [100, 1e4 / hi, 500] };
  },
  rescale: (p, k) => [p[0], p[1] * k, p[2]],
  limit: (p) => (p[1] > 0 ? p[0] : p[1] < 0 ? p[0] - 1 : p[0] - invOnePlusExp(p[2])),
};

/**
 * The limit against model size (issue #13): A0(N) = A_inf + k * N^(-gamma), N non-embedding parameters;
 * params [A_inf, gamma, k]. k may take either sign (limits may fall or rise with size). Linear in A_inf
 * and k, so size-law.ts fits it by variable projection over gamma; the box is what "at a bound" means.
 */
export const sizeLimitForm: Form = {
  name: 'size',
  formula: 'A_inf + k*N^(-gamma)',
  params: ['A_inf', 'gamma', 'k'],
  shapeIndex: 1,
  direction: 'either',
  value(N, p) {
    return p[0] + p[2] * Math.pow(N, -p[1]);
  },
  grad(N, p, out) {
    const Nm = Math.pow(N, -p[1]);
    out[0] = 1;
    out[1] = -p[2] * Nm * Math.log(N);
    out[2] = Nm;
  },
  // gamma below 0.02 makes N^-gamma nearly ln-linear over any range we train (A_inf and k then trade
  // off without end); above 3 the curve is a step between two sizes. Either end means "not identified".
  bounds: () => ({ lower: [0, 0.02, -BIG], upper: [1, 3, BIG] }),
  rescale: (p, k) => [p[0], p[1], p[2] * Math.pow(k, -p[1])],
  limit: (p) => p[0],
};

export const FORMS: Readonly<Record<LawName, Form> & Record<'relu' | 'silu', LawForm>> = {
  relu: reluForm,
  silu: siluForm,
  log: logForm,
  sigmoid: sigmoidForm,
};

export type { Activation, ActivationLaw } from '../model/activations';

/**
 * The law an activation follows, by name, from the activation registry (lib/model/activations.ts):
 * relu and fatrelu follow ReLU's law, silu SiLU's. A name outside the registry, or an activation
 * registered without a law, is a UserError rather than a silent guess.
 */
export function lawNameForAct(act: Activation): ActivationLaw {
  if (!isActivation(act)) throw new UserError(`unknown activation '${String(act)}' (known: ${ACTIVATION_NAMES.join(', ')})`);
  const law = activationDef(act).law;
  if (law === null) {
    const known = ACTIVATION_NAMES.filter((a) => activationDef(a).law !== null).join(', ');
    throw new UserError(`activation '${act}' has no activation-data law (laws are known for ${known})`);
  }
  return law;
}

/** The paper's law for an activation function. */
export function lawForAct(act: Activation): Form {
  return FORMS[lawNameForAct(act)];
}
