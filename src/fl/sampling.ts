import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';

export interface SampleOptions {
  /** Fraction of the available clients to pick, in [0, 1] (default 1 when `count` is not given). */
  readonly fraction?: number;
  /** Exact number to pick instead of a fraction (still raised to `min`). */
  readonly count?: number;
  /** Fewest clients a round may use; fewer available is an error. */
  readonly min: number;
}

/**
 * How many clients a round picks out of `available`, in Flower's way
 * (`num_fit_clients`): `max(min, floor(fraction * available))`, or
 * `max(min, count)`. The floor forgives a rounding error of 1e-9 so that,
 * for example, 0.29 of 100 clients is 29 and not 28.
 */
export function sampleSize(available: number, options: SampleOptions, field = 'clients'): number {
  const { fraction, count, min } = options;
  if (!Number.isInteger(min) || min < 0) fail(`${field}.min`, `must be an integer >= 0, got ${min}`);
  if (fraction !== undefined && count !== undefined) {
    fail(field, `give either fraction (${fraction}) or count (${count}), not both`);
  }
  let n: number;
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 0) fail(`${field}.count`, `must be an integer >= 0, got ${count}`);
    n = count;
  } else {
    const f = fraction ?? 1;
    if (!Number.isFinite(f) || f < 0 || f > 1) fail(`${field}.fraction`, `must be in [0, 1], got ${f}`);
    n = Math.floor(f * available + 1e-9);
  }
  n = Math.max(min, n);
  if (available < min) {
    fail(field, `${available} client(s) available, fewer than the minimum of ${min}`);
  }
  if (n > available) {
    fail(field, `asked for ${n} client(s) but only ${available} are available`);
  }
  return n;
}

/**
 * Picks clients for a round: `sampleSize(ids.length, options)` of them,
 * uniformly without replacement (a partial Fisher-Yates shuffle driven by
 * `rng`), returned sorted ascending. Same ids, options and generator state:
 * the same clients. Never mutates `ids`; refuses duplicate ids.
 *
 * @example sampleClients([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { fraction: 0.3, min: 2 }, new Rng(1)) // three sorted ids
 */
export function sampleClients(ids: readonly number[], options: SampleOptions, rng: Rng, field = 'clients'): number[] {
  const seen = new Set<number>();
  for (const id of ids) {
    if (seen.has(id)) fail(`${field}.ids`, `client id ${id} is listed twice`);
    seen.add(id);
  }
  const available = ids.length;
  const n = sampleSize(available, options, field);
  const pool = ids.slice();
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(available - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, n).sort((a, b) => a - b);
}
