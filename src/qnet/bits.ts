/**
 * Bit strings. Inside the protocol simulation a bit string is a Uint8Array
 * with one 0/1 per element (easy to sift, sample and permute); key material
 * handed out of `qnet/` is packed, eight bits per byte, LEAST significant bit
 * first (bit k is bit k mod 8 of byte floor(k / 8)), and the unused high bits
 * of a last partial byte are zero: the convention of
 * `security/secagg/bits.ts`, so pool output can be read there as is. A
 * 16-bit mask is exactly two bytes, and an 8-bit quantized update takes one
 * key byte per entry.
 */

/** Packs 0/1 bits (LSB first) into ceil(n / 8) bytes. */
export function packBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array((bits.length + 7) >>> 3);
  for (let i = 0; i < bits.length; i++) if (bits[i]! & 1) out[i >>> 3]! |= 1 << (i & 7);
  return out;
}

/** The first `nBits` bits of packed bytes (LSB first), one 0/1 per element. */
export function unpackBits(bytes: Uint8Array, nBits = bytes.length * 8): Uint8Array {
  if (nBits > bytes.length * 8) throw new RangeError(`unpackBits: ${nBits} bits asked from ${bytes.length} bytes`);
  const out = new Uint8Array(nBits);
  for (let i = 0; i < nBits; i++) out[i] = (bytes[i >>> 3]! >>> (i & 7)) & 1;
  return out;
}

/**
 * Copies `n` bits from packed `src` starting at bit `srcBit` into packed
 * `dst` starting at bit `dstBit` (both LSB first). Whole bytes move at once
 * when both offsets are byte-aligned.
 */
export function copyBits(src: Uint8Array, srcBit: number, dst: Uint8Array, dstBit: number, n: number): void {
  let i = 0;
  if ((srcBit & 7) === 0 && (dstBit & 7) === 0) {
    const bytes = n >>> 3;
    dst.set(src.subarray(srcBit >>> 3, (srcBit >>> 3) + bytes), dstBit >>> 3);
    i = bytes * 8;
  }
  for (; i < n; i++) {
    const s = srcBit + i;
    const d = dstBit + i;
    const bit = (src[s >>> 3]! >>> (s & 7)) & 1;
    const mask = 1 << (d & 7);
    if (bit) dst[d >>> 3]! |= mask;
    else dst[d >>> 3]! &= ~mask & 0xff;
  }
}

/** Number of positions where two 0/1 bit strings of equal length differ. */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`hammingDistance: lengths ${a.length} and ${b.length} differ`);
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (a[i]! ^ b[i]!) & 1;
  return d;
}
