import { fail } from '../../util/errors.js';
import { Rng } from '../../util/random.js';

/**
 * The SecAgg+ communication graph (Bell, Bonawitz, Gascón, Lepoint and
 * Raykova, "Secure Single-Server Aggregation with (Poly)Logarithmic
 * Overhead", CCS 2020): each client masks with, and secret-shares among,
 * only its k neighbours, k of order log n, instead of all n - 1 others.
 *
 * Graph. The round's clients are put on a ring in a random order (a public
 * permutation drawn from `seed`) and each is joined to the k/2 nearest on
 * either side: a k-regular graph whose neighbourhoods are random sets of the
 * round's clients (Flower's SecAgg+ uses the same ring shape). With
 * k >= n - 1 it is the complete graph (plain SecAgg).
 *
 * A client's secrets are shared among its k neighbours and itself (k + 1
 * holders, as Bonawitz et al. share among all n); t of them rebuild one.
 *
 * Choice of k and t (the bound the README states). With n clients, a
 * fraction delta dropping and a fraction gamma corrupted (colluding with the
 * server), a round fails when
 *   - correctness: some client has more than k + 1 - t of its k neighbours
 *     dropped (its seed cannot be rebuilt):
 *     P <= n exp(-k D((k + 2 - t) / k || delta)),
 *   - privacy: some honest client has t or more corrupted neighbours (they
 *     could rebuild its secrets): P <= n exp(-k D(t / k || gamma)),
 *   - privacy: the honest survivors fall apart into pieces whose partial sums
 *     the server would learn; on the ring that needs k/2 consecutive clients
 *     all dropped or corrupted: P <= n (delta + gamma)^(k/2),
 * where D(a || p) = a ln(a/p) + (1 - a) ln((1 - a)/(1 - p)) is the
 * Kullback-Leibler divergence of Bernoulli laws (the Chernoff-Hoeffding
 * bound on binomial and hypergeometric tails). `chooseDegree` returns the
 * smallest even k, with t = max(floor((k+1)/2) + 1, ceil(threshold (k+1))), whose
 * sum of the three stays under 2^-40 (Bell et al. bound the same events,
 * Theorem 3.6, with k = O(log n + sigma) for fixed rates); when no k < n - 1
 * does, the complete graph.
 */

/** Failure probability targeted by `chooseDegree`: 2^-40. */
export const SECAGG_FAILURE_TARGET = 2 ** -40;

export interface DegreeOptions {
  readonly clients: number;
  /** Fraction of a round's clients expected to drop, in [0, 1). */
  readonly dropout: number;
  /** Fraction of clients assumed corrupted (colluding with the server), in [0, 1/2). */
  readonly corrupted: number;
  /** t / k at least this (> 1/2; see `thresholdFor`). */
  readonly threshold: number;
}

export interface Degree {
  /** Neighbours per client. */
  readonly k: number;
  /** Shares needed to rebuild a secret, among a client's k + 1 holders (its neighbours and itself). */
  readonly t: number;
  /** The bound on the round's failure probability for this k and t. */
  readonly failureBound: number;
  /** True when k = n - 1: every client is every other's neighbour. */
  readonly complete: boolean;
}

/** Bernoulli KL divergence D(a || p), for the Chernoff bound P(Bin(k, p) >= a k) <= exp(-k D). */
export function bernoulliKl(a: number, p: number): number {
  const term = (x: number, y: number) => (x === 0 ? 0 : y === 0 ? Infinity : x * Math.log(x / y));
  return term(a, p) + term(1 - a, 1 - p);
}

/** exp(-k D(a || p)) when a > p (the tail above a), else 1 (the bound says nothing). */
function tail(k: number, a: number, p: number): number {
  return a > p ? Math.exp(-k * bernoulliKl(a, p)) : 1;
}

/**
 * t for k neighbours (k + 1 holders): at least ceil(threshold (k + 1)), and a
 * majority of the holders, so that two disjoint groups of honest holders
 * cannot each reach t (a server would get one client's self-mask from one
 * and its pair masks from the other).
 */
export function thresholdFor(k: number, threshold: number): number {
  const holders = k + 1;
  return Math.min(holders, Math.max(Math.floor(holders / 2) + 1, Math.ceil(threshold * holders - 1e-9)));
}

