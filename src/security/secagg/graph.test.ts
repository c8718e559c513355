import assert from 'node:assert/strict';
import test from 'node:test';
import { bernoulliKl, chooseDegree, failureBound, SECAGG_FAILURE_TARGET, secaggGraph, thresholdFor } from './graph.js';

test('the ring graph is k-regular and symmetric, and a different seed gives different neighbourhoods', () => {
  const ids = Array.from({ length: 101 }, (_, i) => 3 * i);
  const g = secaggGraph(ids, 10, 7);
  for (const [i, nb] of g) {
    assert.equal(nb.length, 10);
    assert.ok(!nb.includes(i));
    for (const j of nb) assert.ok(g.get(j)!.includes(i), `${i}-${j} not symmetric`);
  }
  const h = secaggGraph(ids, 10, 8);
  assert.notDeepEqual(g.get(0), h.get(0));
  // k = n - 1: the complete graph.
  assert.deepEqual(secaggGraph([0, 1, 2], 2, 1).get(1), [0, 2]);
  assert.throws(() => secaggGraph(ids, 9, 1), /secagg\.degree: must be even/);
});

test('k grows like log n: the degree that keeps the failure bound under 2^-40', () => {
  const ks = [100, 1000, 10_000, 100_000].map((n) => chooseDegree({ clients: n, dropout: 0.1, corrupted: 0.05, threshold: 0.6 }));
  for (const d of ks) {
    assert.ok(d.failureBound <= SECAGG_FAILURE_TARGET || d.complete);
    assert.ok(2 * d.t > d.k + 1);
  }
  // From 1000 to 100 000 clients (100x), k grows by far less than 2x.
  assert.ok(!ks[1]!.complete && ks[3]!.k < 1.5 * ks[1]!.k, `k: ${ks.map((d) => d.k).join(', ')}`);
  // The bound is what it says: one less even k breaks it.
  const d = ks[2]!;
  const smaller = d.k - 2;
  assert.ok(failureBound({ clients: 10_000, dropout: 0.1, corrupted: 0.05, threshold: 0.6 }, smaller, thresholdFor(smaller, 0.6)) > SECAGG_FAILURE_TARGET);
});

test('small federations get the complete graph; t is a majority of the holders', () => {
  const d = chooseDegree({ clients: 6, dropout: 0.25, corrupted: 0, threshold: 0.6 });
  assert.deepEqual([d.k, d.t, d.complete], [5, 4, true]);
  assert.equal(thresholdFor(4, 0.51), 3);
  assert.equal(thresholdFor(9, 0.6), 6);
});

test('threshold of one half or less is refused with the reason; rates are checked', () => {
  assert.throws(() => chooseDegree({ clients: 10, dropout: 0, corrupted: 0, threshold: 0.01 }), /secure_aggregation\.threshold: must be in \(0\.5, 1\], got 0\.01: .*different survivor lists/);
  assert.throws(() => chooseDegree({ clients: 10, dropout: 1, corrupted: 0, threshold: 0.6 }), /secure_aggregation\.dropout/);
  assert.throws(() => chooseDegree({ clients: 10, dropout: 0, corrupted: 0.5, threshold: 0.6 }), /corrupted_fraction/);
});

test('Bernoulli KL divergence by hand', () => {
  assert.equal(bernoulliKl(0.5, 0.5), 0);
  assert.ok(Math.abs(bernoulliKl(0.4, 0.1) - (0.4 * Math.log(4) + 0.6 * Math.log(0.6 / 0.9))) < 1e-15);
  assert.equal(bernoulliKl(0.3, 0), Infinity);
});
