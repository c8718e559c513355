import { fail } from '../util/errors.js';
import { exp } from '../util/detmath.js';

/**
 * Quantum channels as Kraus operators: E(rho) = sum_k K_k rho K_k^dagger with
 * sum_k K_k^dagger K_k = I (trace preserving). A channel is a plain record on
 * `nQubits` op-local wires (the first wire is the most significant bit of the
 * local index, as everywhere in the simulator); the noise model (noise.ts)
 * says where it goes. The density-matrix simulator applies it exactly through
 * its superoperator, the trajectory simulator samples one Kraus branch.
 *
 * Conventions follow Qiskit Aer where they differ from PennyLane:
 * `depolarizing(p)` is rho -> (1 - p) rho + p I/d, which PennyLane's
 * DepolarizingChannel(q) equals for p = 4q/3 (one qubit).
 */

/** A complex entry: a real number or [re, im]. */
export type ComplexLike = number | readonly [number, number];
/** A dense complex matrix, row-major. */
export type ComplexMatrix = readonly (readonly ComplexLike[])[];

export interface Channel {
  /** For messages and reports, e.g. `depolarizing(0.01)`. */
  readonly name: string;
  readonly nQubits: number;
  /** Kraus operators, each d x d (d = 2^nQubits), row-major with re/im interleaved: length 2 d^2. */
  readonly kraus: readonly Float64Array[];
}

/** Largest channel the simulators accept (a 3-qubit superoperator is 64 x 64). */
export const MAX_CHANNEL_QUBITS = 3;
/** Default tolerance of the completeness check sum K^dagger K = I. */
export const KRAUS_TOL = 1e-10;

const SQRT = Math.sqrt;

/** sum_k K_k^dagger K_k as a d x d complex matrix (re/im interleaved). */
export function krausSum(kraus: readonly Float64Array[], d: number): Float64Array {
  const out = new Float64Array(2 * d * d);
  for (const k of kraus) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        // (K^dagger K)_ij = sum_r conj(K_ri) K_rj
        let re = 0;
        let im = 0;
        for (let r = 0; r < d; r++) {
          const ar = k[2 * (r * d + i)]!, ai = k[2 * (r * d + i) + 1]!;
          const br = k[2 * (r * d + j)]!, bi = k[2 * (r * d + j) + 1]!;
          re += ar * br + ai * bi;
          im += ar * bi - ai * br;
        }
        out[2 * (i * d + j)] += re;
        out[2 * (i * d + j) + 1] += im;
      }
    }
  }
  return out;
}

/** max |sum K^dagger K - I| over the entries: 0 for an exactly trace-preserving channel. */
export function completenessError(ch: Channel): number {
  const d = 1 << ch.nQubits;
  const s = krausSum(ch.kraus, d);
  let worst = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      worst = Math.max(worst, Math.abs(s[2 * (i * d + j)]! - (i === j ? 1 : 0)), Math.abs(s[2 * (i * d + j) + 1]!));
    }
  }
  return worst;
}

function toFlat(m: ComplexMatrix, d: number, field: string): Float64Array {
  if (m.length !== d || m.some((row) => row.length !== d)) {
    fail(field, `must be ${d} x ${d}, got ${m.length} x ${m[0]?.length ?? 0}`);
  }
  const out = new Float64Array(2 * d * d);
  m.forEach((row, i) =>
    row.forEach((z, j) => {
      const [re, im] = typeof z === 'number' ? [z, 0] : [z[0], z[1]];
      if (!Number.isFinite(re) || !Number.isFinite(im)) fail(`${field}[${i}][${j}]`, `must be finite, got ${String(z)}`);
      out[2 * (i * d + j)] = re;
      out[2 * (i * d + j) + 1] = im;
    }),
  );
  return out;
}

/**
 * A channel from Kraus operators (d x d each, d = 2, 4 or 8), checked to be
 * trace preserving: |sum K^dagger K - I| <= tol entrywise. Any Kraus set is
 * completely positive by construction.
 *
 * ```ts
 * const g = 0.1;
 * const ad = kraus([[[1, 0], [0, Math.sqrt(1 - g)]], [[0, Math.sqrt(g)], [0, 0]]]);
 * ```
 */
export function kraus(ops: readonly ComplexMatrix[], options: { readonly name?: string; readonly tol?: number } = {}): Channel {
  if (ops.length === 0) fail('kraus', 'needs at least one Kraus operator');
  const d = ops[0]!.length;
  const nQubits = Math.log2(d);
  if (!Number.isInteger(nQubits) || nQubits < 1 || nQubits > MAX_CHANNEL_QUBITS) {
    fail('kraus[0]', `must be 2 x 2, 4 x 4 or 8 x 8 (1 to ${MAX_CHANNEL_QUBITS} qubits), got ${d} rows`);
  }
  const flat = ops.map((m, k) => toFlat(m, d, `kraus[${k}]`));
  return checked({ name: options.name ?? `kraus(${ops.length} ops)`, nQubits, kraus: flat }, options.tol ?? KRAUS_TOL);
}

