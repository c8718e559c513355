/**
 * Error bars for the paper reports: the mean of per-seed results with its
 * two-sided 95 % Student-t confidence interval, mean +- t(0.975, n-1) s / sqrt(n),
 * where s is the sample standard deviation (n - 1 in the denominator).
 */

/** t(0.975, df) for df = 1..30 (standard tables, 4 decimals). */
const T975 = [
  12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.306, 2.2622, 2.2281, 2.201, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009,
  2.093, 2.086, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
];
const Z975 = 1.959963984540054;

/**
 * The 97.5 % quantile of Student's t with `df` degrees of freedom: a table up
 * to 30, then the Cornish-Fisher expansion in 1/df (error below 1e-4 there).
 */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) throw new RangeError(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = Z975;
  const g1 = (z ** 3 + z) / 4;
  const g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96;
  const g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3;
}

/** A sample's mean and 95 % t-interval; `half` is undefined (no interval) below two values. */
export interface Interval {
  readonly n: number;
  readonly mean: number;
  readonly sd?: number;
  readonly half?: number;
  readonly lo?: number;
  readonly hi?: number;
}

/**
 * Mean and 95 % t-interval of the finite values in `xs` (non-finite ones are
 * dropped: a seed that failed does not count). Undefined for no values.
 *
 * @example
 * meanCi([0.8, 0.82, 0.84, 0.86, 0.88]) // { n: 5, mean: 0.84, sd: 0.0316, half: 0.0393, lo: 0.8007, hi: 0.8793 }
 */
export function meanCi(xs: readonly number[]): Interval | undefined {
  const v = xs.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return undefined;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean };
  const sd = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, half, lo: mean - half, hi: mean + half };
}

/**
 * Differences a - b over the keys (seeds) both maps hold, in key order: the
 * paired comparison of two settings run with the same seeds.
 */
export function pairedDifferences(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): number[] {
  return [...a.keys()].filter((k) => b.has(k)).sort((x, y) => x - y).map((k) => a.get(k)! - b.get(k)!);
}
