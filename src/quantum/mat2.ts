/**
 * 2x2 complex matrices stored as 8 numbers in a Float64Array at an offset:
 * [re00, im00, re01, im01, re10, im10, re11, im11]. Used to fuse runs of
 * single-qubit gates and to differentiate inside a fused run.
 */

/** out = a * b (out may not alias a or b). */
export function mul(a: Float64Array, ao: number, b: Float64Array, bo: number, out: Float64Array, oo: number): void {
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      const x0r = a[ao + r * 4]!, x0i = a[ao + r * 4 + 1]!, x1r = a[ao + r * 4 + 2]!, x1i = a[ao + r * 4 + 3]!;
      const y0r = b[bo + c * 2]!, y0i = b[bo + c * 2 + 1]!, y1r = b[bo + 4 + c * 2]!, y1i = b[bo + 4 + c * 2 + 1]!;
      out[oo + r * 4 + c * 2] = x0r * y0r - x0i * y0i + x1r * y1r - x1i * y1i;
      out[oo + r * 4 + c * 2 + 1] = x0r * y0i + x0i * y0r + x1r * y1i + x1i * y1r;
    }
  }
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
