import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Rng } from '../util/random.js';
import { dirichlet, distinctLabels, iid, labelSkew, partition, roundProportions, shards } from './partition.js';

/** Every index 0..n-1 in exactly one part, each part sorted and non-empty. */
function assertCover(parts: Int32Array[], n: number, clients: number): void {
  assert.equal(parts.length, clients);
  const seen = new Uint8Array(n);
  for (const p of parts) {
    assert.ok(p.length > 0, 'no client is empty');
    for (let t = 0; t < p.length; t++) {
      const i = p[t]!;
      assert.ok(i >= 0 && i < n, `index ${i} in range`);
      assert.equal(seen[i], 0, `index ${i} given twice`);
      seen[i] = 1;
      if (t > 0) assert.ok(p[t - 1]! < i, 'sorted ascending');
    }
  }
  assert.ok(seen.every((s) => s === 1), 'every sample is given out');
}

function randomLabels(n: number, classes: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(classes));
}

/** MNIST-like: `perClass` samples of each of 10 labels, sorted by label. */
function sortedLabels(perClass: number, classes = 10): Int32Array {
  return Int32Array.from({ length: perClass * classes }, (_, i) => Math.floor(i / perClass));
}

describe('coverage (property-based)', () => {
  const sizes = fc
    .record({ n: fc.integer({ min: 1, max: 300 }), c: fc.integer({ min: 1, max: 40 }), seed: fc.integer({ min: 0, max: 2 ** 31 }) })
    .map(({ n, c, seed }) => ({ n, clients: Math.min(c, n), seed }));

  test('iid: every sample in exactly one client, sizes within one', () => {
    fc.assert(
      fc.property(sizes, ({ n, clients, seed }) => {
        const parts = iid(n, clients, new Rng(seed));
        assertCover(parts, n, clients);
        const lens = parts.map((p) => p.length);
        assert.ok(Math.max(...lens) - Math.min(...lens) <= 1);
      }),
      { seed: 1, numRuns: 150 },
    );
  });

  test('dirichlet: every sample in exactly one client, none empty, any alpha', () => {
    fc.assert(
      fc.property(
        sizes,
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0.01, 0.05, 0.5, 1, 100),
        ({ n, clients, seed }, classes, alpha) => {
          const labels = randomLabels(n, classes, seed ^ 0x5555);
          assertCover(dirichlet(labels, classes, clients, alpha, new Rng(seed)), n, clients);
        },
      ),
      { seed: 2, numRuns: 150 },
    );
  });

  test('shards: every sample in exactly one client', () => {
    fc.assert(
      fc.property(sizes, fc.integer({ min: 1, max: 5 }), ({ n, clients, seed }, perClient) => {
        const spc = Math.max(1, Math.min(perClient, Math.floor(n / clients)));
        const labels = randomLabels(n, 10, seed ^ 0x3333);
        assertCover(shards(labels, clients, spc, new Rng(seed)), n, clients);
      }),
      { seed: 3, numRuns: 150 },
    );
  });

  test('roundProportions: counts add up to the total', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 0, max: 1000 }), (k, total, seed) => {
        const counts = roundProportions(new Rng(seed).dirichlet(0.3, k), total);
        assert.equal(counts.reduce((a, b) => a + b, 0), total);
      }),
      { seed: 4, numRuns: 200 },
    );
  });
});

describe('determinism', () => {
  const labels = randomLabels(500, 10, 9);
  const runs = {
    iid: (seed: number) => iid(500, 7, new Rng(seed)),
    dirichlet: (seed: number) => dirichlet(labels, 10, 7, 0.3, new Rng(seed)),
    shards: (seed: number) => shards(labels, 7, 2, new Rng(seed)),
  };
  for (const [name, run] of Object.entries(runs)) {
    test(`${name}: same seed, same split; another seed, another split`, () => {
      assert.deepEqual(run(123), run(123));
      assert.notDeepEqual(run(123), run(124));
    });
  }

  test('partition() dispatches on the spec', () => {
    assert.deepEqual(partition({ kind: 'iid' }, labels, 10, 7, new Rng(5)), iid(500, 7, new Rng(5)));
    assert.deepEqual(partition({ kind: 'dirichlet', alpha: 0.3 }, labels, 10, 7, new Rng(5)), runs.dirichlet(5));
    assert.deepEqual(partition({ kind: 'shards', shardsPerClient: 2 }, labels, 10, 7, new Rng(5)), shards(labels, 7, 2, new Rng(5)));
  });
});

