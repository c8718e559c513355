import { fail } from './errors.js';

/**
 * Typed-array helpers every layer that combines updates shares: the update
 * checks, FedAvg's weighted mean and the one L2 clipper. They live here, at
 * the bottom, so the security layer's robust rules and DP can use them
 * without importing the update layer above it (updates/aggregate.ts
 * re-exports them beside the server optimizers).
 */

/**
 * Any rule that turns the clients' updates and weights into one update of the
 * same length: `weightedAverage` by default; robust rules (median, trimmed
 * mean, Krum) plug in here.
 */
export type Aggregator = (updates: readonly Float64Array[], weights: ArrayLike<number>) => Float64Array;

/**
 * Checks that there is at least one update, that all have the same length
 * (`dim` when given) and that every entry is finite. `labels[i]` names update
 * `i` in the message (default `updates[i]`). Returns the common length.
 */
export function checkUpdates(
  updates: readonly Float64Array[],
  dim?: number,
  labels?: (i: number) => string,
): number {
  const name = labels ?? ((i: number) => `updates[${i}]`);
  if (updates.length === 0) fail('updates', 'nothing to aggregate: at least one update is needed');
  const n = dim ?? updates[0]!.length;
  for (let k = 0; k < updates.length; k++) {
    const u = updates[k]!;
    if (u.length !== n) {
      fail(name(k), `has ${u.length} entries, expected ${n}${dim === undefined ? ' (as updates[0])' : ' (as the parameters)'}`);
    }
    for (let j = 0; j < n; j++) {
      const x = u[j]!;
      if (!Number.isFinite(x)) fail(name(k), `entry ${j} is ${x}: a non-finite update is rejected, not averaged in`);
    }
  }
  return n;
}

/** Checks weights: one per update, each finite and >= 0, with a positive total. Returns the total. */
function checkWeights(weights: ArrayLike<number>, count: number): number {
  if (weights.length !== count) fail('weights', `got ${weights.length} weights for ${count} updates; give one per update`);
  let total = 0;
  for (let k = 0; k < count; k++) {
    const w = weights[k]!;
    if (!Number.isFinite(w) || w < 0) fail(`weights[${k}]`, `must be a finite number >= 0, got ${w}`);
    total += w;
  }
  if (!(total > 0)) fail('weights', `total weight must be > 0, got ${total}`);
  return total;
}

/**
 * FedAvg's weighted average (McMahan et al. 2017, "Communication-Efficient
 * Learning of Deep Networks from Decentralized Data"):
 *
 *     Δ = Σ_k n_k Δ_k / Σ_k n_k
 *
 * with `n_k` the client's sample count. It is computed as
 * `Δ_0 + Σ_k n_k (Δ_k - Δ_0) / Σ_k n_k`, the same sum algebraically, which
 * returns identical updates exactly and loses less precision when updates are
 * close to each other.
 *
 * Refuses an empty list, updates of different lengths, NaN or infinite
 * entries (naming the update), negative or non-finite weights, and a total
 * weight that is not positive.
 *
 * @example weightedAverage([Float64Array.of(1, 2), Float64Array.of(3, 4)], [1, 3]) // [2.5, 3.5]
 */
export function weightedAverage(updates: readonly Float64Array[], weights: ArrayLike<number>): Float64Array {
  const n = checkUpdates(updates);
  const total = checkWeights(weights, updates.length);
  const base = updates[0]!;
  const acc = new Float64Array(n);
  for (let k = 1; k < updates.length; k++) {
    const w = weights[k]!;
    if (w === 0) continue;
    const u = updates[k]!;
    for (let j = 0; j < n; j++) acc[j]! += w * (u[j]! - base[j]!);
  }
  for (let j = 0; j < n; j++) acc[j] = base[j]! + acc[j]! / total;
  return acc;
}

/** L2 norm of a vector. */
export function l2Norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/**
 * `u * min(1, C / |u|_2)` (Abadi et al. 2016; Flower's `fixedclipping_mod`):
 * the one L2 clipper. Always a fresh array (callers may add noise to it in
 * place), with the norm before clipping.
 */
export function clipL2(u: Float64Array, maxNorm: number): { readonly out: Float64Array; readonly norm: number; readonly clipped: boolean } {
  const norm = l2Norm(u);
  const clipped = norm > maxNorm;
  const scale = clipped ? maxNorm / norm : 1;
  const out = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) out[i] = u[i]! * scale;
  return { out, norm, clipped };
}
