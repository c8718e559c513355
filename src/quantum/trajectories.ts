import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { krausSum, type Channel } from './channels.js';
import { applyFixed } from './kernels.js';
import { expval, probs, type PauliWord } from './measure.js';
import {
  applyReadoutToProbs,
  eigenbasisRotation,
  localOffsets,
  measuredDiagonal,
  noisyProgram,
  type NoiseModel,
  type NoisyStep,
} from './noise.js';
import { allocState, applyTapeOp, checkArgs, cloneState, prepare, TrigScratch, type RunArgs, type StateBatch } from './statevector.js';

/**
 * Quantum trajectories (Monte-Carlo wavefunction): each trajectory is a
 * statevector; after every noisy gate one Kraus branch k is drawn with
 * probability p_k = ||K_k psi||^2 and psi <- K_k psi / sqrt(p_k). Averaging
 * any linear function of |psi><psi| over trajectories is an unbiased
 * estimate of the density-matrix result, with a standard error that shrinks
 * as 1/sqrt(trajectories), and memory is 2^n amplitudes per trajectory
 * instead of 4^n: this runs the same noise model on registers too large for
 * the density matrix (20+ qubits).
 *
 * Every trajectory draws from its own generator forked from `rng` in order
 * (sample-major), so the numbers do not depend on `chunk`.
 */
export interface TrajectoryOptions {
  readonly noise: NoiseModel;
  readonly trajectories: number;
  readonly rng: Rng;
  /** How many trajectories run as one batch (memory); by default about 64 MiB of amplitudes. */
  readonly chunk?: number;
  /** Called after each chunk with the trajectories done so far (over all samples) and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Mean over trajectories and its standard error (NaN with a single trajectory), per sample. */
export interface TrajectoryResult {
  readonly mean: Float64Array;
  readonly stderr: Float64Array;
  readonly trajectories: number;
}

/**
 * A channel whose Kraus operators are all K_k = sqrt(q_k) U_k (U_k unitary:
 * Pauli channels, depolarizing, bit and phase flips) is a mixture of
 * unitaries: its branch probabilities q_k do not depend on the state, so a
 * trajectory draws k without reading the state and does nothing on an
 * identity branch.
 */
interface KrausInfo {
  /** q_k for a unitary mixture, else undefined. */
  readonly mixture: Float64Array | undefined;
  /** Whether K_k is a multiple of the identity. */
  readonly identity: readonly boolean[];
}

const infoCache = new WeakMap<Channel, KrausInfo>();

function krausInfo(ch: Channel): KrausInfo {
  const hit = infoCache.get(ch);
  if (hit) return hit;
  const d = 1 << ch.nQubits;
  const tol = 1e-14;
  const q = new Float64Array(ch.kraus.length);
  let mixture = true;
  const identity = ch.kraus.map((K, k) => {
    const kk = krausSum([K], d);
    q[k] = kk[0]!;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const want = i === j ? q[k]! : 0;
        if (Math.abs(kk[2 * (i * d + j)]! - want) > tol || Math.abs(kk[2 * (i * d + j) + 1]!) > tol) mixture = false;
      }
    }
    const c = K[0]!;
    return K.every((v, x) => {
      const i = x >> 1;
      const diag = Math.floor(i / d) === i % d;
      return x % 2 === 1 ? Math.abs(v) <= tol : Math.abs(v - (diag ? c : 0)) <= tol;
    });
  });
  const info = { mixture: mixture ? q : undefined, identity };
  infoCache.set(ch, info);
  return info;
}

/**
 * Draws a Kraus branch of `ch` on the state at [at, at + 2^n) (the wires'
 * masks in `bits`) with the uniform number `u`, applies it renormalized,
 * and returns its index. Branches are tried in order, so the usual no-error
 * branch (listed first) usually costs one norm; unitary mixtures cost none.
 */