describe('the skew each promises', () => {
  test('shards, 2 per client: at most 2 labels when shards align with classes', () => {
    const labels = sortedLabels(60); // 600 samples, 60 shards of 10: each shard is one label
    const parts = shards(labels, 30, 2, new Rng(11));
    assert.ok(distinctLabels(parts, labels).every((d) => d >= 1 && d <= 2));
  });

  test('shards, 2 per client: at most 4 labels (a shard may straddle a class edge) on shuffled labels', () => {
    const labels = randomLabels(5000, 10, 12); // classes of ~500, shards of 25
    const parts = shards(labels, 100, 2, new Rng(13));
    const d = distinctLabels(parts, labels);
    assert.ok(d.every((k) => k <= 4));
    assert.ok(d.reduce((a, b) => a + b, 0) / d.length < 2.5, 'most clients see 2 labels');
    assert.ok(labelSkew(parts, labels, 10) > 0.75);
  });

  test('dirichlet: alpha = 0.05 is far more skewed than alpha = 100, which is near IID', () => {
    const labels = randomLabels(5000, 10, 14);
    const low = labelSkew(dirichlet(labels, 10, 10, 0.05, new Rng(15)), labels, 10);
    const high = labelSkew(dirichlet(labels, 10, 10, 100, new Rng(15)), labels, 10);
    const uniform = labelSkew(iid(5000, 10, new Rng(15)), labels, 10);
    assert.ok(low > 0.6, `alpha 0.05: mean TV ${low}`);
    assert.ok(high < 0.1, `alpha 100: mean TV ${high}`);
    assert.ok(uniform < 0.1, `iid: mean TV ${uniform}`);
    assert.ok(low > 5 * high);
  });

  test('dirichlet: tiny alpha with as many clients as samples still leaves none empty; minSize holds', () => {
    const labels = sortedLabels(6); // 60 samples
    const parts = dirichlet(labels, 10, 60, 0.01, new Rng(16));
    assert.ok(parts.every((p) => p.length === 1));
    const sized = dirichlet(labels, 10, 12, 0.01, new Rng(17), { minSize: 5 });
    assertCover(sized, 60, 12);
    assert.ok(sized.every((p) => p.length >= 5));
  });
});

describe('bad input', () => {
  const labels = Int32Array.from([0, 1, 2, 0, 1]);
  test('clients, alpha, sizes, labels', () => {
    assert.throws(() => iid(5, 0, new Rng(1)), { message: 'clients: expected a positive integer, found 0' });
    assert.throws(() => iid(5, 2.5, new Rng(1)), { message: 'clients: expected a positive integer, found 2.5' });
    assert.throws(() => iid(3, 4, new Rng(1)), { message: 'clients: 4 clients need at least 4 samples so that none is empty, found 3' });
    assert.throws(() => iid(-1, 1, new Rng(1)), { message: 'n: expected a non-negative integer, found -1' });
    assert.throws(() => dirichlet(labels, 3, 2, 0, new Rng(1)), { message: 'alpha: expected a finite number > 0, found 0' });
    assert.throws(() => dirichlet(labels, 3, 2, -1, new Rng(1)), { message: 'alpha: expected a finite number > 0, found -1' });
    assert.throws(() => dirichlet(labels, 3, 6, 1, new Rng(1)), {
      message: 'clients: 6 clients of at least 1 sample need at least 6 samples so that none is empty, found 5',
    });
    assert.throws(() => dirichlet(labels, 3, 2, 1, new Rng(1), { minSize: 3 }), {
      message: 'clients: 2 clients of at least 3 samples need at least 6 samples so that none is empty, found 5',
    });
    assert.throws(() => dirichlet(labels, 2, 2, 1, new Rng(1)), { message: 'labels[2]: expected a label in 0..1, found 2' });
    assert.throws(() => shards(labels, 2, 0, new Rng(1)), { message: 'shardsPerClient: expected a positive integer, found 0' });
    assert.throws(() => shards(labels, 3, 2, new Rng(1)), {
      message: 'clients: 3 clients x 2 shards need at least 6 samples (one per shard), found 5',
    });
    assert.throws(() => shards(Int32Array.from([0, -1]), 1, 1, new Rng(1)), {
      message: 'labels[1]: expected a non-negative integer label, found -1',
    });
  });
});
