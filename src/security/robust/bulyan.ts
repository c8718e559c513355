import { checkInputs, complement, linearAssumption, pairwiseSqDistances, type Assumption, type RobustResult } from './common.js';
import { krumScoresFromDistances } from './krum.js';
import { fail } from '../../util/errors.js';

/**
 * Bulyan (El Mhamdi, Guerraoui & Rouault 2018, "The Hidden Vulnerability of
 * Distributed Learning in Byzantium", Algorithm 2).
 *
 * 1. Selection: θ = n - 2f updates, chosen one at a time by Krum on the
 *    updates not yet chosen (each pick recomputes the scores over what is
 *    left with n' - f - 2 neighbours, at least 1).
 * 2. Aggregation, per coordinate j: among the θ selected values, the
 *    β = θ - 2f closest to their median are averaged.
 *
 * Sample-count weights are ignored. With f = 0 it is the plain mean.
 */

/** El Mhamdi et al. 2018: n >= 4f + 3. */
export const BULYAN_ASSUMPTION: Assumption = linearAssumption(4, 3, 'n >= 4f + 3 (El Mhamdi et al. 2018)');

/**
 * Bulyan's aggregate. Needs β = n - 4f >= 1 to be defined; its robustness
 * assumption n >= 4f + 3 is checked by the registry's rule.
 *
 * `selected` holds the θ updates of step 1, `flagged` the 2f left out.
 */
export function bulyan(updates: readonly Float64Array[], options: { readonly f: number }): RobustResult {
  const d = checkInputs(updates);
  const n = updates.length;
  const { f } = options;
  if (!Number.isInteger(f) || f < 0) fail('aggregator.f', `must be an integer >= 0, got ${f}`);
  const theta = n - 2 * f;
  const beta = theta - 2 * f;
  if (beta < 1) fail('aggregator.f', `Bulyan needs n - 4f >= 1 to be defined: n = ${n}, f = ${f}`);

  // Step 1: iterated Krum.
  const dist = pairwiseSqDistances(updates);
  let remaining = Array.from({ length: n }, (_, i) => i);
  const selected: number[] = [];
  const firstScores = krumScoresFromDistances(dist, n, Math.max(1, n - f - 2), remaining);
  while (selected.length < theta) {
    const scores = krumScoresFromDistances(dist, n, Math.max(1, remaining.length - f - 2), remaining);
    let best = 0;
    for (let a = 1; a < remaining.length; a++) if (scores[a]! < scores[best]!) best = a;
    selected.push(remaining[best]!);
    remaining = remaining.filter((_, a) => a !== best);
  }
  selected.sort((a, b) => a - b);

  // Step 2: per coordinate, the beta values nearest the median of the theta selected.
  const col = new Float64Array(theta);
  const out = new Float64Array(d);
  const mid = theta >> 1;
  for (let j = 0; j < d; j++) {
    for (let t = 0; t < theta; t++) col[t] = updates[selected[t]!]![j]!;
    col.sort();
    const med = theta % 2 === 1 ? col[mid]! : 0.5 * (col[mid - 1]! + col[mid]!);
    // The beta nearest values form a contiguous window of the sorted column: grow it from the median.
    let lo = theta % 2 === 1 ? mid : mid - 1;
    let hi = lo;
    let s = col[lo]!;
    for (let c = 1; c < beta; c++) {
      const left = lo > 0 ? med - col[lo - 1]! : Infinity;
      const right = hi < theta - 1 ? col[hi + 1]! - med : Infinity;
      if (left <= right) s += col[--lo]!;
      else s += col[++hi]!;
    }
    out[j] = s / beta;
  }
  return {
    aggregate: out,
    selected,
    flagged: complement(n, selected),
    scores: Array.from(firstScores),
    scoreKind: 'krum_score',
    info: { selected: theta, beta },
  };
}
