import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meanCi, pairedDifferences, tQuantile975 } from './stats.js';

describe('tQuantile975', () => {
  test('matches the standard table, also past df = 30 where the expansion takes over', () => {
    assert.equal(tQuantile975(1), 12.7062);
    assert.equal(tQuantile975(4), 2.7764);
    // Published values: t(0.975; 40) = 2.0211, 60 -> 2.0003, 120 -> 1.9799.
    assert.ok(Math.abs(tQuantile975(40) - 2.0211) < 1e-4);
    assert.ok(Math.abs(tQuantile975(60) - 2.0003) < 1e-4);
    assert.ok(Math.abs(tQuantile975(120) - 1.9799) < 1e-4);
    assert.throws(() => tQuantile975(0), /positive integer/);
  });
});

describe('meanCi', () => {
  test('mean +- t s / sqrt(n), with the n - 1 standard deviation', () => {
    const ci = meanCi([0.8, 0.82, 0.84, 0.86, 0.88])!;
    assert.equal(ci.n, 5);
    assert.ok(Math.abs(ci.mean - 0.84) < 1e-12);
    assert.ok(Math.abs(ci.sd! - Math.sqrt(0.001)) < 1e-12);
    assert.ok(Math.abs(ci.half! - (2.7764 * Math.sqrt(0.001)) / Math.sqrt(5)) < 1e-12);
    assert.ok(Math.abs(ci.lo! - (0.84 - ci.half!)) < 1e-12);
  });

  test('drops non-finite values (a failed seed); one value has no interval; none is undefined', () => {
    assert.equal(meanCi([0.5, Number.NaN, 0.7])!.n, 2);
    assert.deepEqual(meanCi([0.5]), { n: 1, mean: 0.5 });
    assert.equal(meanCi([Number.NaN]), undefined);
    assert.equal(meanCi([]), undefined);
  });

  test('equal values give a zero-width interval', () => {
    const ci = meanCi([0.75, 0.75, 0.75])!;
    assert.equal(ci.half, 0);
    assert.equal(ci.lo, 0.75);
  });
});

test('pairedDifferences pairs by seed and skips seeds one side lacks', () => {
  const a = new Map([[3, 0.9], [1, 0.8], [2, 0.7]]);
  const b = new Map([[1, 0.5], [2, 0.6], [4, 0.1]]);
  const d = pairedDifferences(a, b);
  assert.equal(d.length, 2);
  assert.ok(Math.abs(d[0]! - 0.3) < 1e-12 && Math.abs(d[1]! - 0.1) < 1e-12);
});
