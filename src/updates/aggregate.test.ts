import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import {
  addVectors,
  checkUpdates,
  fedAdamStep,
  fedAvgMStep,
  fedYogiStep,
  initialMoments,
  weightedAverage,
  weightedMetrics,
  type AdaptiveOptions,
} from './aggregate.js';

const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${msg}[${i}]: got ${a}, expected ${e}`);
  }
}

/** Runs fn and checks it throws a QflError on `field` whose message contains every fragment. */
function assertQfl(fn: () => unknown, field: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    assert.equal(e.field, field);
    for (const f of fragments) assert.ok(e.message.includes(f), `message "${e.message}" should contain "${f}"`);
    return true;
  });
}

describe('weightedAverage', () => {
  test('two clients, weights 1 and 3', () => {
    // x: (1*1 + 3*3) / 4 = 2.5;  y: (1*2 + 3*4) / 4 = 3.5
    assertClose(weightedAverage([f64(1, 2), f64(3, 4)], [1, 3]), [2.5, 3.5]);
  });

  test('three clients, three parameters', () => {
    // weights 2, 1, 1 (total 4)
    // x: (2*1 + 0 + 4) / 4 = 1.5;  y: (0 + 2 + 4) / 4 = 1.5;  z: (2*(-1) + 0 + 4) / 4 = 0.5
    assertClose(weightedAverage([f64(1, 0, -1), f64(0, 2, 0), f64(4, 4, 4)], [2, 1, 1]), [1.5, 1.5, 0.5]);
  });

  test('a zero weight leaves its update out; a single update is returned as is', () => {
    assertClose(weightedAverage([f64(1, 1), f64(100, -100)], [5, 0]), [1, 1]);
    assert.deepEqual(weightedAverage([f64(0.1, -0.3)], [7]), f64(0.1, -0.3));
  });

  test('never mutates its inputs and returns a fresh array', () => {
    const a = f64(1, 2);
    const b = f64(3, 4);
    const w = [1, 3];
    const out = weightedAverage([a, b], w);
    assert.deepEqual(a, f64(1, 2));
    assert.deepEqual(b, f64(3, 4));
    assert.deepEqual(w, [1, 3]);
    assert.notEqual(out, a);
    const single = weightedAverage([a], [1]);
    assert.notEqual(single, a);
  });

  test('refuses bad input with errors that name the culprit', () => {
    assertQfl(() => weightedAverage([], []), 'updates', 'at least one update');
    assertQfl(() => weightedAverage([f64(1, 2), f64(1, 2, 3)], [1, 1]), 'updates[1]', '3 entries', 'expected 2');
    assertQfl(() => weightedAverage([f64(1, 2), f64(1, 2), f64(0, NaN)], [1, 1, 1]), 'updates[2]', 'entry 1 is NaN', 'rejected');
    assertQfl(() => weightedAverage([f64(Infinity, 2)], [1]), 'updates[0]', 'entry 0 is Infinity');
    assertQfl(() => weightedAverage([f64(1), f64(2)], [1]), 'weights', '1 weights for 2 updates');
    assertQfl(() => weightedAverage([f64(1), f64(2)], [0, 0]), 'weights', 'total weight must be > 0');
    assertQfl(() => weightedAverage([f64(1), f64(2)], [2, -1]), 'weights[1]', '>= 0');
    assertQfl(() => weightedAverage([f64(1), f64(2)], [1, NaN]), 'weights[1]', 'NaN');
  });

  const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });

  test('property: the average of identical updates is that update, exactly', () => {
    fc.assert(
      fc.property(
        fc.array(finite, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 12 }),
        (xs, weights) => {
          const u = Float64Array.from(xs);
          const out = weightedAverage(weights.map(() => u.slice()), weights);
          for (let j = 0; j < u.length; j++) assert.ok(out[j] === u[j], `entry ${j}: ${out[j]} vs ${u[j]}`);
        },
      ),
    );
  });

  test('property: invariant to permuting the clients (to rounding)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (dim, clients, seed) => {
          const rng = new Rng(seed);
          const updates = Array.from({ length: clients }, () => Float64Array.from({ length: dim }, () => rng.normal(0, 10)));
          const weights = Array.from({ length: clients }, () => 1 + rng.int(1000));
          const perm = rng.permutation(clients);
          const a = weightedAverage(updates, weights);
          const b = weightedAverage(
            Array.from(perm, (i) => updates[i]!),
            Array.from(perm, (i) => weights[i]!),
          );
          assertClose(b, a, 1e-12);
        },
      ),
    );
  });
});

describe('helpers', () => {
  test('checkUpdates names updates with the given labels and checks the dimension', () => {
    assert.equal(checkUpdates([f64(1, 2)], 2), 2);
    assertQfl(() => checkUpdates([f64(1, 2)], 3, (i) => `client ${i}`), 'client 0', 'expected 3', 'as the parameters');
  });

  test('addVectors is fresh and checks lengths', () => {
    const a = f64(1, 2);
    assert.deepEqual(addVectors(a, f64(0.5, -1)), f64(1.5, 1));
    assert.deepEqual(a, f64(1, 2));
    assertQfl(() => addVectors(a, f64(1)), 'delta', '1 entries');
  });

  test('weightedMetrics averages each key over the items that report it', () => {
    // loss: (2*0.5 + 1*1 + 1*2) / 4 = 1;  accuracy: (2*0.8 + 1*0.4) / 3 = 2/3
    const m = weightedMetrics([
      { numExamples: 2, metrics: { loss: 0.5, accuracy: 0.8 } },
      { numExamples: 1, metrics: { loss: 1, accuracy: 0.4 } },
      { numExamples: 1, metrics: { loss: 2, seconds: 3 } },
    ]);
    assertClose([m.loss!, m.accuracy!, m.seconds!], [1, 2 / 3, 3]);
    assert.deepEqual(Object.keys(weightedMetrics([{ numExamples: 1, metrics: { loss: 1, seconds: 3 } }], ['loss'])), ['loss']);
    assert.deepEqual(weightedMetrics([]), {});
  });
});

describe('fedAvgMStep (Hsu et al. 2019)', () => {
  test('two rounds by hand', () => {
    // η = 0.5, β = 0.9, w0 = [1, 2]
    // round 1: Δ = [0.2, -0.4]; v1 = 0.9*0 + Δ = [0.2, -0.4]; w1 = w0 + 0.5 v1 = [1.1, 1.8]
    // round 2: Δ = [0.1, 0.1];  v2 = 0.9 v1 + Δ = [0.28, -0.26]; w2 = w1 + 0.5 v2 = [1.24, 1.67]
    const opts = { serverLr: 0.5, momentum: 0.9 };
    const w0 = f64(1, 2);
    const d1 = f64(0.2, -0.4);
    const r1 = fedAvgMStep(w0, d1, undefined, opts);
    assertClose(r1.state.momentum, [0.2, -0.4]);
    assertClose(r1.params, [1.1, 1.8]);
    const m1 = r1.state.momentum.slice();
    const r2 = fedAvgMStep(r1.params, f64(0.1, 0.1), r1.state, opts);
    assertClose(r2.state.momentum, [0.28, -0.26]);
    assertClose(r2.params, [1.24, 1.67]);
    // inputs untouched
    assert.deepEqual(w0, f64(1, 2));
    assert.deepEqual(d1, f64(0.2, -0.4));
    assert.deepEqual(r1.state.momentum, m1);
  });

  test('η = 1, β = 0 is FedAvg: w + Δ exactly', () => {
    const w = f64(0.3, -1.7, 2.9);
    const d = f64(0.01, 0.2, -3);
    const r = fedAvgMStep(w, d, fedAvgMStep(w, f64(5, 5, 5), undefined, { serverLr: 1, momentum: 0 }).state, {
      serverLr: 1,
      momentum: 0,
    });
    assert.deepEqual(r.params, addVectors(w, d));
  });

  test('refuses bad hyperparameters and a state of another length', () => {
    assertQfl(() => fedAvgMStep(f64(1), f64(1), undefined, { serverLr: 1, momentum: 1 }), 'server_momentum', '[0, 1)');
    assertQfl(() => fedAvgMStep(f64(1), f64(1), undefined, { serverLr: 0, momentum: 0 }), 'server_lr', '> 0');
    assertQfl(() => fedAvgMStep(f64(1, 2), f64(1, 2), { momentum: f64(1) }, { serverLr: 1, momentum: 0.5 }), 'state', '1 entries');
    assertQfl(() => fedAvgMStep(f64(1, 2), f64(1, NaN), undefined, { serverLr: 1, momentum: 0.5 }), 'delta', 'NaN');
  });
});

describe('fedAdamStep / fedYogiStep (Reddi et al. 2021, Algorithm 2)', () => {
  // Round numbers chosen so that every square root is exact.
  const opts: AdaptiveOptions = { eta: 1, beta1: 0.5, beta2: 0.5, tau: 1 };

  test('initial moments: m = 0, v = τ²', () => {
    const s = initialMoments(2, 0.1);
    assert.deepEqual(s.m, f64(0, 0));
    assertClose(s.v, [0.01, 0.01]);
  });

  test('FedAdam over two rounds by hand', () => {
    // η = 1, β1 = β2 = 0.5, τ = 1; w0 = [0, 1]; m0 = [0, 0], v0 = τ² = [1, 1]
    // round 1, Δ = [1, -7]:
    //   m1 = 0.5 m0 + 0.5 Δ   = [0.5, -3.5]
    //   v1 = 0.5 v0 + 0.5 Δ²  = [0.5 + 0.5, 0.5 + 24.5] = [1, 25]
    //   w1 = w0 + m1 / (√v1 + 1) = [0 + 0.5/2, 1 - 3.5/6] = [0.25, 5/12]
    // round 2, Δ = [-1, 5]:
    //   m2 = [0.25 - 0.5, -1.75 + 2.5] = [-0.25, 0.75]
    //   v2 = [0.5 + 0.5, 12.5 + 12.5] = [1, 25]
    //   w2 = [0.25 - 0.25/2, 5/12 + 0.75/6] = [0.125, 13/24]
    const r1 = fedAdamStep(f64(0, 1), f64(1, -7), undefined, opts);
    assertClose(r1.state.m, [0.5, -3.5]);
    assertClose(r1.state.v, [1, 25]);
    assertClose(r1.params, [0.25, 5 / 12]);
    const r2 = fedAdamStep(r1.params, f64(-1, 5), r1.state, opts);
    assertClose(r2.state.m, [-0.25, 0.75]);
    assertClose(r2.state.v, [1, 25]);
    assertClose(r2.params, [0.125, 13 / 24]);
  });

  test('FedYogi over two rounds by hand, through all three signs', () => {
    // η = 1, β1 = β2 = 0.5, τ = 1; w0 = [0, 1, 0]; m0 = 0, v0 = τ² = 1
    // round 1, Δ = [1, 4, 4], Δ² = [1, 16, 16]:
    //   m1 = 0.5 Δ = [0.5, 2, 2]
    //   v1 = v0 - 0.5 Δ² sign(v0 - Δ²):
    //        [1 - 0.5*1*sign(0), 1 - 0.5*16*(-1), same] = [1, 9, 9]
    //   w1 = w0 + m1 / (√v1 + 1) = [0.5/2, 1 + 2/4, 2/4] = [0.25, 1.5, 0.5]
    // round 2, Δ = [-4, 12, 2], Δ² = [16, 144, 4]:
    //   m2 = 0.5 m1 + 0.5 Δ = [0.25 - 2, 1 + 6, 1 + 1] = [-1.75, 7, 2]
    //   v2 = [1 + 8 (1 < 16), 9 + 72 (9 < 144), 9 - 2 (9 > 4: v shrinks)] = [9, 81, 7]
    //   w2 = [0.25 - 1.75/4, 1.5 + 7/10, 0.5 + 2/(√7 + 1)] = [-0.1875, 2.2, 0.5 + 2/(√7 + 1)]
    const r1 = fedYogiStep(f64(0, 1, 0), f64(1, 4, 4), undefined, opts);
    assertClose(r1.state.m, [0.5, 2, 2]);
    assertClose(r1.state.v, [1, 9, 9]);
    assertClose(r1.params, [0.25, 1.5, 0.5]);
    const r2 = fedYogiStep(r1.params, f64(-4, 12, 2), r1.state, opts);
    assertClose(r2.state.m, [-1.75, 7, 2]);
    assertClose(r2.state.v, [9, 81, 7]);
    assertClose(r2.params, [-0.1875, 2.2, 0.5 + 2 / (Math.sqrt(7) + 1)]);
    // Adam on the same round-2 input would have v = 0.5*9 + 0.5*4 = 6.5 in the last entry
    assertClose([fedAdamStep(r1.params, f64(-4, 12, 2), r1.state, opts).state.v[2]!], [6.5]);
  });

  test('with a tiny τ the first step is about η sign(Δ) (β1 = 0.9, β2 = 0.99)', () => {
    // m1 = 0.1 Δ, v1 ≈ 0.01 Δ², so m1 / √v1 = sign(Δ)
    const o: AdaptiveOptions = { eta: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-9 };
    for (const step of [fedAdamStep, fedYogiStep]) {
      const r = step(f64(0, 0, 0), f64(3e-4, -2, 50), undefined, o);
      assertClose(r.params, [0.01, -0.01, 0.01], 1e-4);
    }
  });

  test('never mutates params, delta or state', () => {
    for (const step of [fedAdamStep, fedYogiStep]) {
      const w = f64(0.1, 0.2);
      const d = f64(-0.3, 0.4);
      const s = { m: f64(0.01, -0.02), v: f64(0.5, 0.25) };
      step(w, d, s, opts);
      assert.deepEqual(w, f64(0.1, 0.2));
      assert.deepEqual(d, f64(-0.3, 0.4));
      assert.deepEqual(s, { m: f64(0.01, -0.02), v: f64(0.5, 0.25) });
    }
  });

  test('refuses bad hyperparameters and mismatched state', () => {
    const w = f64(1, 2);
    assertQfl(() => fedAdamStep(w, w, undefined, { ...opts, beta1: 1 }), 'beta1', '[0, 1)');
    assertQfl(() => fedAdamStep(w, w, undefined, { ...opts, beta2: -0.1 }), 'beta2', '[0, 1)');
    assertQfl(() => fedYogiStep(w, w, undefined, { ...opts, tau: 0 }), 'tau', '> 0');
    assertQfl(() => fedYogiStep(w, w, undefined, { ...opts, eta: NaN }), 'server_lr', 'NaN');
    assertQfl(() => fedAdamStep(w, w, { m: f64(0), v: f64(1) }, opts), 'state', 'another model');
    assertQfl(() => fedAdamStep(w, f64(1), undefined, opts), 'delta', '1 entries');
  });
});
