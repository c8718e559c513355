import { randomFillSync } from 'node:crypto';
import { fail } from '../../util/errors.js';

/**
 * Shamir secret sharing over the prime field GF(p), p = 2^26 - 5 (Shamir
 * 1979). A secret of bytes is cut into 3-byte chunks c_0 .. c_{m-1} (each
 * < 2^24 < p); for every chunk the dealer draws a random polynomial of degree
 * t - 1 with f(0) = c, and holder x gets f(x). Any t shares give the chunk
 * back by Lagrange interpolation at 0; any t - 1 say nothing about it (every
 * value of f(0) is equally likely given t - 1 points).
 *
 * Why this field: products of two elements stay below 2^52, so `a * b % p`
 * is exact in float64 and the hot loops need no BigInt; x coordinates run
 * over 1 .. p - 1, so a round may have millions of holders (the GF(2^8)
 * scheme it replaces stopped at 255). Coefficients come from the OS CSPRNG
 * (`crypto.randomFillSync`): shares are key material, never seeded.
 *
 * @example
 * const shares = shamirSplit(seed, [1, 2, 3, 4, 5], 3);   // holders x = 1..5
 * shamirCombine([shares[0]!, shares[2]!, shares[4]!], seed.length); // the seed
 */

/** The field's prime, 2^26 - 5. */
export const SHAMIR_PRIME = 67_108_859;
/** Secret bytes per field element. */
export const CHUNK_BYTES = 3;

/** One holder's share: its x coordinate and one field element per chunk of the secret. */
export interface Share {
  readonly x: number;
  readonly y: Uint32Array;
}

const P = SHAMIR_PRIME;
const INV_P = 1 / P;

/**
 * a b mod p for a, b in [0, p): the product is below 2^52, so exact; the
 * quotient estimate floor(x / p) is off by at most one (Barrett), fixed by
 * one correction, which is several times faster than the float `%`.
 */
function mul(a: number, b: number): number {
  const x = a * b;
  const r = x - Math.floor(x * INV_P) * P;
  return r < 0 ? r + P : r >= P ? r - P : r;
}

/** a^-1 mod p by the extended Euclidean algorithm; a must be in 1 .. p - 1. */
export function invMod(a: number): number {
  let [r0, r1] = [P, a % P];
  let [s0, s1] = [0, 1];
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1) fail('shamir', `${a} has no inverse mod ${P}`);
  return ((s0 % P) + P) % P;
}

/** Field elements a secret of `bytes` bytes takes. */
export const chunksFor = (bytes: number): number => Math.ceil(bytes / CHUNK_BYTES);

function checkXs(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!(Number.isInteger(x) && x >= 1 && x < P)) fail('shamir.x', `must be an integer in [1, ${P - 1}], got ${x}`);
    if (seen.has(x)) fail('shamir.x', `holder ${x} appears twice`);
    seen.add(x);
  }
}

