/**
 * Statevector kernels over a batch. A batch of B states of n qubits is two
 * Float64Arrays (real and imaginary parts) of length B * 2^n, sample after
 * sample. Wire w is bit (n - 1 - w) of the amplitude index (wire 0 is the most
 * significant bit, as in PennyLane), so a gate's `bit` is a power of two.
 *
 * Because 2^n is a multiple of every gate's block, a gate loops over the whole
 * batch buffer at once; per-sample angles (input features) are looked up by
 * `base >> n`. `ctrl` is the mask of control bits, all of which must be set.
 * Kernels never allocate. Each first offers the call to its WebAssembly SIMD
 * twin (wasm/dispatch.ts), which computes the same expressions bit for bit.
 */
import { ROT_KIND, wasmFixed, wasmPhase, wasmRot, wasmX } from './wasm/dispatch.js';

/** Angles for a rotation: cos and sin arrays of length 1 (uniform) or B (per sample). */
export interface Trig {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly perSample: boolean;
}

export function parity(v: number): number {
  v ^= v >>> 16;
  v ^= v >>> 8;
  v ^= v >>> 4;
  v ^= v >>> 2;
  v ^= v >>> 1;
  return v & 1;
}

/** RX with (c, s) = (cos theta/2, sin theta/2): [[c, -is], [-is, c]]. */
export function applyRX(re: Float64Array, im: Float64Array, n: number, bit: number, ctrl: number, t: Trig): void {
  const total = re.length;
  const { cos, sin, perSample } = t;
  if (wasmRot(re, im, n, bit, ctrl, cos, sin, perSample, ROT_KIND.RX)) return;
  for (let base = 0; base < total; base += bit << 1) {
    const k = perSample ? base >> n : 0;
    const c = cos[k]!;
    const s = sin[k]!;
    const end = base + bit;
    for (let i = base; i < end; i++) {
      if ((i & ctrl) !== ctrl) continue;
      const j = i + bit;
      const ar = re[i]!, ai = im[i]!, br = re[j]!, bi = im[j]!;
      re[i] = c * ar + s * bi;
      im[i] = c * ai - s * br;
      re[j] = c * br + s * ai;
      im[j] = c * bi - s * ar;
    }
  }
}

/** RY: [[c, -s], [s, c]]. */
export function applyRY(re: Float64Array, im: Float64Array, n: number, bit: number, ctrl: number, t: Trig): void {
  const total = re.length;
  const { cos, sin, perSample } = t;
  if (wasmRot(re, im, n, bit, ctrl, cos, sin, perSample, ROT_KIND.RY)) return;
  for (let base = 0; base < total; base += bit << 1) {
    const k = perSample ? base >> n : 0;
    const c = cos[k]!;
    const s = sin[k]!;
    const end = base + bit;
    for (let i = base; i < end; i++) {
      if ((i & ctrl) !== ctrl) continue;
      const j = i + bit;
      const ar = re[i]!, ai = im[i]!, br = re[j]!, bi = im[j]!;
      re[i] = c * ar - s * br;
      im[i] = c * ai - s * bi;
      re[j] = s * ar + c * br;
      im[j] = s * ai + c * bi;
    }
  }
}

/**
 * Diagonal single-qubit phase: amplitudes with the bit clear times (c0 + i s0),
 * with the bit set times (c1 + i s1). RZ: (c, -s) and (c, s); Phase: (1, 0) and (cos, sin).
 * `phaseOnly` skips the bit-clear half (Phase gates).
 */
function applyDiag(
  re: Float64Array,
  im: Float64Array,
  n: number,
  bit: number,
  ctrl: number,
  t: Trig,
  phaseOnly: boolean,
): void {
  const total = re.length;
  const { cos, sin, perSample } = t;
  if (wasmRot(re, im, n, bit, ctrl, cos, sin, perSample, phaseOnly ? ROT_KIND.Phase : ROT_KIND.RZ)) return;
  for (let base = 0; base < total; base += bit << 1) {
    const k = perSample ? base >> n : 0;
    const c = cos[k]!;
    const s = sin[k]!;
    const end = base + bit;
    for (let i = base; i < end; i++) {
      if ((i & ctrl) !== ctrl) continue;
      const j = i + bit;
      if (!phaseOnly) {
        const ar = re[i]!, ai = im[i]!;
        re[i] = c * ar + s * ai;
        im[i] = c * ai - s * ar;
      }
      const br = re[j]!, bi = im[j]!;
      re[j] = c * br - s * bi;
      im[j] = c * bi + s * br;
    }
  }
}

