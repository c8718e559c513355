import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { sampleClients, sampleSize } from './sampling.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function assertQfl(fn: () => unknown, field: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    assert.equal(e.field, field);
    for (const f of fragments) assert.ok(e.message.includes(f), `message "${e.message}" should contain "${f}"`);
    return true;
  });
}

describe('sampleSize: max(min, floor(fraction * available)) as in Flower', () => {
  test('fraction, min and count', () => {
    assert.equal(sampleSize(10, { fraction: 0.3, min: 2 }), 3); // floor(3) = 3
    assert.equal(sampleSize(10, { fraction: 0.1, min: 2 }), 2); // floor(1) = 1, raised to min 2
    assert.equal(sampleSize(10, { fraction: 0.55, min: 1 }), 5); // floor(5.5) = 5
    assert.equal(sampleSize(10, { min: 1 }), 10); // fraction defaults to 1
    assert.equal(sampleSize(10, { fraction: 0, min: 0 }), 0);
    assert.equal(sampleSize(10, { count: 4, min: 1 }), 4);
    assert.equal(sampleSize(10, { count: 1, min: 3 }), 3); // count is raised to min too
  });

  test('forgives the rounding of fraction * available', () => {
    // 0.29 * 100 = 28.999999999999996 in float64; Flower's int() would give 28
    assert.equal(0.29 * 100 < 29, true);
    assert.equal(sampleSize(100, { fraction: 0.29, min: 1 }), 29);
    assert.equal(sampleSize(10, { fraction: 0.7, min: 1 }), 7);
  });

  test('errors name the numbers', () => {
    assertQfl(() => sampleSize(1, { fraction: 1, min: 2 }), 'clients', '1 client(s) available', 'minimum of 2');
    assertQfl(() => sampleSize(3, { count: 5, min: 1 }, 'fit clients'), 'fit clients', 'asked for 5', 'only 3');
    assertQfl(() => sampleSize(3, { fraction: 1.5, min: 1 }), 'clients.fraction', '[0, 1]', '1.5');
    assertQfl(() => sampleSize(3, { fraction: 0.5, count: 1, min: 1 }), 'clients', 'not both');
    assertQfl(() => sampleSize(3, { count: 1.5, min: 1 }), 'clients.count', 'integer');
    assertQfl(() => sampleSize(3, { min: -1 }), 'clients.min', 'integer >= 0');
  });
});

describe('sampleClients', () => {
  test('returns sorted distinct ids from the input, never mutating it', () => {
    const ids = Object.freeze([17, 3, 99, 42, 8, 5, 61, 23]); // frozen: any write would throw
    const got = sampleClients(ids, { fraction: 0.5, min: 1 }, new Rng(7));
    assert.equal(got.length, 4);
    assert.deepEqual(got, [...got].sort((a, b) => a - b));
    assert.equal(new Set(got).size, 4);
    for (const id of got) assert.ok(ids.includes(id));
    assert.deepEqual(ids, [17, 3, 99, 42, 8, 5, 61, 23]);
  });

  test('same seed, same clients; different seeds, different draws', () => {
    const ids = range(20);
    const a = sampleClients(ids, { fraction: 0.25, min: 2 }, new Rng(123));
    const b = sampleClients(ids, { fraction: 0.25, min: 2 }, new Rng(123));
    assert.deepEqual(a, b);
    const draws = new Set(range(20).map((s) => sampleClients(ids, { count: 5, min: 1 }, new Rng(s)).join(',')));
    assert.ok(draws.size > 15, `20 seeds gave only ${draws.size} distinct samples`);
  });

  test('selects every client about equally often', () => {
    // 4000 draws of 3 out of 10: each client expected 1200 times (sd about 29)
    const rng = new Rng(2024);
    const counts = new Array<number>(10).fill(0);
    for (let t = 0; t < 4000; t++) for (const id of sampleClients(range(10), { count: 3, min: 1 }, rng)) counts[id]!++;
    for (const c of counts) assert.ok(Math.abs(c - 1200) < 150, `count ${c} far from 1200`);
  });

  test('all available when the fraction is 1; none when the fraction and min are 0', () => {
    assert.deepEqual(sampleClients([4, 2, 0], { fraction: 1, min: 1 }, new Rng(1)), [0, 2, 4]);
    assert.deepEqual(sampleClients([4, 2, 0], { fraction: 0, min: 0 }, new Rng(1)), []);
  });

  test('too few clients and duplicate ids are errors', () => {
    assertQfl(() => sampleClients([0], { fraction: 1, min: 2 }, new Rng(1)), 'clients', '1 client(s) available', 'minimum of 2');
    assertQfl(() => sampleClients([], { fraction: 1, min: 1 }, new Rng(1)), 'clients', '0 client(s) available');
    assertQfl(() => sampleClients([1, 2, 1], { fraction: 1, min: 1 }, new Rng(1)), 'clients.ids', 'id 1 is listed twice');
  });

  test('property: size follows the formula, the result is a sorted subset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (available, fraction, minRaw, seed) => {
          const min = Math.min(minRaw, available);
          const ids = range(available).map((i) => i * 3 + 1);
          const got = sampleClients(ids, { fraction, min }, new Rng(seed));
          assert.equal(got.length, Math.max(min, Math.floor(fraction * available + 1e-9)));
          for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]! < got[i]!);
          for (const id of got) assert.ok(ids.includes(id));
        },
      ),
    );
  });
});
