import assert from 'node:assert/strict';
import test from 'node:test';
import { Rng } from '../../util/random.js';
import { sumMod } from './masking.js';
import {
  dequantize,
  dequantizeSum,
  levels,
  maxClientsFor,
  quantizationStep,
  quantize,
  QUANT_BITS,
  workingModulus,
} from './quantize.js';

test('workingModulus: 2^(q + ceil(log2 n_max)), at most 2^46', () => {
  assert.deepEqual(workingModulus(8, 4), { bits: 10, modulus: 1024 });
  assert.deepEqual(workingModulus(8, 5), { bits: 11, modulus: 2048 });
  assert.deepEqual(workingModulus(4, 1), { bits: 4, modulus: 16 });
  assert.deepEqual(workingModulus(32, 10_000), { bits: 46, modulus: 2 ** 46 });
  for (const q of QUANT_BITS) {
    for (const n of [1, 2, 3, 7, 100, 10_000]) {
      const { modulus } = workingModulus(q, n);
      assert.ok(maxClientsFor(q, modulus) >= n, `q=${q} n=${n}`);
      assert.ok(modulus <= 2 ** 46);
    }
  }
  assert.throws(() => workingModulus(8, 10_001), /maxClients: must be an integer in 1\.\.10000, got 10001/);
  assert.throws(() => workingModulus(12 as 8, 3), /quantize\.bits: must be one of 4, 8, 16, 32, got 12/);
});

test('quantize: deterministic levels by hand (q = 4, c = 1: L = 15, u = (x + 1) * 7.5)', () => {
  const x = Float64Array.of(-1, 1, 0, 0.2, -0.5, 5, -7);
  const q = quantize(x, { bits: 4, clip: 1, rounding: 'deterministic' });
  assert.deepEqual([...q], [0, 15, 8, 9, 4, 15, 0]);
  assert.equal(quantizationStep({ bits: 4, clip: 1 }), 2 / 15);
  assert.deepEqual([...dequantize(q, { bits: 4, clip: 1 })].map((v) => +v.toFixed(12)), [-1, 1, 0.066666666667, 0.2, -0.466666666667, 1, -1]);
  assert.deepEqual([...x], [-1, 1, 0, 0.2, -0.5, 5, -7], 'input untouched');
});

test('quantize: round trip within half a step; rejects non-finite entries', () => {
  const rng = new Rng(3);
  for (const bits of QUANT_BITS) {
    const x = Float64Array.from({ length: 200 }, () => rng.normal(0, 0.3));
    const back = dequantize(quantize(x, { bits, clip: 1, rounding: 'deterministic' }), { bits, clip: 1 });
    const half = quantizationStep({ bits, clip: 1 }) / 2;
    x.forEach((v, k) => {
      const clamped = Math.max(-1, Math.min(1, v));
      assert.ok(Math.abs(back[k]! - clamped) <= half * (1 + 1e-9), `bits ${bits} entry ${k}`);
    });
  }
  assert.throws(() => quantize([0, NaN], { bits: 8, clip: 1, rounding: 'deterministic' }), /update\[1\]: is NaN, not finite/);
  assert.throws(() => quantize([0], { bits: 8, clip: 0, rounding: 'deterministic' }), /quantize\.clip: must be a finite number > 0, got 0/);
  assert.throws(() => quantize([0], { bits: 8, clip: 1, rounding: 'stochastic' } as never), /quantize\.rng: stochastic rounding needs a seeded Rng/);
});

test('quantize: stochastic rounding is unbiased (z-test on 40,000 draws) and reproducible from the seed', () => {
  const bits = 4;
  const x = 0.123; // u = 1.123 * 7.5 = 8.4225, p(round up) = 0.4225
  const u = (x + 1) * 7.5;
  const n = 40_000;
  const rng = new Rng(11);
  const q = quantize(new Float64Array(n).fill(x), { bits, clip: 1, rounding: 'stochastic', rng });
  let mean = 0;
  for (const v of q) {
    assert.ok(v === 8 || v === 9);
    mean += v / n;
  }
  const se = Math.sqrt((0.4225 * 0.5775) / n);
  assert.ok(Math.abs(mean - u) < 4 * se, `mean ${mean} vs ${u} (se ${se})`);
  // Over many values at once: the dequantized mean error is zero within its standard error.
  const xs = Float64Array.from({ length: n }, (_, k) => -0.9 + (1.8 * k) / n);
  const back = dequantize(quantize(xs, { bits, clip: 1, rounding: 'stochastic', rng: new Rng(5) }), { bits, clip: 1 });
  let err = 0;
  for (let k = 0; k < n; k++) err += (back[k]! - xs[k]!) / n;
  const step = 2 / 15;
  assert.ok(Math.abs(err) < (4 * 0.5 * step) / Math.sqrt(n), `mean error ${err}`);
  const again = quantize(new Float64Array(n).fill(x), { bits, clip: 1, rounding: 'stochastic', rng: new Rng(11) });
  assert.deepEqual(again, q);
});

test('dequantizeSum: exact integer sums up to 10,000 clients of 32-bit levels', () => {
  const { modulus } = workingModulus(32, 10_000);
  const top = levels(32);
  // 10,000 updates at the top level and one entry at 0: the sums stay exact float64 integers.
  const sum = sumMod(
    (function* () {
      for (let i = 0; i < 10_000; i++) yield Float64Array.of(top, 0, i % 2 === 0 ? top : 0);
    })(),
    modulus,
    3,
  );
  assert.deepEqual([...sum], [10_000 * top, 0, 5_000 * top]);
  assert.ok(Number.isSafeInteger(10_000 * top) && 10_000 * top < modulus);
  const back = dequantizeSum(sum, 10_000, { bits: 32, clip: 2, modulus });
  assert.deepEqual([...back].map((v) => Math.round(v * 1e6) / 1e6), [20_000, -20_000, 0]);
  // Small case by hand: q = 8, c = 1, three clients: levels 0, 255, 128 -> -1 + 1 + (128 * 2/255 - 1).
  const m8 = workingModulus(8, 3).modulus;
  const s = dequantizeSum([0 + 255 + 128], 3, { bits: 8, clip: 1, modulus: m8 });
  assert.ok(Math.abs(s[0]! - ((128 * 2) / 255 - 1)) < 1e-12);
});

test('wrap-around: within the sized client count the sum is exact; beyond it, it wraps and is refused', () => {
  const { modulus } = workingModulus(4, 3); // 2^(4 + 2) = 64, holds 4 sums of 15
  assert.equal(modulus, 64);
  assert.equal(maxClientsFor(4, modulus), 4);
  const four = sumMod(Array.from({ length: 4 }, () => [15]), modulus, 1);
  assert.equal(four[0], 60);
  const five = sumMod(Array.from({ length: 5 }, () => [15]), modulus, 1);
  assert.equal(five[0], 75 - 64, 'the sum of five wraps modulo 64');
  assert.throws(
    () => dequantizeSum(five, 5, { bits: 4, clip: 1, modulus }),
    /dequantizeSum\.count: 5 updates of 4 bits can wrap around modulus 64 \(it holds sums of at most 4\)/,
  );
  assert.throws(() => dequantizeSum([61], 4, { bits: 4, clip: 1, modulus }), /sum\[0\]: must be an integer in \[0, 60\]/);
});
