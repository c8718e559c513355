import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../util/errors.js';
import { besselI0m1, checkNumber, h2, lastPositive, maximize, transmittance } from './math.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg} got ${a}, expected ${b} (tol ${tol})`);

describe('h2', () => {
  test('hand values and the ends', () => {
    close(h2(0.5), 1, 1e-15);
    // h(0.11) = 0.11 log2(1/0.11) + 0.89 log2(1/0.89) = 0.3503 + 0.1496 = 0.49992
    close(h2(0.11), 0.4999157, 1e-6);
    assert.equal(h2(0), 0);
    assert.equal(h2(1), 0);
    assert.equal(h2(NaN), 0);
    close(h2(0.2), h2(0.8), 1e-15, 'symmetric');
  });
});

describe('transmittance', () => {
  test('10 dB is a factor 10', () => {
    close(transmittance(50, 0.2), 0.1, 1e-15);
    close(transmittance(0, 0.21), 1, 0);
    close(transmittance(100, 0.21), Math.pow(10, -2.1), 1e-18);
  });
});

describe('besselI0m1', () => {
  test('against tabulated I0 (Abramowitz & Stegun Table 9.8)', () => {
    close(besselI0m1(0.5) + 1, 1.0634833707413236, 1e-15);
    close(besselI0m1(1) + 1, 1.2660658777520082, 1e-15);
    close(besselI0m1(2) + 1, 2.2795853023360673, 1e-14);
  });
  test('keeps its digits where I0(x) - 1 would cancel: x^2/4 + x^4/64', () => {
    const x = 1e-6;
    close(besselI0m1(x), (x * x) / 4 + (x * x * x * x) / 64, 1e-30);
    assert.equal(besselI0m1(0), 0);
  });
});

describe('maximize', () => {
  test('finds the peak of x e^-x (at 1) and of a narrow parabola', () => {
    const r = maximize((x) => x * Math.exp(-x), 1e-3, 5);
    close(r.x, 1, 1e-5);
    close(r.value, Math.exp(-1), 1e-12);
    close(maximize((x) => -((x - 0.123) ** 2), 1e-3, 2).x, 0.123, 1e-6);
  });
  test('a maximum at the edge of the range', () => {
    close(maximize((x) => -x, 0.01, 1).x, 0.01, 1e-8);
    close(maximize((x) => x, 0.01, 1).x, 1, 1e-8);
  });
});

describe('lastPositive', () => {
  test('brackets by doubling then bisects', () => {
    close(lastPositive((x) => x < 137.25, 50, 1e4, 1e-6), 137.25, 1e-6);
    assert.equal(lastPositive(() => false, 50, 1e4), 0);
    assert.equal(lastPositive(() => true, 50, 1e4), 1e4);
  });
});

describe('checkNumber', () => {
  test('names the field and the range', () => {
    assert.equal(checkNumber('mu', 0.5, 0, 1), 0.5);
    assert.throws(
      () => checkNumber('mu', 0, 0, 1, { minOpen: true }),
      (e: unknown) => e instanceof QflError && e.field === 'mu' && e.message.includes('(0, 1]') && e.message.includes('got 0'),
    );
    assert.throws(() => checkNumber('nu', NaN, 0, 1), (e: unknown) => e instanceof QflError && e.field === 'nu');
  });
});