/** The union bound above for given k and t. */
export function failureBound(o: DegreeOptions, k: number, t: number): number {
  const n = o.clients;
  if (k >= n - 1) {
    // Complete graph: no connectivity risk; the same neighbourhood tails apply.
    return Math.min(1, n * (tail(k, (k + 2 - t) / k, o.dropout) + tail(k, t / k, o.corrupted)));
  }
  return Math.min(1, n * (tail(k, (k + 2 - t) / k, o.dropout) + tail(k, t / k, o.corrupted) + (o.dropout + o.corrupted) ** (k / 2)));
}

function checkDegreeOptions(o: DegreeOptions): void {
  if (!(Number.isInteger(o.clients) && o.clients >= 2)) fail('secagg.clients', `must be an integer >= 2, got ${o.clients}`);
  if (!(o.dropout >= 0 && o.dropout < 1)) fail('secure_aggregation.dropout', `must be in [0, 1), got ${o.dropout}`);
  if (!(o.corrupted >= 0 && o.corrupted < 0.5)) fail('secure_aggregation.corrupted_fraction', `must be in [0, 0.5), got ${o.corrupted}`);
  if (!(o.threshold > 0.5 && o.threshold <= 1)) {
    fail(
      'secure_aggregation.threshold',
      `must be in (0.5, 1], got ${o.threshold}: with t at most half of a client's share holders, a server that tells two halves of them different survivor lists collects its self-mask from one half and its pair masks from the other, and unmasks its update (t > n/2, Bonawitz et al. 2017)`,
    );
  }
}

/** The smallest k (and its t) that keeps the bound under 2^-40, or the complete graph. */
export function chooseDegree(o: DegreeOptions): Degree {
  checkDegreeOptions(o);
  const n = o.clients;
  for (let k = 2; k < n - 1; k += 2) {
    const t = thresholdFor(k, o.threshold);
    const b = failureBound(o, k, t);
    if (b <= SECAGG_FAILURE_TARGET) return { k, t, failureBound: b, complete: false };
  }
  const k = n - 1;
  const t = thresholdFor(k, o.threshold);
  return { k, t, failureBound: failureBound(o, k, t), complete: true };
}

/**
 * Each client's neighbours (sorted ids) in the ring graph of degree k over
 * `ids`, the ring order drawn from `seed` (public: every client computes the
 * same graph). k must be even and below n - 1, or n - 1 (complete).
 */
export function secaggGraph(ids: readonly number[], k: number, seed: number): Map<number, number[]> {
  const n = ids.length;
  const out = new Map<number, number[]>();
  if (!(Number.isInteger(k) && k >= 1 && k <= n - 1)) fail('secagg.degree', `must be an integer in [1, ${n - 1}], got ${k}`);
  if (k === n - 1) {
    for (const id of ids) out.set(id, ids.filter((j) => j !== id).sort((a, b) => a - b));
    return out;
  }
  if (k % 2 !== 0) fail('secagg.degree', `must be even below n - 1 (a ring joins k/2 on each side), got ${k}`);
  const order = new Rng(seed).permutation(n);
  const ring = Array.from(order, (p) => ids[p]!);
  ring.forEach((id, pos) => {
    const nb: number[] = [];
    for (let d = 1; d <= k / 2; d++) nb.push(ring[(pos + d) % n]!, ring[(pos - d + n) % n]!);
    out.set(id, nb.sort((a, b) => a - b));
  });
  return out;
}

let cached: { ids: readonly number[]; k: number; seed: number; graph: Map<number, number[]> } | undefined;

const sameIds = (a: readonly number[], b: readonly number[]): boolean => {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * `secaggGraph`, remembered for the last (ids, k, seed): in a simulation
 * every client of a round asks for the same graph.
 */
export function roundGraph(ids: readonly number[], k: number, seed: number): ReadonlyMap<number, readonly number[]> {
  if (!(cached && cached.k === k && cached.seed === seed && sameIds(cached.ids, ids))) cached = { ids: [...ids], k, seed, graph: secaggGraph(ids, k, seed) };
  return cached.graph;
}
