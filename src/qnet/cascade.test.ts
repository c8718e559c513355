import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { hammingDistance } from './bits.js';
import { cascade } from './cascade.js';
import { h2 } from './math.js';

/** A random key and a copy with each bit flipped with probability e. */
function noisyPair(n: number, e: number, seed: number): { alice: Uint8Array; bob: Uint8Array } {
  const rng = new Rng(seed);
  const alice = new Uint8Array(n);
  const bob = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    alice[i] = rng.nextUint32() & 1;
    bob[i] = alice[i]! ^ (rng.uniform() < e ? 1 : 0);
  }
  return { alice, bob };
}

describe('cascade', () => {
  test('no errors: only the top-level block parities leak (hand count)', () => {
    const { alice } = noisyPair(100, 0, 1);
    // k = 10, 20, 40, 80 -> 10 + 5 + 3 + 2 blocks
    const r = cascade(alice, Uint8Array.from(alice), { qber: 0.073, firstBlockSize: 10, rng: new Rng(2) });
    assert.deepEqual(r.blockSizes, [10, 20, 40, 80]);
    assert.equal(r.leakedBits, 20);
    assert.equal(r.flips, 0);
    assert.deepEqual(r.corrected, alice);
  });

  test('one error, one pass: block parities plus a binary search of 3 halvings', () => {
    const { alice } = noisyPair(100, 0, 3);
    const bob = Uint8Array.from(alice);
    bob[37] = bob[37]! ^ 1;
    const r = cascade(alice, bob, { qber: 0.073, firstBlockSize: 10, rng: new Rng(4), passes: 1 });
    // block [30, 40): halves [30,35) even -> [35,40): [35,37) even -> [37,40): [37,38) odd -> 37
    assert.equal(r.leakedBits, 10 + 3);
    assert.equal(r.flips, 1);
    assert.deepEqual(r.corrected, alice);
    assert.equal(bob[37], alice[37]! ^ 1, 'input not mutated');
  });

  test('3 % errors on 20 000 bits: corrected, leak 1.0-1.3 times the Shannon limit n h(e)', () => {
    const { alice, bob } = noisyPair(20_000, 0.03, 5);
    const errors = hammingDistance(alice, bob);
    const r = cascade(alice, bob, { qber: errors / alice.length, rng: new Rng(6) });
    assert.deepEqual(r.corrected, alice);
    assert.equal(r.flips, errors);
    // Brassard-Salvail report about 1.16 n h(e) at e = 3 % for 4 passes.
    const f = r.leakedBits / (alice.length * h2(errors / alice.length));
    assert.ok(f > 1 && f < 1.3, `efficiency f = ${f}`);
  });

  test('every flip corrects a real error: residual = initial - flips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0, max: 0.2, noNaN: true }), fc.nat(), (n, e, seed) => {
        const { alice, bob } = noisyPair(n, e, seed);
        const r = cascade(alice, bob, { qber: e, rng: new Rng(seed + 1) });
        assert.equal(hammingDistance(alice, r.corrected), hammingDistance(alice, bob) - r.flips);
      }),
      { numRuns: 200 },
    );
  });

  test('refuses mismatched lengths and bad options', () => {
    assert.throws(() => cascade(new Uint8Array(3), new Uint8Array(4), { qber: 0.1, rng: new Rng(1) }), (e: unknown) => e instanceof QflError && e.field === 'bob');
    assert.throws(() => cascade(new Uint8Array(3), new Uint8Array(3), { qber: 0.1, rng: new Rng(1), passes: 0 }), (e: unknown) => e instanceof QflError && e.field === 'passes');
    assert.throws(() => cascade(new Uint8Array(3), new Uint8Array(3), { qber: 0.7, rng: new Rng(1) }), (e: unknown) => e instanceof QflError && e.field === 'qber');
    assert.equal(cascade(new Uint8Array(0), new Uint8Array(0), { qber: 0.1, rng: new Rng(1) }).leakedBits, 0);
  });
});
