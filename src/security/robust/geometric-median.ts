import { fail } from '../../util/errors.js';
import { checkInputs, sqDist, type Assumption, type RobustResult } from './common.js';
import { coordinateMedian } from './coordinate.js';

/**
 * Geometric median by Weiszfeld's algorithm (Weiszfeld 1937; as RFA, Pillutla,
 * Kakade & Harchaoui 2022, "Robust Aggregation for Federated Learning",
 * Algorithm 2), smoothed at the data points. It minimises
 *
 *     g(v) = Σ_k α_k |v - u_k|
 *
 * by the fixed-point step
 *
 *     β_k = α_k / |v - u_k|,    v ← T(v) = Σ β_k u_k / Σ β_k.
 *
 * Smoothing: an update within ν (`eps`) of v counts as sitting on v. Rather
 * than dividing by max(ν, |v - u_k|) (RFA), which would pin v to that update
 * whether or not it is the median, those updates enter by the Vardi & Zhang
 * (2000) rule: with η their total weight and r = |Σ_{others} β_k (u_k - v)|,
 *
 *     v ← max(0, 1 - η/r) T(v) + min(1, η/r) v,
 *
 * so v stays only where it is optimal (r <= η).
 *
 * It starts from the coordinate-wise median, which is near the answer when
 * attackers are far (from the mean, Weiszfeld would need many steps to come
 * back), and stops after `maxIter` steps or once a step is at most `tol`
 * times the median distance from v to the updates, a scale no minority of
 * attackers can inflate (a relative change of g would be dominated by far
 * attackers and stop too early). α_k = 1 by default; `weighted: true` uses
 * the sample-count weights as in RFA (then a client that lies about its
 * count gains influence).
 *
 * Breakdown point 1/2: with fewer than n/2 attackers the result stays within
 * a distance of the honest updates that does not grow with how far the
 * attackers go.
 */

export const GEOMETRIC_MEDIAN_ASSUMPTION: Assumption = {
  text: 'f < n/2, i.e. n >= 2f + 1 (breakdown point 1/2; Pillutla et al. 2022)',
  why: (n, f) => (n >= 2 * f + 1 ? undefined : `it needs n >= ${2 * f + 1} (a strict honest majority)`),
};

export interface GeometricMedianOptions {
  /** Most Weiszfeld steps; default 100. */
  readonly maxIter?: number;
  /** Stop when a step |v' - v| <= tol * median_k |v - u_k|; default 1e-10. */
  readonly tol?: number;
  /** Smoothing radius ν > 0: updates closer than this to v count as on it; default 1e-12. */
  readonly eps?: number;
  /** Weigh updates by the given weights (RFA); default false (uniform). */
  readonly weighted?: boolean;
}

/** Distances |v - u_k| into `dist`; returns g(v) = Σ α_k |v - u_k|. */
function distances(updates: readonly Float64Array[], alpha: ArrayLike<number>, v: Float64Array, dist: Float64Array): number {
  let g = 0;
  for (let k = 0; k < updates.length; k++) {
    dist[k] = Math.sqrt(sqDist(v, updates[k]!));
    g += alpha[k]! * dist[k]!;
  }
  return g;
}

function medianOf(xs: Float64Array): number {
  const s = xs.slice().sort();
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/**
 * The geometric median of the updates. `scores` are the final distances
 * |v - u_k| (`scoreKind: 'distance'`); `info` reports `iterations`,
 * `converged` (1 or 0) and `objective` g(v).
 *
 * @example geometricMedian([[0, 0], [2, 0], [0, 2], [2, 2]]).aggregate // [1, 1]
 */
export function geometricMedian(
  updates: readonly Float64Array[],
  weights?: ArrayLike<number>,
  options: GeometricMedianOptions = {},
): RobustResult {
  const d = checkInputs(updates, weights);
  const n = updates.length;
  const maxIter = options.maxIter ?? 100;
  const tol = options.tol ?? 1e-10;
  const eps = options.eps ?? 1e-12;
  if (!Number.isInteger(maxIter) || maxIter < 1) fail('aggregator.max_iter', `must be an integer >= 1, got ${maxIter}`);
  if (!(Number.isFinite(tol) && tol >= 0)) fail('aggregator.tol', `must be a finite number >= 0, got ${tol}`);
  if (!(Number.isFinite(eps) && eps > 0)) fail('aggregator.eps', `must be a finite number > 0, got ${eps}`);
  let alpha: ArrayLike<number> = new Float64Array(n).fill(1);
  if (options.weighted === true) {
    if (weights === undefined) fail('weights', 'a weighted geometric median needs the weights');
    let total = 0;
    for (let k = 0; k < n; k++) total += weights[k]!;
    if (!(total > 0)) fail('weights', `total weight must be > 0, got ${total}`);
    alpha = weights;
  }
  let v = coordinateMedian(updates).aggregate;
  const dist = new Float64Array(n);
  let g = distances(updates, alpha, v, dist);
  let iterations = 0;
  let converged = false;
  const t = new Float64Array(d);
  while (iterations < maxIter) {
    t.fill(0);
    let total = 0;
    let eta = 0;
    for (let k = 0; k < n; k++) {
      const a = alpha[k]!;
      if (a === 0) continue;
      if (dist[k]! < eps) {
        eta += a;
        continue;
      }
      const b = a / dist[k]!;
      total += b;
      const u = updates[k]!;
      for (let j = 0; j < d; j++) t[j]! += b * u[j]!;
    }
    if (total === 0) {
      converged = true; // every weighted update sits on v
      break;
    }
    for (let j = 0; j < d; j++) t[j] = t[j]! / total;
    // |R| = |Σ β_k (u_k - v)| = total * |T - v|.
    const r = total * Math.sqrt(sqDist(t, v));
    if (r <= eta) {
      converged = true; // v is a data point where the pull of the others cannot beat its own weight
      break;
    }
    const lam = eta > 0 ? eta / r : 0;
    const next = new Float64Array(d);
    for (let j = 0; j < d; j++) next[j] = (1 - lam) * t[j]! + lam * v[j]!;
    iterations++;
    const scale = medianOf(dist);
    const step = Math.sqrt(sqDist(next, v));
    const nextDist = new Float64Array(n);
    const gNext = distances(updates, alpha, next, nextDist);
    // Each step never increases g; a rise can only be round-off, so keep the better point.
    if (gNext > g) {
      converged = true;
      break;
    }
    v = next;
    g = gNext;
    dist.set(nextDist);
    if (step <= tol * scale) {
      converged = true;
      break;
    }
  }
  return {
    aggregate: v,
    scores: Array.from(dist),
    scoreKind: 'distance',
    info: { iterations, converged: converged ? 1 : 0, objective: g },
  };
}
