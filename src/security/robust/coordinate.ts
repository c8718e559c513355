import { fail } from '../../util/errors.js';
import { checkInputs, type Assumption, type RobustResult } from './common.js';

/**
 * Coordinate-wise rules (Yin, Chen, Ramchandran & Bartlett 2018,
 * "Byzantine-Robust Distributed Learning: Towards Optimal Statistical
 * Rates"; Flower's `aggregate_median`, `aggregate_trimmed_avg`). Each
 * coordinate j is combined on its own from the n values u_1[j] ... u_n[j],
 * so the rules ignore the sample-count weights: a Byzantine client can
 * claim any count.
 */

/**
 * Median: with a strict honest majority every coordinate of the median lies
 * between two honest values, however far the attackers go.
 */
export const MEDIAN_ASSUMPTION: Assumption = {
  text: 'f < n/2, i.e. n >= 2f + 1 (a strict honest majority per coordinate; Yin et al. 2018)',
  why: (n, f) => (n >= 2 * f + 1 ? undefined : `it needs n >= ${2 * f + 1} (a strict honest majority)`),
};

/**
 * Coordinate-wise median: out[j] = median_k u_k[j]; for an even n the mean
 * of the two middle values.
 *
 * @example coordinateMedian([[1, 10], [2, 20], [100, -5]]).aggregate // [2, 10]
 */
export function coordinateMedian(updates: readonly Float64Array[]): RobustResult {
  const d = checkInputs(updates);
  const n = updates.length;
  const col = new Float64Array(n);
  const out = new Float64Array(d);
  const mid = n >> 1;
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < n; k++) col[k] = updates[k]![j]!;
    col.sort();
    out[j] = n % 2 === 1 ? col[mid]! : 0.5 * (col[mid - 1]! + col[mid]!);
  }
  return { aggregate: out };
}

/** Values trimmed per side for a fraction beta of n: floor(beta n). */
export function trimCount(n: number, beta: number): number {
  if (!(Number.isFinite(beta) && beta >= 0 && beta < 0.5)) fail('aggregator.beta', `must be a number in [0, 0.5), got ${beta}`);
  // The epsilon keeps floor(0.2 * 10) at 2 despite 0.2 * 10 = 1.9999999999999998 in some products.
  return Math.floor(beta * n + 1e-9);
}

/**
 * Trimmed mean trimming k values per side tolerates f <= k attackers (their
 * values are either trimmed or lie between honest ones), and needs a value
 * left: n - 2k >= 1.
 */
export function trimmedMeanAssumption(beta: number | undefined): Assumption {
  const kOf = (n: number, f: number) => (beta === undefined ? f : trimCount(n, beta));
  const what = beta === undefined ? 'k = f' : `k = floor(beta n) with beta = ${beta}`;
  return {
    text: `trims ${what} values per side; needs k >= f and n - 2k >= 1 (Yin et al. 2018)`,
    why: (n, f) => {
      const k = kOf(n, f);
      if (k < f) {
        const least = `${f}/${n} = ${(f / n).toFixed(4)}`;
        return `it trims only k = floor(${beta} * ${n}) = ${k} value(s) per side but f = ${f}; raise beta to at least ${least}`;
      }
      if (n - 2 * k < 1) return `trimming k = ${k} per side from n = ${n} leaves nothing; it needs n >= ${2 * k + 1}`;
      return undefined;
    },
  };
}

/**
 * Coordinate-wise trimmed mean: per coordinate, drop the `trim` smallest and
 * the `trim` largest values and average the n - 2 trim that remain.
 *
 *     out[j] = 1/(n - 2k) Σ_{i=k}^{n-k-1} u_(i)[j]      (u_(i) the i-th smallest)
 *
 * `scores[k]` is the fraction of coordinates at which update k was trimmed
 * (`scoreKind: 'trimmed_fraction'`), a hint of who sat at the extremes.
 *
 * @example trimmedMean([[0], [1], [2], [3], [100]], { trim: 1 }).aggregate // [2]
 */
export function trimmedMean(updates: readonly Float64Array[], options: { readonly trim: number }): RobustResult {
  const d = checkInputs(updates);
  const n = updates.length;
  const k = options.trim;
  if (!Number.isInteger(k) || k < 0 || n - 2 * k < 1) {
    fail('aggregator.trim', `must be an integer in [0, ${Math.floor((n - 1) / 2)}] for n = ${n} updates, got ${k}`);
  }
  const col = new Float64Array(n);
  const idx = new Int32Array(n);
  const trimmed = new Float64Array(n);
  const out = new Float64Array(d);
  const keep = n - 2 * k;
  const byValue = (a: number, b: number): number => col[a]! - col[b]! || a - b;
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) {
      col[i] = updates[i]![j]!;
      idx[i] = i;
    }
    idx.sort(byValue);
    let s = 0;
    for (let i = k; i < n - k; i++) s += col[idx[i]!]!;
    out[j] = s / keep;
    for (let i = 0; i < k; i++) {
      trimmed[idx[i]!]!++;
      trimmed[idx[n - 1 - i]!]!++;
    }
  }
  const scores = Array.from(trimmed, (t) => (d > 0 ? t / d : 0));
  return { aggregate: out, scores, scoreKind: 'trimmed_fraction', info: { trimmed_per_side: k } };
}
