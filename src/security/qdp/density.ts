import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';

/**
 * Small dense density-matrix helpers for the privacy analysis: d x d complex
 * Hermitian matrices (row-major real and imaginary parts), the channels the
 * mechanisms use, and Hermitian eigenvalues by the Jacobi method on the real
 * 2d x 2d embedding [[A, -B], [B, A]] of A + iB (each eigenvalue twice).
 * Meant for a few qubits (d <= 64): O(d^3) per sweep.
 */
export interface Dense {
  readonly d: number;
  readonly re: Float64Array;
  readonly im: Float64Array;
}

export function zeros(d: number): Dense {
  return { d, re: new Float64Array(d * d), im: new Float64Array(d * d) };
}

/** |psi><psi| from amplitudes [re..., im...] (normalized here). */
export function pure(re: ArrayLike<number>, im: ArrayLike<number> = new Float64Array(re.length)): Dense {
  const d = re.length;
  let n2 = 0;
  for (let i = 0; i < d; i++) n2 += re[i]! ** 2 + im[i]! ** 2;
  if (!(n2 > 0)) fail('state', 'needs a non-zero vector');
  const out = zeros(d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      // psi_i conj(psi_j)
      out.re[i * d + j] = (re[i]! * re[j]! + im[i]! * im[j]!) / n2;
      out.im[i * d + j] = (im[i]! * re[j]! - re[i]! * im[j]!) / n2;
    }
  }
  return out;
}

/** A Haar-like random pure state of dimension d (normalized complex Gaussian). */
export function randomPure(rng: Rng, d: number): Dense {
  const re = Float64Array.from({ length: d }, () => rng.normal());
  const im = Float64Array.from({ length: d }, () => rng.normal());
  return pure(re, im);
}

/** a * x + b * y. */
export function combine(a: number, x: Dense, b: number, y: Dense): Dense {
  const out = zeros(x.d);
  for (let i = 0; i < x.re.length; i++) {
    out.re[i] = a * x.re[i]! + b * y.re[i]!;
    out.im[i] = a * x.im[i]! + b * y.im[i]!;
  }
  return out;
}

/** Global depolarizing channel (1 - p) rho + p Tr(rho) I / d. */
export function depolarize(rho: Dense, p: number): Dense {
  const { d } = rho;
  const out = combine(1 - p, rho, 0, rho);
  let tr = 0;
  for (let i = 0; i < d; i++) tr += rho.re[i * d + i]!;
  for (let i = 0; i < d; i++) out.re[i * d + i] += (p * tr) / d;
  return out;
}

/**
 * P_k rho P_k for a Pauli on qubit k of n (qubit 0 the most significant bit):
 * X flips both indices, Z multiplies by z_i z_j (z = +-1 by the bit), and
 * Y = iXZ does both: (Y rho Y)_{ij} = z_i z_j rho_{i^b, j^b}.
 */
function conjugatePauli(rho: Dense, n: number, k: number, pauli: 'X' | 'Y' | 'Z'): Dense {
  const { d } = rho;
  const bit = 1 << (n - 1 - k);
  const flip = pauli === 'Z' ? 0 : bit;
  const out = zeros(d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const s = pauli === 'X' || ((i & bit) === 0) === ((j & bit) === 0) ? 1 : -1;
      const src = (i ^ flip) * d + (j ^ flip);
      out.re[i * d + j] = s * rho.re[src]!;
      out.im[i * d + j] = s * rho.im[src]!;
    }
  }
  return out;
}

/**
 * Single-qubit depolarizing channel of strength q on every qubit:
 * D_q(rho) = (1 - q) rho + q Tr_k(rho) (x) I/2 = (1 - 3q/4) rho + q/4 (X rho X + Y rho Y + Z rho Z).
 */
export function depolarizeLocal(rho: Dense, n: number, q: number): Dense {
  if (rho.d !== 1 << n) fail('rho', `dimension ${rho.d} is not 2^${n}`);
  let cur = rho;
  for (let k = 0; k < n; k++) {
    const x = conjugatePauli(cur, n, k, 'X');
    const y = conjugatePauli(cur, n, k, 'Y');
    const z = conjugatePauli(cur, n, k, 'Z');
    const out = combine(1 - (3 * q) / 4, cur, q / 4, x);
    for (let i = 0; i < out.re.length; i++) {
      out.re[i] += (q / 4) * (y.re[i]! + z.re[i]!);
      out.im[i] += (q / 4) * (y.im[i]! + z.im[i]!);
    }
    cur = out;
  }
  return cur;
}

/** Eigenvalues of a Hermitian matrix, ascending (Jacobi rotations on the real embedding). */
export function hermitianEigenvalues(m: Dense): Float64Array {
  const { d } = m;
  const N = 2 * d;
  const a = new Float64Array(N * N);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const re = (m.re[i * d + j]! + m.re[j * d + i]!) / 2;
      const im = (m.im[i * d + j]! - m.im[j * d + i]!) / 2;
      a[i * N + j] = re;
      a[(i + d) * N + (j + d)] = re;
      a[i * N + (j + d)] = -im;
      a[(i + d) * N + j] = im;
    }
  }
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < N; p++) for (let q = p + 1; q < N; q++) off += a[p * N + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < N; p++) {
      for (let q = p + 1; q < N; q++) {
        const apq = a[p * N + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * N + q]! - a[p * N + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < N; k++) {
          const akp = a[k * N + p]!;
          const akq = a[k * N + q]!;
          a[k * N + p] = c * akp - s * akq;
          a[k * N + q] = s * akp + c * akq;
        }
        for (let k = 0; k < N; k++) {
          const apk = a[p * N + k]!;
          const aqk = a[q * N + k]!;
          a[p * N + k] = c * apk - s * aqk;
          a[q * N + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const all = Float64Array.from({ length: N }, (_, i) => a[i * N + i]!).sort();
  return Float64Array.from({ length: d }, (_, i) => all[2 * i]!);
}

/** Trace distance (1/2) ||rho - sigma||_1. */
export function traceDistance(rho: Dense, sigma: Dense): number {
  return hermitianEigenvalues(combine(1, rho, -1, sigma)).reduce((s, x) => s + Math.abs(x), 0) / 2;
}

/** Tr(M rho) for Hermitian M. */
export function expectation(m: Dense, rho: Dense): number {
  const { d } = m;
  let acc = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) acc += m.re[i * d + j]! * rho.re[j * d + i]! - m.im[i * d + j]! * rho.im[j * d + i]!;
  }
  return acc;
}

/**
 * An empirical lower bound on the condition number kappa of a self-adjoint
 * channel (sup over rank-one M of lambda_max(E(M)) / lambda_min(E(M))):
 * the maximum over the computational basis states and `samples` random pure
 * states. For the channels here the basis states attain the supremum, so the
 * value matches the closed forms; random states only confirm nothing exceeds it.
 */
export function empiricalConditionNumber(channel: (rho: Dense) => Dense, d: number, rng: Rng, samples = 50): number {
  let kappa = 1;
  const consider = (rho: Dense): void => {
    const ev = hermitianEigenvalues(channel(rho));
    const lo = ev[0]!;
    kappa = Math.max(kappa, lo > 0 ? ev[d - 1]! / lo : Infinity);
  };
  for (let i = 0; i < d; i++) {
    const re = new Float64Array(d);
    re[i] = 1;
    consider(pure(re));
  }
  for (let s = 0; s < samples; s++) consider(randomPure(rng, d));
  return kappa;
}
