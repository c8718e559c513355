import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAssumption, norm2 } from './common.js';
import { assertClose, assertQfl, colluders, copies, f64, honest, maxAbs } from './fixtures.js';
import { GEOMETRIC_MEDIAN_ASSUMPTION, geometricMedian } from './geometric-median.js';

describe('geometricMedian (smoothed Weiszfeld)', () => {
  test('1-D: the median', () => {
    assertClose(geometricMedian([f64(0), f64(1), f64(10)]).aggregate, [1], 1e-9);
  });

  test('square corners: the centre; equilateral triangle: the centroid', () => {
    assertClose(geometricMedian([f64(0, 0), f64(2, 0), f64(0, 2), f64(2, 2)]).aggregate, [1, 1], 1e-9);
    const s = Math.sqrt(3);
    const r = geometricMedian([f64(0, 0), f64(2, 0), f64(1, s)], undefined, { tol: 1e-14, maxIter: 1000 });
    assertClose(r.aggregate, [1, s / 3], 1e-7);
    assert.equal(r.info?.['converged'], 1);
  });

  test('minimises the sum of distances better than the mean and the coordinate median', () => {
    const u = [...honest(6, 3, 4), ...colluders(2, 3, 30)];
    const g = geometricMedian(u, undefined, { tol: 1e-14, maxIter: 1000 }).aggregate;
    const cost = (v: Float64Array) => u.reduce((s, x) => s + norm2(x.map((xj, j) => xj - v[j]!)), 0);
    const mean = new Float64Array(3).map((_, j) => u.reduce((s, x) => s + x[j]!, 0) / u.length);
    assert.ok(cost(g) <= cost(mean));
    // Optimality: no small step improves it.
    for (let j = 0; j < 3; j++) {
      for (const h of [1e-4, -1e-4]) {
        const v = g.slice();
        v[j] = v[j]! + h;
        assert.ok(cost(v) >= cost(g) - 1e-9);
      }
    }
  });

  test('weighted: a heavy update pulls the median onto itself (RFA weights)', () => {
    const u = [f64(0), f64(1), f64(10)];
    assertClose(geometricMedian(u, [1, 1, 5], { weighted: true }).aggregate, [10], 1e-6);
    assertClose(geometricMedian(u, [1, 1, 5]).aggregate, [1], 1e-9);
  });

  test('iteration cap and tolerance are honoured', () => {
    const u = [...honest(5, 4, 8), ...colluders(2, 4, 100)];
    const one = geometricMedian(u, undefined, { maxIter: 1, tol: 0 });
    assert.equal(one.info?.['iterations'], 1);
    const many = geometricMedian(u, undefined, { maxIter: 500, tol: 1e-12 });
    assert.equal(many.info?.['converged'], 1);
    assert.ok(many.info!['iterations']! < 500);
  });

  test('never mutates its inputs; refuses bad options', () => {
    const u = honest(5, 3, 1);
    const before = copies(u);
    geometricMedian(u);
    assert.deepEqual(u, before);
    assertQfl(() => geometricMedian(u, undefined, { maxIter: 0 }), 'aggregator.max_iter');
    assertQfl(() => geometricMedian(u, undefined, { eps: 0 }), 'aggregator.eps');
  });

  // Breakdown point 1/2: with 5 of 11 far attackers the result stays at the
  // honest scale, however far they are; with 6 of 11 it follows them.
  test('breakdown: 5 colluders of 11 stay bounded at any distance, 6 take over', () => {
    for (const far of [1e3, 1e6, 1e9]) {
      const r = geometricMedian([...honest(6, 5, 3), ...colluders(5, 5, far)]);
      assert.ok(maxAbs(r.aggregate) < 5, `far = ${far}: ${[...r.aggregate]}`);
    }
    const r = geometricMedian([...honest(5, 5, 3), ...colluders(6, 5, 1e6)]);
    assertClose(r.aggregate, new Float64Array(5).fill(1e6), 1e-9);
  });

  test('assumption: n >= 2f + 1', () => {
    checkAssumption('geometric_median', GEOMETRIC_MEDIAN_ASSUMPTION, 11, 5);
    assertQfl(() => checkAssumption('geometric_median', GEOMETRIC_MEDIAN_ASSUMPTION, 10, 5), 'aggregator.f', 'n >= 11');
  });
});
