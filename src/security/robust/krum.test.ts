import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAssumption } from './common.js';
import { assertClose, assertQfl, colluders, copies, f64, honest, maxAbs } from './fixtures.js';
import { KRUM_ASSUMPTION, krum, krumScores, multiKrum } from './krum.js';

describe('Krum scores', () => {
  test('hand-computed: sum of squared distances to the n - f - 2 nearest', () => {
    // 1-D points 0, 1, 3, 10 with f = 0: two neighbours each.
    // 0: 1 + 9 = 10; 1: 1 + 4 = 5; 3: 4 + 9 = 13; 10: 49 + 81 = 130.
    assertClose(krumScores([f64(0), f64(1), f64(3), f64(10)], 0), [10, 5, 13, 130]);
  });

  test('refuses f that leaves no neighbour', () => {
    assertQfl(() => krumScores([f64(0), f64(1), f64(2)], 1), 'aggregator.f', 'n - f - 2 >= 1');
  });
});

describe('krum / multiKrum', () => {
  const pts = [f64(0), f64(1), f64(3), f64(10)];

  test('Krum picks the lowest score and copies it', () => {
    const r = krum(pts, { f: 0 });
    assert.deepEqual(r.selected, [1]);
    assert.deepEqual(r.flagged, [0, 2, 3]);
    assertClose(r.aggregate, [1]);
    assert.notEqual(r.aggregate, pts[1]);
  });

  test('Multi-Krum averages the m lowest scores; Krum is m = 1', () => {
    const r = multiKrum(pts, { f: 0, m: 2 });
    assert.deepEqual(r.selected, [0, 1]);
    assertClose(r.aggregate, [0.5]);
    assert.deepEqual(multiKrum(pts, { f: 0, m: 1 }), krum(pts, { f: 0 }));
  });

  test('ties go to the lower index', () => {
    assert.deepEqual(krum([f64(1), f64(1), f64(1)], { f: 0 }).selected, [0]);
  });

  test('refuses m outside [1, n - f]', () => {
    assertQfl(() => multiKrum(pts, { f: 1, m: 4 }), 'aggregator.m', '[1, 3]');
    assertQfl(() => multiKrum(pts, { f: 0, m: 0 }), 'aggregator.m');
  });

  test('never mutates its inputs', () => {
    const u = honest(6, 3, 5);
    const before = copies(u);
    multiKrum(u, { f: 1, m: 3 });
    assert.deepEqual(u, before);
  });

  // n = 7, f = 2 (7 >= 2f + 3). A colluding block of a identical updates far
  // away has score (n - f - 2 - (a - 1)) D² while it has fewer than
  // n - f - 2 = 3 twins to lean on, so Krum ignores it up to a = 3; with
  // a = 4 its score is 0 and it wins. (The guarantee covers a <= f = 2; this
  // attack needs a >= n - f - 1 = 4.)
  test('breakdown: 3 colluders of 7 are never selected, 4 are', () => {
    const dim = 5;
    const below = [...honest(4, dim, 7), ...colluders(3, dim, 100)];
    const rb = krum(below, { f: 2 });
    assert.ok(rb.selected!.every((i) => i < 4), `selected ${rb.selected}`);
    assert.ok(maxAbs(rb.aggregate) < 5);
    const mb = multiKrum(below, { f: 2, m: 3 });
    assert.ok(mb.selected!.every((i) => i < 4), `multi-krum selected ${mb.selected}`);

    const above = [...honest(3, dim, 7), ...colluders(4, dim, 100)];
    const ra = krum(above, { f: 2 });
    assert.ok(ra.selected![0]! >= 3);
    assertClose(ra.aggregate, new Float64Array(dim).fill(100));
  });

  test('assumption: n >= 2f + 3', () => {
    checkAssumption('krum', KRUM_ASSUMPTION, 7, 2);
    assertQfl(() => checkAssumption('krum', KRUM_ASSUMPTION, 6, 2), 'aggregator.f', 'krum cannot tolerate f = 2', 'n >= 7', 'Blanchard');
  });
});
