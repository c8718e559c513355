import { fail } from '../../util/errors.js';

/**
 * Bit strings as `Uint8Array`s, least significant bit first: bit k of a string
 * is bit (k mod 8) of byte floor(k / 8). Bits past the end of a string of n
 * bits (in its last byte) are zero. Key material is counted in bits, and one
 * masked or mask element takes exactly `width` bits, so nothing is rounded up
 * to bytes except the last byte of a whole string.
 *
 * Elements are non-negative integers below 2^width, width <= 52, held in
 * float64 (exact below 2^53).
 */

/** 2^k for k = 0..53, exact. */
const POW2: readonly number[] = Array.from({ length: 54 }, (_, k) => 2 ** k);

/** The widest element these helpers read or write: sums of two stay below 2^53. */
export const MAX_WIDTH = 52;

/** Bytes that hold `bits` bits. */
export const bytesFor = (bits: number): number => Math.ceil(bits / 8);

/** Bit offsets stay below 2^31 so that the shifts in the loops are exact. */
const MAX_BITS = 2 ** 31 - 1;

function checkWidth(width: number, count: number): void {
  if (!(Number.isInteger(width) && width >= 1 && width <= MAX_WIDTH)) {
    fail('width', `must be an integer in 1..${MAX_WIDTH} (bits per element), got ${width}`);
  }
  if (count * width > MAX_BITS) fail('bits', `${count} elements of ${width} bits exceed ${MAX_BITS} bits`);
}

/**
 * The `n` bits of `src` that start at bit `offset`, as a fresh string that
 * starts at bit 0.
 *
 * @example extractBits(Uint8Array.of(0b1011_0110), 2, 4) // Uint8Array [0b1101]
 */
export function extractBits(src: Uint8Array, offset: number, n: number): Uint8Array {
  if (!(Number.isInteger(offset) && offset >= 0 && Number.isInteger(n) && n >= 0 && offset + n <= src.length * 8)) {
    fail('bits', `cannot read bits [${offset}, ${offset + n}) of a string of ${src.length * 8} bits`);
  }
  const out = new Uint8Array(bytesFor(n));
  const byte0 = Math.floor(offset / 8);
  const s = offset % 8;
  if (s === 0) out.set(src.subarray(byte0, byte0 + out.length));
  else {
    for (let k = 0; k < out.length; k++) {
      const lo = src[byte0 + k]! >>> s;
      const hi = byte0 + k + 1 < src.length ? src[byte0 + k + 1]! << (8 - s) : 0;
      out[k] = (lo | hi) & 0xff;
    }
  }
  const tail = n % 8;
  if (tail !== 0) out[out.length - 1]! &= (1 << tail) - 1;
  return out;
}

/**
 * ORs the first `n` bits of `src` into `dst` from bit `offset` on. The bits of
 * `dst` in [offset, offset + n) must be zero (a fresh or compacted buffer).
 */
export function writeBits(dst: Uint8Array, offset: number, src: Uint8Array, n: number): void {
  if (!(Number.isInteger(n) && n >= 0 && n <= src.length * 8 && offset + n <= dst.length * 8)) {
    fail('bits', `cannot write ${n} bits at bit ${offset} of a string of ${dst.length * 8} bits`);
  }
  const byte0 = Math.floor(offset / 8);
  const s = offset % 8;
  const count = bytesFor(n);
  const tail = n % 8;
  for (let k = 0; k < count; k++) {
    let v = src[k]!;
    if (k === count - 1 && tail !== 0) v &= (1 << tail) - 1;
    dst[byte0 + k]! |= (v << s) & 0xff;
    if (s !== 0 && byte0 + k + 1 < dst.length) dst[byte0 + k + 1]! |= v >>> (8 - s);
  }
}

/**
 * Reads `count` elements of `width` bits each (element k from bits
 * [k * width, (k + 1) * width)), as exact integers in [0, 2^width).
 */
export function readElements(src: Uint8Array, count: number, width: number, out?: Float64Array): Float64Array {
  checkWidth(width, count);
  if (count * width > src.length * 8) {
    fail('bits', `${count} elements of ${width} bits need ${count * width} bits, the string has ${src.length * 8}`);
  }
  const res = out ?? new Float64Array(count);
  if (res.length < count) fail('out', `must hold ${count} elements, has ${res.length}`);
  let off = 0;
  for (let k = 0; k < count; k++) {
    let val = 0;
    let got = 0;
    while (got < width) {
      const sh = off & 7;
      const take = Math.min(8 - sh, width - got);
      const chunk = (src[off >>> 3]! >>> sh) & ((1 << take) - 1);
      val += chunk * POW2[got]!;
      got += take;
      off += take;
    }
    res[k] = val;
  }
  return res;
}

/** Writes integers in [0, 2^width) as `width`-bit elements: the inverse of `readElements`. */
export function packElements(values: ArrayLike<number>, width: number): Uint8Array {
  checkWidth(width, values.length);
  const out = new Uint8Array(bytesFor(values.length * width));
  const top = POW2[width]!;
  let off = 0;
  for (let k = 0; k < values.length; k++) {
    let v = values[k]!;
    if (!(Number.isInteger(v) && v >= 0 && v < top)) fail(`values[${k}]`, `must be an integer in [0, 2^${width}), got ${v}`);
    let left = width;
    while (left > 0) {
      const sh = off & 7;
      const take = Math.min(8 - sh, left);
      const p = POW2[take]!;
      const q = Math.floor(v / p);
      out[off >>> 3]! |= (v - q * p) << sh;
      v = q;
      left -= take;
      off += take;
    }
  }
  return out;
}
