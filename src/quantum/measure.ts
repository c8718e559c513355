import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { MATRICES } from './gates.js';
import { applyFixed, parity } from './kernels.js';
import { cloneState, type StateBatch } from './statevector.js';
import { wireBit } from './tape.js';

export type Pauli = 'X' | 'Y' | 'Z';

/** A product of Paulis on distinct wires, e.g. `X0 Z2 Y3`; no terms is the identity. */
export interface PauliWord {
  readonly terms: readonly { readonly wire: number; readonly pauli: Pauli }[];
}

/** Parses `X0 Z2 Y3` (also `X0Z2`, `Z(1)`, `I`); wires must be distinct. */
export function parsePauliWord(text: string, nQubits?: number): PauliWord {
  const src = text.trim();
  const field = `observable '${text}'`;
  if (src === '' ) fail(field, 'is empty; write a Pauli word such as "Z0" or "X0 Z2 Y3"');
  if (/^I$/i.test(src)) return { terms: [] };
  const terms: { wire: number; pauli: Pauli }[] = [];
  const seen = new Set<number>();
  const re = /\s*([XYZI])\s*\(?\s*(\d+)\s*\)?\s*/giy;
  let pos = 0;
  while (pos < src.length) {
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) fail(field, `cannot read '${src.slice(pos)}'; expected terms like X0, Y1, Z2`);
    pos = re.lastIndex;
    const pauli = m[1]!.toUpperCase() as Pauli | 'I';
    const wire = Number(m[2]);
    if (nQubits !== undefined && wire >= nQubits) fail(field, `wire ${wire} is not in [0, ${nQubits - 1}]`);
    if (seen.has(wire)) fail(field, `wire ${wire} appears twice`);
    seen.add(wire);
    if (pauli !== 'I') terms.push({ wire, pauli });
  }
  return { terms };
}

/** Parses a comma-separated list of Pauli words: `Z0,X1 Z2`. */
export function parseObservables(text: string, nQubits?: number): PauliWord[] {
  return text.split(',').map((w) => parsePauliWord(w, nQubits));
}

export function formatPauliWord(w: PauliWord): string {
  return w.terms.length === 0 ? 'I' : w.terms.map((t) => `${t.pauli}${t.wire}`).join(' ');
}

/** Z on one wire. */
export const Z = (wire: number): PauliWord => ({ terms: [{ wire, pauli: 'Z' }] });

/**
 * Bit masks of a word: P|j> = i^nY (-1)^popcount(j & z) |j ^ x>, since Y = iXZ.
 */
export interface PauliMasks {
  readonly x: number;
  readonly z: number;
  readonly nY: number;
}

export function pauliMasks(word: PauliWord, nQubits: number): PauliMasks {
  let x = 0;
  let z = 0;
  let nY = 0;
  for (const { wire, pauli } of word.terms) {
    if (wire >= nQubits) fail('observable', `wire ${wire} is not in [0, ${nQubits - 1}]`);
    const bit = wireBit(nQubits, wire);
    if (pauli !== 'Z') x |= bit;
    if (pauli !== 'X') z |= bit;
    if (pauli === 'Y') nY++;
  }
  return { x, z, nY };
}

/** i^k as [re, im]. */
const I_POW: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [-1, 0],
  [0, -1],
];

/**
 * out[b * K + k] = <psi_b| P_k |psi_b> for every sample b and word k.
 */
export function expval(state: StateBatch, words: readonly PauliWord[]): Float64Array {
  const { nQubits: n, batch, re, im } = state;
  const dim = 1 << n;
  const K = words.length;
  const out = new Float64Array(batch * K);
  words.forEach((word, k) => {
    const { x, z, nY } = pauliMasks(word, n);
    const [pr, pi] = I_POW[nY & 3]!;
    for (let b = 0; b < batch; b++) {
      const at = b * dim;
      let acc = 0;
      if (x === 0 && (z & (z - 1)) === 0 && z !== 0) {
        // A single Z: sum over pairs of |a0|^2 - |a1|^2, no parity needed.
        for (let base = at; base < at + dim; base += z << 1) {
          for (let i = base; i < base + z; i++) {
            acc += re[i]! * re[i]! + im[i]! * im[i]! - re[i + z]! * re[i + z]! - im[i + z]! * im[i + z]!;
          }
        }
      } else if (x === 0) {
        for (let i = 0; i < dim; i++) {
          const p = re[at + i]! ** 2 + im[at + i]! ** 2;
          acc += parity(i & z) ? -p : p;
        }
      } else {
        // sum_j conj(psi_{j^x}) i^nY (-1)^{pc(j&z)} psi_j; the imaginary part cancels.
        for (let j = 0; j < dim; j++) {
          const a = at + (j ^ x);
          const c = at + j;
          const sr = re[a]! * re[c]! + im[a]! * im[c]!;
          const si = re[a]! * im[c]! - im[a]! * re[c]!;
          const v = pr * sr - pi * si;
          acc += parity(j & z) ? -v : v;
        }
      }
      out[b * K + k] = acc;
    }
  });
  return out;
}

