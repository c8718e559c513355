import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { weightedAverage } from '../../util/vectors.js';
import { assertClose, assertQfl, colluders, copies, f64, honest } from './fixtures.js';
import { AGGREGATOR_NAMES, createAggregator, robustMetrics, type AggregatorSpec } from './registry.js';

const SPECS: readonly AggregatorSpec[] = [
  { name: 'mean' },
  { name: 'median', f: 2 },
  { name: 'trimmed_mean', beta: 0.2, f: 2 },
  { name: 'krum', f: 2 },
  { name: 'multi_krum', f: 2, m: 4 },
  { name: 'bulyan', f: 2 },
  { name: 'geometric_median', f: 2 },
  { name: 'norm_bound', max_norm: 10 },
  { name: 'centered_clipping', tau: 10, iters: 3 },
];

describe('createAggregator', () => {
  test('every name builds, runs as an Aggregator and leaves its inputs alone', () => {
    assert.deepEqual(
      SPECS.map((s) => s.name),
      [...AGGREGATOR_NAMES],
    );
    const u = honest(11, 4, 21, 0.1);
    const w = u.map((_, i) => i + 1);
    for (const spec of SPECS) {
      const rule = createAggregator(spec, { clients: 11 });
      const before = copies(u);
      const out = rule.aggregate(u, w);
      assert.equal(out.length, 4, spec.name);
      assert.deepEqual(u, before, `${spec.name} mutated its input`);
      assert.equal(rule.needsSingleUpdates, spec.name !== 'mean');
      assert.ok(rule.assumption.text.length > 0);
    }
  });

  test('mean is weightedAverage; the robust rules agree with it on identical updates', () => {
    const u = [f64(1, 2), f64(3, 4)];
    assertClose(createAggregator({ name: 'mean' }).aggregate(u, [1, 3]), weightedAverage(u, [1, 3]));
    const same = Array.from({ length: 11 }, () => f64(1, -2));
    for (const spec of SPECS) {
      assertClose(createAggregator(spec).aggregate(same, new Array(11).fill(1)), [1, -2], 1e-12, spec.name);
    }
  });

  test('check(n, f) refuses configs that break the assumption, with the rule and the bound', () => {
    assertQfl(() => createAggregator({ name: 'krum', f: 2 }, { clients: 6 }), 'aggregator.f', 'krum cannot tolerate f = 2 Byzantine clients among n = 6', 'n >= 7');
    assertQfl(() => createAggregator({ name: 'bulyan', f: 2 }, { clients: 10 }), 'aggregator.f', 'n >= 11');
    assertQfl(() => createAggregator({ name: 'median', f: 3 }, { clients: 6 }), 'aggregator.f', 'n >= 7');
    assertQfl(() => createAggregator({ name: 'trimmed_mean', beta: 0.1, f: 2 }, { clients: 10 }), 'aggregator.f', 'raise beta');
    assertQfl(() => createAggregator({ name: 'multi_krum', f: 1, m: 5 }, { clients: 5 }), 'aggregator.f', 'lower m');
    const rule = createAggregator({ name: 'krum', f: 1 });
    rule.check(5);
    assertQfl(() => rule.check(5, 2), 'aggregator.f', 'n >= 7');
    assert.equal(rule.minClients(), 5);
    assert.equal(createAggregator({ name: 'bulyan', f: 2 }).minClients(), 11);
    assert.equal(createAggregator({ name: 'trimmed_mean', beta: 0.25, f: 1 }).minClients(), 4);
  });

  test('run checks the assumption against the updates it is given', () => {
    const rule = createAggregator({ name: 'krum', f: 2 }, { clients: 7 });
    assertQfl(() => rule.aggregate(honest(6, 2, 1), new Array(6).fill(1)), 'aggregator.f', 'among n = 6');
  });

  test('refuses unknown names, unknown keys and bad values, naming the path', () => {
    assertQfl(() => createAggregator({ name: 'fedmedian' } as never), 'aggregator.name', 'unknown aggregator "fedmedian"', 'known: mean, median');
    assertQfl(() => createAggregator({ name: 'krum', f: 1, m: 2 } as never), 'aggregator.m', 'unknown parameter of krum; allowed: f');
    assertQfl(() => createAggregator({ name: 'krum' } as never), 'aggregator.f');
    assertQfl(() => createAggregator({ name: 'trimmed_mean', beta: 0.5 }), 'aggregator.beta');
    assertQfl(() => createAggregator({ name: 'trimmed_mean' }), 'aggregator', 'needs beta');
    assertQfl(() => createAggregator({ name: 'norm_bound', max_norm: 0 }, { path: 'strategy.aggregator' }), 'strategy.aggregator.max_norm');
  });

  test('run reports who was selected and flagged; robustMetrics turns it into round metrics', () => {
    const u = [...honest(5, 3, 4, 0.1), ...colluders(2, 3, 50)];
    const rule = createAggregator({ name: 'multi_krum', f: 2, m: 3 });
    const r = rule.run(u, new Array(7).fill(1));
    assert.equal(r.selected?.length, 3);
    assert.ok(r.flagged!.includes(5) && r.flagged!.includes(6));
    const m = robustMetrics(r, [10, 11, 12, 13, 14, 15, 16]);
    assert.equal(m['robust_selected'], 3);
    assert.equal(m['robust_flagged'], 4);
    assert.equal(m['robust_flagged_client_15'], 1);
    assert.equal(m['robust_flagged_client_16'], 1);
  });
});
