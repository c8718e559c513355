import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { DEFAULT_SECURITY_MARGIN_BITS, secretKeyLength, toeplitzHash, toeplitzSeed } from './privacy.js';

/** The definition: y_i = XOR_j T[i][j] x_j with T[i][j] = s[i - j + n - 1]. */
function naive(x: Uint8Array, m: number, s: Uint8Array): Uint8Array {
  const n = x.length;
  const y = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc ^= s[i - j + n - 1]! & x[j]!;
    y[i] = acc;
  }
  return y;
}

const bitsArb = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max, max: 1 });

describe('toeplitzHash', () => {
  test('hand example: n = 3, m = 2', () => {
    // s = [1, 0, 1, 1]: T = [[s2 s1 s0], [s3 s2 s1]] = [[1 0 1], [1 1 0]]; x = [1, 1, 0] -> y = [1, 0]
    assert.deepEqual(toeplitzHash(Uint8Array.from([1, 1, 0]), 2, Uint8Array.from([1, 0, 1, 1])), Uint8Array.from([1, 0]));
  });

  test('equals the matrix product for any size (word boundaries included)', () => {
    fc.assert(
      fc.property(bitsArb(1, 150), fc.nat(), fc.nat(), (x, mRaw, seed) => {
        const m = 1 + (mRaw % x.length);
        const s = toeplitzSeed(x.length, m, new Rng(seed));
        assert.equal(s.length, x.length + m - 1);
        assert.deepEqual(toeplitzHash(x, m, s), naive(x, m, s));
      }),
      { numRuns: 300 },
    );
  });

  test('is linear over GF(2)', () => {
    const rng = new Rng(9);
    const n = 300;
    const m = 120;
    const s = toeplitzSeed(n, m, rng);
    const x = Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);
    const y = Uint8Array.from({ length: n }, () => rng.nextUint32() & 1);
    const xy = x.map((v, i) => v ^ y[i]!);
    const hx = toeplitzHash(x, m, s);
    const hy = toeplitzHash(y, m, s);
    assert.deepEqual(toeplitzHash(xy, m, s), hx.map((v, i) => v ^ hy[i]!));
  });

  test('refuses to stretch a key and checks the seed length', () => {
    assert.throws(() => toeplitzHash(new Uint8Array(4), 5, new Uint8Array(8)), (e: unknown) => e instanceof QflError && e.field === 'outputBits');
    assert.throws(() => toeplitzHash(new Uint8Array(4), 2, new Uint8Array(4)), (e: unknown) => e instanceof QflError && e.field === 'seed');
    assert.equal(toeplitzHash(new Uint8Array(4), 0, new Uint8Array(0)).length, 0);
  });
});

describe('secretKeyLength', () => {
  test('n (1 - h(e)) - leak - margin, by hand', () => {
    // 10 000 (1 - h(0.05)) - 3000 - 67 = 7136.03 - 3067 = 4069.03
    assert.equal(DEFAULT_SECURITY_MARGIN_BITS, 67);
    assert.equal(secretKeyLength({ reconciledBits: 10_000, qber: 0.05, leakedBits: 3000 }), 4069);
    assert.equal(secretKeyLength({ reconciledBits: 10_000, qber: 0, leakedBits: 0, securityMarginBits: 0 }), 10_000);
    assert.equal(secretKeyLength({ reconciledBits: 1000, qber: 0.11, leakedBits: 600 }), 0, 'never negative');
  });
});