function checked(ch: Channel, tol: number): Channel {
  const err = completenessError(ch);
  if (!(err <= tol)) {
    fail('kraus', `sum of K^dagger K must be the identity (trace preserving) within ${tol}; it is off by ${err}`);
  }
  return ch;
}

function probability(value: number, field: string, max = 1): void {
  if (!(value >= 0 && value <= max)) fail(field, `must be in [0, ${max}], got ${value}`);
}

/** 2x2 helpers: [re00, im00, re01, im01, re10, im10, re11, im11]. */
const m2 = (...v: number[]): Float64Array => Float64Array.from(v);
const scaled = (m: Float64Array, s: number): Float64Array => m.map((x) => x * s);

const PAULI: readonly Float64Array[] = [
  m2(1, 0, 0, 0, 0, 0, 1, 0),
  m2(0, 0, 1, 0, 1, 0, 0, 0),
  m2(0, 0, 0, -1, 0, 1, 0, 0),
  m2(1, 0, 0, 0, 0, 0, -1, 0),
];

/** Kronecker product of two interleaved complex matrices of sizes da and db. */
export function kronFlat(a: Float64Array, da: number, b: Float64Array, db: number): Float64Array {
  const d = da * db;
  const out = new Float64Array(2 * d * d);
  for (let i = 0; i < da; i++) {
    for (let j = 0; j < da; j++) {
      const ar = a[2 * (i * da + j)]!, ai = a[2 * (i * da + j) + 1]!;
      for (let k = 0; k < db; k++) {
        for (let l = 0; l < db; l++) {
          const br = b[2 * (k * db + l)]!, bi = b[2 * (k * db + l) + 1]!;
          const at = 2 * ((i * db + k) * d + j * db + l);
          out[at] = ar * br - ai * bi;
          out[at + 1] = ar * bi + ai * br;
        }
      }
    }
  }
  return out;
}

/** The 4^n Pauli strings on n qubits (I...I first), as interleaved matrices. */
function pauliStrings(n: number): Float64Array[] {
  let out: { m: Float64Array; d: number }[] = [{ m: m2(1, 0), d: 1 }];
  for (let q = 0; q < n; q++) out = out.flatMap(({ m, d }) => PAULI.map((p) => ({ m: kronFlat(m, d, p, 2), d: 2 * d })));
  return out.map((x) => x.m);
}

/**
 * Depolarizing channel on n = 1 or 2 qubits (Qiskit's `depolarizing_error`):
 * rho -> (1 - p) rho + p I/d, with d = 2^n and p in [0, d^2/(d^2 - 1)]. Kraus
 * operators sqrt(1 - p (d^2-1)/d^2) I and sqrt(p/d^2) P for the other Pauli
 * strings P. p = 1 is the fully depolarizing channel (output I/d).
 */
export function depolarizing(p: number, nQubits: 1 | 2 = 1): Channel {
  if (nQubits !== 1 && nQubits !== 2) fail('depolarizing.nQubits', `must be 1 or 2, got ${String(nQubits)}`);
  const d2 = 4 ** nQubits;
  probability(p, 'depolarizing.p', d2 / (d2 - 1));
  const paulis = pauliStrings(nQubits);
  const ops = paulis.map((m, k) => scaled(m, SQRT(k === 0 ? Math.max(0, 1 - (p * (d2 - 1)) / d2) : p / d2)));
  return { name: `depolarizing(${p}${nQubits === 2 ? ', 2' : ''})`, nQubits, kraus: ops };
}

/**
 * Pauli channel rho -> (1 - px - py - pz) rho + px X rho X + py Y rho Y + pz Z rho Z.
 */
export function pauliChannel(px: number, py: number, pz: number): Channel {
  probability(px, 'pauliChannel.px');
  probability(py, 'pauliChannel.py');
  probability(pz, 'pauliChannel.pz');
  const pi = 1 - px - py - pz;
  if (pi < -1e-15) fail('pauliChannel', `px + py + pz must be at most 1, got ${px + py + pz}`);
  const ops = [Math.max(0, pi), px, py, pz].map((q, k) => scaled(PAULI[k]!, SQRT(q)));
  return { name: `pauliChannel(${px}, ${py}, ${pz})`, nQubits: 1, kraus: ops };
}

