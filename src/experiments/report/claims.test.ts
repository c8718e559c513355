import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claimsTableHtml, formatCi, judge, paperRules, verdictOf } from './claims.js';

const ci = (lo: number, hi: number) => ({ n: 5, mean: (lo + hi) / 2, sd: 1, half: (hi - lo) / 2, lo, hi });

describe('verdictOf', () => {
  test('above: supported only when the whole interval clears the threshold', () => {
    assert.equal(verdictOf(ci(0.01, 0.05), { kind: 'above', threshold: 0 }), 'supported');
    assert.equal(verdictOf(ci(-0.01, 0.05), { kind: 'above', threshold: 0 }), 'inconclusive');
    assert.equal(verdictOf(ci(-0.05, -0.01), { kind: 'above', threshold: 0 }), 'not supported');
  });

  test('below mirrors above', () => {
    assert.equal(verdictOf(ci(0.1, 0.3), { kind: 'below', threshold: 0.5 }), 'supported');
    assert.equal(verdictOf(ci(0.4, 0.6), { kind: 'below', threshold: 0.5 }), 'inconclusive');
    assert.equal(verdictOf(ci(0.6, 0.7), { kind: 'below', threshold: 0.5 }), 'not supported');
  });

  test('near: inside the band, outside it, or straddling an edge', () => {
    const t = { kind: 'near', value: 0.85, tolerance: 0.05 } as const;
    assert.equal(verdictOf(ci(0.82, 0.88), t), 'supported');
    assert.equal(verdictOf(ci(0.4, 0.6), t), 'not supported');
    assert.equal(verdictOf(ci(0.75, 0.85), t), 'inconclusive');
    assert.equal(verdictOf(ci(0.91, 0.95), t), 'not supported');
  });

  test('one value has no interval: inconclusive; no values: not measured', () => {
    assert.equal(verdictOf({ n: 1, mean: 0.99 }, { kind: 'above', threshold: 0 }), 'inconclusive');
    assert.equal(verdictOf(undefined, { kind: 'above', threshold: 0 }), 'not measured');
  });
});

describe('judge and the table', () => {
  test('the verdict comes from the t-interval of the values', () => {
    // mean 0.02, sd 0.01, n 5: half = 2.7764 * 0.01 / sqrt(5) = 0.0124 -> [0.0076, 0.0324], above 0.
    const r = judge({ claim: 'A beats B', paper: 'qualitative', measure: 'A - B', values: [0.01, 0.02, 0.03, 0.02, 0.02].map((x, i) => x + (i === 4 ? 0 : 0)), test: { kind: 'above', threshold: 0 }, unit: 'pp' });
    assert.equal(r.verdict, 'supported');
    assert.match(formatCi(r.ci, 'pp'), /^\+2\.00 pp ± 0\.\d\d pp \(95 % CI, n = 5\)$/);
    const noisy = judge({ ...r, values: [0.1, -0.1, 0.05, -0.05, 0.02] });
    assert.equal(noisy.verdict, 'inconclusive');
    const html = claimsTableHtml([r, judge({ ...r, values: [0.5, 0.6] })]);
    assert.match(html, /supported/);
    assert.match(html, /fewer than 5 seeds/);
  });

  test("the paper's numbers become a dashed rule with a label", () => {
    const layers = paperRules([{ value: 0.85, label: 'paper: 0.85' }], 'y') as { mark: { type: string }; data: { values: unknown[] } }[];
    assert.equal(layers.length, 2); // the rule, one label
    assert.equal(layers[0]!.mark.type, 'rule');
    assert.deepEqual(layers[0]!.data.values, [{ paperValue: 0.85, paperLabel: 'paper: 0.85' }]);
    assert.deepEqual(paperRules([], 'x'), []);
  });
});
