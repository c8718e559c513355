import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import { weightedAverage } from '../../updates/aggregate.js';
import { createStrategy, FedAdam, FedAvg, FedAvgM, FedProx, FedYogi, type StrategySpec } from './index.js';
import { assertQfl, f64, fitRes, LOCAL } from './testing.js';

const ctx = { local: LOCAL, seed: 3 };

describe('createStrategy', () => {
  test('builds each strategy with its options', () => {
    const avg = createStrategy({ name: 'fedavg', fraction_fit: 0.5, min_fit_clients: 2, fraction_evaluate: 0, min_evaluate_clients: 0 }, ctx);
    assert.ok(avg instanceof FedAvg && avg.name === 'fedavg');
    assert.equal(avg.fractionFit, 0.5);
    assert.equal(avg.minFitClients, 2);
    assert.equal(avg.fractionEvaluate, 0);
    assert.equal(avg.minEvaluateClients, 0);
    assert.equal(avg.seed, 3);

    const prox = createStrategy({ name: 'fedprox', mu: 0.01 }, ctx);
    assert.ok(prox instanceof FedProx);
    assert.equal(prox.configureFit(1, f64(0), [0, 1], new Rng(1))[0]!.config.proximalMu, 0.01);

    const m = createStrategy({ name: 'fedavgm', server_momentum: 0.9 }, ctx);
    assert.ok(m instanceof FedAvgM);
    assert.deepEqual(m.server, { serverLr: 1, momentum: 0.9 });

    const adam = createStrategy({ name: 'fedadam', server_lr: 0.1, tau: 1e-9 }, ctx);
    assert.ok(adam instanceof FedAdam && adam.name === 'fedadam');
    assert.deepEqual(adam.server, { eta: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 });

    const yogi = createStrategy({ name: 'fedyogi', server_lr: 0.01, beta1: 0.8, beta2: 0.95 }, ctx);
    assert.ok(yogi instanceof FedYogi && yogi.name === 'fedyogi');
    assert.deepEqual(yogi.server, { eta: 0.01, beta1: 0.8, beta2: 0.95, tau: 1e-3 });
  });

  test('defaults: every client fits and evaluates, min 1', () => {
    const s = createStrategy({ name: 'fedavg' }, ctx) as FedAvg;
    assert.deepEqual([s.fractionFit, s.minFitClients, s.fractionEvaluate, s.minEvaluateClients], [1, 1, 1, 1]);
    assert.equal(s.proximalMu, 0);
    assert.equal(s.aggregator, weightedAverage);
  });

  test("keys of other strategies are ignored (one section shared by a sweep over names)", () => {
    const shared = { mu: 0.01, server_lr: 0.1, server_momentum: 0.9, beta1: 0.9, beta2: 0.99, tau: 1e-3 };
    const avg = createStrategy({ name: 'fedavg', ...shared }, ctx) as FedAvg;
    assert.equal(avg.proximalMu, 0);
    assert.deepEqual(avg.getState(), { strategy: 'fedavg' });
    assert.deepEqual((createStrategy({ name: 'fedavgm', ...shared }, ctx) as FedAvgM).server, { serverLr: 0.1, momentum: 0.9 });
    assert.equal((createStrategy({ name: 'fedadam', ...shared }, ctx) as FedAdam).proximalMu, 0);
    // but an ignored key is still not allowed to be unknown
    assert.throws(() => createStrategy({ name: 'fedavg', ...shared, moo: 1 } as StrategySpec, ctx), /unknown key/);
  });

  test('keys set to undefined count as absent (zod optional output)', () => {
    const spec: StrategySpec = { name: 'fedavg', mu: undefined, server_lr: undefined, fraction_fit: undefined };
    assert.equal((createStrategy(spec, ctx) as FedAvg).fractionFit, 1);
  });

  test('passes the evaluateFn and aggregator through', () => {
    const aggregator = (u: readonly Float64Array[]): Float64Array => u[0]!.slice();
    const s = createStrategy({ name: 'fedadam', server_lr: 0.1 }, { ...ctx, aggregator, evaluateFn: () => ({ loss: 1, metrics: {} }) });
    assert.equal((s as FedAvg).aggregator, aggregator);
    assert.deepEqual(s.evaluate?.(1, f64(0)), { loss: 1, metrics: {} });
    assert.ok(s.aggregateFit(1, f64(0), [fitRes(0, f64(1), 1)], []));
  });

  test('clear errors for unknown names, missing, misplaced, unknown and out-of-range keys', () => {
    const bad = (spec: unknown): (() => unknown) => () => createStrategy(spec as StrategySpec, ctx);
    assertQfl(bad({ name: 'fedsgd' }), 'strategy.name', 'fedavg, fedprox, fedavgm, fedadam, fedyogi', '"fedsgd"');
    assertQfl(bad({}), 'strategy.name', 'must be one of');
    assertQfl(bad(null), 'strategy', 'object');
    assertQfl(bad({ name: 'fedprox' }), 'strategy.mu', 'required by fedprox');
    assertQfl(bad({ name: 'fedavgm' }), 'strategy.server_momentum', 'required by fedavgm');
    assertQfl(bad({ name: 'fedadam' }), 'strategy.server_lr', 'required by fedadam');
    assertQfl(bad({ name: 'fedyogi', beta1: 0.9 }), 'strategy.server_lr', 'required by fedyogi');
    assertQfl(bad({ name: 'fedavg', fraction_fitt: 0.5 }), 'strategy.fraction_fitt', 'unknown key', 'fraction_fit');
    assertQfl(bad({ name: 'fedavg', fraction_fit: 2 }), 'strategy.fraction_fit', 'in [0, 1]', '2');
    assertQfl(bad({ name: 'fedavg', min_fit_clients: 0 }), 'strategy.min_fit_clients', 'integer >= 1');
    assertQfl(bad({ name: 'fedavg', min_evaluate_clients: 1.5 }), 'strategy.min_evaluate_clients', 'integer');
    assertQfl(bad({ name: 'fedprox', mu: -0.1 }), 'strategy.mu', '>= 0');
    assertQfl(bad({ name: 'fedprox', mu: '0.1' }), 'strategy.mu', 'a number', '"0.1"');
    assertQfl(bad({ name: 'fedavgm', server_momentum: 1 }), 'strategy.server_momentum', '[0, 1)');
    assertQfl(bad({ name: 'fedadam', server_lr: 0 }), 'strategy.server_lr', '> 0');
    assertQfl(bad({ name: 'fedadam', server_lr: 0.1, tau: 0 }), 'strategy.tau', '> 0');
    assertQfl(bad({ name: 'fedyogi', server_lr: 0.1, beta2: 1 }), 'strategy.beta2', '[0, 1)');
    assertQfl(() => createStrategy({ name: 'fedprox' } as StrategySpec, ctx, 'federation.strategy'), 'federation.strategy.mu');
  });
});