export function applyRZ(re: Float64Array, im: Float64Array, n: number, bit: number, ctrl: number, t: Trig): void {
  applyDiag(re, im, n, bit, ctrl, t, false);
}

/** Phase(phi) = diag(1, e^{i phi}); here (cos, sin) are of phi itself. */
export function applyPhase(re: Float64Array, im: Float64Array, n: number, bit: number, ctrl: number, t: Trig): void {
  applyDiag(re, im, n, bit, ctrl, t, true);
}

/** RXX = c I - i s XX, RYY = c I - i s YY on bits b0, b1. */
export function applyRPP(
  re: Float64Array,
  im: Float64Array,
  n: number,
  b0: number,
  b1: number,
  ctrl: number,
  t: Trig,
  yy: boolean,
): void {
  const total = re.length;
  const both = b0 | b1;
  const { cos, sin, perSample } = t;
  for (let i = 0; i < total; i++) {
    if ((i & both) !== 0 || (i & ctrl) !== ctrl) continue;
    const k = perSample ? i >> n : 0;
    const c = cos[k]!;
    const s = sin[k]!;
    // Pairs (00, 11) and (01, 10). For YY the 00<->11 coupling has sign +is.
    const sEq = yy ? -s : s;
    rotatePair(re, im, i, i | both, c, sEq);
    rotatePair(re, im, i | b1, i | b0, c, s);
  }
}

/** (a, b) -> (c a - i s b, c b - i s a). */
function rotatePair(re: Float64Array, im: Float64Array, i: number, j: number, c: number, s: number): void {
  const ar = re[i]!, ai = im[i]!, br = re[j]!, bi = im[j]!;
  re[i] = c * ar + s * bi;
  im[i] = c * ai - s * br;
  re[j] = c * br + s * ai;
  im[j] = c * bi - s * ar;
}

/** RZZ = diag(e^{-i theta/2 z}) with z = +1 for even parity of the two bits, -1 for odd. */
export function applyRZZ(
  re: Float64Array,
  im: Float64Array,
  n: number,
  b0: number,
  b1: number,
  ctrl: number,
  t: Trig,
): void {
  const total = re.length;
  const { cos, sin, perSample } = t;
  for (let i = 0; i < total; i++) {
    if ((i & ctrl) !== ctrl) continue;
    const k = perSample ? i >> n : 0;
    const c = cos[k]!;
    const s = ((i & b0) !== 0) !== ((i & b1) !== 0) ? sin[k]! : -sin[k]!;
    const ar = re[i]!, ai = im[i]!;
    re[i] = c * ar - s * ai;
    im[i] = c * ai + s * ar;
  }
}

/** A fixed 2x2 matrix m (row-major, re/im interleaved); X and diagonal matrices take fast paths. */
export function applyFixed(
  re: Float64Array,
  im: Float64Array,
  bit: number,
  ctrl: number,
  m: ArrayLike<number>,
): void {
  const total = re.length;
  const [m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i] = [m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, m[6]!, m[7]!];
  const isX = m00r === 0 && m00i === 0 && m11r === 0 && m11i === 0 && m01r === 1 && m01i === 0 && m10r === 1 && m10i === 0;
  const isDiag = m01r === 0 && m01i === 0 && m10r === 0 && m10i === 0;
  if (isX && wasmX(re, im, bit, ctrl)) return;
  // The general branch below is mat1's expression; diagonal ones keep their own.
  if (!isX && !isDiag && ctrl === 0 && wasmFixed(re, im, bit, m)) return;
  if (isDiag && m00r === 1 && m00i === 0) {
    // Z, S, T, CZ, CS: the bit-clear half is unchanged, so one multiply pass
    // over the bit-set half only (a quarter of the state for CZ).
    if (wasmPhase(re, im, bit, ctrl, m11r, m11i)) return;
    for (let base = 0; base < total; base += bit << 1) {
      const end = base + bit;
      for (let i = base; i < end; i++) {
        if ((i & ctrl) !== ctrl) continue;
        const j = i + bit;
        const br = re[j]!, bi = im[j]!;
        re[j] = m11r * br - m11i * bi;
        im[j] = m11r * bi + m11i * br;
      }
    }
    return;
  }
  for (let base = 0; base < total; base += bit << 1) {
    const end = base + bit;
    for (let i = base; i < end; i++) {
      if ((i & ctrl) !== ctrl) continue;
      const j = i + bit;
      const ar = re[i]!, ai = im[i]!, br = re[j]!, bi = im[j]!;
      if (isX) {
        re[i] = br;
        im[i] = bi;
        re[j] = ar;
        im[j] = ai;
      } else if (isDiag) {
        re[i] = m00r * ar - m00i * ai;
        im[i] = m00r * ai + m00i * ar;
        re[j] = m11r * br - m11i * bi;
        im[j] = m11r * bi + m11i * br;
      } else {
        re[i] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
        im[i] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
        re[j] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
        im[j] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
      }
    }
  }
}