export function sampleKraus(
  re: Float64Array,
  im: Float64Array,
  at: number,
  nQubits: number,
  ch: Channel,
  bits: readonly number[],
  u: number,
): number {
  const off = localOffsets(bits);
  const d = off.length;
  const mask = bits.reduce((m, b) => m | b, 0);
  const dim = 1 << nQubits;
  const ar = new Float64Array(d);
  const ai = new Float64Array(d);
  const norm2 = (K: Float64Array): number => {
    let acc = 0;
    for (let i = 0; i < dim; i++) {
      if ((i & mask) !== 0) continue;
      for (let a = 0; a < d; a++) {
        let xr = 0;
        let xi = 0;
        for (let c = 0; c < d; c++) {
          const kr = K[2 * (a * d + c)]!, ki = K[2 * (a * d + c) + 1]!;
          const vr = re[at + i + off[c]!]!, vi = im[at + i + off[c]!]!;
          xr += kr * vr - ki * vi;
          xi += kr * vi + ki * vr;
        }
        acc += xr * xr + xi * xi;
      }
    }
    return acc;
  };
  const info = krausInfo(ch);
  let chosen = -1;
  let pChosen = 0;
  let acc = 0;
  for (let k = 0; k < ch.kraus.length; k++) {
    const p = info.mixture ? info.mixture[k]! : norm2(ch.kraus[k]!);
    if (p > 0) {
      chosen = k;
      pChosen = p;
    }
    acc += p;
    if (u < acc && p > 0) break;
  }
  if (chosen < 0) fail('trajectory', `every Kraus branch of ${ch.name} has probability 0 on this state`);
  if (info.identity[chosen]) {
    // A multiple of the identity: renormalized, it leaves the state as it is.
    return chosen;
  }
  const K = ch.kraus[chosen]!;
  const scale = 1 / Math.sqrt(pChosen);
  for (let i = 0; i < dim; i++) {
    if ((i & mask) !== 0) continue;
    for (let a = 0; a < d; a++) {
      let xr = 0;
      let xi = 0;
      for (let c = 0; c < d; c++) {
        const kr = K[2 * (a * d + c)]!, ki = K[2 * (a * d + c) + 1]!;
        const vr = re[at + i + off[c]!]!, vi = im[at + i + off[c]!]!;
        xr += kr * vr - ki * vi;
        xi += kr * vi + ki * vr;
      }
      ar[a] = xr * scale;
      ai[a] = xi * scale;
    }
    for (let a = 0; a < d; a++) {
      re[at + i + off[a]!] = ar[a]!;
      im[at + i + off[a]!] = ai[a]!;
    }
  }
  return chosen;
}

/**
 * Runs batch x trajectories noisy statevectors in chunks and hands each
 * chunk's final states to `measure`, which returns `width` values per state;
 * returns mean and standard error per sample.
 */
