import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { centeredClipping, clipToNorm, normBound } from './clipping.js';
import { norm2 } from './common.js';
import { assertClose, assertQfl, colluders, copies, f64, honest, maxAbs } from './fixtures.js';

describe('clipToNorm', () => {
  test('scales onto the ball, keeps short vectors', () => {
    const c = clipToNorm(f64(3, 4), 1);
    assertClose(c.out, [0.6, 0.8]);
    assert.equal(c.norm, 5);
    assert.equal(c.clipped, true);
    assert.equal(clipToNorm(f64(0.3, 0.4), 1).clipped, false);
  });
});

describe('normBound', () => {
  test('hand-computed: clip then weighted mean', () => {
    const r = normBound([f64(3, 4), f64(0, 1)], [1, 1], { maxNorm: 1 });
    assertClose(r.aggregate, [0.3, 0.9]);
    assert.deepEqual(r.flagged, [0]);
    assert.deepEqual(r.scores, [5, 1]);
    assertClose(normBound([f64(3, 4), f64(0, 1)], [3, 1], { maxNorm: 1 }).aggregate, [0.45, 0.85]);
    assertClose(normBound([f64(3, 4), f64(0, 1)], [3, 1], { maxNorm: 1, weighted: false }).aggregate, [0.3, 0.9]);
  });

  test('influence: a attackers of n move the aggregate by at most a M / n, however large their updates', () => {
    const M = 0.5;
    const h = honest(7, 4, 9, 0.05);
    const clean = normBound(h, new Array(7).fill(1), { maxNorm: M }).aggregate;
    for (const a of [1, 3, 6]) {
      const u = [...h.slice(0, 7 - a), ...colluders(a, 4, 1e8)];
      const cleanPart = normBound(h.slice(0, 7 - a), new Array(7 - a).fill(1), { maxNorm: M }).aggregate;
      const r = normBound(u, new Array(7).fill(1), { maxNorm: M }).aggregate;
      // r = ((7 - a) cleanPart + a * M * dir) / 7
      const shift = r.map((x, j) => x - ((7 - a) * cleanPart[j]!) / 7);
      assert.ok(Math.abs(norm2(shift) - (a * M) / 7) < 1e-12);
      assert.ok(norm2(r.map((x, j) => x - clean[j]!)) <= (2 * a * M) / 7 + 1e-12);
    }
  });

  test('never mutates; refuses max_norm <= 0', () => {
    const u = [f64(3, 4)];
    normBound(u, [1], { maxNorm: 1 });
    assert.deepEqual(u, [f64(3, 4)]);
    assertQfl(() => normBound(u, [1], { maxNorm: 0 }), 'aggregator.max_norm');
  });
});

describe('centeredClipping', () => {
  test('one iteration from zero, hand-computed', () => {
    // u = (3, 4) clipped to tau = 1 -> (0.6, 0.8); (0, 0.5) kept; mean over n = 2.
    const r = centeredClipping([f64(3, 4), f64(0, 0.5)], { tau: 1, iters: 1 });
    assertClose(r.aggregate, [0.3, 0.65]);
  });

  test('with a large tau it is the mean after one step', () => {
    assertClose(centeredClipping([f64(1, 2), f64(3, 6)], { tau: 100, iters: 1 }).aggregate, [2, 4]);
  });

  test('start at a given centre; refuses a centre of the wrong length', () => {
    const r = centeredClipping([f64(1), f64(3)], { tau: 100, iters: 1, center: f64(10) });
    assertClose(r.aggregate, [2]);
    assertQfl(() => centeredClipping([f64(1)], { tau: 1, center: f64(1, 2) }), 'aggregator.center');
  });

  test('never mutates its inputs or the given centre', () => {
    const u = honest(5, 3, 2);
    const before = copies(u);
    const c = f64(1, 1, 1);
    centeredClipping(u, { tau: 0.5, iters: 3, center: c });
    assert.deepEqual(u, before);
    assertClose(c, [1, 1, 1]);
  });

  // Far attackers pull with a*tau/n per step, honest updates push back with
  // up to h*tau/n. n = 11: with 5 attackers the centre settles near the honest
  // ones however many steps; with 6 it drifts towards the attackers by at
  // least (a - h) tau / n per step.
  test('breakdown: 5 of 11 stay bounded for any number of steps, 6 drift by (a - h) tau / n per step', () => {
    const tau = 1;
    for (const iters of [10, 200, 2000]) {
      const r = centeredClipping([...honest(6, 5, 3), ...colluders(5, 5, 1e6)], { tau, iters, center: 'median' });
      assert.ok(maxAbs(r.aggregate) < 5, `iters = ${iters}: ${[...r.aggregate]}`);
    }
    const iters = 200;
    const r = centeredClipping([...honest(5, 5, 3), ...colluders(6, 5, 1e6)], { tau, iters });
    const dir = 1 / Math.sqrt(5); // unit vector towards the attackers, per coordinate
    const projection = r.aggregate.reduce((s, x) => s + x * dir, 0);
    assert.ok(projection >= (iters * (6 - 5) * tau) / 11 - 1e-9, `projection ${projection}`);
  });
});