/** SWAP of bits b0 and b1. */
export function applySwap(re: Float64Array, im: Float64Array, b0: number, b1: number, ctrl: number): void {
  const total = re.length;
  const both = b0 | b1;
  for (let i = 0; i < total; i++) {
    // Visit each swapped pair once: from the index with b0 set and b1 clear.
    if ((i & both) !== b0 || (i & ctrl) !== ctrl) continue;
    const j = i ^ both;
    const tr = re[i]!, ti = im[i]!;
    re[i] = re[j]!;
    im[i] = im[j]!;
    re[j] = tr;
    im[j] = ti;
  }
}

/**
 * Adjoint-method inner products: out[b] = 2 Im <lam_b| G |psi_b> for the
 * generator G of a rotation (P/2 for Pauli rotations, -|1><1| for Phase),
 * restricted to the control subspace. This is dL/dtheta for that gate.
 */
export function generatorInner(
  rot: 'RX' | 'RY' | 'RZ' | 'Phase' | 'RXX' | 'RYY' | 'RZZ',
  lr: Float64Array,
  li: Float64Array,
  pr: Float64Array,
  pi: Float64Array,
  n: number,
  bits: readonly number[],
  ctrl: number,
  out: Float64Array,
): void {
  const dim = 1 << n;
  const batch = out.length;
  const b0 = bits[0]!;
  const b1 = bits[1] ?? 0;
  for (let b = 0; b < batch; b++) {
    const start = b * dim;
    const stop = start + dim;
    let acc = 0;
    switch (rot) {
      case 'RX':
      case 'RY':
      case 'RZ':
      case 'Phase':
        for (let base = start; base < stop; base += b0 << 1) {
          const end = base + b0;
          for (let i = base; i < end; i++) {
            if ((i & ctrl) !== ctrl) continue;
            const j = i + b0;
            const l0r = lr[i]!, l0i = li[i]!, l1r = lr[j]!, l1i = li[j]!;
            const p0r = pr[i]!, p0i = pi[i]!, p1r = pr[j]!, p1i = pi[j]!;
            if (rot === 'RX') acc += l0r * p1i - l0i * p1r + l1r * p0i - l1i * p0r;
            else if (rot === 'RY') acc += -(l0r * p1r + l0i * p1i) + l1r * p0r + l1i * p0i;
            else if (rot === 'RZ') acc += l0r * p0i - l0i * p0r - (l1r * p1i - l1i * p1r);
            else acc -= 2 * (l1r * p1i - l1i * p1r);
          }
        }
        break;
      case 'RXX':
      case 'RYY': {
        const both = b0 | b1;
        for (let i = start; i < stop; i++) {
          if ((i & ctrl) !== ctrl) continue;
          const j = i ^ both;
          const im = lr[i]! * pi[j]! - li[i]! * pr[j]!;
          // YY maps |ab> to -|a'b'> when a == b, +|a'b'> when a != b.
          acc += rot === 'RYY' && ((i & b0) !== 0) === ((i & b1) !== 0) ? -im : im;
        }
        break;
      }
      case 'RZZ':
        for (let i = start; i < stop; i++) {
          if ((i & ctrl) !== ctrl) continue;
          const im = lr[i]! * pi[i]! - li[i]! * pr[i]!;
          acc += ((i & b0) !== 0) === ((i & b1) !== 0) ? im : -im;
        }
        break;
    }
    out[b] = acc;
  }
}
