/**
 * Cascade error correction (Brassard & Salvail, "Secret-key reconciliation by
 * public discussion", EUROCRYPT '93), the interactive parity protocol most
 * BB84 systems ran in the 2000s.
 *
 * Pass 1 cuts the key into blocks of k1 = ceil(0.73 / e) bits (e: the
 * estimated QBER; Brassard-Salvail's choice), later passes double the block
 * size and shuffle the key first with a public random permutation. Alice
 * announces each block's parity; where Bob's differs he finds one error by a
 * binary search (BINARY: one more parity per halving) and flips it. A flip
 * changes the parity of the block holding that bit in every earlier pass, so
 * those blocks now show an odd error count and are searched in turn (the
 * "cascade"). Every parity Alice announces is one bit leaked to Eve and is
 * counted in `leakedBits`; privacy amplification must take it back out.
 *
 * Alice's key is touched only through parity queries (the simulation plays
 * both sides, but counts what crosses the public channel).
 *
 * @example
 * const { corrected, leakedBits } = cascade(aliceBits, bobBits, { qber: 0.03, rng });
 */
import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';

export interface CascadeOptions {
  /** Estimated bit error rate; sets the first block size. */
  readonly qber: number;
  /** Public randomness for the permutations of passes 2, 3, ... */
  readonly rng: Rng;
  /** Number of passes (default 4, as in Brassard-Salvail). */
  readonly passes?: number;
  /** First block size; default ceil(0.73 / max(qber, 1e-4)), at most the key length. */
  readonly firstBlockSize?: number;
}

export interface CascadeResult {
  /** Bob's key after correction (a new array; the input is not changed). */
  readonly corrected: Uint8Array;
  /** Parity bits announced on the public channel. */
  readonly leakedBits: number;
  /** Bits Bob flipped. */
  readonly flips: number;
  /** Block size of each pass. */
  readonly blockSizes: readonly number[];
}

/** Parity of bits[perm[start..end)] (perm undefined: the identity). */
function parity(bits: Uint8Array, perm: Int32Array | undefined, start: number, end: number): number {
  let p = 0;
  if (perm === undefined) for (let t = start; t < end; t++) p ^= bits[t]!;
  else for (let t = start; t < end; t++) p ^= bits[perm[t]!]!;
  return p & 1;
}

/**
 * Corrects `bob` towards `alice` (0/1 bit strings of equal length) by
 * Cascade and counts the parity bits it discloses.
 */
export function cascade(alice: Uint8Array, bob: Uint8Array, options: CascadeOptions): CascadeResult {
  const n = alice.length;
  if (bob.length !== n) fail('bob', `length ${bob.length} differs from Alice's ${n}`);
  const passes = options.passes ?? 4;
  if (!Number.isInteger(passes) || passes < 1 || passes > 32) fail('passes', `must be an integer in [1, 32], got ${passes}`);
  if (!(options.qber >= 0 && options.qber <= 0.5)) fail('qber', `must be in [0, 0.5], got ${options.qber}`);
  const k1 = options.firstBlockSize ?? Math.ceil(0.73 / Math.max(options.qber, 1e-4));
  if (!Number.isInteger(k1) || k1 < 1) fail('firstBlockSize', `must be a positive integer, got ${k1}`);
  const corrected = Uint8Array.from(bob);
  if (n === 0) return { corrected, leakedBits: 0, flips: 0, blockSizes: [] };

  const perms: Array<Int32Array | undefined> = [];
  const where: Int32Array[] = []; // where[p][x]: index of position x in pass p's order
  const sizes: number[] = [];
  const mismatch: Uint8Array[] = []; // per pass and block: Alice's parity xor Bob's
  let leaked = 0;
  let flips = 0;

  const search = (p: number, block: number): number => {
    const perm = perms[p];
    const k = sizes[p]!;
    let start = block * k;
    let end = Math.min(n, start + k);
    while (end - start > 1) {
      const mid = (start + end) >>> 1;
      leaked++; // Alice announces the parity of the first half
      if (parity(alice, perm, start, mid) !== parity(corrected, perm, start, mid)) end = mid;
      else start = mid;
    }
    return perm === undefined ? start : perm[start]!;
  };

  const stack: number[] = []; // pairs (pass, block)
  const flip = (x: number, done: number): void => {
    corrected[x] = corrected[x]! ^ 1;
    flips++;
    for (let q = 0; q <= done; q++) {
      const b = Math.floor(where[q]![x]! / sizes[q]!);
      mismatch[q]![b] = mismatch[q]![b]! ^ 1;
      if (mismatch[q]![b]) stack.push(q, b);
    }
  };

  for (let p = 0; p < passes; p++) {
    const k = Math.min(n, k1 * 2 ** p);
    sizes.push(k);
    const perm = p === 0 ? undefined : options.rng.permutation(n);
    perms.push(perm);
    const inv = new Int32Array(n);
    for (let t = 0; t < n; t++) inv[perm === undefined ? t : perm[t]!] = t;
    where.push(inv);
    const blocks = Math.ceil(n / k);
    const mm = new Uint8Array(blocks);
    for (let b = 0; b < blocks; b++) {
      const end = Math.min(n, (b + 1) * k);
      mm[b] = parity(alice, perm, b * k, end) ^ parity(corrected, perm, b * k, end);
    }
    mismatch.push(mm);
    leaked += blocks; // every block parity of this pass is announced
    for (let b = 0; b < blocks; b++) {
      if (mm[b]) flip(search(p, b), p);
      while (stack.length > 0) {
        const qb = stack.pop()!;
        const q = stack.pop()!;
        if (mismatch[q]![qb]) flip(search(q, qb), p);
      }
    }
  }
  return { corrected, leakedBits: leaked, flips, blockSizes: sizes };
}
