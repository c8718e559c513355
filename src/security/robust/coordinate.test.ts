import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkAssumption } from './common.js';
import { MEDIAN_ASSUMPTION, coordinateMedian, trimCount, trimmedMean, trimmedMeanAssumption } from './coordinate.js';
import { assertClose, assertQfl, colluders, copies, f64, honest, maxAbs } from './fixtures.js';

describe('coordinateMedian', () => {
  test('odd n: the middle value per coordinate', () => {
    const r = coordinateMedian([f64(1, 10), f64(2, 20), f64(100, -5)]);
    assertClose(r.aggregate, [2, 10]);
  });

  test('even n: the mean of the two middle values', () => {
    assertClose(coordinateMedian([f64(1), f64(2), f64(4), f64(100)]).aggregate, [3]);
  });

  test('never mutates its inputs', () => {
    const u = [f64(3, 1), f64(1, 2), f64(2, 3)];
    const before = copies(u);
    coordinateMedian(u);
    assert.deepEqual(u, before);
  });

  test('refuses a NaN entry, naming the update', () => {
    assertQfl(() => coordinateMedian([f64(1), f64(NaN)]), 'updates[1]', 'non-finite');
  });

  test('breakdown at n/2: 2 of 5 attackers stay inside the honest range, 3 of 5 take over', () => {
    const h = honest(3, 4, 1);
    const lo = Math.min(...h.flatMap((u) => [...u]));
    const hi = Math.max(...h.flatMap((u) => [...u]));
    const below = coordinateMedian([...h, ...colluders(2, 4, 1e6)]).aggregate;
    // 3 honest + 2 attackers: the median of every coordinate is an honest value.
    for (const x of below) assert.ok(x >= lo && x <= hi, `${x} outside [${lo}, ${hi}]`);
    const above = coordinateMedian([...h.slice(0, 2), ...colluders(3, 4, 1e6)]).aggregate;
    assertClose(above, [1e6, 1e6, 1e6, 1e6]);
  });

  test('assumption: n >= 2f + 1', () => {
    checkAssumption('median', MEDIAN_ASSUMPTION, 5, 2);
    assertQfl(() => checkAssumption('median', MEDIAN_ASSUMPTION, 4, 2), 'aggregator.f', 'median cannot tolerate f = 2', 'n >= 5');
  });
});

describe('trimmedMean', () => {
  test('drops k per side and averages the rest', () => {
    assertClose(trimmedMean([f64(0), f64(1), f64(2), f64(3), f64(100)], { trim: 1 }).aggregate, [2]);
    assertClose(trimmedMean([f64(5, 0), f64(1, 1)], { trim: 0 }).aggregate, [3, 0.5]);
  });

  test('scores are the fraction of coordinates at which each update was trimmed', () => {
    const r = trimmedMean([f64(0, 9), f64(1, 1), f64(2, 2), f64(50, -7)], { trim: 1 });
    assertClose(r.aggregate, [1.5, 1.5]);
    assert.equal(r.scoreKind, 'trimmed_fraction');
    assert.deepEqual(r.scores, [1, 0, 0, 1]);
  });

  test('refuses a trim that leaves nothing', () => {
    assertQfl(() => trimmedMean([f64(1), f64(2)], { trim: 1 }), 'aggregator.trim', 'integer in [0, 0]');
  });

  test('trimCount is floor(beta n), robust to round-off', () => {
    assert.equal(trimCount(10, 0.2), 2);
    assert.equal(trimCount(9, 0.2), 1);
    assert.equal(trimCount(100, 0.29), 29);
    assertQfl(() => trimCount(10, 0.5), 'aggregator.beta', '[0, 0.5)');
  });

  test('breakdown at beta n: n = 10, beta = 0.2 trims 2 per side; 2 attackers are cut, 3 move it by 1e6/6', () => {
    const h8 = honest(8, 3, 2);
    const below = trimmedMean([...h8, ...colluders(2, 3, 1e6)], { trim: trimCount(10, 0.2) }).aggregate;
    assert.ok(maxAbs(below) < 5, `aggregate ${[...below]} should stay near the honest updates`);
    const above = trimmedMean([...h8.slice(0, 7), ...colluders(3, 3, 1e6)], { trim: trimCount(10, 0.2) }).aggregate;
    for (const x of above) assert.ok(x > 1e6 / 6 - 5, `${x} should be pulled to about 1e6/6`);
  });

  test('assumption: floor(beta n) >= f and n - 2k >= 1', () => {
    const a = trimmedMeanAssumption(0.2);
    checkAssumption('trimmed_mean', a, 10, 2);
    assertQfl(() => checkAssumption('trimmed_mean', a, 9, 2), 'aggregator.f', 'trims only k = floor(0.2 * 9) = 1', 'raise beta');
    const byF = trimmedMeanAssumption(undefined);
    checkAssumption('trimmed_mean', byF, 5, 2);
    assertQfl(() => checkAssumption('trimmed_mean', byF, 4, 2), 'aggregator.f', 'leaves nothing', 'n >= 5');
  });
});
