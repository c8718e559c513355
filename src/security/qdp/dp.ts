import { fail } from '../../util/errors.js';

/**
 * Quantum differential privacy (QDP) of noise channels.
 *
 * Definition (L. Zhou & M. Ying, "Differential Privacy in Quantum
 * Computation", IEEE Computer Security Foundations Symposium (CSF) 2017): states rho, sigma are tau-neighbours when their trace distance
 * T(rho, sigma) = (1/2) ||rho - sigma||_1 <= tau; a channel E is
 * (epsilon, delta)-DP when for all tau-neighbours, every POVM element M
 * (0 <= M <= I):
 *
 *   Tr(M E(rho)) <= e^epsilon Tr(M E(sigma)) + delta.
 *
 * Depolarizing channel E_p(rho) = (1 - p) rho + p I/d (p the probability of
 * replacing the state by the maximally mixed one, d the dimension of the
 * input register): Zhou & Ying's bound for it is
 *
 *   epsilon = ln(1 + d (1 - p) tau / p),   delta = 0,
 *
 * so for tau = 1 (any two states) epsilon = ln(1 + d (1 - p) / p).
 * Derivation, re-done here and tested numerically: Tr(M E(rho)) - Tr(M E(sigma))
 * = (1 - p) Tr(M (rho - sigma)) <= (1 - p) tau ||M||, and
 * Tr(M E(sigma)) >= p Tr(M) / d >= p ||M|| / d; the ratio is at most
 * 1 + d (1 - p) tau / p, attained by sigma = |0><0|, M = |1><1|,
 * rho = (1 - tau)|0><0| + tau |1><1|.
 *
 * The same argument for any channel gives the condition-number form of Guan,
 * Fang, Huang & Ying, "Detecting Violations of Differential Privacy for
 * Quantum Algorithms", ACM CCS 2023: with
 * kappa = sup_M lambda_max(E^dag(M)) / lambda_min(E^dag(M)),
 *
 *   epsilon = ln(1 + tau (kappa - 1)),
 *
 * and kappa = 1 + d (1 - p) / p for the depolarizing channel. (The exact
 * theorem numbering in both papers was not checked against their text in
 * this project; the formulas are re-derived above and verified by the tests.)
 */

function checkUnit(name: string, v: number, open: boolean): void {
  const ok = open ? v > 0 && v < 1 : v > 0 && v <= 1;
  if (!ok || !Number.isFinite(v)) fail(name, `must be in ${open ? '(0, 1)' : '(0, 1]'}, got ${v}`);
}

function checkDim(d: number): void {
  if (!Number.isInteger(d) || d < 2) fail('d', `must be an integer >= 2 (2^qubits), got ${d}`);
}

/**
 * epsilon of the depolarizing channel of strength p on dimension d for
 * tau-neighbouring inputs. Example: p = 0.5, d = 2, tau = 1 gives ln 3.
 * p = 1 (all noise) gives 0; p must be > 0 (p = 0 is not private at all).
 */
export function depolarizingEpsilon(p: number, d: number, tau = 1): number {
  checkUnit('p', p, false);
  checkDim(d);
  checkUnit('tau', tau, false);
  return Math.log1p((d * (1 - p) * tau) / p);
}

/**
 * The smallest depolarizing strength giving epsilon:
 * p = d tau / (e^epsilon - 1 + d tau). Example: epsilon = ln 3, d = 2: p = 1/2.
 */
export function depolarizingNoiseFor(epsilon: number, d: number, tau = 1): number {
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) fail('epsilon', `must be a positive number, got ${epsilon}`);
  checkDim(d);
  checkUnit('tau', tau, false);
  return (d * tau) / (Math.expm1(epsilon) + d * tau);
}

/** kappa of the depolarizing channel: 1 + d (1 - p) / p. */
export function depolarizingConditionNumber(p: number, d: number): number {
  checkUnit('p', p, false);
  checkDim(d);
  return 1 + (d * (1 - p)) / p;
}

/** epsilon = ln(1 + tau (kappa - 1)) for a channel of condition number kappa (Guan et al. 2023). */
export function epsilonFromConditionNumber(kappa: number, tau = 1): number {
  if (!(kappa >= 1)) fail('kappa', `a condition number is >= 1, got ${kappa}`);
  checkUnit('tau', tau, false);
  return Math.log1p(tau * (kappa - 1));
}

/**
 * The smallest delta for a given epsilon (Guan et al. 2023):
 * delta = max(0, tau lambda_max - (e^epsilon + tau - 1) lambda_min) for the
 * extreme eigenvalues of E^dag(M), maximized over M; here for the
 * depolarizing channel and rank-one M: lambda_max = 1 - p + p/d, lambda_min = p/d.
 */
export function depolarizingDelta(p: number, d: number, epsilon: number, tau = 1): number {
  checkUnit('p', p, false);
  checkDim(d);
  checkUnit('tau', tau, false);
  if (!(epsilon >= 0)) fail('epsilon', `must be >= 0, got ${epsilon}`);
  const hi = 1 - p + p / d;
  const lo = p / d;
  return Math.max(0, tau * hi - (Math.exp(epsilon) + tau - 1) * lo);
}
