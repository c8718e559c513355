import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestScale, matchRows, mse, psnr, scoreReconstruction, ssim } from './metrics.js';
import { Rng } from '../../util/random.js';

const rand = (n: number, seed: number): Float64Array => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.uniform());
};

test('mse and psnr of hand-computed vectors', () => {
  assert.equal(mse([1, 2, 3], [1, 2, 3]), 0);
  assert.equal(mse([0, 0], [1, 3]), 5);
  assert.equal(psnr([0, 0], [0, 0]), Infinity);
  assert.ok(Math.abs(psnr([0], [0.1]) - 20) < 1e-12);
  assert.throws(() => mse([1], [1, 2]), /equal lengths/);
});

test('ssim of identical images is 1, for any window and image size', () => {
  for (const [h, w] of [
    [4, 4],
    [2, 5],
    [8, 8],
    [1, 3],
  ] as const) {
    const img = rand(h * w, h * 10 + w);
    assert.equal(ssim(img, img, h, w), 1);
    assert.equal(ssim(img, img, h, w, { window: 3 }), 1);
  }
  const flat = new Float64Array(16).fill(0.3);
  assert.equal(ssim(flat, flat, 4, 4), 1);
});

test('ssim is symmetric, below 1 for different images, negative for an inverted one', () => {
  const a = rand(16, 1);
  const b = rand(16, 2);
  const s = ssim(a, b, 4, 4);
  assert.ok(s < 0.9);
  assert.ok(Math.abs(s - ssim(b, a, 4, 4)) < 1e-15);
  const inv = a.map((v) => 1 - v);
  assert.ok(ssim(a, inv, 4, 4) < 0);
  // Small noise keeps it near 1.
  const noisy = a.map((v, i) => v + 1e-3 * Math.sin(i));
  assert.ok(ssim(a, noisy, 4, 4) > 0.99);
  assert.throws(() => ssim(a, b, 4, 5), /height x width/);
});

test('matchRows pairs permuted rows back and scoreReconstruction averages over them', () => {
  const truth = rand(12, 3); // 3 rows of 4
  const rec = new Float64Array([...truth.subarray(8, 12), ...truth.subarray(0, 4)]);
  assert.deepEqual(Array.from(matchRows(rec, truth, 4)), [2, 0]);
  const s = scoreReconstruction(rec, truth, 4, { image: [2, 2] });
  assert.equal(s.mse, 0);
  assert.equal(s.ssim, 1);
  assert.equal(s.psnr, 100);
  assert.throws(() => matchRows(truth, rec, 4), /cannot match 3/);
});

test('scale-invariant scoring forgives a positive scale only', () => {
  const t = rand(8, 4);
  const half = t.map((v) => v / 2);
  assert.ok(Math.abs(bestScale(half, t) - 2) < 1e-12);
  assert.ok(scoreReconstruction(half, t, 8, { scaleInvariant: true }).mse < 1e-30);
  assert.ok(scoreReconstruction(half, t, 8).mse > 1e-3);
});
