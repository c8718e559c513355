/**
 * 2x2 complex matrices stored as 8 numbers in a Float64Array at an offset:
 * [re00, im00, re01, im01, re10, im10, re11, im11]. Used to fuse runs of
 * single-qubit gates and to differentiate inside a fused run.
 */

/** out = a * b (out may not alias a or b). Unrolled: it runs per sample and gate in the adjoint's bookkeeping. */
export function mul(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  const a0 = a[ao]!, a1 = a[ao + 1]!, a2 = a[ao + 2]!, a3 = a[ao + 3]!;
  const a4 = a[ao + 4]!, a5 = a[ao + 5]!, a6 = a[ao + 6]!, a7 = a[ao + 7]!;
  const b0 = b[bo]!, b1 = b[bo + 1]!, b2 = b[bo + 2]!, b3 = b[bo + 3]!;
  const b4 = b[bo + 4]!, b5 = b[bo + 5]!, b6 = b[bo + 6]!, b7 = b[bo + 7]!;
  out[oo] = a0 * b0 - a1 * b1 + a2 * b4 - a3 * b5;
  out[oo + 1] = a0 * b1 + a1 * b0 + a2 * b5 + a3 * b4;
  out[oo + 2] = a0 * b2 - a1 * b3 + a2 * b6 - a3 * b7;
  out[oo + 3] = a0 * b3 + a1 * b2 + a2 * b7 + a3 * b6;
  out[oo + 4] = a4 * b0 - a5 * b1 + a6 * b4 - a7 * b5;
  out[oo + 5] = a4 * b1 + a5 * b0 + a6 * b5 + a7 * b4;
  out[oo + 6] = a4 * b2 - a5 * b3 + a6 * b6 - a7 * b7;
  out[oo + 7] = a4 * b3 + a5 * b2 + a6 * b7 + a7 * b6;
}

export function setIdentity(out: Float64Array, oo: number): void {
  out.fill(0, oo, oo + 8);
  out[oo] = 1;
  out[oo + 6] = 1;
}

/** out = a^dagger. */
export function dagger(a: Float64Array, ao: number, out: Float64Array, oo: number): void {
  out[oo] = a[ao]!;
  out[oo + 1] = -a[ao + 1]!;
  out[oo + 2] = a[ao + 4]!;
  out[oo + 3] = -a[ao + 5]!;
  out[oo + 4] = a[ao + 2]!;
  out[oo + 5] = -a[ao + 3]!;
  out[oo + 6] = a[ao + 6]!;
  out[oo + 7] = -a[ao + 7]!;
}

/** Im Tr(a * b). */
export function imTraceProduct(a: Float64Array, ao: number, b: Float64Array, bo: number): number {
  // Tr(ab) = a00 b00 + a01 b10 + a10 b01 + a11 b11
  const im = (i: number, j: number) => a[ao + i]! * b[bo + j + 1]! + a[ao + i + 1]! * b[bo + j]!;
  return im(0, 0) + im(2, 4) + im(4, 2) + im(6, 6);
}