/**
 * lam = sum_k coef[b, k] P_k psi_b, the adjoint method's starting vector, into
 * zeroed outRe/outIm. Words of Z only are diagonal: their signed coefficients
 * are summed per basis index into one table first (dim entries, in cache),
 * then lam = table * psi in one pass, instead of one pass over lam per word.
 * Other words go through `accumulatePauli`.
 */
export function adjointStart(
  state: StateBatch,
  words: readonly PauliWord[],
  coef: Float64Array,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  const { nQubits: n, batch, re, im } = state;
  const dim = 1 << n;
  const K = words.length;
  const masks = words.map((w) => pauliMasks(w, n));
  const diagonal = masks.flatMap((m, k) => (m.x === 0 && m.nY === 0 ? [k] : []));
  if (diagonal.length > 0) {
    const table = new Float64Array(dim);
    // Single-Z words only: per bit the summed coefficient, and the table by
    // doubling (entry i | bit = entry i - 2 g_bit), O(dim) instead of O(K dim).
    const singles = diagonal.every((k) => masks[k]!.z !== 0 && (masks[k]!.z & (masks[k]!.z - 1)) === 0);
    const perBit = new Float64Array(n);
    for (let b = 0; b < batch; b++) {
      if (singles) {
        perBit.fill(0);
        for (const k of diagonal) perBit[31 - Math.clz32(masks[k]!.z)] += coef[b * K + k]!;
        let all = 0;
        for (let q = 0; q < n; q++) all += perBit[q]!;
        table[0] = all;
        for (let q = 0; q < n; q++) {
          const bit = 1 << q;
          const d = 2 * perBit[q]!;
          for (let i = 0; i < bit; i++) table[i + bit] = table[i]! - d;
        }
      } else {
        table.fill(0);
        for (const k of diagonal) {
          const g = coef[b * K + k]!;
          const z = masks[k]!.z;
          for (let i = 0; i < dim; i++) table[i] += parity(i & z) ? -g : g;
        }
      }
      const at = b * dim;
      for (let i = 0; i < dim; i++) {
        outRe[at + i] = table[i]! * re[at + i]!;
        outIm[at + i] = table[i]! * im[at + i]!;
      }
    }
  }
  words.forEach((word, k) => {
    if (!diagonal.includes(k)) accumulatePauli(state, word, coef, K, k, outRe, outIm);
  });
}

/**
 * out += coef_b * P psi for every sample (adjoint method's starting vector);
 * coef is read at coef[b * stride + offset].
 */
export function accumulatePauli(
  state: StateBatch,
  word: PauliWord,
  coef: Float64Array,
  stride: number,
  offset: number,
  outRe: Float64Array,
  outIm: Float64Array,
): void {
  const { nQubits: n, batch, re, im } = state;
  const dim = 1 << n;
  const { x, z, nY } = pauliMasks(word, n);
  const [pr, pi] = I_POW[nY & 3]!;
  for (let b = 0; b < batch; b++) {
    const g = coef[b * stride + offset]!;
    if (g === 0) continue;
    const at = b * dim;
    if (x === 0 && nY === 0 && z !== 0 && (z & (z - 1)) === 0) {
      // A single Z: +g on the bit-clear half, -g on the bit-set half.
      for (let base = at; base < at + dim; base += z << 1) {
        for (let i = base; i < base + z; i++) {
          outRe[i] += g * re[i]!;
          outIm[i] += g * im[i]!;
          outRe[i + z] -= g * re[i + z]!;
          outIm[i + z] -= g * im[i + z]!;
        }
      }
      continue;
    }
    for (let j = 0; j < dim; j++) {
      // (P psi)_{j^x} = i^nY (-1)^{pc(j&z)} psi_j
      const s = parity(j & z) ? -g : g;
      const vr = re[at + j]!;
      const vi = im[at + j]!;
      const t = at + (j ^ x);
      outRe[t] += s * (pr * vr - pi * vi);
      outIm[t] += s * (pr * vi + pi * vr);
    }
  }
}

