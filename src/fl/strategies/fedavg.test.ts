import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deriveSeed, Rng } from '../../util/random.js';
import type { EvaluateRes } from '../../updates/messages.js';
import { FedAvg } from './fedavg.js';
import { FedProx } from './fedprox.js';
import { assertClose, assertQfl, BASE, f64, fitRes, LOCAL } from './testing.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('FedAvg.configureFit', () => {
  test('samples max(min, floor(fraction * n)) clients and sends each a FitConfig', () => {
    const s = new FedAvg({ ...BASE, fractionFit: 0.3, minFitClients: 2 });
    const params = f64(0.5, -0.5);
    const ins = s.configureFit(3, params, range(10), new Rng(9));
    assert.equal(ins.length, 3);
    const ids = ins.map((i) => i.clientId);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    for (const i of ins) {
      assert.equal(i.round, 3);
      assert.deepEqual(i.params, params);
      assert.notEqual(i.params, params, 'each client gets its own copy');
      assert.deepEqual(i.config, { ...LOCAL, proximalMu: 0, seed: deriveSeed(42, 3, i.clientId) });
    }
    assert.notEqual(ins[0]!.params, ins[1]!.params);
    assert.equal(new Set(ins.map((i) => i.config.seed)).size, 3, 'per-client seeds differ');
  });

  test('deterministic given the round generator; the client seed does not depend on who else was picked', () => {
    const s = new FedAvg({ ...BASE, fractionFit: 0.5 });
    const a = s.configureFit(1, f64(0), range(8), new Rng(5));
    const b = s.configureFit(1, f64(0), range(8), new Rng(5));
    assert.deepEqual(a, b);
    const other = new FedAvg({ ...BASE, fractionFit: 1 }).configureFit(1, f64(0), range(8), new Rng(6));
    for (const i of a) assert.equal(other.find((o) => o.clientId === i.clientId)!.config.seed, i.config.seed);
  });

  test('too few clients is an error naming the numbers', () => {
    const s = new FedAvg({ ...BASE, minFitClients: 3 });
    assertQfl(() => s.configureFit(1, f64(0), [0, 1], new Rng(1)), 'fit clients', '2 client(s) available', 'minimum of 3');
  });
});

describe('FedAvg.aggregateFit', () => {
  test('params + the sample-weighted mean of the deltas, with weighted train metrics', () => {
    // w = [1, 1, 1]; deltas (n): [1, 0, -1] (2), [0, 2, 0] (1), [4, 4, 4] (1)
    // mean delta = [(2 + 0 + 4)/4, (0 + 2 + 4)/4, (-2 + 0 + 4)/4] = [1.5, 1.5, 0.5]
    // new w = [2.5, 2.5, 1.5]
    // loss = (2*0.5 + 1*1 + 1*2)/4 = 1; accuracy over the two that report it = (2*0.8 + 1*0.4)/3 = 2/3
    const s = new FedAvg(BASE);
    const w = f64(1, 1, 1);
    const results = [
      fitRes(0, f64(1, 0, -1), 2, { loss: 0.5, accuracy: 0.8 }),
      fitRes(3, f64(0, 2, 0), 1, { loss: 1, accuracy: 0.4 }),
      fitRes(7, f64(4, 4, 4), 1, { loss: 2 }),
    ];
    const out = s.aggregateFit(1, w, results, [{ clientId: 9, reason: 'timeout' }])!;
    assertClose(out.params, [2.5, 2.5, 1.5]);
    assertClose([out.metrics.loss!, out.metrics.accuracy!], [1, 2 / 3]);
    assert.equal(out.metrics.num_clients, 3);
    assert.equal(out.metrics.num_failures, 1);
    assert.equal(out.metrics.num_examples, 4);
    // inputs untouched
    assert.deepEqual(w, f64(1, 1, 1));
    assert.deepEqual(results[0]!.update, f64(1, 0, -1));
    assert.deepEqual(results[2]!.update, f64(4, 4, 4));
  });

  test('no results: undefined (keep the current parameters)', () => {
    assert.equal(new FedAvg(BASE).aggregateFit(1, f64(1), [], [{ clientId: 0, reason: 'crashed' }]), undefined);
  });

  test('a NaN, infinite or wrongly sized update is refused, naming the client', () => {
    const s = new FedAvg(BASE);
    const ok = fitRes(0, f64(1, 1), 1);
    assertQfl(() => s.aggregateFit(1, f64(0, 0), [ok, fitRes(5, f64(1, NaN), 1)], []), 'results[1] (client 5).update', 'entry 1 is NaN');
    assertQfl(() => s.aggregateFit(1, f64(0, 0), [fitRes(2, f64(-Infinity, 0), 1)], []), 'results[0] (client 2).update', '-Infinity');
    assertQfl(() => s.aggregateFit(1, f64(0, 0), [ok, fitRes(4, f64(1), 1)], []), 'results[1] (client 4).update', 'as the parameters');
    assertQfl(() => s.aggregateFit(1, f64(0, 0), [fitRes(4, f64(1, 1), -3)], []), 'results[0] (client 4).numExamples', '>= 0');
  });

  test('the aggregator seam: a replacement rule sees the updates and weights', () => {
    // coordinate-wise median of three deltas: [median(1, 0, 4), median(0, 2, 4)] = [1, 2]
    const seen: number[][] = [];
    const median = (updates: readonly Float64Array[], weights: ArrayLike<number>): Float64Array => {
      seen.push(Array.from(weights));
      const out = new Float64Array(updates[0]!.length);
      for (let j = 0; j < out.length; j++) out[j] = updates.map((u) => u[j]!).sort((a, b) => a - b)[1]!;
      return out;
    };
    const s = new FedAvg({ ...BASE, aggregator: median });
    const out = s.aggregateFit(1, f64(10, 10), [fitRes(0, f64(1, 0), 5), fitRes(1, f64(0, 2), 1), fitRes(2, f64(4, 4), 1)], [])!;
    assert.deepEqual(out.params, f64(11, 12));
    assert.deepEqual(seen, [[5, 1, 1]]);
    const bad = new FedAvg({ ...BASE, aggregator: () => f64(NaN, 0) });
    assertQfl(() => bad.aggregateFit(1, f64(0, 0), [fitRes(0, f64(1, 1), 1)], []), 'aggregator result', 'NaN');
  });
});

