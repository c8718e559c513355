import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import { FedBuff } from './fedbuff.js';
import { createStrategy } from './index.js';
import { assertClose, assertQfl, BASE, f64, fitRes, LOCAL } from './testing.js';

// Equal speeds (sigma 0), so a client needs n_k * epochs (2) time units: the order is by hand.
const make = (o: Partial<ConstructorParameters<typeof FedBuff>[0]> = {}) => new FedBuff({ ...BASE, bufferSize: 2, concurrency: 3, clientSpeedSigma: 0, ...o });

describe('FedBuff (Nguyen et al. 2022)', () => {
  test('by hand: the K first finishers step the model, late ones join later weighted by 1/sqrt(1 + staleness)', () => {
    const s = make();
    const rng = new Rng(1);
    const w0 = f64(0, 0);
    // Round 1: all three start on version 0.
    assert.deepEqual(s.configureFit(1, w0, [0, 1, 2], rng).map((i) => i.clientId).sort(), [0, 1, 2]);
    // They finish at 2, 4 and 6 (n = 1, 2, 3); the buffer takes clients 0 and 1.
    const r1 = s.aggregateFit(1, w0, [fitRes(0, f64(1, 0), 1), fitRes(1, f64(3, 2), 2), fitRes(2, f64(4, 8), 3)], [])!;
    assertClose(r1.params, [2, 1]); // (u0 + u1) / 2
    assert.equal(r1.metrics['staleness_max'], 0);
    assert.equal(r1.metrics['in_flight'], 1);
    assert.equal(r1.metrics['simulated_time'], 4);
    // Round 2: clients 0 and 1 start again on version 1 (client 2 is still busy).
    assert.deepEqual(s.configureFit(2, r1.params, [0, 1, 2], rng).map((i) => i.clientId).sort(), [0, 1]);
    // Client 0 finishes at 4 + 2 = 6, as client 2 does (ties by id); client 1 at 8 stays in flight.
    const r2 = s.aggregateFit(2, r1.params, [fitRes(0, f64(2, 2), 1, {}, 2), fitRes(1, f64(9, 9), 2, {}, 2)], [])!;
    const w = 1 / Math.sqrt(2);
    assertClose(r2.params, [2 + (2 + 4 * w) / 2, 1 + (2 + 8 * w) / 2]);
    assert.equal(r2.metrics['staleness_max'], 1);
    assert.equal(r2.metrics['staleness_mean'], 0.5);
    assert.equal(r2.metrics['num_clients'], 2);
  });

  test('the staleness weight is (1 + tau)^-a; the state (clock, updates in flight) round-trips through JSON', () => {
    assert.equal(make({ stalenessExponent: 1 }).stalenessWeight(3), 0.25);
    assert.equal(make().stalenessWeight(0), 1);
    const a = make();
    const b = make();
    const rng = () => new Rng(3);
    for (const s of [a, b]) {
      s.configureFit(1, f64(0, 0), [0, 1, 2], rng());
      s.aggregateFit(1, f64(0, 0), [fitRes(0, f64(1, 0), 1), fitRes(1, f64(3, 2), 2), fitRes(2, f64(4, 8), 3)], []);
    }
    const c = make();
    c.setState(JSON.parse(JSON.stringify(a.getState())));
    const next = (s: FedBuff) => s.aggregateFit(2, f64(2, 1), [fitRes(0, f64(2, 2), 1, {}, 2), fitRes(1, f64(9, 9), 2, {}, 2)], [])!.params;
    assert.deepEqual([...next(c)], [...next(b)]);
    assertQfl(() => c.setState({ strategy: 'fedbuff', clock: -1, inFlight: [] }), 'state.clock');
    assertQfl(() => c.setState({ strategy: 'fedbuff', clock: 0, inFlight: [{ clientId: 0, version: 0, finish: 1, numExamples: 1, update: [NaN] }] }), 'state.inFlight[0].update');
  });

  test('client speeds are log-normal per client from the seed: slow clients deliver stale updates', () => {
    const s = new FedBuff({ ...BASE, bufferSize: 2, concurrency: 6, clientSpeedSigma: 1.5 });
    const ids = [0, 1, 2, 3, 4, 5];
    const rng = new Rng(5);
    let params = f64(0);
    let maxStale = 0;
    for (let round = 1; round <= 12; round++) {
      const ins = s.configureFit(round, params, ids, rng);
      const r = s.aggregateFit(round, params, ins.map((i) => fitRes(i.clientId, f64(1), 10, {}, round)), [])!;
      params = r.params;
      maxStale = Math.max(maxStale, r.metrics['staleness_max']!);
    }
    assert.ok(maxStale >= 2, `max staleness ${maxStale}`);
  });

  test('createStrategy builds it from the config keys; bad combinations are refused', () => {
    const s = createStrategy({ name: 'fedbuff', buffer_size: 4, staleness_exponent: 1 }, { local: LOCAL, seed: 0 }) as FedBuff;
    assert.equal(s.name, 'fedbuff');
    assert.equal(s.concurrency, 8);
    assert.equal(s.stalenessExponent, 1);
    assertQfl(() => createStrategy({ name: 'fedbuff' }, { local: LOCAL, seed: 0 }), 'strategy.buffer_size', 'required');
    assertQfl(() => make({ concurrency: 1 }), 'concurrency', 'at least bufferSize');
    assertQfl(() => make({ minFitClients: 3 }), 'minFitClients');
  });
});