/**
 * Probabilities of the basis states of `wires` (all wires by default), in the
 * order of `wires` with the first listed wire the most significant bit.
 * Returns batch x 2^k.
 */
export function probs(state: StateBatch, wires?: readonly number[]): Float64Array {
  const { nQubits: n, batch, re, im } = state;
  const dim = 1 << n;
  const ws = wires ?? Array.from({ length: n }, (_, i) => i);
  for (const w of ws) if (!Number.isInteger(w) || w < 0 || w >= n) fail('wires', `wire ${w} is not in [0, ${n - 1}]`);
  if (new Set(ws).size !== ws.length) fail('wires', 'must be distinct');
  const k = ws.length;
  const out = new Float64Array(batch << k);
  const all = k === n && ws.every((w, i) => w === i);
  for (let b = 0; b < batch; b++) {
    const at = b * dim;
    const o = b << k;
    for (let i = 0; i < dim; i++) {
      const p = re[at + i]! ** 2 + im[at + i]! ** 2;
      let idx = i;
      if (!all) {
        idx = 0;
        for (let q = 0; q < k; q++) idx = (idx << 1) | ((i >> (n - 1 - ws[q]!)) & 1);
      }
      out[o + idx] += p;
    }
  }
  return out;
}

/**
 * Draws `shots` outcomes for each sample from a probability table
 * (batch x size) with a seeded generator; returns per-sample counts by index.
 */
export function sampleFromProbs(p: Float64Array, size: number, shots: number, rng: Rng): Map<number, number>[] {
  if (!Number.isInteger(shots) || shots < 1) fail('shots', `must be a positive integer, got ${shots}`);
  const batch = p.length / size;
  const cdf = new Float64Array(size);
  const result: Map<number, number>[] = [];
  for (let b = 0; b < batch; b++) {
    let acc = 0;
    for (let i = 0; i < size; i++) {
      acc += p[b * size + i]!;
      cdf[i] = acc;
    }
    const counts = new Map<number, number>();
    for (let s = 0; s < shots; s++) {
      const u = rng.uniform() * acc;
      let lo = 0;
      let hi = size - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      counts.set(lo, (counts.get(lo) ?? 0) + 1);
    }
    result.push(counts);
  }
  return result;
}

/** Shot counts of the basis states of `wires` (all by default) for each sample. */
export function sample(state: StateBatch, shots: number, rng: Rng, wires?: readonly number[]): Map<number, number>[] {
  const k = wires ? wires.length : state.nQubits;
  return sampleFromProbs(probs(state, wires), 1 << k, shots, rng);
}

/**
 * Expectation values estimated from `shots` measurements per word and sample:
 * the state is rotated into the word's eigenbasis (H for X, S^dagger then H
 * for Y), measured, and each outcome scores the parity of the word's wires.
 */
export function expvalShots(state: StateBatch, words: readonly PauliWord[], shots: number, rng: Rng): Float64Array {
  const { nQubits: n, batch } = state;
  const K = words.length;
  const out = new Float64Array(batch * K);
  words.forEach((word, k) => {
    const rotated = cloneState(state);
    for (const { wire, pauli } of word.terms) {
      const bit = wireBit(n, wire);
      if (pauli === 'Y') applyFixed(rotated.re, rotated.im, bit, 0, MATRICES.Sdg);
      if (pauli !== 'Z') applyFixed(rotated.re, rotated.im, bit, 0, MATRICES.H);
    }
    const mask = pauliMasks({ terms: word.terms.map((t) => ({ wire: t.wire, pauli: 'Z' as const })) }, n).z;
    const counts = sample(rotated, shots, rng);
    counts.forEach((c, b) => {
      let acc = 0;
      for (const [idx, count] of c) acc += parity(idx & mask) ? -count : count;
      out[b * K + k] = acc / shots;
    });
  });
  return out;
}

/** Formats a basis index as a bitstring of k bits, first wire leftmost. */
export const bitstring = (index: number, k: number): string => index.toString(2).padStart(k, '0');
