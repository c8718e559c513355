import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { KeyPool } from './keys.js';
import { maskAll, maskBits, maskUpdate, modulusBits, sumMod } from './masking.js';
import { QUANT_BITS, workingModulus } from './quantize.js';

test('masking by hand: M = 16, key byte 0x5A gives k01 = [10, 5]', () => {
  const keys = new KeyPool();
  keys.deposit(0, 1, Uint8Array.of(0x5a));
  const y = maskAll(new Map([[0, [1, 2]], [1, [3, 4]]]), keys, 16);
  assert.deepEqual([...y.get(0)!], [11, 7]); // x0 + k01
  assert.deepEqual([...y.get(1)!], [9, 15]); // x1 - k01 (mod 16)
  assert.deepEqual([...sumMod(y.values(), 16, 2)], [4, 6]); // x0 + x1
  assert.equal(keys.usage(0, 1).used, 8);
});

test('modulus: a power of two from 2 to 2^52', () => {
  assert.equal(modulusBits(2 ** 46), 46);
  assert.throws(() => modulusBits(100), /modulus: must be a power of two from 2 to 2\^52, got 100/);
  assert.throws(() => modulusBits(2 ** 53), /must be a power of two/);
  assert.throws(() => maskUpdate([16], 0, [1], () => new Uint8Array(1), 16), /update\[0\]: must be an integer in \[0, 16\), got 16/);
});

const roundArb = fc
  .record({
    n: fc.integer({ min: 2, max: 7 }),
    q: fc.constantFrom(...QUANT_BITS),
    length: fc.integer({ min: 1, max: 12 }),
    seed: fc.integer(),
  })
  .chain(({ n, q, length }) =>
    fc.record({
      n: fc.constant(n),
      q: fc.constant(q),
      length: fc.constant(length),
      ids: fc.uniqueArray(fc.nat(1000), { minLength: n, maxLength: n }),
      x: fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: length, maxLength: length }), {
        minLength: n,
        maxLength: n,
      }),
    }),
  );

test('property: the sum of masked updates equals the sum of quantized updates exactly (mod M)', () => {
  fc.assert(
    fc.property(roundArb, ({ n, q, length, ids, x }) => {
      const { modulus } = workingModulus(q, n);
      const levels = x.map((row) => row.map((f) => Math.floor(f * 2 ** q)));
      const updates = new Map(ids.map((id, k) => [id, levels[k]!]));
      const keys = KeyPool.random(ids, maskBits(length, modulus));
      const masked = maskAll(updates, keys, modulus);
      const plain = sumMod(updates.values(), modulus, length);
      assert.deepEqual(sumMod(masked.values(), modulus, length), plain);
      // No wrap: the modular sum is the integer sum.
      for (let k = 0; k < length; k++) assert.equal(plain[k], levels.reduce((s, row) => s + row[k]!, 0));
      // Every pair spent exactly length * log2 M bits, and has none left.
      for (const u of keys.usageAll()) assert.deepEqual([u.used, u.left], [length * modulusBits(modulus), 0]);
    }),
    { numRuns: 150 },
  );
});

test('property: maskUpdate per client, fed the same pair slices, gives what maskAll gives', () => {
  fc.assert(
    fc.property(roundArb, ({ n, q, length, ids, x }) => {
      const { modulus } = workingModulus(q, n);
      const updates = new Map(ids.map((id, k) => [id, x[k]!.map((f) => Math.floor(f * 2 ** q))]));
      const bits = maskBits(length, modulus);
      const material = new Map<string, Uint8Array>();
      const keysA = new KeyPool();
      const sortedIds = [...ids].sort((a, b) => a - b);
      for (let a = 0; a < n; a++) {
        for (let b = a + 1; b < n; b++) {
          const k = KeyPool.random([0, 1], bits).take(0, 1, bits);
          material.set(`${sortedIds[a]},${sortedIds[b]}`, k);
          keysA.deposit(sortedIds[a]!, sortedIds[b]!, k, bits);
        }
      }
      const all = maskAll(updates, keysA, modulus);
      for (const [id, u] of updates) {
        const pairKey = (peer: number) => material.get(id < peer ? `${id},${peer}` : `${peer},${id}`)!;
        assert.deepEqual(maskUpdate(u, id, ids, pairKey, modulus), all.get(id));
      }
    }),
    { numRuns: 60 },
  );
});
