import { fail } from '../../util/errors.js';
import { depolarizingConditionNumber } from './dp.js';

/**
 * Certified robustness from quantum DP.
 *
 * Y. Du, M.-H. Hsieh, T. Liu, D. Tao & N. Liu, "Quantum noise protects
 * quantum classifiers against adversaries", Phys. Rev. Research 3, 023153
 * (2021): a K-class quantum classifier whose circuit carries depolarizing
 * noise of total strength p on its d-dimensional register outputs class
 * probabilities y_k(rho) = Tr(Pi_k E(rho)). With y_A the largest and y_B the
 * second largest at input rho, the prediction A is unchanged for every
 * adversarial sigma with T(rho, sigma) <= tau whenever
 *
 *   tau < p / (d (1 - p)) * ( sqrt(y_A / y_B) - 1 ).
 *
 * This is the DP route (Lecuyer et al. 2019's PixelDP argument): an
 * epsilon-DP classifier keeps A on top if y_A > e^{2 epsilon} y_B, and the
 * depolarizing channel is epsilon-DP with e^epsilon = 1 + d (1 - p) tau / p
 * (see dp.ts); solving for tau gives the bound. With the condition number
 * kappa of any noise channel the same argument gives
 * tau < (sqrt(y_A / y_B) - 1) / (kappa - 1), which `radiusFromConditionNumber`
 * computes (random-rotation encodings use it, see rotation.ts).
 *
 * For comparison, `marginRadius` is the direct trace-distance bound (not from
 * Du et al.): depolarizing contracts trace distance by (1 - p), so each y_k
 * moves by at most (1 - p) tau and y_A - y_B by at most 2 (1 - p) tau; A stays
 * on top for tau < (y_A - y_B) / (2 (1 - p)). It does not grow with d, and it
 * is tight for one qubit (tested).
 *
 * All radii are in trace distance and capped at 1 (the largest trace distance).
 * The y are the noisy classifier's exact probabilities, not shot estimates.
 */

export interface Certificate {
  /** The predicted class (index of the largest y). */
  readonly label: number;
  readonly yTop: number;
  readonly yRunnerUp: number;
  /** Certified trace-distance radius (capped at 1); 0 when the top two tie. */
  readonly radius: number;
}

function topTwo(y: ArrayLike<number>): { label: number; a: number; b: number } {
  if (y.length < 2) fail('y', `needs at least two class probabilities, got ${y.length}`);
  let label = 0;
  for (let k = 0; k < y.length; k++) {
    const v = y[k]!;
    if (!(v >= 0 && v <= 1 + 1e-12)) fail(`y[${k}]`, `must be a probability in [0, 1], got ${v}`);
    if (v > y[label]!) label = k;
  }
  let b = -Infinity;
  for (let k = 0; k < y.length; k++) if (k !== label) b = Math.max(b, y[k]!);
  return { label, a: y[label]!, b };
}

/** (sqrt(y_A / y_B) - 1) / (kappa - 1), capped at 1. */
export function radiusFromConditionNumber(yTop: number, yRunnerUp: number, kappa: number): number {
  if (!(kappa >= 1)) fail('kappa', `a condition number is >= 1, got ${kappa}`);
  if (!(yTop > yRunnerUp)) return 0;
  if (yRunnerUp <= 0 || kappa === 1) return 1;
  return Math.min(1, (Math.sqrt(yTop / yRunnerUp) - 1) / (kappa - 1));
}

/**
 * Du et al.'s certificate for global depolarizing noise p on dimension d.
 * Example: y = [0.6, 0.4], p = 0.5, d = 2: radius = 0.5 / (2 * 0.5) * (sqrt(1.5) - 1) = 0.11237.
 */
export function certifyDepolarizing(y: ArrayLike<number>, p: number, d: number): Certificate {
  const { label, a, b } = topTwo(y);
  return { label, yTop: a, yRunnerUp: b, radius: radiusFromConditionNumber(a, b, depolarizingConditionNumber(p, d)) };
}

/** The same certificate for any channel of condition number kappa. */
export function certifyWithConditionNumber(y: ArrayLike<number>, kappa: number): Certificate {
  const { label, a, b } = topTwo(y);
  return { label, yTop: a, yRunnerUp: b, radius: radiusFromConditionNumber(a, b, kappa) };
}

/**
 * Direct bound: (y_A - y_B) / (2 (1 - p)) for depolarizing strength p
 * (capped at 1). Example: y = [0.6, 0.4], p = 0.5: 0.2.
 */
export function marginRadius(y: ArrayLike<number>, p: number): Certificate {
  if (!(p >= 0 && p <= 1)) fail('p', `must be in [0, 1], got ${p}`);
  const { label, a, b } = topTwo(y);
  const radius = !(a > b) ? 0 : p === 1 ? 1 : Math.min(1, (a - b) / (2 * (1 - p)));
  return { label, yTop: a, yRunnerUp: b, radius };
}
