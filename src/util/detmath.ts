/**
 * Elementary functions that give the same bits on every JavaScript engine.
 *
 * `Math.sin`, `cos`, `exp`, `log`, `pow` are not specified to the last bit,
 * and engines differ: Node 20's V8 and Chromium 156's disagree on 3-10 % of
 * random arguments (measured). A federation whose clients run on different
 * engines (Node nodes and browser tabs) must compute the same update from the
 * same message, so the client path (gates, losses, activations, optimizers,
 * seeded sampling) uses these: ports of fdlibm (as in musl) built only from
 * +, -, *, / and sqrt, which IEEE 754 fixes to the bit. Accuracy is
 * fdlibm's, under 1 ulp.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian: word 1 holds the sign, exponent and top of the mantissa.
const HI = 1;
const LO = 0;

function high(x: number): number {
  f64[0] = x;
  return u32[HI]! | 0;
}

/** 2^k for integer k in [-1022, 1023], exactly. */
function pow2(k: number): number {
  u32[HI] = (k + 1023) << 20;
  u32[LO] = 0;
  return f64[0]!;
}

/** x * 2^k, in at most two exact power-of-two steps (the result may round once if subnormal). */
function scalbn(x: number, k: number): number {
  if (k > 1023) return x * pow2(1023) * pow2(Math.min(k - 1023, 1023));
  if (k < -1022) return x * pow2(-1022) * pow2(Math.max(k + 1022, -1022));
  return x * pow2(k);
}

// ---------------------------------------------------------------------------
// sin, cos

const S1 = -1.66666666666666324348e-1;
const S2 = 8.33333333332248946124e-3;
const S3 = -1.98412698298579493134e-4;
const S4 = 2.75573137070700676789e-6;
const S5 = -2.50507602534068634195e-8;
const S6 = 1.58969099521155010221e-10;

/** sin(x + y) for |x| <= pi/4, y the tail of x (iy = 0: no tail). */
function kernelSin(x: number, y: number, iy: number): number {
  const z = x * x;
  const w = z * z;
  const r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
  const v = z * x;
  return iy === 0 ? x + v * (S1 + z * r) : x - (z * (0.5 * y - v * r) - y - v * S1);
}

const C1 = 4.16666666666666019037e-2;
const C2 = -1.38888888888741095749e-3;
const C3 = 2.48015872894767294178e-5;
const C4 = -2.75573143513906633035e-7;
const C5 = 2.08757232129817482790e-9;
const C6 = -1.13596475577881948265e-11;

/** cos(x + y) for |x| <= pi/4. */
function kernelCos(x: number, y: number): number {
  const z = x * x;
  const w = z * z;
  const r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  const hz = 0.5 * z;
  const u = 1 - hz;
  return u + (1 - u - hz + (z * r - x * y));
}

const INV_PIO2 = 6.36619772367581382433e-1;
const PIO2_1 = 1.57079632673412561417;
const PIO2_1T = 6.07710050650619224932e-11;
const PIO2_2 = 6.07710050630396597660e-11;
const PIO2_2T = 2.02226624879595063154e-21;
const PIO2_3 = 2.02226624871116645580e-21;
const PIO2_3T = 8.47842766036889956997e-32;
const TO_INT = 1.5 / Number.EPSILON;

/** The reduced argument (y0 + y1 = x - n pi/2, |y| <= pi/4) and n, for |x| < 2^20 pi/2 (Cody-Waite in three steps). */
const reduced = { y0: 0, y1: 0 };
function remPio2(x: number): number {
  const ex = (high(x) >>> 20) & 0x7ff;
  const fn = x * INV_PIO2 + TO_INT - TO_INT;
  const n = fn | 0;
  let r = x - fn * PIO2_1;
  let w = fn * PIO2_1T;
  let y0 = r - w;
  let ey = (high(y0) >>> 20) & 0x7ff;
  if (ex - ey > 16) {
    // Cancellation: subtract the next 33 bits of pi/2.
    let t = r;
    w = fn * PIO2_2;
    r = t - w;
    w = fn * PIO2_2T - (t - r - w);
    y0 = r - w;
    ey = (high(y0) >>> 20) & 0x7ff;
    if (ex - ey > 49) {
      t = r;
      w = fn * PIO2_3;
      r = t - w;
      w = fn * PIO2_3T - (t - r - w);
      y0 = r - w;
    }
  }
  reduced.y0 = y0;
  reduced.y1 = r - y0 - w;
  return n;
}

/** Arguments this large need Payne-Hanek reduction; they never occur as rotation angles, so Math's is used. */
const LARGE = 0x413921fb; // |x| >= 2^20 pi/2

