import { clipL2 as clipToNorm } from '../../util/vectors.js';
import { fail } from '../../util/errors.js';
import { checkInputs, type Assumption, type RobustResult } from './common.js';
import { coordinateMedian } from './coordinate.js';

/**
 * Rules that bound each client's influence by clipping instead of voting.
 */

/**
 * Norm bounding tolerates any number of attackers in the sense that each one
 * moves the aggregate by at most `max_norm * w_k / W`; it never removes them.
 */
export const NORM_BOUND_ASSUMPTION: Assumption = {
  text: 'any f < n: each client moves the aggregate by at most max_norm * w_k / Σw (bounded influence, not removal; Sun et al. 2019)',
  why: (n, f) => (f < n ? undefined : `f = ${f} leaves no honest client among n = ${n}`),
};

/** `v * min(1, c / |v|)`, fresh, with the norm before clipping: the shared L2 clipper. */
export { clipToNorm };

function checkPositive(field: string, x: number): void {
  if (!(Number.isFinite(x) && x > 0)) fail(field, `must be a finite number > 0, got ${x}`);
}

/**
 * Norm bounding (Sun, Kairouz, Suresh & McMahan 2019, "Can You Really
 * Backdoor Federated Learning?"): every update is L2-clipped to `maxNorm`,
 * then averaged with the sample-count weights (`weighted: false` for a
 * uniform mean):
 *
 *     Δ = Σ_k w_k u_k min(1, M / |u_k|) / Σ_k w_k.
 *
 * `flagged` are the clipped updates, `scores` the norms before clipping.
 *
 * @example normBound([[3, 4], [0, 1]], [1, 1], { maxNorm: 1 }).aggregate // [0.3, 0.9]
 */
export function normBound(
  updates: readonly Float64Array[],
  weights: ArrayLike<number>,
  options: { readonly maxNorm: number; readonly weighted?: boolean },
): RobustResult {
  const d = checkInputs(updates, weights);
  checkPositive('aggregator.max_norm', options.maxNorm);
  const weighted = options.weighted ?? true;
  const n = updates.length;
  const out = new Float64Array(d);
  const norms: number[] = [];
  const flagged: number[] = [];
  let total = 0;
  for (let k = 0; k < n; k++) {
    const w = weighted ? weights[k]! : 1;
    const c = clipToNorm(updates[k]!, options.maxNorm);
    norms.push(c.norm);
    if (c.clipped) flagged.push(k);
    total += w;
    if (w === 0) continue;
    for (let j = 0; j < d; j++) out[j]! += w * c.out[j]!;
  }
  if (!(total > 0)) fail('weights', `total weight must be > 0, got ${total}`);
  for (let j = 0; j < d; j++) out[j] = out[j]! / total;
  return { aggregate: out, flagged, scores: norms, scoreKind: 'norm', info: { clipped: flagged.length } };
}

/**
 * Centered clipping keeps the centre near the honest updates while they are
 * a strict majority (attackers far away pull with total force f τ, the
 * honest ones push back with up to (n - f) τ); its convergence rate
 * (Karimireddy et al. 2021) assumes a small fraction f/n.
 */
export const CENTERED_CLIPPING_ASSUMPTION: Assumption = {
  text: 'f < n/2, i.e. n >= 2f + 1 (Karimireddy, He & Jaggi 2021 analyse a small Byzantine fraction f/n)',
  why: (n, f) => (n >= 2 * f + 1 ? undefined : `it needs n >= ${2 * f + 1} (a strict honest majority)`),
};

export interface CenteredClippingOptions {
  /** Clipping radius τ > 0 around the centre. */
  readonly tau: number;
  /** Iterations L >= 1; default 5. */
  readonly iters?: number;
  /**
   * Starting centre v_0: `'zero'` (no change, the default), `'median'` (the
   * coordinate-wise median) or a given vector (e.g. the previous round's
   * aggregate, the paper's momentum).
   */
  readonly center?: 'zero' | 'median' | Float64Array;
}

/**
 * Centered clipping (Karimireddy, He & Jaggi 2021, "Learning from History
 * for Byzantine Robust Optimization", Eq. 2): from a centre v_0, L times
 *
 *     v ← v + (1/n) Σ_k (u_k - v) min(1, τ / |u_k - v|).
 *
 * Uniform over clients; the sample-count weights are ignored. Each step an
 * update moves v by at most τ/n. `scores` are the final distances
 * |u_k - v_L|, `flagged` the updates farther than τ from the final centre.
 */
export function centeredClipping(updates: readonly Float64Array[], options: CenteredClippingOptions): RobustResult {
  const d = checkInputs(updates);
  const n = updates.length;
  const { tau } = options;
  checkPositive('aggregator.tau', tau);
  const iters = options.iters ?? 5;
  if (!Number.isInteger(iters) || iters < 1) fail('aggregator.iters', `must be an integer >= 1, got ${iters}`);
  const c = options.center ?? 'zero';
  let v: Float64Array;
  if (c === 'zero') v = new Float64Array(d);
  else if (c === 'median') v = coordinateMedian(updates).aggregate;
  else {
    if (c.length !== d) fail('aggregator.center', `has ${c.length} entries, the updates ${d}`);
    for (let j = 0; j < d; j++) if (!Number.isFinite(c[j]!)) fail('aggregator.center', `entry ${j} is ${c[j]}, expected a finite number`);
    v = c.slice();
  }
  const diff = new Float64Array(d);
  const step = new Float64Array(d);
  for (let l = 0; l < iters; l++) {
    step.fill(0);
    for (let k = 0; k < n; k++) {
      const u = updates[k]!;
      let s = 0;
      for (let j = 0; j < d; j++) {
        diff[j] = u[j]! - v[j]!;
        s += diff[j]! * diff[j]!;
      }
      const r = Math.sqrt(s);
      const scale = r > tau ? tau / r : 1;
      for (let j = 0; j < d; j++) step[j]! += scale * diff[j]!;
    }
    for (let j = 0; j < d; j++) v[j]! += step[j]! / n;
  }
  const scores: number[] = [];
  const flagged: number[] = [];
  for (let k = 0; k < n; k++) {
    const u = updates[k]!;
    let s = 0;
    for (let j = 0; j < d; j++) s += (u[j]! - v[j]!) ** 2;
    const r = Math.sqrt(s);
    scores.push(r);
    if (r > tau) flagged.push(k);
  }
  return { aggregate: v, flagged, scores, scoreKind: 'distance', info: { iterations: iters } };
}
