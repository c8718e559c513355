import { l2Norm as norm2 } from '../../util/vectors.js';
import { checkUpdates } from '../../util/vectors.js';
import { fail } from '../../util/errors.js';

/**
 * What every robust rule returns: the aggregate delta, plus what it decided
 * about each client so that reports can show who was kept or pushed away.
 * Indices refer to positions in the `updates` array the rule was given; the
 * strategy maps them to client ids.
 */
export interface RobustResult {
  /** The combined delta, a fresh array (inputs are never mutated). */
  readonly aggregate: Float64Array;
  /** Updates the rule kept whole (Krum: 1, Multi-Krum: m, Bulyan: n - 2f), ascending. */
  readonly selected?: readonly number[];
  /** Updates it treated as suspicious (not selected, clipped, far from the centre), ascending. */
  readonly flagged?: readonly number[];
  /** One diagnostic per update, in update order; `scoreKind` says what it is. */
  readonly scores?: readonly number[];
  readonly scoreKind?: ScoreKind;
  /** Named scalars for the round's metrics (iterations, trimmed count...). */
  readonly info?: Readonly<Record<string, number>>;
}

/**
 * What `RobustResult.scores` hold: Krum scores (sum of squared distances to
 * the nearest neighbours), the fraction of coordinates at which an update was
 * trimmed, the update's L2 norm, or its distance to the final centre.
 */
export const SCORE_KINDS = ['krum_score', 'trimmed_fraction', 'norm', 'distance'] as const;
export type ScoreKind = (typeof SCORE_KINDS)[number];

/** A robustness assumption: the largest number f of Byzantine clients a rule tolerates among n. */
export interface Assumption {
  /** In words, with the paper, e.g. `n >= 2f + 3 (Blanchard et al. 2017)`. */
  readonly text: string;
  /** Why (n, f) violates it, or undefined when it holds. */
  why(n: number, f: number): string | undefined;
}

/** Checks that f is an integer >= 0; `field` names it in the error. */
export function checkF(f: number, field = 'aggregator.f'): void {
  if (!Number.isInteger(f) || f < 0) fail(field, `must be an integer >= 0 (the number of Byzantine clients tolerated), got ${f}`);
}

/**
 * Refuses (n, f) when `a` does not hold, with a message that names the rule,
 * the assumption and what to change. `field` defaults to `aggregator.f`.
 */
export function checkAssumption(rule: string, a: Assumption, n: number, f: number, field = 'aggregator.f'): void {
  checkF(f, field);
  if (!Number.isInteger(n) || n < 1) fail('aggregator.n', `${rule}: the number of clients per round must be an integer >= 1, got ${n}`);
  const why = a.why(n, f);
  if (why !== undefined) fail(field, `${rule} cannot tolerate f = ${f} Byzantine clients among n = ${n}: ${why} (assumption: ${a.text})`);
}

/** An assumption of the form n >= a f + b. */
export function linearAssumption(a: number, b: number, text: string): Assumption {
  return {
    text,
    why: (n, f) => {
      const need = a * f + b;
      return n >= need ? undefined : `it needs n >= ${need}; lower f or sample at least ${need} clients per round`;
    },
  };
}

/**
 * Validates the Aggregator-shaped input: at least one update, equal lengths,
 * finite entries (via `checkUpdates`), and one finite weight >= 0 per update.
 * Returns the dimension.
 */
export function checkInputs(updates: readonly Float64Array[], weights?: ArrayLike<number>): number {
  const d = checkUpdates(updates);
  if (weights !== undefined) {
    if (weights.length !== updates.length) {
      fail('weights', `got ${weights.length} weights for ${updates.length} updates; give one per update`);
    }
    for (let k = 0; k < weights.length; k++) {
      const w = weights[k]!;
      if (!Number.isFinite(w) || w < 0) fail(`weights[${k}]`, `must be a finite number >= 0, got ${w}`);
    }
  }
  return d;
}

/** Euclidean norm. */
export { norm2 };

/** Squared Euclidean distance between two vectors of equal length. */
export function sqDist(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j]! - b[j]!;
    s += t * t;
  }
  return s;
}

/** All pairwise squared distances, row-major n x n (zero diagonal). */
export function pairwiseSqDistances(updates: readonly Float64Array[]): Float64Array {
  const n = updates.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k < n; k++) {
      const s = sqDist(updates[i]!, updates[k]!);
      d[i * n + k] = s;
      d[k * n + i] = s;
    }
  }
  return d;
}

/** Uniform mean of `updates[i]` for i in `indices`, fresh. */
export function meanOf(updates: readonly Float64Array[], indices: readonly number[]): Float64Array {
  const d = updates[0]!.length;
  const out = new Float64Array(d);
  for (const i of indices) {
    const u = updates[i]!;
    for (let j = 0; j < d; j++) out[j]! += u[j]!;
  }
  for (let j = 0; j < d; j++) out[j] = out[j]! / indices.length;
  return out;
}

/** 0..n-1 minus `keep`, ascending. */
export function complement(n: number, keep: readonly number[]): number[] {
  const s = new Set(keep);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!s.has(i)) out.push(i);
  return out;
}