function runTrajectories(
  args: RunArgs,
  options: TrajectoryOptions,
  width: number,
  measure: (state: StateBatch) => Float64Array,
): TrajectoryResult {
  checkArgs(args);
  const T = options.trajectories;
  if (!Number.isInteger(T) || T < 1) fail('trajectories', `must be a positive integer, got ${T}`);
  const { circuit, batch } = args;
  const n = circuit.nQubits;
  const units = batch * T;
  const chunk = options.chunk ?? Math.max(1, Math.floor(2 ** 22 / 2 ** n));
  if (!Number.isInteger(chunk) || chunk < 1) fail('chunk', `must be a positive integer, got ${chunk}`);
  const steps: NoisyStep[] = noisyProgram(circuit, options.noise);
  const nIn = circuit.nInputs;
  const dim = 1 << n;
  const sum = new Float64Array(batch * width);
  const sumSq = new Float64Array(batch * width);
  for (let start = 0; start < units; start += chunk) {
    const c = Math.min(chunk, units - start);
    const inputs = new Float64Array(c * nIn);
    for (let s = 0; s < c; s++) {
      const b = Math.floor((start + s) / T);
      inputs.set(args.inputs.subarray(b * nIn, (b + 1) * nIn), s * nIn);
    }
    const rep: RunArgs = { circuit, weights: args.weights, inputs, batch: c };
    const rngs = Array.from({ length: c }, () => options.rng.fork());
    const state = allocState(n, c);
    prepare(rep, state);
    const trig = new TrigScratch(c);
    for (const step of steps) {
      if (step.kind === 'gate') applyTapeOp(state, step.op, rep, trig, false);
      else for (let s = 0; s < c; s++) sampleKraus(state.re, state.im, s * dim, n, step.channel, step.bits, rngs[s]!.uniform());
    }
    const values = measure(state);
    options.onProgress?.(start + c, units);
    for (let s = 0; s < c; s++) {
      const b = Math.floor((start + s) / T);
      for (let k = 0; k < width; k++) {
        const v = values[s * width + k]!;
        sum[b * width + k] += v;
        sumSq[b * width + k] += v * v;
      }
    }
  }
  const mean = sum.map((v) => v / T);
  const stderr = mean.map((m, i) => (T < 2 ? Number.NaN : Math.sqrt(Math.max(0, (sumSq[i]! - T * m * m) / (T - 1)) / T)));
  return { mean, stderr, trajectories: T };
}

/**
 * Expectation values of Pauli words (batch x K means and standard errors)
 * under the noise model, readout errors included, by trajectories.
 */
export function trajectoryExpval(args: RunArgs, observables: readonly PauliWord[], options: TrajectoryOptions): TrajectoryResult {
  const n = args.circuit.nQubits;
  const maps = options.noise.readoutMaps(n);
  const K = observables.length;
  if (maps.length === 0) return runTrajectories(args, options, K, (state) => expval(state, observables));
  const diagonals = observables.map((w) => measuredDiagonal(w, n, maps));
  const rotations = observables.map((w) => eigenbasisRotation(w, n));
  const dim = 1 << n;
  return runTrajectories(args, options, K, (state) => {
    const out = new Float64Array(state.batch * K);
    observables.forEach((_, k) => {
      const r = cloneState(state);
      for (const { bit, matrix } of rotations[k]!) applyFixed(r.re, r.im, bit, 0, matrix);
      const d = diagonals[k]!;
      for (let s = 0; s < state.batch; s++) {
        let acc = 0;
        for (let i = 0; i < dim; i++) acc += d[i]! * (r.re[s * dim + i]! ** 2 + r.im[s * dim + i]! ** 2);
        out[s * K + k] = acc;
      }
    });
    return out;
  });
}

/**
 * Probabilities of the basis states of `wires` (all by default), reported
 * through the model's readout errors, by trajectories: batch x 2^k.
 */
export function trajectoryProbs(args: RunArgs, options: TrajectoryOptions & { readonly wires?: readonly number[] }): TrajectoryResult {
  const n = args.circuit.nQubits;
  const maps = options.noise.readoutMaps(n);
  const ws = options.wires ?? Array.from({ length: n }, (_, i) => i);
  for (const w of ws) if (!Number.isInteger(w) || w < 0 || w >= n) fail('wires', `wire ${w} is not in [0, ${n - 1}]`);
  if (new Set(ws).size !== ws.length) fail('wires', 'must be distinct');
  const k = ws.length;
  return runTrajectories(args, options, 1 << k, (state) => {
    const full = probs(state);
    if (maps.length === 0) return options.wires ? probs(state, ws) : full;
    applyReadoutToProbs(full, maps);
    const dim = 1 << n;
    const out = new Float64Array(state.batch << k);
    for (let s = 0; s < state.batch; s++) {
      for (let i = 0; i < dim; i++) {
        let idx = 0;
        for (let q = 0; q < k; q++) idx = (idx << 1) | ((i >> (n - 1 - ws[q]!)) & 1);
        out[(s << k) + idx] += full[s * dim + i]!;
      }
    }
    return out;
  });
}
