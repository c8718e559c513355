import assert from 'node:assert/strict';
import { QflError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';

/** Test helpers for the robust rules (imported by the *.test.ts files only). */

export const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${msg}[${i}]: got ${a}, expected ${e}`);
  }
}

/** Runs fn and checks it throws a QflError on `field` whose message contains every fragment. */
export function assertQfl(fn: () => unknown, field: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    assert.equal(e.field, field);
    for (const f of fragments) assert.ok(e.message.includes(f), `message "${e.message}" should contain "${f}"`);
    return true;
  });
}

/** `count` honest updates around `center` (default 0) with N(0, spread²) entries, seeded. */
export function honest(count: number, dim: number, seed: number, spread = 1, center = 0): Float64Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Float64Array.from({ length: dim }, () => center + rng.normal(0, spread)));
}

/** `count` identical colluding updates with every entry `value`. */
export function colluders(count: number, dim: number, value: number): Float64Array[] {
  return Array.from({ length: count }, () => new Float64Array(dim).fill(value));
}

/** Largest |x_j|. */
export function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < v.length; j++) m = Math.max(m, Math.abs(v[j]!));
  return m;
}

/** Deep copies, to check that a rule left its inputs alone. */
export function copies(updates: readonly Float64Array[]): Float64Array[] {
  return updates.map((u) => u.slice());
}
