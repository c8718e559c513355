/**
 * Dense matrix products over flat row-major `Float64Array`s: the kernels under
 * the dense and convolution layers.
 *
 * Every kernel ACCUMULATES, `C += op(A) · op(B)`, which is what backward
 * passes want (gradients add up) and lets a caller preset `C` (a bias, zeros).
 * `C` is `m × n` with row stride `ldc` (default `n`); the inner dimension is `k`.
 *
 * One strided kernel serves all layouts: element (i, p) of op(A) lives at
 * `aOff + i*ars + p*acs`, element (p, j) of op(B) at `bOff + p*brs + j*bcs`, so
 * a transpose is only a swap of strides. The work is cut into cache blocks
 * (`KC` along k, `NC` along n, so that a panel of B stays in L2 while every
 * row block of A passes over it) and inside a block into 4×4 tiles of C held
 * in sixteen local accumulators: each step over k loads 8 numbers and does 16
 * multiply-adds, against 2 loads and a store per multiply-add for the naive
 * i-k-j loop. Ragged edges use 1×4, 4×1 and 1×1 tiles. Nothing is allocated.
 *
 * Throughput on LeNet-5's conv shapes: `node dist/bench/classical.js`
 * (`benchGemm`); about four times the naive i-k-j loop on the dev machine.
 *
 * @example
 * // C[2,2] += A[2,3] · B[3,2]
 * gemmNN(2, 2, 3, a, b, c);
 */

/** Block sizes along k and n: a KC × NC panel of B is 256 KiB of float64. */
const KC = 256;
const NC = 128;

/**
 * `C[m,n] += op(A)[m,k] · op(B)[k,n]` with explicit strides (see the module
 * comment). The layout-named wrappers below are what callers normally use.
 */
export function gemmStrided(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  b: Float64Array,
  bOff: number,
  brs: number,
  bcs: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  for (let jc = 0; jc < n; jc += NC) {
    const nb = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kb = Math.min(KC, k - pc);
      block(m, nb, kb, a, aOff + pc * acs, ars, acs, b, bOff + pc * brs + jc * bcs, brs, bcs, c, cOff + jc, ldc);
    }
  }
}

/** One cache block: C[m, n] += A[m, k] · B[k, n] in 4×4 register tiles. */
function block(
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  b: Float64Array,
  bOff: number,
  brs: number,
  bcs: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  const m4 = m - (m & 3);
  const n4 = n - (n & 3);
  const ars2 = 2 * ars;
  const ars3 = 3 * ars;
  const bcs2 = 2 * bcs;
  const bcs3 = 3 * bcs;
  for (let i = 0; i < m4; i += 4) {
    const a0Off = aOff + i * ars;
    const cRow = cOff + i * ldc;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      let pa = a0Off;
      let pb = bOff + j * bcs;
      for (let p = 0; p < k; p++) {
        const a0 = a[pa], a1 = a[pa + ars], a2 = a[pa + ars2], a3 = a[pa + ars3];
        const b0 = b[pb], b1 = b[pb + bcs], b2 = b[pb + bcs2], b3 = b[pb + bcs3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        pa += acs;
        pb += brs;
      }
      let q = cRow + j;
      c[q] += c00; c[q + 1] += c01; c[q + 2] += c02; c[q + 3] += c03;
      q += ldc;
      c[q] += c10; c[q + 1] += c11; c[q + 2] += c12; c[q + 3] += c13;
      q += ldc;
      c[q] += c20; c[q + 1] += c21; c[q + 2] += c22; c[q + 3] += c23;
      q += ldc;
      c[q] += c30; c[q + 1] += c31; c[q + 2] += c32; c[q + 3] += c33;
    }
    // Right edge: 4×1 tiles.
    for (let j = n4; j < n; j++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      let pa = a0Off;
      let pb = bOff + j * bcs;
      for (let p = 0; p < k; p++) {
        const bv = b[pb];
        c0 += a[pa] * bv; c1 += a[pa + ars] * bv; c2 += a[pa + ars2] * bv; c3 += a[pa + ars3] * bv;
        pa += acs;
        pb += brs;
      }
      const q = cRow + j;
      c[q] += c0; c[q + ldc] += c1; c[q + 2 * ldc] += c2; c[q + 3 * ldc] += c3;
    }
  }
  // Bottom edge: 1×4 tiles, then the 1×1 corner.
  for (let i = m4; i < m; i++) {
    const a0Off = aOff + i * ars;
    const cRow = cOff + i * ldc;
    for (let j = 0; j < n4; j += 4) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      let pa = a0Off;
      let pb = bOff + j * bcs;
      for (let p = 0; p < k; p++) {
        const av = a[pa];
        c0 += av * b[pb]; c1 += av * b[pb + bcs]; c2 += av * b[pb + bcs2]; c3 += av * b[pb + bcs3];
        pa += acs;
        pb += brs;
      }
      const q = cRow + j;
      c[q] += c0; c[q + 1] += c1; c[q + 2] += c2; c[q + 3] += c3;
    }
    for (let j = n4; j < n; j++) {
      let s = 0;
      let pa = a0Off;
      let pb = bOff + j * bcs;
      for (let p = 0; p < k; p++) {
        s += a[pa] * b[pb];
        pa += acs;
        pb += brs;
      }
      c[cRow + j] += s;
    }
  }
}

/** `C[m,n] += A[m,k] · B[k,n]`, all row-major. */
export function gemmNN(
  m: number, n: number, k: number,
  a: Float64Array, b: Float64Array, c: Float64Array,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  gemmStrided(m, n, k, a, aOff, k, 1, b, bOff, n, 1, c, cOff, n);
}

/** `C[m,n] += A[m,k] · B^T` where B is stored `[n, k]` row-major. */
export function gemmNT(
  m: number, n: number, k: number,
  a: Float64Array, b: Float64Array, c: Float64Array,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  gemmStrided(m, n, k, a, aOff, k, 1, b, bOff, 1, k, c, cOff, n);
}

/** `C[m,n] += A^T · B[k,n]` where A is stored `[k, m]` row-major. */
export function gemmTN(
  m: number, n: number, k: number,
  a: Float64Array, b: Float64Array, c: Float64Array,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  gemmStrided(m, n, k, a, aOff, 1, m, b, bOff, n, 1, c, cOff, n);
}
