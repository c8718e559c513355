import { fail } from '../util/errors.js';
import { allocDensity, conjugateFixed, daggerOf, DensityScratch, type DensityBatch } from './density.js';
import { parity } from './kernels.js';
import { pauliMasks, type PauliWord } from './measure.js';
import {
  applyReadoutToProbs,
  eigenbasisRotation,
  measuredDiagonal,
  type NoiseModel,
  type ReadoutMap,
} from './noise.js';

/**
 * Measurements on density matrices: Pauli-word expectation values Tr(P rho),
 * probabilities (the diagonal), trace and purity; with a noise model's
 * readout errors, the values a device would report.
 */

/** i^k as [re, im]. */
const I_POW: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

/** Tr(P rho_b) = sum_m i^nY (-1)^{popcount(m & z)} rho_b[m][m ^ x] for one sample. */
function pauliTrace(rho: DensityBatch, b: number, x: number, z: number, nY: number): number {
  const dim = 1 << rho.nQubits;
  const [pr, pi] = I_POW[nY & 3]!;
  const base = b * dim * dim;
  let acc = 0;
  for (let m = 0; m < dim; m++) {
    const at = base + m * dim + (m ^ x);
    const v = pr * rho.re[at]! - pi * rho.im[at]!;
    acc += parity(m & z) ? -v : v;
  }
  return acc;
}

/**
 * out[b * K + k] = Tr(P_k rho_b). With a noise model that has readout
 * errors, the value a device reports: the word is measured in its eigenbasis
 * and each reported bit string scores its parity (noise.ts, `measuredDiagonal`).
 */
export function expvalDensity(rho: DensityBatch, words: readonly PauliWord[], noise?: NoiseModel): Float64Array {
  const { nQubits: n, batch } = rho;
  const K = words.length;
  const out = new Float64Array(batch * K);
  const maps = noise ? noise.readoutMaps(n) : [];
  if (maps.length === 0) {
    words.forEach((word, k) => {
      const { x, z, nY } = pauliMasks(word, n);
      for (let b = 0; b < batch; b++) out[b * K + k] = pauliTrace(rho, b, x, z, nY);
    });
    return out;
  }
  const dim = 1 << n;
  const one = allocDensity(n, 1);
  const sc = new DensityScratch(1);
  words.forEach((word, k) => {
    const d = measuredDiagonal(word, n, maps);
    const rot = eigenbasisRotation(word, n);
    for (let b = 0; b < batch; b++) {
      one.re.set(rho.re.subarray(b * dim * dim, (b + 1) * dim * dim));
      one.im.set(rho.im.subarray(b * dim * dim, (b + 1) * dim * dim));
      for (const { bit, matrix } of rot) conjugateFixed(one.re, one.im, n, bit, 0, matrix, sc);
      let acc = 0;
      for (let t = 0; t < dim; t++) acc += d[t]! * one.re[t * dim + t]!;
      out[b * K + k] = acc;
    }
  });
  return out;
}

/**
 * Adds coef[b * stride + offset] * O to lam_b for every sample, where O is
 * the Pauli word, or with readout maps the operator the device measures,
 * R^dagger diag(d) R. The adjoint pass starts from this.
 */
export function accumulateObservable(
  lam: DensityBatch,
  word: PauliWord,
  coef: Float64Array,
  stride: number,
  offset: number,
  maps: readonly ReadoutMap[],
): void {
  const { nQubits: n, batch } = lam;
  const dim = 1 << n;
  if (maps.length === 0) {
    const { x, z, nY } = pauliMasks(word, n);
    const [pr, pi] = I_POW[nY & 3]!;
    for (let b = 0; b < batch; b++) {
      const g = coef[b * stride + offset]!;
      if (g === 0) continue;
      const base = b * dim * dim;
      // P[m ^ x][m] = i^nY (-1)^{popcount(m & z)}
      for (let m = 0; m < dim; m++) {
        const s = parity(m & z) ? -g : g;
        const at = base + (m ^ x) * dim + m;
        lam.re[at] += s * pr;
        lam.im[at] += s * pi;
      }
    }
    return;
  }
  const o = allocDensity(n, 1);
  const d = measuredDiagonal(word, n, maps);
  for (let t = 0; t < dim; t++) o.re[t * dim + t] = d[t]!;
  const sc = new DensityScratch(1);
  // R^dagger diag(d) R: undo the rotation's gates in reverse order.
  const rot = eigenbasisRotation(word, n);
  for (let r = rot.length - 1; r >= 0; r--) {
    const { bit, matrix } = rot[r]!;
    conjugateFixed(o.re, o.im, n, bit, 0, daggerOf(matrix, sc.m0), sc);
  }
  for (let b = 0; b < batch; b++) {
    const g = coef[b * stride + offset]!;
    if (g === 0) continue;
    const base = b * dim * dim;
    for (let i = 0; i < dim * dim; i++) {
      lam.re[base + i] += g * o.re[i]!;
      lam.im[base + i] += g * o.im[i]!;
    }
  }
}

/**
 * Probabilities of the basis states of `wires` (all by default, first listed
 * wire most significant), batch x 2^k, after the model's readout errors if a
 * noise model is given.
 */
export function probsDensity(rho: DensityBatch, wires?: readonly number[], noise?: NoiseModel): Float64Array {
  const { nQubits: n, batch } = rho;
  const dim = 1 << n;
  const ws = wires ?? Array.from({ length: n }, (_, i) => i);
  for (const w of ws) if (!Number.isInteger(w) || w < 0 || w >= n) fail('wires', `wire ${w} is not in [0, ${n - 1}]`);
  if (new Set(ws).size !== ws.length) fail('wires', 'must be distinct');
  const full = new Float64Array(batch * dim);
  for (let b = 0; b < batch; b++) for (let i = 0; i < dim; i++) full[b * dim + i] = rho.re[(b * dim + i) * dim + i]!;
  if (noise) applyReadoutToProbs(full, noise.readoutMaps(n));
  const k = ws.length;
  if (k === n && ws.every((w, i) => w === i)) return full;
  const out = new Float64Array(batch << k);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < dim; i++) {
      let idx = 0;
      for (let q = 0; q < k; q++) idx = (idx << 1) | ((i >> (n - 1 - ws[q]!)) & 1);
      out[(b << k) + idx] += full[b * dim + i]!;
    }
  }
  return out;
}

/** Tr(rho_b) for every sample (1 for a state, to rounding). */
export function traceDensity(rho: DensityBatch): Float64Array {
  const dim = 1 << rho.nQubits;
  return Float64Array.from({ length: rho.batch }, (_, b) => {
    let acc = 0;
    for (let i = 0; i < dim; i++) acc += rho.re[(b * dim + i) * dim + i]!;
    return acc;
  });
}

/** Tr(rho_b^2) for every sample: 1 for pure states, 1/2^n for the maximally mixed one. */
export function purity(rho: DensityBatch): Float64Array {
  const dim2 = 4 ** rho.nQubits;
  // Tr(rho^2) = sum_ij |rho_ij|^2 for Hermitian rho.
  return Float64Array.from({ length: rho.batch }, (_, b) => {
    let acc = 0;
    for (let i = b * dim2; i < (b + 1) * dim2; i++) acc += rho.re[i]! ** 2 + rho.im[i]! ** 2;
    return acc;
  });
}