/** Bit flip: rho -> (1 - p) rho + p X rho X. */
export function bitFlip(p: number): Channel {
  probability(p, 'bitFlip.p');
  return { name: `bitFlip(${p})`, nQubits: 1, kraus: [scaled(PAULI[0]!, SQRT(1 - p)), scaled(PAULI[1]!, SQRT(p))] };
}

/** Phase flip: rho -> (1 - p) rho + p Z rho Z. */
export function phaseFlip(p: number): Channel {
  probability(p, 'phaseFlip.p');
  return { name: `phaseFlip(${p})`, nQubits: 1, kraus: [scaled(PAULI[0]!, SQRT(1 - p)), scaled(PAULI[3]!, SQRT(p))] };
}

/**
 * Amplitude damping (energy relaxation, |1> -> |0> with probability gamma):
 * K0 = [[1, 0], [0, sqrt(1-gamma)]], K1 = [[0, sqrt(gamma)], [0, 0]].
 * Its fixed point is |0><0|.
 */
export function amplitudeDamping(gamma: number): Channel {
  probability(gamma, 'amplitudeDamping.gamma');
  return {
    name: `amplitudeDamping(${gamma})`,
    nQubits: 1,
    kraus: [m2(1, 0, 0, 0, 0, 0, SQRT(1 - gamma), 0), m2(0, 0, SQRT(gamma), 0, 0, 0, 0, 0)],
  };
}

/**
 * Generalized amplitude damping (relaxation towards a thermal state
 * diag(p, 1 - p)): sqrt(p) times the amplitude-damping operators plus
 * sqrt(1-p) [[sqrt(1-gamma), 0], [0, 1]] and sqrt(1-p) [[0, 0], [sqrt(gamma), 0]].
 */
export function generalizedAmplitudeDamping(gamma: number, p: number): Channel {
  probability(gamma, 'generalizedAmplitudeDamping.gamma');
  probability(p, 'generalizedAmplitudeDamping.p');
  const a = SQRT(p);
  const b = SQRT(1 - p);
  const g = SQRT(gamma);
  const h = SQRT(1 - gamma);
  return {
    name: `generalizedAmplitudeDamping(${gamma}, ${p})`,
    nQubits: 1,
    kraus: [m2(a, 0, 0, 0, 0, 0, a * h, 0), m2(0, 0, a * g, 0, 0, 0, 0, 0), m2(b * h, 0, 0, 0, 0, 0, b, 0), m2(0, 0, 0, 0, b * g, 0, 0, 0)],
  };
}

/**
 * Phase damping (pure dephasing): K0 = [[1, 0], [0, sqrt(1-lambda)]],
 * K1 = [[0, 0], [0, sqrt(lambda)]]; off-diagonals shrink by sqrt(1 - lambda).
 */
export function phaseDamping(lambda: number): Channel {
  probability(lambda, 'phaseDamping.lambda');
  return {
    name: `phaseDamping(${lambda})`,
    nQubits: 1,
    kraus: [m2(1, 0, 0, 0, 0, 0, SQRT(1 - lambda), 0), m2(0, 0, 0, 0, 0, 0, SQRT(lambda), 0)],
  };
}

/** Product of two d x d interleaved complex matrices, a * b. */
function matmulFlat(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(2 * d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < d; k++) {
        const ar = a[2 * (i * d + k)]!, ai = a[2 * (i * d + k) + 1]!;
        const br = b[2 * (k * d + j)]!, bi = b[2 * (k * d + j) + 1]!;
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      out[2 * (i * d + j)] = re;
      out[2 * (i * d + j) + 1] = im;
    }
  }
  return out;
}

/**
 * `first` then `second` on the same wires: Kraus operators B_j A_i (zero
 * products dropped).
 */
export function compose(first: Channel, second: Channel): Channel {
  if (first.nQubits !== second.nQubits) {
    fail('compose', `channels act on ${first.nQubits} and ${second.nQubits} qubits; they must match`);
  }
  const d = 1 << first.nQubits;
  const ops = second.kraus.flatMap((b) => first.kraus.map((a) => matmulFlat(b, a, d))).filter((m) => m.some((x) => x !== 0));
  return { name: `${first.name} then ${second.name}`, nQubits: first.nQubits, kraus: ops };
}

/**
 * Thermal relaxation for a gate of duration `time` on a qubit with
 * relaxation time t1 and dephasing time t2 <= 2 t1 (same units): amplitude
 * damping with gamma = 1 - exp(-time/t1), then phase damping with
 * lambda = 1 - exp(time/t1 - 2 time/t2), so that populations decay as
 * exp(-time/t1) and coherences as exp(-time/t2).
 */
