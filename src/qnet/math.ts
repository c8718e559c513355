/**
 * Small numerical pieces the QKD models share: binary entropy, fiber
 * transmittance, the modified Bessel function I0 written so that its
 * leading 1 never cancels, a unimodal maximizer and a root bracket search.
 */
import { fail } from '../util/errors.js';

/**
 * Binary entropy h(x) = -x log2 x - (1 - x) log2(1 - x), with h(0) = h(1) = 0.
 *
 * @example h2(0.11) // 0.4999...: the BB84 one-way threshold is where 1 - 2 h(e) = 0
 */
export function h2(x: number): number {
  if (!(x > 0) || !(x < 1)) return 0;
  return -x * Math.log2(x) - (1 - x) * Math.log2(1 - x);
}

/**
 * Transmittance of `distanceKm` of fiber losing `alphaDbPerKm` dB per km:
 * T = 10^(-alpha L / 10).
 */
export function transmittance(distanceKm: number, alphaDbPerKm: number): number {
  return Math.pow(10, (-alphaDbPerKm * distanceKm) / 10);
}

/**
 * I0(2 sqrt(z)) - 1 = sum_{k >= 1} z^k / (k!)^2 for z >= 0, without forming the
 * leading 1 (a difference like I0(x) - 1 at x ~ 1e-6 would otherwise keep no
 * digits). So I0(x) - 1 is `besselI0m1(x * x / 4)`.
 */
export function besselI0m1Series(z: number): number {
  let term = 1;
  let sum = 0;
  for (let k = 1; k < 500; k++) {
    term *= z / (k * k);
    sum += term;
    if (term <= 1e-17 * sum) break;
  }
  return sum;
}

/** I0(x) - 1, the modified Bessel function of the first kind minus its leading 1. */
export function besselI0m1(x: number): number {
  return besselI0m1Series((x * x) / 4);
}

/**
 * The maximum of a function that is unimodal on [lo, hi] (with a coarse grid
 * first so that a flat or slightly bumpy start does not trap the search):
 * `grid` log-spaced points, then golden-section refinement between the
 * neighbours of the best grid point.
 */
export function maximize(f: (x: number) => number, lo: number, hi: number, grid = 48, tol = 1e-7): { x: number; value: number } {
  if (!(hi > lo) || !(lo > 0)) throw new RangeError(`maximize: need 0 < lo < hi, got [${lo}, ${hi}]`);
  const ratio = Math.pow(hi / lo, 1 / (grid - 1));
  const xs = new Float64Array(grid);
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < grid; i++) {
    xs[i] = i === grid - 1 ? hi : lo * Math.pow(ratio, i);
    const v = f(xs[i]!);
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  let a = xs[Math.max(0, best - 1)]!;
  let b = xs[Math.min(grid - 1, best + 1)]!;
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tol * Math.max(1, Math.abs(a))) {
    if (fc >= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  const candidates: Array<[number, number]> = [
    [xs[best]!, bestValue],
    [c, fc],
    [d, fd],
  ];
  let out = candidates[0]!;
  for (const cand of candidates) if (cand[1] > out[1]) out = cand;
  return { x: out[0], value: out[1] };
}

/**
 * The largest x in [0, limit] where `positive(x)` still holds, for a predicate
 * that is true up to some point and false beyond it (a key rate against
 * distance). Doubles an upper bracket from `start`, then bisects to `tol`.
 * Returns 0 when it fails already at 0 and `limit` when it never fails.
 */
export function lastPositive(positive: (x: number) => boolean, start: number, limit: number, tol = 1e-3): number {
  if (!positive(0)) return 0;
  let lo = 0;
  let hi = Math.min(start, limit);
  while (positive(hi)) {
    if (hi >= limit) return limit;
    lo = hi;
    hi = Math.min(2 * hi, limit);
  }
  while (hi - lo > tol) {
    const mid = (lo + hi) / 2;
    if (positive(mid)) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A finite number in [min, max] (inclusive unless stated), or a QflError naming `field`. */
export function checkNumber(field: string, value: number, min: number, max: number, opts: { minOpen?: boolean; maxOpen?: boolean } = {}): number {
  const lowOk = opts.minOpen ? value > min : value >= min;
  const highOk = opts.maxOpen ? value < max : value <= max;
  if (!Number.isFinite(value) || !lowOk || !highOk) {
    const range = `${opts.minOpen ? '(' : '['}${min}, ${max}${opts.maxOpen ? ')' : ']'}`;
    fail(field, `must be a finite number in ${range}, got ${value}`);
  }
  return value;
}