describe('FedAvg evaluation', () => {
  const evalRes = (clientId: number, loss: number, numExamples: number, accuracy: number): EvaluateRes => ({
    round: 1,
    clientId,
    loss,
    numExamples,
    metrics: { accuracy },
  });

  test('configureEvaluate samples with its own fraction and min; fraction 0 skips', () => {
    const s = new FedAvg({ ...BASE, fractionEvaluate: 0.5, minEvaluateClients: 1 });
    const params = f64(1, 2);
    const ins = s.configureEvaluate(2, params, range(6), new Rng(3));
    assert.equal(ins.length, 3);
    for (const i of ins) {
      assert.equal(i.round, 2);
      assert.deepEqual(i.params, params);
      assert.notEqual(i.params, params);
    }
    assert.deepEqual(new FedAvg({ ...BASE, fractionEvaluate: 0 }).configureEvaluate(2, params, range(6), new Rng(3)), []);
  });

  test('aggregateEvaluate weights loss and metrics by sample counts', () => {
    // loss = (1*1 + 3*2)/4 = 1.75; accuracy = (1*0.5 + 3*0.9)/4 = 0.8
    const out = new FedAvg(BASE).aggregateEvaluate(1, [evalRes(0, 1, 1, 0.5), evalRes(1, 2, 3, 0.9)])!;
    assertClose([out.loss, out.metrics.accuracy!], [1.75, 0.8]);
    assert.equal(new FedAvg(BASE).aggregateEvaluate(1, []), undefined);
  });

  test('evaluate delegates to evaluateFn, or gives undefined without one', () => {
    const calls: [number, number[]][] = [];
    const s = new FedAvg({
      ...BASE,
      evaluateFn: (round, params) => {
        calls.push([round, Array.from(params)]);
        return { loss: 0.25, metrics: { accuracy: 0.9 } };
      },
    });
    assert.deepEqual(s.evaluate(4, f64(1, 2)), { loss: 0.25, metrics: { accuracy: 0.9 } });
    assert.deepEqual(calls, [[4, [1, 2]]]);
    assert.equal(new FedAvg(BASE).evaluate(4, f64(1, 2)), undefined);
  });
});

describe('FedAvg options and state', () => {
  test('bad options are refused by name', () => {
    assertQfl(() => new FedAvg({ ...BASE, fractionFit: 1.2 }), 'fractionFit', '[0, 1]');
    assertQfl(() => new FedAvg({ ...BASE, minFitClients: 0 }), 'minFitClients', '>= 1');
    assertQfl(() => new FedAvg({ ...BASE, minEvaluateClients: 1.5 }), 'minEvaluateClients', 'integer');
    assertQfl(() => new FedAvg({ ...BASE, local: { ...LOCAL, lr: 0 } }), 'local.lr', '> 0');
    assertQfl(() => new FedAvg({ ...BASE, local: { ...LOCAL, batchSize: 0 } }), 'local.batchSize', '>= 1');
    assertQfl(() => new FedAvg({ ...BASE, proximalMu: -1 }), 'proximalMu', '>= 0');
    assertQfl(() => new FedAvg({ ...BASE, seed: 0.5 }), 'seed', 'integer');
  });

  test('state round trip and refusal of another strategy state', () => {
    const s = new FedAvg(BASE);
    const saved = JSON.parse(JSON.stringify(s.getState())) as unknown;
    assert.deepEqual(saved, { strategy: 'fedavg' });
    s.setState(saved);
    assertQfl(() => s.setState({ strategy: 'fedadam', m: null, v: null }), 'state.strategy', "'fedadam'", "'fedavg'");
    assertQfl(() => s.setState(null), 'state', 'null');
  });
});

describe('FedProx (Li et al. 2020)', () => {
  test('sends mu to the clients in FitConfig', () => {
    const s = new FedProx({ ...BASE, proximalMu: 0.01 });
    assert.equal(s.name, 'fedprox');
    for (const i of s.configureFit(1, f64(0), range(4), new Rng(1))) assert.equal(i.config.proximalMu, 0.01);
  });

  test('aggregates exactly as FedAvg', () => {
    const results = [fitRes(0, f64(1, 2), 1), fitRes(1, f64(3, 4), 3)];
    const prox = new FedProx({ ...BASE, proximalMu: 0.1 }).aggregateFit(1, f64(0, 0), results, [])!;
    const avg = new FedAvg(BASE).aggregateFit(1, f64(0, 0), results, [])!;
    assert.deepEqual(prox, avg);
    assertClose(prox.params, [2.5, 3.5]);
  });

  test('needs mu; its state is tagged fedprox', () => {
    assertQfl(() => new FedProx({ ...BASE } as unknown as ConstructorParameters<typeof FedProx>[0]), 'proximalMu', 'mu');
    const s = new FedProx({ ...BASE, proximalMu: 0.1 });
    assert.deepEqual(s.getState(), { strategy: 'fedprox' });
    assertQfl(() => s.setState({ strategy: 'fedavg' }), 'state.strategy', "'fedavg'");
  });
});