export function thermalRelaxation(t1: number, t2: number, time: number): Channel {
  if (!(t1 > 0) || !Number.isFinite(t1)) fail('thermalRelaxation.t1', `must be a positive finite time, got ${t1}`);
  if (!(t2 > 0) || !(t2 <= 2 * t1)) fail('thermalRelaxation.t2', `must be in (0, 2 t1] = (0, ${2 * t1}], got ${t2}`);
  if (!(time >= 0) || !Number.isFinite(time)) fail('thermalRelaxation.time', `must be a non-negative finite time, got ${time}`);
  const gamma = 1 - exp(-time / t1);
  const lambda = Math.min(1, Math.max(0, 1 - exp(time / t1 - (2 * time) / t2)));
  const ch = compose(amplitudeDamping(gamma), phaseDamping(lambda));
  return { ...ch, name: `thermalRelaxation(${t1}, ${t2}, ${time})` };
}

// ----------------------------------------------------------- superoperator

/**
 * The superoperator S of E on vec(rho) with vec index a*d + c for rho[a][c]:
 * S[(a,c),(a',c')] = sum_k K_k[a][a'] conj(K_k[c][c']), a d^2 x d^2 complex
 * matrix (re/im interleaved). The adjoint channel E^dagger(L) = sum K^dagger L K
 * has superoperator S^dagger.
 */
export function superoperator(ch: Channel): Float64Array {
  const d = 1 << ch.nQubits;
  const D = d * d;
  const out = new Float64Array(2 * D * D);
  for (const k of ch.kraus) {
    for (let a = 0; a < d; a++) {
      for (let ap = 0; ap < d; ap++) {
        const xr = k[2 * (a * d + ap)]!, xi = k[2 * (a * d + ap) + 1]!;
        if (xr === 0 && xi === 0) continue;
        for (let c = 0; c < d; c++) {
          for (let cp = 0; cp < d; cp++) {
            // x * conj(y)
            const yr = k[2 * (c * d + cp)]!, yi = k[2 * (c * d + cp) + 1]!;
            const at = 2 * ((a * d + c) * D + ap * d + cp);
            out[at] += xr * yr + xi * yi;
            out[at + 1] += xi * yr - xr * yi;
          }
        }
      }
    }
  }
  return out;
}

/**
 * The Choi matrix J = sum_{a,c} |a><c| (x) E(|a><c|), d^2 x d^2 (re/im
 * interleaved, row index a*d + x). E is completely positive iff J is positive
 * semidefinite, and trace preserving iff Tr_2 J = I.
 */
export function choiMatrix(ch: Channel): Float64Array {
  const d = 1 << ch.nQubits;
  const D = d * d;
  const s = superoperator(ch);
  const out = new Float64Array(2 * D * D);
  for (let a = 0; a < d; a++) {
    for (let c = 0; c < d; c++) {
      for (let x = 0; x < d; x++) {
        for (let y = 0; y < d; y++) {
          // E(|a><c|)[x][y] = S[(x,y),(a,c)]
          const from = 2 * ((x * d + y) * D + a * d + c);
          const to = 2 * ((a * d + x) * D + c * d + y);
          out[to] = s[from]!;
          out[to + 1] = s[from + 1]!;
        }
      }
    }
  }
  return out;
}

/**
 * Eigenvalues (ascending) of an m x m Hermitian matrix given interleaved: the
 * real symmetric 2m x 2m matrix [[A, -B], [B, A]] (H = A + iB) has each
 * eigenvalue of H twice, and cyclic Jacobi rotations diagonalize it.
 */
export function hermitianEigenvalues(h: Float64Array, m: number): Float64Array {
  const n = 2 * m;
  const a = new Float64Array(n * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const re = (h[2 * (i * m + j)]! + h[2 * (j * m + i)]!) / 2;
      const im = (h[2 * (i * m + j) + 1]! - h[2 * (j * m + i) + 1]!) / 2;
      a[i * n + j] = re;
      a[(i + m) * n + j + m] = re;
      a[(i + m) * n + j] = im;
      a[i * n + j + m] = -im;
    }
  }
  const eig = symmetricEigenvalues(a, n);
  return Float64Array.from({ length: m }, (_, k) => eig[2 * k]!);
}

/** Eigenvalues (ascending) of a real symmetric n x n matrix (row-major; overwritten) by cyclic Jacobi. */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j]! ** 2;
    }
    if (off <= 1e-30 * (diag + off) || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!, akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!, aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i * n + i]!).sort();
}

/** The smallest eigenvalue of the Choi matrix: >= 0 (up to rounding) for a completely positive map. */
export function minChoiEigenvalue(ch: Channel): number {
  const D = 1 << (2 * ch.nQubits);
  return hermitianEigenvalues(choiMatrix(ch), D)[0]!;
}
