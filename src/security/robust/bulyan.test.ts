import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BULYAN_ASSUMPTION, bulyan } from './bulyan.js';
import { checkAssumption } from './common.js';
import { assertClose, assertQfl, colluders, copies, f64, honest, maxAbs } from './fixtures.js';

describe('bulyan', () => {
  test('f = 0 is the plain mean of all updates', () => {
    const u = [f64(1, 2), f64(3, 4), f64(5, 9)];
    const r = bulyan(u, { f: 0 });
    assertClose(r.aggregate, [3, 5]);
    assert.deepEqual(r.selected, [0, 1, 2]);
  });

  test('hand-computed, n = 7, f = 1: iterated Krum keeps 0..4, then the beta = 3 values nearest the median', () => {
    // 1-D: the outlier 50 is never selected; the selected theta = 5 values
    // are 0, 1, 2, 3, 4 (4 beats 5 and 50 on Krum scores), median 2, and the
    // beta = 3 nearest to it are 1, 2, 3.
    const u = [f64(0), f64(1), f64(2), f64(3), f64(4), f64(5), f64(50)];
    const r = bulyan(u, { f: 1 });
    assert.deepEqual(r.selected, [0, 1, 2, 3, 4]);
    assert.deepEqual(r.flagged, [5, 6]);
    assertClose(r.aggregate, [2]);
    assert.equal(r.info?.['beta'], 3);
  });

  test('refuses f with n - 4f < 1', () => {
    assertQfl(() => bulyan([f64(0), f64(1), f64(2), f64(3)], { f: 1 }), 'aggregator.f', 'n - 4f >= 1');
  });

  test('never mutates its inputs', () => {
    const u = honest(7, 3, 11);
    const before = copies(u);
    bulyan(u, { f: 1 });
    assert.deepEqual(u, before);
  });

  // n = 11, f = 2 (11 >= 4f + 3). Measured with far colluding blocks: the
  // aggregate stays at the honest scale up to a = 4 attackers and is taken
  // over at a = 5 (then 4 of the 7 selected are attackers and hold every
  // coordinate's median).
  test('breakdown: f = 2 and 4 colluders of 11 move nothing, 5 take over', () => {
    for (const a of [2, 4]) {
      const r = bulyan([...honest(11 - a, 5, 3), ...colluders(a, 5, 1e6)], { f: 2 });
      assert.ok(maxAbs(r.aggregate) < 5, `a = ${a}: ${[...r.aggregate]}`);
    }
    const r = bulyan([...honest(6, 5, 3), ...colluders(5, 5, 1e6)], { f: 2 });
    assertClose(r.aggregate, new Float64Array(5).fill(1e6));
  });

  test('assumption: n >= 4f + 3', () => {
    checkAssumption('bulyan', BULYAN_ASSUMPTION, 11, 2);
    assertQfl(() => checkAssumption('bulyan', BULYAN_ASSUMPTION, 10, 2), 'aggregator.f', 'bulyan cannot tolerate f = 2', 'n >= 11', 'El Mhamdi');
  });
});
