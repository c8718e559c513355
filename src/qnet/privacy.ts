/**
 * Privacy amplification by Toeplitz hashing.
 *
 * A random m x n binary Toeplitz matrix T (constant along diagonals, so fixed
 * by n + m - 1 public random bits s: T[i][j] = s[i - j + n - 1]) is a
 * 2-universal hash family (Carter & Wegman; Krawczyk, CRYPTO '94). By the
 * leftover hash lemma the output y = T x (mod 2) is epsilon-close to uniform
 * and independent of Eve when m is below her uncertainty about x by
 * 2 log2(1/epsilon).
 *
 * Output length, the standard asymptotic formula for BB84 with single photons
 * (Shor & Preskill, PRL 85, 441 (2000); with a real error-correction code the
 * measured leak replaces n h(e)):
 *
 *     m = floor( n (1 - h(e)) - leak_EC - margin )
 *
 * n: reconciled bits, e: estimated QBER (bit and phase errors are symmetric
 * in BB84), leak_EC: parities disclosed by error correction, margin: the
 * leftover-hash-lemma cost 2 log2(1 / epsilon_PA).
 *
 * @example
 * const m = secretKeyLength({ reconciledBits: 10_000, qber: 0.03, leakedBits: 2_400 });
 * const key = toeplitzHash(bits, m, toeplitzSeed(bits.length, m, rng));
 */
import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { h2 } from './math.js';

/** Default privacy-amplification failure probability and its margin 2 log2(1/eps) in bits. */
export const DEFAULT_PA_EPSILON = 1e-10;
export const DEFAULT_SECURITY_MARGIN_BITS = Math.ceil(2 * Math.log2(1 / DEFAULT_PA_EPSILON));

export interface KeyLengthInput {
  /** Length n of the error-corrected key. */
  readonly reconciledBits: number;
  /** Estimated QBER e. */
  readonly qber: number;
  /** Bits disclosed by error correction. */
  readonly leakedBits: number;
  /** Finite-size / hashing margin in bits (default 2 log2(1/1e-10) = 67). */
  readonly securityMarginBits?: number;
}

/** m = floor(n (1 - h(e)) - leak_EC - margin), at least 0. */
export function secretKeyLength(input: KeyLengthInput): number {
  const margin = input.securityMarginBits ?? DEFAULT_SECURITY_MARGIN_BITS;
  if (!(input.reconciledBits >= 0)) fail('reconciledBits', `must be >= 0, got ${input.reconciledBits}`);
  if (!(input.qber >= 0 && input.qber <= 1)) fail('qber', `must be in [0, 1], got ${input.qber}`);
  if (!(input.leakedBits >= 0)) fail('leakedBits', `must be >= 0, got ${input.leakedBits}`);
  if (!(margin >= 0)) fail('securityMarginBits', `must be >= 0, got ${margin}`);
  return Math.max(0, Math.floor(input.reconciledBits * (1 - h2(input.qber)) - input.leakedBits - margin));
}

/** The n + m - 1 public random bits (0/1 per element) that fix an m x n Toeplitz matrix. */
export function toeplitzSeed(inputBits: number, outputBits: number, rng: Rng): Uint8Array {
  const len = Math.max(0, inputBits + outputBits - 1);
  const s = new Uint8Array(len);
  for (let i = 0; i < len; i += 32) {
    const w = rng.nextUint32();
    for (let t = 0; t < 32 && i + t < len; t++) s[i + t] = (w >>> t) & 1;
  }
  return s;
}

function parity32(v: number): number {
  v ^= v >>> 16;
  v ^= v >>> 8;
  v ^= v >>> 4;
  return (0x6996 >>> (v & 0xf)) & 1;
}

/**
 * y = T x over GF(2) for the Toeplitz matrix T[i][j] = seed[i - j + n - 1]:
 * `key` has n bits and `seed` n + m - 1 bits (0/1 per element); returns m bits.
 *
 * Row i of T, read right to left, is the window seed[i .. i + n), so
 * y_i = XOR_k seed[i + k] x[n - 1 - k]: a binary correlation done 32 bits at a
 * time against 32 pre-shifted copies of the packed seed (O(m n / 32) words).
 */
export function toeplitzHash(key: Uint8Array, outputBits: number, seed: Uint8Array): Uint8Array {
  const n = key.length;
  const m = outputBits;
  if (!Number.isInteger(m) || m < 0) fail('outputBits', `must be a non-negative integer, got ${m}`);
  if (m > n) fail('outputBits', `${m} exceeds the ${n} input bits: hashing cannot create entropy`);
  const out = new Uint8Array(m);
  if (m === 0) return out;
  if (seed.length !== n + m - 1) fail('seed', `must hold n + m - 1 = ${n + m - 1} bits, got ${seed.length}`);
  const words = (n + 31) >>> 5;
  // x reversed, packed LSB-first: bit t of xr[w] is x[n - 1 - (32 w + t)].
  const xr = new Uint32Array(words);
  for (let k = 0; k < n; k++) if (key[n - 1 - k]! & 1) xr[k >>> 5]! |= 1 << (k & 31);
  // Seed packed LSB-first with zero padding, then 32 copies shifted by r bits.
  const seedWords = ((m + 32 * words + 31) >>> 5) + 1;
  const packed = new Uint32Array(seedWords + 1);
  for (let k = 0; k < seed.length; k++) if (seed[k]! & 1) packed[k >>> 5]! |= 1 << (k & 31);
  const shifted: Uint32Array[] = [];
  for (let r = 0; r < 32; r++) {
    const s = new Uint32Array(seedWords);
    for (let w = 0; w < seedWords; w++) s[w] = r === 0 ? packed[w]! : ((packed[w]! >>> r) | (packed[w + 1]! << (32 - r))) >>> 0;
    shifted.push(s);
  }
  for (let i = 0; i < m; i++) {
    const s = shifted[i & 31]!;
    const base = i >>> 5;
    let acc = 0;
    for (let w = 0; w < words; w++) acc ^= s[base + w]! & xr[w]!;
    out[i] = parity32(acc);
  }
  return out;
}
