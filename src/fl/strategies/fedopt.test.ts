import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import type { FitRes } from '../../updates/messages.js';
import { FedAdam } from './fedadam.js';
import { FedAvg } from './fedavg.js';
import { FedAvgM } from './fedavgm.js';
import { FedYogi } from './fedyogi.js';
import { assertClose, assertQfl, BASE, f64, fitRes } from './testing.js';

describe('FedAvgM strategy (Hsu et al. 2019)', () => {
  test('two rounds by hand, from two clients each', () => {
    // η = 0.5, β = 0.9, w0 = [1, 2]
    // round 1: deltas [0, 0] (n=1), [0.4, -0.8] (n=1): Δ = [0.2, -0.4]
    //   v1 = Δ = [0.2, -0.4];  w1 = w0 + 0.5 v1 = [1.1, 1.8]
    // round 2: deltas [0, 0.4] (n=3), [0.4, -0.8] (n=1): Δ = [0.4/4, (1.2 - 0.8)/4] = [0.1, 0.1]
    //   v2 = 0.9 v1 + Δ = [0.28, -0.26];  w2 = w1 + 0.5 v2 = [1.24, 1.67]
    const s = new FedAvgM({ ...BASE, serverLr: 0.5, serverMomentum: 0.9 });
    assert.deepEqual(s.getState(), { strategy: 'fedavgm', momentum: null });
    const w1 = s.aggregateFit(1, f64(1, 2), [fitRes(0, f64(0, 0), 1), fitRes(1, f64(0.4, -0.8), 1)], [])!.params;
    assertClose(w1, [1.1, 1.8]);
    assertClose(s.getState().momentum!, [0.2, -0.4]);
    const w2 = s.aggregateFit(2, w1, [fitRes(0, f64(0, 0.4), 3), fitRes(1, f64(0.4, -0.8), 1)], [])!.params;
    assertClose(w2, [1.24, 1.67]);
    assertClose(s.getState().momentum!, [0.28, -0.26]);
  });

  test('server_lr 1 and momentum 0 is FedAvg, bit for bit', () => {
    const m = new FedAvgM({ ...BASE, serverMomentum: 0 });
    const a = new FedAvg(BASE);
    let wm: Float64Array = f64(0.1, 0.2, 0.3);
    let wa: Float64Array = wm.slice();
    const rng = new Rng(11);
    for (let round = 1; round <= 3; round++) {
      const results = [0, 1, 2].map((k) => fitRes(k, Float64Array.from({ length: 3 }, () => rng.normal()), 1 + k));
      wm = m.aggregateFit(round, wm, results, [])!.params;
      wa = a.aggregateFit(round, wa, results, [])!.params;
      assert.deepEqual(wm, wa);
    }
  });

  test('needs a momentum in [0, 1)', () => {
    assertQfl(() => new FedAvgM({ ...BASE, serverMomentum: 1 }), 'server_momentum', '[0, 1)');
    assertQfl(() => new FedAvgM({ ...BASE, serverMomentum: 0.9, serverLr: -1 }), 'server_lr', '> 0');
  });
});

