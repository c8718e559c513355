import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { copyBits, hammingDistance, packBits, unpackBits } from './bits.js';

describe('bit packing', () => {
  test('LSB first (as security/secagg/bits.ts), last partial byte padded with zeros', () => {
    // bits 0..7 = 1 0 1 1 0 0 0 1 -> 0b1000_1101 = 0x8d; bit 8 = 1 -> 0x01
    assert.deepEqual(packBits(Uint8Array.from([1, 0, 1, 1, 0, 0, 0, 1, 1])), Uint8Array.from([0x8d, 0x01]));
    assert.deepEqual(unpackBits(Uint8Array.from([0x8d, 0x01]), 9), Uint8Array.from([1, 0, 1, 1, 0, 0, 0, 1, 1]));
    assert.equal(packBits(new Uint8Array(0)).length, 0);
  });

  test('pack and unpack round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 100, max: 1 }), (bits) => {
        assert.deepEqual(unpackBits(packBits(bits), bits.length), bits);
      }),
    );
  });

  test('copyBits at any offsets equals copying the unpacked bits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.nat(), fc.nat(), fc.nat(), (src, a, b, c) => {
        const total = src.length * 8;
        const srcBit = a % total;
        const n = c % (total - srcBit + 1);
        const dst = new Uint8Array(Math.ceil((n + 16) / 8)).fill(0xff);
        const dstBit = b % 16;
        copyBits(src, srcBit, dst, dstBit, n);
        const want = unpackBits(src).subarray(srcBit, srcBit + n);
        const got = unpackBits(dst);
        assert.deepEqual(got.subarray(dstBit, dstBit + n), want);
        // bits outside the target range are untouched
        for (let k = 0; k < dstBit; k++) assert.equal(got[k], 1);
        for (let k = dstBit + n; k < got.length; k++) assert.equal(got[k], 1);
      }),
    );
  });

  test('hammingDistance', () => {
    assert.equal(hammingDistance(Uint8Array.from([0, 1, 1, 0]), Uint8Array.from([1, 1, 0, 0])), 2);
    assert.throws(() => hammingDistance(new Uint8Array(2), new Uint8Array(3)), RangeError);
  });
});
