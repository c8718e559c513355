import { fail } from '../../util/errors.js';
import { MAX_WIDTH, readElements } from './bits.js';
import type { KeySource } from './keys.js';

/**
 * Pairwise one-time-pad masks (QuNetQFL, Zhang et al. 2025, Eq. 2-4;
 * Bonawitz et al. 2017, Sec. 3). Client i sends
 *
 *   y_i = x_i + sum_{j > i} k_ij - sum_{j < i} k_ji   (mod M)
 *
 * where k_ij is a fresh slice of the pair's key read as `length` elements of
 * log2 M bits, so each k_ij is uniform on [0, M)^length. Every k_ij appears
 * once with + (in y_i) and once with - (in y_j), so sum_i y_i = sum_i x_i
 * (mod M): the server learns the sum and, from any set of fewer than all
 * clients' messages, nothing (each y_i is uniform).
 *
 * The modulus M must be a power of two, 2^1 .. 2^52, so that log2 M key bits
 * give a uniform element and the sum of two residues is an exact float64.
 * Vectors are exact integers in [0, M) held in `Float64Array`s.
 */

/** log2 M for a modulus M = 2^b, 1 <= b <= 52; throws for anything else. */
export function modulusBits(modulus: number, field = 'modulus'): number {
  const b = Math.log2(modulus);
  if (!(Number.isInteger(b) && b >= 1 && b <= MAX_WIDTH)) {
    fail(field, `must be a power of two from 2 to 2^${MAX_WIDTH}, got ${modulus}`);
  }
  return b;
}

/** Throws unless every entry of `v` is an integer in [0, M). */
export function checkResidues(v: ArrayLike<number>, modulus: number, field: string): void {
  for (let k = 0; k < v.length; k++) {
    const x = v[k]!;
    if (!(Number.isInteger(x) && x >= 0 && x < modulus)) fail(`${field}[${k}]`, `must be an integer in [0, ${modulus}), got ${x}`);
  }
}

/** Key bits one pairwise mask of `length` elements takes: length * log2 M. */
export function maskBits(length: number, modulus: number): number {
  return length * modulusBits(modulus);
}

/**
 * acc <- acc + sign * v (mod M), in place, with v the `acc.length` elements of
 * log2 M bits read from `key`. `scratch` (at least acc.length long) avoids an
 * allocation.
 */
export function addMaskInPlace(
  acc: Float64Array,
  key: Uint8Array,
  modulus: number,
  sign: 1 | -1,
  scratch?: Float64Array,
): Float64Array {
  const v = readElements(key, acc.length, modulusBits(modulus), scratch);
  if (sign === 1) {
    for (let k = 0; k < acc.length; k++) {
      const s = acc[k]! + v[k]!;
      acc[k] = s >= modulus ? s - modulus : s;
    }
  } else {
    for (let k = 0; k < acc.length; k++) {
      const s = acc[k]! - v[k]!;
      acc[k] = s < 0 ? s + modulus : s;
    }
  }
  return acc;
}

/** +1 when client `self` adds the pair's mask (self < peer), -1 when it subtracts it. */
export const pairSign = (self: number, peer: number): 1 | -1 => (self < peer ? 1 : -1);

/**
 * Client `self`'s masked update: x + sum_{peer > self} k - sum_{peer < self} k
 * (mod M). `pairKey(peer)` gives the round's slice of the pair's key (at least
 * length * log2 M bits); the same slice must reach both ends of the pair.
 */
export function maskUpdate(
  update: ArrayLike<number>,
  self: number,
  peers: readonly number[],
  pairKey: (peer: number) => Uint8Array,
  modulus: number,
): Float64Array {
  modulusBits(modulus);
  checkResidues(update, modulus, 'update');
  const out = Float64Array.from(update);
  const scratch = new Float64Array(out.length);
  for (const peer of peers) {
    if (peer === self) continue;
    addMaskInPlace(out, pairKey(peer), modulus, pairSign(self, peer), scratch);
  }
  return out;
}

/**
 * The plain pairwise scheme of QuNetQFL for clients that all stay: masks
 * every update, taking each pair's slice once from `keys` (smaller id first,
 * then larger) and applying it with + at the smaller id and - at the larger.
 * Memory O(n * length): the pair's slice is not kept.
 */
export function maskAll(updates: ReadonlyMap<number, ArrayLike<number>>, keys: KeySource, modulus: number): Map<number, Float64Array> {
  const ids = [...updates.keys()].sort((a, b) => a - b);
  const length = updates.get(ids[0]!)?.length ?? 0;
  const out = new Map<number, Float64Array>();
  for (const id of ids) {
    const u = updates.get(id)!;
    if (u.length !== length) fail(`updates[${id}]`, `has ${u.length} entries, client ${ids[0]} has ${length}`);
    checkResidues(u, modulus, `updates[${id}]`);
    out.set(id, Float64Array.from(u));
  }
  const bits = maskBits(length, modulus);
  const scratch = new Float64Array(length);
  for (let a = 0; a < ids.length; a++) {
    for (let b = a + 1; b < ids.length; b++) {
      const key = keys.take(ids[a]!, ids[b]!, bits);
      addMaskInPlace(out.get(ids[a]!)!, key, modulus, 1, scratch);
      addMaskInPlace(out.get(ids[b]!)!, key, modulus, -1, scratch);
    }
  }
  return out;
}

/** sum of `vectors` (mod M), each of `length` residues. */
export function sumMod(vectors: Iterable<ArrayLike<number>>, modulus: number, length: number): Float64Array {
  modulusBits(modulus);
  const acc = new Float64Array(length);
  for (const v of vectors) {
    if (v.length !== length) fail('sumMod', `a vector has ${v.length} entries, expected ${length}`);
    for (let k = 0; k < length; k++) {
      const s = acc[k]! + v[k]!;
      acc[k] = s >= modulus ? s - modulus : s;
    }
  }
  return acc;
}

/** a - b (mod M), a new vector. */
export function subMod(a: ArrayLike<number>, b: ArrayLike<number>, modulus: number): Float64Array {
  if (a.length !== b.length) fail('subMod', `lengths differ: ${a.length} and ${b.length}`);
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) {
    const s = a[k]! - b[k]!;
    out[k] = s < 0 ? s + modulus : s;
  }
  return out;
}