/** Splits `secret` t-of-n among the holders `xs` (distinct, in 1 .. p - 1). */
export function shamirSplit(secret: Uint8Array, xs: readonly number[], threshold: number): Share[] {
  checkXs(xs);
  if (!(Number.isInteger(threshold) && threshold >= 1 && threshold <= xs.length)) {
    fail('shamir.threshold', `must be an integer in [1, ${xs.length}] (the holders), got ${threshold}`);
  }
  const m = chunksFor(secret.length);
  const coeffs = new Float64Array(m * threshold);
  const random = randomFieldElements(m * threshold);
  for (let c = 0; c < m; c++) {
    const o = c * CHUNK_BYTES;
    coeffs[c * threshold] = (secret[o] ?? 0) | ((secret[o + 1] ?? 0) << 8) | ((secret[o + 2] ?? 0) << 16);
    for (let d = 1; d < threshold; d++) coeffs[c * threshold + d] = random[c * threshold + d]!;
  }
  // Evaluate through the powers of x, each cut into 13-bit halves: a term is
  // below 2^26 * 2^13 and a sum of t < 2^14 terms stays an exact float64, so a
  // chunk costs two multiply-adds per coefficient and three reductions, not t
  // Barrett products (same values as Horner's rule).
  const split = threshold < 2 ** 13;
  const lo = new Float64Array(threshold);
  const hi = new Float64Array(threshold);
  const out = xs.map((x) => {
    const y = new Uint32Array(m);
    if (split) {
      let pw = 1;
      for (let d = 0; d < threshold; d++) {
        lo[d] = pw % 8192;
        hi[d] = Math.floor(pw / 8192);
        pw = mul(pw, x);
      }
      for (let c = 0; c < m; c++) {
        let sLo = 0;
        let sHi = 0;
        for (let d = 0, o = c * threshold; d < threshold; d++, o++) {
          const a = coeffs[o]!;
          sLo += a * lo[d]!;
          sHi += a * hi[d]!;
        }
        y[c] = ((sHi % P) * 8192 + sLo) % P;
      }
      return { x, y };
    }
    for (let c = 0; c < m; c++) {
      // Horner: f(x) = c_0 + x (c_1 + x (c_2 + ...)).
      let acc = 0;
      for (let d = threshold - 1; d >= 0; d--) {
        acc = mul(acc, x) + coeffs[c * threshold + d]!;
        if (acc >= P) acc -= P;
      }
      y[c] = acc;
    }
    return { x, y };
  });
  lo.fill(0);
  hi.fill(0);
  coeffs.fill(0);
  random.fill(0);
  return out;
}

/** `count` uniform elements of GF(p) from the CSPRNG: 26 random bits each, redrawn when >= p (5 in 2^26). */
function randomFieldElements(count: number): Uint32Array {
  const out = randomFillSync(new Uint32Array(count));
  for (let i = 0; i < count; i++) {
    let v = out[i]! & 0x3ffffff;
    while (v >= P) v = randomFillSync(new Uint32Array(1))[0]! & 0x3ffffff;
    out[i] = v;
  }
  return out;
}

/** The secret (`bytes` long) from at least t shares of it; with fewer, a wrong value (nothing tells). */
export function shamirCombine(shares: readonly Share[], bytes: number): Uint8Array {
  if (shares.length === 0) fail('shamir.shares', 'needs at least one share');
  checkXs(shares.map((s) => s.x));
  const m = chunksFor(bytes);
  for (const s of shares) if (s.y.length !== m) fail('shamir.shares', `a share has ${s.y.length} elements, a ${bytes}-byte secret has ${m}`);
  // Lagrange basis at 0: l_j = prod_{k != j} x_k / (x_k - x_j).
  const lambda = shares.map((sj, j) => {
    let num = 1;
    let den = 1;
    shares.forEach((sk, k) => {
      if (k === j) return;
      num = mul(num, sk.x);
      den = mul(den, (sk.x - sj.x + P) % P);
    });
    return mul(num, invMod(den));
  });
  const out = new Uint8Array(bytes);
  for (let c = 0; c < m; c++) {
    let v = 0;
    shares.forEach((s, j) => {
      const e = s.y[c]!;
      if (e >= P) fail('shamir.shares', `element ${e} is not in the field (p = ${P})`);
      v = (v + mul(lambda[j]!, e)) % P;
    });
    if (v >= 2 ** 24) fail('shamir.shares', 'the shares do not interpolate to a secret (inconsistent or too few)');
    const o = c * CHUNK_BYTES;
    for (let b = 0; b < CHUNK_BYTES && o + b < bytes; b++) out[o + b] = (v >>> (8 * b)) & 0xff;
  }
  return out;
}

/** A share as bytes: y as little-endian uint32 values (x is public: the holder's id). */
export function shareBytes(s: Share): Uint8Array {
  return new Uint8Array(s.y.buffer, s.y.byteOffset, s.y.byteLength).slice();
}

/** The share of holder `x` from its bytes. */
export function shareFromBytes(x: number, bytes: Uint8Array): Share {
  if (bytes.length % 4 !== 0) fail('shamir.share', `must be a whole number of 4-byte elements, got ${bytes.length} bytes`);
  const y = new Uint32Array(bytes.length / 4);
  new Uint8Array(y.buffer).set(bytes);
  return { x, y };
}
