import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { QflError } from '../../util/errors.js';
import { extractBits, packElements, readElements, writeBits } from './bits.js';
import { KeyPool, KeyShortageError } from './keys.js';

/** The bits of a string, LSB first, as 0/1 numbers. */
const bitsOf = (s: Uint8Array, n: number): number[] => Array.from({ length: n }, (_, k) => (s[k >>> 3]! >>> (k & 7)) & 1);

test('bits: extract and write at unaligned offsets, by hand', () => {
  assert.deepEqual([...extractBits(Uint8Array.of(0b1011_0110), 2, 4)], [0b1101]);
  assert.deepEqual([...extractBits(Uint8Array.of(0xff, 0x01), 4, 5)], [0b11111]);
  const dst = new Uint8Array(2);
  writeBits(dst, 6, Uint8Array.of(0b111), 3);
  assert.deepEqual([...dst], [0b1100_0000, 0b1]);
  assert.throws(() => extractBits(new Uint8Array(1), 4, 5), /cannot read bits \[4, 9\) of a string of 8 bits/);
});

test('bits: packElements and readElements are inverse, any width', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 52 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 30 }), (w, fr) => {
      const values = fr.map((f) => Math.floor(f * 2 ** w));
      const packed = packElements(values, w);
      assert.equal(packed.length, Math.ceil((values.length * w) / 8));
      assert.deepEqual([...readElements(packed, values.length, w)], values);
    }),
  );
  // By hand: 0x5A read as two 4-bit elements is [0xA, 0x5].
  assert.deepEqual([...readElements(Uint8Array.of(0x5a), 2, 4)], [10, 5]);
  assert.throws(() => packElements([16], 4), /values\[0\]: must be an integer in \[0, 2\^4\), got 16/);
});

test('KeyPool: takes are consecutive slices of the deposit, from either end of the pair', () => {
  const pool = new KeyPool();
  const key = Uint8Array.of(0b1010_1100, 0b0101_0011, 0xff);
  pool.deposit(3, 1, key, 20);
  const ref = bitsOf(key, 20);
  const a = pool.take(1, 3, 3);
  const b = pool.take(3, 1, 12);
  const c = pool.take(1, 3, 5);
  assert.deepEqual([...bitsOf(a, 3), ...bitsOf(b, 12), ...bitsOf(c, 5)], ref);
  assert.deepEqual(pool.usage(3, 1), { i: 1, j: 3, deposited: 20, used: 20, left: 0 });
  assert.equal(pool.available(1, 3), 0);
});

test('KeyPool: a key cannot be taken twice; a short pair throws or asks to wait, consuming nothing', () => {
  const pool = KeyPool.random([0, 1, 2], 64);
  const first = pool.take(0, 1, 64);
  assert.equal(first.length, 8);
  // Trying to reuse the pair's key: the bits are gone.
  assert.throws(
    () => pool.take(1, 0, 1),
    (e: unknown) => e instanceof KeyShortageError && e.code === 'key-shortage' && /keys\[0,1\]: the pair needs 1 key bits but holds 0/.test(e.message),
  );
  assert.deepEqual(pool.tryTake(0, 2, 65), { status: 'wait', i: 0, j: 2, needed: 65, available: 64 });
  assert.equal(pool.available(0, 2), 64, 'nothing consumed by the refused request');
  // More key arrives: the new bits follow, the old ones never come back.
  const fresh = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
  pool.deposit(0, 1, fresh);
  assert.deepEqual([...pool.take(0, 1, 64)], [...fresh]);
  assert.deepEqual(pool.usage(0, 1), { i: 0, j: 1, deposited: 128, used: 128, left: 0 });
  assert.deepEqual(
    pool.usageAll().map((u) => [u.i, u.j, u.used]),
    [[0, 1, 128], [0, 2, 0], [1, 2, 0]],
  );
});

test('KeyPool: argument errors name the field', () => {
  const pool = new KeyPool();
  assert.throws(() => pool.take(2, 2, 1), (e: unknown) => e instanceof QflError && /no key with itself/.test(e.message));
  assert.throws(() => pool.take(-1, 2, 1), /keys\.i: must be a client id/);
  assert.throws(() => pool.take(0, 1, 1.5), /take\.bits: must be a whole number of bits/);
  assert.throws(() => pool.deposit(0, 1, new Uint8Array(1), 9), /deposit\.bits: the key has 8 bits, cannot deposit 9/);
  assert.throws(() => pool.fill([0, 1], 16, () => new Uint8Array(1)), /fill\.generate: returned 8 bits, 16 were asked/);
});

test('KeyPool: any interleaving of deposits and takes hands out the deposited bit string in order, once', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('deposit' as const), bytes: fc.uint8Array({ maxLength: 6 }), cut: fc.nat(7) }),
    fc.record({ kind: fc.constant('take' as const), bits: fc.nat(40), swap: fc.boolean() }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
      const pool = new KeyPool();
      const deposited: number[] = [];
      const taken: number[] = [];
      for (const o of ops) {
        if (o.kind === 'deposit') {
          const bits = Math.max(0, o.bytes.length * 8 - o.cut);
          pool.deposit(4, 9, o.bytes, bits);
          deposited.push(...bitsOf(o.bytes, bits));
        } else {
          const r = o.swap ? pool.tryTake(9, 4, o.bits) : pool.tryTake(4, 9, o.bits);
          if (r.status === 'ok') taken.push(...bitsOf(r.key, o.bits));
          else assert.ok(deposited.length - taken.length < o.bits);
        }
      }
      assert.deepEqual(taken, deposited.slice(0, taken.length));
      assert.deepEqual(pool.usage(4, 9).used, taken.length);
      assert.deepEqual(pool.available(4, 9), deposited.length - taken.length);
    }),
  );
});
