// The paper's published fits (method.md section 3), as rows: numbers to compare against and to
// generate test curves from, never to hard-code into a result. D is in billions of tokens.

import type { ActivationLaw } from '../model/activations';

export interface PublishedFit {
  /** The paper's two activations, relu and silu, each with the law of its name. */
  act: ActivationLaw;
  scale: string;
  A0: number;
  alpha: number;
  /** Only the ReLU law has b. */
  b: number | null;
  c: number;
  unit: 'B';
}

const row = (act: ActivationLaw, scale: string, alpha: number, b: number | null, c: number, A0: number): PublishedFit => ({
  act,
  scale,
  A0,
  alpha,
  b,
  c,
  unit: 'B',
});

export const PUBLISHED_FITS: readonly PublishedFit[] = [
  row('relu', '0.1B', 0.101, -0.0151, 3.2, 0.0614),
  row('relu', '0.2B', 0.449, -3.05, 0.286, 0.0674),
  row('relu', '0.4B', 0.683, -3.46, 0.079, 0.069),
  row('relu', '0.8B', 1.01, -3.49, 0.00797, 0.0721),
  row('relu', '1.2B', 1.33, -3.89, 0.000903, 0.0782),
  row('silu', '0.1B', 0.479, null, 0.102, 0.409),
  row('silu', '0.2B', 0.844, null, 0.208, 0.39),
  row('silu', '0.4B', 1.03, null, 0.42, 0.385),
  row('silu', '0.8B', 0.995, null, 0.562, 0.383),
  row('silu', '1.2B', 0.967, null, 0.538, 0.382),
];
