import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { invMod, SHAMIR_PRIME, shamirCombine, shamirSplit, shareBytes, shareFromBytes } from './shamir.js';

test('Shamir over GF(2^26 - 5): any t of n shares give the secret back, for n far above 255', () => {
  const secret = Uint8Array.from({ length: 32 }, (_, k) => (k * 37 + 11) & 0xff);
  const xs = Array.from({ length: 1000 }, (_, i) => i + 1);
  const shares = shamirSplit(secret, xs, 7);
  assert.equal(shares.length, 1000);
  for (const pick of [[0, 1, 2, 3, 4, 5, 6], [999, 500, 3, 77, 254, 255, 256], [10, 20, 30, 40, 50, 60, 70, 80]]) {
    assert.deepEqual(shamirCombine(pick.map((k) => shares[k]!), 32), secret);
  }
});

test('fewer than t shares do not give the secret (and almost never a valid-looking one)', () => {
  const secret = new Uint8Array(32).fill(0xab);
  const shares = shamirSplit(secret, [1, 2, 3, 4, 5], 3);
  let wrong = 0;
  for (let trial = 0; trial < 20; trial++) {
    const s = shamirSplit(secret, [1, 2, 3, 4, 5], 3);
    try {
      const got = shamirCombine([s[0]!, s[1]!], 32);
      if (got.some((b, k) => b !== secret[k])) wrong++;
    } catch {
      wrong++;
    }
  }
  assert.equal(wrong, 20);
  assert.deepEqual(shamirCombine([shares[4]!, shares[0]!, shares[2]!], 32), secret);
});

test('t - 1 shares are uniform: with t = 2 a single share of chunk 0 is spread over the field', () => {
  // 2000 single shares of the same secret: their first element must not cluster (mean near p / 2).
  let sum = 0;
  for (let i = 0; i < 2000; i++) sum += shamirSplit(new Uint8Array(3), [1, 2], 2)[0]!.y[0]!;
  const mean = sum / 2000;
  // Standard error of the mean of U(0, p): p / sqrt(12 * 2000) ~ 0.0065 p; 6 sigma.
  assert.ok(Math.abs(mean / SHAMIR_PRIME - 0.5) < 0.04, `mean ${mean / SHAMIR_PRIME} p`);
});

test('property: split then combine round-trips; shares survive their byte encoding', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 }), (secret, t, extra) => {
      const xs = Array.from({ length: t + extra }, (_, i) => 3 * i + 1);
      const shares = shamirSplit(secret, xs, t).map((s) => shareFromBytes(s.x, shareBytes(s)));
      assert.deepEqual(shamirCombine(shares.slice(extra), secret.length), secret);
    }),
    { numRuns: 100 },
  );
});

test('field inverse and input errors', () => {
  for (const a of [1, 2, 12345, SHAMIR_PRIME - 1]) assert.equal((a * invMod(a)) % SHAMIR_PRIME, 1);
  assert.throws(() => shamirSplit(new Uint8Array(3), [1, 1], 2), /shamir\.x: holder 1 appears twice/);
  assert.throws(() => shamirSplit(new Uint8Array(3), [0, 1], 2), /shamir\.x: must be an integer in \[1, 67108858\], got 0/);
  assert.throws(() => shamirSplit(new Uint8Array(3), [1, 2], 3), /shamir\.threshold: must be an integer in \[1, 2\]/);
});