export function sin(x: number): number {
  const ix = high(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return ix < 0x3e500000 ? x : kernelSin(x, 0, 0);
  if (ix >= 0x7ff00000) return NaN;
  if (ix >= LARGE) return Math.sin(x);
  const n = remPio2(x);
  const { y0, y1 } = reduced;
  switch (n & 3) {
    case 0:
      return kernelSin(y0, y1, 1);
    case 1:
      return kernelCos(y0, y1);
    case 2:
      return -kernelSin(y0, y1, 1);
    default:
      return -kernelCos(y0, y1);
  }
}

export function cos(x: number): number {
  const ix = high(x) & 0x7fffffff;
  if (ix <= 0x3fe921fb) return ix < 0x3e46a09e ? 1 : kernelCos(x, 0);
  if (ix >= 0x7ff00000) return NaN;
  if (ix >= LARGE) return Math.cos(x);
  const n = remPio2(x);
  const { y0, y1 } = reduced;
  switch (n & 3) {
    case 0:
      return kernelCos(y0, y1);
    case 1:
      return -kernelSin(y0, y1, 1);
    case 2:
      return -kernelCos(y0, y1);
    default:
      return kernelSin(y0, y1, 1);
  }
}

// ---------------------------------------------------------------------------
// exp, log

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700;
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.65339022054652515390e-6;
const P5 = 4.13813679705723846039e-8;

export function exp(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 709.782712893383973096) return Infinity;
  if (x < -745.13321910194110842) return 0;
  const hx = high(x) & 0x7fffffff;
  let k = 0;
  let hi = 0;
  let lo = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2 / 2: x = k ln2 + r, |r| <= ln2 / 2.
    k = hx >= 0x3ff0a2b2 ? Math.trunc(INV_LN2 * x + (x < 0 ? -0.5 : 0.5)) : x < 0 ? -1 : 1;
    hi = x - k * LN2_HI;
    lo = k * LN2_LO;
    x = hi - lo;
  } else if (hx > 0x3e300000) {
    hi = x;
  } else return 1 + x;
  const xx = x * x;
  const c = x - xx * (P1 + xx * (P2 + xx * (P3 + xx * (P4 + xx * P5))));
  const y = 1 + ((x * c) / (2 - c) - lo + hi);
  return k === 0 ? y : scalbn(y, k);
}

const LG1 = 6.666666666666735130e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

export function log(x: number): number {
  f64[0] = x;
  let hx = u32[HI]!;
  let k = 0;
  if (hx < 0x00100000 || hx >>> 31) {
    if (x === 0) return -Infinity;
    if (hx >>> 31 || Number.isNaN(x)) return NaN;
    // Subnormal: scale up.
    k -= 54;
    f64[0] = x * 18014398509481984; // 2^54
    hx = u32[HI]!;
  } else if (hx >= 0x7ff00000) return x;
  else if (hx === 0x3ff00000 && u32[LO] === 0) return 0;
  // Reduce x into [sqrt(2)/2, sqrt(2)).
  hx += 0x3ff00000 - 0x3fe6a09e;
  k += (hx >>> 20) - 0x3ff;
  hx = (hx & 0x000fffff) + 0x3fe6a09e;
  u32[HI] = hx;
  const m = f64[0]!;
  const f = m - 1;
  const hfsq = 0.5 * f * f;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  return s * (hfsq + r) + k * LN2_LO - hfsq + f + k * LN2_HI;
}

// ---------------------------------------------------------------------------
// From these

/** b^n for an integer n >= 0 by repeated squaring (Adam's bias corrections). */
export function powInt(b: number, n: number): number {
  let result = 1;
  let base = b;
  for (let e = n; e > 0; e >>>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return result;
}

/** b^y for b > 0, as exp(y log b) (a few ulp; for the gamma sampler). */
export function powPositive(b: number, y: number): number {
  return exp(y * log(b));
}

/** tanh built from exp: odd, exact at 0, +-1 beyond |x| = 22, within a few ulp. */
export function tanh(x: number): number {
  const a = Math.abs(x);
  if (a < 2 ** -28 || Number.isNaN(x)) return x;
  if (a >= 22) return x > 0 ? 1 : -1;
  let t: number;
  if (a < 0.55) {
    // 1 - 2 / (e + 1) cancels here: the series at a / 8, then tanh(2u) = 2 tanh(u) / (1 + tanh(u)^2) three times.
    const u = a / 8;
    const u2 = u * u;
    t = u * (1 + u2 * (-1 / 3 + u2 * (2 / 15 + u2 * (-17 / 315 + u2 * (62 / 2835 + u2 * (-1382 / 155925 + u2 * (21844 / 6081075 + u2 * (-929569 / 638512875))))))));
    for (let k = 0; k < 3; k++) t = (2 * t) / (1 + t * t);
  } else t = 1 - 2 / (exp(2 * a) + 1);
  return x > 0 ? t : -t;
}