describe('FedAdam and FedYogi strategies (Reddi et al. 2021)', () => {
  const hyper = { serverLr: 1, beta1: 0.5, beta2: 0.5, tau: 1 };

  test('FedAdam over two rounds by hand, through the weighted average', () => {
    // round 1: deltas [3, -7] (n=1), [0, -7] (n=2): Δ = [3/3, -7] = [1, -7]
    // round 2: deltas [-4, 5] (n=1), [0.5, 5] (n=2): Δ = [(-4 + 1)/3, 5] = [-1, 5]
    // then as in aggregate.test.ts: w1 = [0.25, 5/12], w2 = [0.125, 13/24]
    // with m1 = [0.5, -3.5], v1 = [1, 25]; m2 = [-0.25, 0.75], v2 = [1, 25]
    const s = new FedAdam({ ...BASE, ...hyper });
    assert.deepEqual(s.getState(), { strategy: 'fedadam', m: null, v: null });
    const w1 = s.aggregateFit(1, f64(0, 1), [fitRes(0, f64(3, -7), 1), fitRes(1, f64(0, -7), 2)], [])!.params;
    assertClose(w1, [0.25, 5 / 12]);
    assertClose(s.getState().m!, [0.5, -3.5]);
    assertClose(s.getState().v!, [1, 25]);
    const w2 = s.aggregateFit(2, w1, [fitRes(0, f64(-4, 5), 1), fitRes(1, f64(0.5, 5), 2)], [])!.params;
    assertClose(w2, [0.125, 13 / 24]);
    assertClose(s.getState().m!, [-0.25, 0.75]);
    assertClose(s.getState().v!, [1, 25]);
  });

  test('FedYogi over two rounds by hand', () => {
    // Δ1 = [1, 4, 4], Δ2 = [-4, 12, 2] (one client each; worked out in aggregate.test.ts):
    // v1 = [1, 9, 9], w1 = [0.25, 1.5, 0.5]; v2 = [9, 81, 7], w2 = [-0.1875, 2.2, 0.5 + 2/(√7 + 1)]
    const s = new FedYogi({ ...BASE, ...hyper });
    const w1 = s.aggregateFit(1, f64(0, 1, 0), [fitRes(0, f64(1, 4, 4), 10)], [])!.params;
    assertClose(w1, [0.25, 1.5, 0.5]);
    assertClose(s.getState().v!, [1, 9, 9]);
    const w2 = s.aggregateFit(2, w1, [fitRes(0, f64(-4, 12, 2), 10)], [])!.params;
    assertClose(w2, [-0.1875, 2.2, 0.5 + 2 / (Math.sqrt(7) + 1)]);
    assertClose(s.getState().m!, [-1.75, 7, 2]);
    assertClose(s.getState().v!, [9, 81, 7]);
  });

  test('defaults β1 = 0.9, β2 = 0.99, τ = 1e-3; bad values refused', () => {
    assert.deepEqual(new FedAdam({ ...BASE, serverLr: 0.01 }).server, { eta: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
    assertQfl(() => new FedYogi({ ...BASE, serverLr: 0.01, beta2: 1 }), 'beta2', '[0, 1)');
    assertQfl(() => new FedAdam({ ...BASE, serverLr: 0 }), 'server_lr', '> 0');
  });
});

describe('server optimizer state: checkpoint round trip', () => {
  const makers = {
    fedavgm: () => new FedAvgM({ ...BASE, serverLr: 0.7, serverMomentum: 0.9 }),
    fedadam: () => new FedAdam({ ...BASE, serverLr: 0.03, tau: 1e-2 }),
    fedyogi: () => new FedYogi({ ...BASE, serverLr: 0.03, tau: 1e-2 }),
  };

  function roundResults(rng: Rng, dim: number, round: number): FitRes[] {
    return [0, 1, 2].map((k) => fitRes(k, Float64Array.from({ length: dim }, () => rng.normal(0, 0.1)), 5 + k * 7, {}, round));
  }

  for (const [name, make] of Object.entries(makers)) {
    test(`${name}: a strategy restored from JSON continues identically`, () => {
      const dim = 7;
      const rng = new Rng(31);
      const rounds = Array.from({ length: 5 }, (_, r) => roundResults(rng, dim, r + 1));
      const original = make();
      let w: Float64Array = Float64Array.from({ length: dim }, (_, j) => j / 10 - 0.3);
      for (let r = 0; r < 2; r++) w = original.aggregateFit(r + 1, w, rounds[r]!, [])!.params;

      const saved = JSON.parse(JSON.stringify(original.getState())) as unknown;
      const restored = make();
      restored.setState(saved);
      assert.deepEqual(restored.getState(), original.getState());

      let wa: Float64Array = w;
      let wb: Float64Array = w.slice();
      for (let r = 2; r < 5; r++) {
        wa = original.aggregateFit(r + 1, wa, rounds[r]!, [])!.params;
        wb = restored.aggregateFit(r + 1, wb, rounds[r]!, [])!.params;
        assert.deepEqual(wb, wa, `round ${r + 1}`);
      }
      assert.deepEqual(restored.getState(), original.getState());
    });

    test(`${name}: aggregateFit never mutates params or updates; getState is a copy`, () => {
      const s = make();
      const w = f64(0.1, -0.2);
      const results = [fitRes(0, f64(0.3, 0.1), 2), fitRes(1, f64(-0.1, 0.5), 1)];
      s.aggregateFit(1, w, results, []);
      const state = s.getState() as unknown as Record<string, number[]>;
      const before = JSON.stringify(state);
      s.aggregateFit(2, w, results, []);
      assert.deepEqual(w, f64(0.1, -0.2));
      assert.deepEqual(results[0]!.update, f64(0.3, 0.1));
      assert.deepEqual(results[1]!.update, f64(-0.1, 0.5));
      assert.equal(JSON.stringify(state), before, 'a saved state does not change under later rounds');
    });

    test(`${name}: a fresh state (null moments) restores to "not started"`, () => {
      const s = make();
      s.aggregateFit(1, f64(1, 2), [fitRes(0, f64(1, 1), 1)], []);
      s.setState(make().getState());
      const fresh = make();
      assert.deepEqual(
        s.aggregateFit(1, f64(1, 2), [fitRes(0, f64(1, 1), 1)], [])!.params,
        fresh.aggregateFit(1, f64(1, 2), [fitRes(0, f64(1, 1), 1)], [])!.params,
      );
    });
  }

  test('bad states are refused by field', () => {
    const adam = makers.fedadam();
    assertQfl(() => adam.setState({ strategy: 'fedyogi', m: null, v: null }), 'state.strategy', "'fedyogi'", "'fedadam'");
    assertQfl(() => adam.setState({ strategy: 'fedadam', m: [1], v: null }), 'state', 'both');
    assertQfl(() => adam.setState({ strategy: 'fedadam', m: [1, 2], v: [1] }), 'state.v', '1 entries', 'm has 2');
    assertQfl(() => adam.setState({ strategy: 'fedadam', m: [1], v: [-1] }), 'state.v[0]', '>= 0');
    assertQfl(() => adam.setState({ strategy: 'fedadam', m: ['x'], v: [1] }), 'state.m[0]', 'finite number');
    assertQfl(() => adam.setState({ strategy: 'fedadam', m: 3, v: [1] }), 'state.m', 'array');
    const m = makers.fedavgm();
    assertQfl(() => m.setState({ strategy: 'fedavgm', momentum: [1, NaN] }), 'state.momentum[1]', 'finite');
    // a state saved for another model size is caught at the next aggregation
    m.setState({ strategy: 'fedavgm', momentum: [0.1, 0.2, 0.3] });
    assertQfl(() => m.aggregateFit(1, f64(1, 2), [fitRes(0, f64(1, 1), 1)], []), 'state', '3 entries', 'another model');
  });
});
