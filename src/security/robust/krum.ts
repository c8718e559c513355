import { fail } from '../../util/errors.js';
import { checkInputs, complement, linearAssumption, meanOf, pairwiseSqDistances, type Assumption, type RobustResult } from './common.js';

/**
 * Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui & Stainer 2017,
 * "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent";
 * Flower's `aggregate_krum`). Krum is Multi-Krum with m = 1.
 *
 * The score of update i is the sum of squared distances to its n - f - 2
 * nearest other updates,
 *
 *     s(i) = Σ_{i -> k} |u_i - u_k|²,
 *
 * and Multi-Krum keeps the m updates with the lowest scores (ties: the lower
 * index) and averages them uniformly. Sample-count weights are ignored, as in
 * the paper: a Byzantine client can claim any count.
 */

/** Blanchard et al. 2017, Proposition 1: n > 2f + 2. */
export const KRUM_ASSUMPTION: Assumption = linearAssumption(2, 3, 'n >= 2f + 3 (Blanchard et al. 2017, Prop. 1: n > 2f + 2)');

/**
 * Krum scores from a row-major n x n matrix of squared distances, over the
 * candidate indices `among` (all by default), with `neighbours` nearest
 * others each. Returns one score per candidate, in `among` order.
 */
export function krumScoresFromDistances(
  dist: Float64Array,
  n: number,
  neighbours: number,
  among: readonly number[] = Array.from({ length: n }, (_, i) => i),
): Float64Array {
  const m = among.length;
  const row = new Float64Array(Math.max(0, m - 1));
  const scores = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    const i = among[a]!;
    let r = 0;
    for (let b = 0; b < m; b++) if (b !== a) row[r++] = dist[i * n + among[b]!]!;
    row.sort();
    let s = 0;
    for (let t = 0; t < neighbours && t < row.length; t++) s += row[t]!;
    scores[a] = s;
  }
  return scores;
}

/** Krum scores of the updates for f tolerated attackers (n - f - 2 neighbours each). */
export function krumScores(updates: readonly Float64Array[], f: number): Float64Array {
  checkInputs(updates);
  const n = updates.length;
  const k = n - f - 2;
  if (!Number.isInteger(f) || f < 0 || k < 1) fail('aggregator.f', `Krum scores need n - f - 2 >= 1 neighbours: n = ${n}, f = ${f}`);
  return krumScoresFromDistances(pairwiseSqDistances(updates), n, k);
}

/** Indices of the m lowest scores (stable: ties go to the lower index), ascending. */
export function lowest(scores: ArrayLike<number>, m: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  return order.slice(0, m).sort((a, b) => a - b);
}

/**
 * Multi-Krum: the uniform mean of the m updates with the lowest Krum scores.
 * Needs n - f - 2 >= 1 and 1 <= m <= n - f (the robustness assumption
 * n >= 2f + 3 is checked by the registry's rule, see `KRUM_ASSUMPTION`).
 *
 * @example multiKrum(updates, { f: 1, m: 3 }) // { aggregate, selected: [..3 indices], flagged, scores }
 */
export function multiKrum(updates: readonly Float64Array[], options: { readonly f: number; readonly m: number }): RobustResult {
  const { f, m } = options;
  const n = updates.length;
  const scores = krumScores(updates, f);
  if (!Number.isInteger(m) || m < 1 || m > n - f) {
    fail('aggregator.m', `must be an integer in [1, n - f] = [1, ${n - f}] for n = ${n}, f = ${f}, got ${m}`);
  }
  const selected = lowest(scores, m);
  return {
    aggregate: meanOf(updates, selected),
    selected,
    flagged: complement(n, selected),
    scores: Array.from(scores),
    scoreKind: 'krum_score',
    info: { selected: m },
  };
}

/**
 * Krum: the single update with the lowest score, copied.
 *
 * @example krum([[0, 0], [0.1, 0], [0, 0.1], [0.1, 0.1], [9, 9]], { f: 1 }).selected // [one of the four near 0]
 */
export function krum(updates: readonly Float64Array[], options: { readonly f: number }): RobustResult {
  return multiKrum(updates, { f: options.f, m: 1 });
}
