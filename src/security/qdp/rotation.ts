import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import type { Operation } from '../../quantum/circuit.js';
import { epsilonFromConditionNumber } from './dp.js';

/**
 * Random-rotation encodings as a QDP mechanism (the alternative to
 * depolarizing noise; J.-C. Huang et al., "Certified Robustness of Quantum
 * Classifiers against Adversarial Examples through Quantum Noise", ICASSP
 * 2023, arXiv:2211.00887, propose random rotation noise): after encoding, each
 * qubit gets R_P(theta) = exp(-i theta P / 2) with the axis P drawn uniformly
 * from {X, Y, Z} and theta from a symmetric distribution, independently per
 * qubit and per run.
 *
 * Closed form (derived here, checked numerically by the tests): averaged over
 * theta, a rotation about P keeps the Bloch component along P and scales the
 * two others by c = E[cos theta] (the sin terms cancel for a symmetric
 * distribution); averaged over the axis each component is scaled by
 * (1 + 2c)/3. That is the single-qubit depolarizing channel
 * D_q(rho) = (1 - q) rho + q I/2 with
 *
 *   q = 2 (1 - c) / 3,   0 < q <= 2/3,
 *
 * on every qubit. For n qubits the channel D_q^{(x)n} is self-adjoint with
 * eigenvalues of D_q^{(x)n}(|psi><psi|) in [(q/2)^n, (1 - q/2)^n] (expand
 * D_q = (1-q) id + q Tr(.) I/2 over subsets of qubits), both attained on
 * computational basis states, so its condition number is
 *
 *   kappa = ((2 - q) / q)^n,   epsilon(tau) = ln(1 + tau (kappa - 1))
 *
 * (Guan et al. 2023's epsilon from kappa, see dp.ts). For n = 1 this equals
 * the global depolarizing channel's ln(1 + 2 (1 - q) tau / q); for n > 1 the
 * local noise gives a larger kappa than global depolarizing of the same q.
 * Rotations about a fixed axis are not enough: they leave that axis's
 * eigenstates pure, so lambda_min = 0 and no finite epsilon exists.
 */
export type AngleDistribution =
  | { readonly kind: 'uniform'; readonly halfWidth: number }
  | { readonly kind: 'normal'; readonly std: number };

function check(dist: AngleDistribution): void {
  switch (dist.kind) {
    case 'uniform':
      if (!(dist.halfWidth > 0 && dist.halfWidth <= Math.PI)) fail('halfWidth', `must be in (0, pi], got ${dist.halfWidth}`);
      return;
    case 'normal':
      if (!(dist.std > 0) || !Number.isFinite(dist.std)) fail('std', `must be a positive number, got ${dist.std}`);
      return;
  }
}

/** c = E[cos theta]: sin(a)/a for uniform on [-a, a], exp(-s^2/2) for normal(0, s). */
export function meanCos(dist: AngleDistribution): number {
  check(dist);
  switch (dist.kind) {
    case 'uniform':
      return Math.sin(dist.halfWidth) / dist.halfWidth;
    case 'normal':
      return Math.exp(-(dist.std ** 2) / 2);
  }
}

/** The per-qubit depolarizing strength q = 2 (1 - c) / 3 of the random rotation. */
export function rotationDepolarizing(dist: AngleDistribution): number {
  return (2 * (1 - meanCos(dist))) / 3;
}

/** kappa = ((2 - q) / q)^n. Example: uniform on [-pi, pi] (q = 2/3), n = 3: 2^3 = 8. */
export function rotationConditionNumber(dist: AngleDistribution, nQubits: number): number {
  if (!Number.isInteger(nQubits) || nQubits < 1) fail('nQubits', `must be a positive integer, got ${nQubits}`);
  const q = rotationDepolarizing(dist);
  return ((2 - q) / q) ** nQubits;
}

/** epsilon(tau) = ln(1 + tau (kappa - 1)). Example: uniform on [-pi, pi], n = 3, tau = 1: ln 8. */
export function rotationEpsilon(dist: AngleDistribution, nQubits: number, tau = 1): number {
  return epsilonFromConditionNumber(rotationConditionNumber(dist, nQubits), tau);
}

export function sampleAngle(rng: Rng, dist: AngleDistribution): number {
  check(dist);
  return dist.kind === 'uniform' ? (2 * rng.uniform() - 1) * dist.halfWidth : rng.normal(0, dist.std);
}

const AXES = ['RX', 'RY', 'RZ'] as const;

/**
 * One draw of the random-rotation layer on `wires`, as circuit operations to
 * append after the encoding (a fresh draw per run or per sample).
 */
export function randomRotationOps(rng: Rng, wires: readonly number[], dist: AngleDistribution): Operation[] {
  return wires.map((w) => ({ gate: AXES[rng.int(3)]!, wires: [w], params: [{ kind: 'const', value: sampleAngle(rng, dist) }] }));
}
