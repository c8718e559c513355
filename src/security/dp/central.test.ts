import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import { norm2 } from '../robust/common.js';
import { assertClose, assertQfl, copies, f64, honest } from '../robust/fixtures.js';
import { addCentralNoise, centralNoiseStd, createDpFedAvg, dpFedAvgRound, dpOptionsFromConfig, initialDpState, type DpFedAvgOptions } from './central.js';
import { adaptiveClipStep, clipUpdates, updateNoiseMultiplier } from './clipping.js';

/** Sample mean and standard deviation. */
function moments(xs: ArrayLike<number>): { mean: number; sd: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(v / (xs.length - 1)) };
}

describe('clipping', () => {
  test('clipUpdates: long updates land on the ball, short ones are unchanged', () => {
    const r = clipUpdates([f64(3, 4), f64(0.3, 0.4), f64(0, -2)], 1);
    assertClose(r.clipped[0]!, [0.6, 0.8]);
    assertClose(r.clipped[1]!, [0.3, 0.4]);
    assertClose(r.clipped[2]!, [0, -1]);
    assert.deepEqual(r.norms, [5, 0.5, 2]);
    assert.equal(r.clippedCount, 2);
    assertQfl(() => clipUpdates([f64(1)], 0), 'clip_norm');
  });

  test('over many random updates every clipped norm is <= C and directions are kept', () => {
    const rng = new Rng(3);
    const u = Array.from({ length: 500 }, () => Float64Array.from({ length: 20 }, () => rng.normal(0, rng.uniform() * 2)));
    const r = clipUpdates(u, 3);
    r.clipped.forEach((c, k) => {
      assert.ok(norm2(c) <= 3 + 1e-12);
      const cos = c.reduce((s, x, j) => s + x * u[k]![j]!, 0) / (norm2(c) * norm2(u[k]!));
      assert.ok(Math.abs(cos - 1) < 1e-12);
    });
  });

  test('updateNoiseMultiplier (Andrew et al. 2021, Thm. 1)', () => {
    // z = 1, sigma_b = 5: (1 - 1/100)^(-1/2).
    assert.ok(Math.abs(updateNoiseMultiplier(1, 5) - 1 / Math.sqrt(0.99)) < 1e-15);
    assert.equal(updateNoiseMultiplier(0, 5), 0);
    assertQfl(() => updateNoiseMultiplier(1, 0.5), 'count_std', 'exceed noise_multiplier / 2');
  });

  test('adaptive clipping converges to the target quantile of the norms (noisy count included)', () => {
    const rng = new Rng(11);
    for (const [gamma, expected] of [
      [0.5, 5],
      [0.9, 9],
    ] as const) {
      let c = 0.1;
      const tail: number[] = [];
      for (let t = 0; t < 400; t++) {
        const norms = Array.from({ length: 100 }, () => 10 * rng.uniform()); // quantile gamma is 10 gamma
        c = adaptiveClipStep(c, norms, { targetQuantile: gamma, lr: 0.2, countStd: 100 / 20 }, rng).clipNorm;
        if (t >= 300) tail.push(c);
      }
      const m = moments(tail).mean;
      assert.ok(Math.abs(m - expected) < 0.4, `gamma ${gamma}: clip ${m}, expected about ${expected}`);
    }
  });

  test('adaptive step by hand, without noise: C exp(-lr (b - gamma))', () => {
    const r = adaptiveClipStep(2, [1, 1, 3, 3], { targetQuantile: 0.5, lr: 0.2, countStd: 0 }, new Rng(0));
    assert.equal(r.fraction, 0.5);
    assert.ok(Math.abs(r.clipNorm - 2) < 1e-15);
    const up = adaptiveClipStep(2, [3, 3, 3, 3], { targetQuantile: 0.5, lr: 0.2, countStd: 0 }, new Rng(0));
    assert.ok(Math.abs(up.clipNorm - 2 * Math.exp(0.1)) < 1e-15);
  });
});

describe('central noise', () => {
  test('std is z C / m; the draws have that std and mean 0', () => {
    assert.ok(Math.abs(centralNoiseStd(2, 1.1, 10) - 0.22) < 1e-15);
    const d = 60000;
    const zero = new Float64Array(d);
    const noisy = addCentralNoise(zero, { clipNorm: 2, noiseMultiplier: 1.1, numClients: 10 }, new Rng(5));
    const { mean, sd } = moments(noisy);
    // Standard errors: mean 0.22 / sqrt(60000) = 9e-4, sd 0.22 / sqrt(120000) = 6.4e-4.
    assert.ok(Math.abs(mean) < 4e-3, `mean ${mean}`);
    assert.ok(Math.abs(sd - 0.22) < 3e-3, `sd ${sd}`);
    // Neighbouring coordinates are uncorrelated.
    let c = 0;
    for (let j = 1; j < d; j++) c += noisy[j]! * noisy[j - 1]!;
    assert.ok(Math.abs(c / (d - 1) / 0.22 ** 2) < 0.02);
    assert.deepEqual(zero, new Float64Array(d));
  });
});

describe('dpFedAvgRound', () => {
  const fixed: DpFedAvgOptions = { noiseMultiplier: 1.5, clip: { kind: 'fixed', norm: 1 }, seed: 9 };

  test('without noise it is the uniform mean of the clipped updates (weights play no part)', () => {
    const r = dpFedAvgRound([f64(3, 4), f64(0, 0.5)], undefined, { ...fixed, noiseMultiplier: 0 });
    assertClose(r.aggregate, [0.3, 0.65]);
    assert.equal(r.clippedCount, 1);
    assert.equal(r.noiseStd, 0);
    assert.deepEqual(r.state, { rounds: 1, clipNorm: 1 });
  });

  test('a fixed denominator divides by the expected number of clients', () => {
    const r = dpFedAvgRound([f64(1), f64(1)], undefined, { ...fixed, noiseMultiplier: 0, expectedClients: 4 });
    assertClose(r.aggregate, [0.5]);
  });

  test('over many rounds the aggregate minus the clipped mean has std z C / m', () => {
    const u = honest(8, 5, 1, 2);
    const clippedMean = dpFedAvgRound(u, undefined, { ...fixed, noiseMultiplier: 0 }).aggregate;
    const residuals: number[] = [];
    let state = initialDpState(fixed);
    for (let t = 0; t < 4000; t++) {
      const r = dpFedAvgRound(u, state, fixed);
      state = r.state;
      r.aggregate.forEach((x, j) => residuals.push(x - clippedMean[j]!));
    }
    const { mean, sd } = moments(residuals);
    const want = (1.5 * 1) / 8;
    assert.ok(Math.abs(mean) < 4 * (want / Math.sqrt(residuals.length)), `mean ${mean}`);
    assert.ok(Math.abs(sd / want - 1) < 0.02, `sd ${sd}, want ${want}`);
  });

  test('the noise is fixed by the seed and the round, and inputs stay untouched', () => {
    const u = honest(4, 3, 2);
    const before = copies(u);
    const a = dpFedAvgRound(u, { rounds: 7, clipNorm: 1 }, fixed);
    const b = dpFedAvgRound(u, { rounds: 7, clipNorm: 1 }, fixed);
    const c = dpFedAvgRound(u, { rounds: 8, clipNorm: 1 }, fixed);
    assert.deepEqual(a.aggregate, b.aggregate);
    assert.notDeepEqual(a.aggregate, c.aggregate);
    assert.deepEqual(u, before);
  });

  test('adaptive clipping: noise split by Thm. 1, clip norm moves, count_std defaults to m / 20', () => {
    const o: DpFedAvgOptions = { noiseMultiplier: 1, clip: { kind: 'adaptive', initial: 0.01 }, seed: 1, expectedClients: 100 };
    const u = honest(100, 4, 3);
    const r = dpFedAvgRound(u, undefined, o);
    assert.ok(Math.abs(r.updateNoiseMultiplier - updateNoiseMultiplier(1, 5)) < 1e-15);
    assert.ok(r.state.clipNorm > 0.01, 'every update is longer than 0.01: the clip norm must grow');
    assertQfl(() => dpFedAvgRound(u, undefined, { ...o, expectedClients: undefined as never }), 'dp.clip.count_std', 'expected_clients / 20');
  });
});

describe('createDpFedAvg', () => {
  test('an Aggregator whose state resumes from a checkpoint with the same noise', () => {
    const o: DpFedAvgOptions = { noiseMultiplier: 1, clip: { kind: 'adaptive', initial: 1, countStd: 1 }, seed: 4 };
    const rounds = [honest(5, 3, 1), honest(5, 3, 2), honest(5, 3, 3)];
    const a = createDpFedAvg(o);
    const outs = rounds.map((u) => a.aggregate(u, [1, 1, 1, 1, 1]));
    const b = createDpFedAvg(o);
    b.aggregate(rounds[0]!, [1, 1, 1, 1, 1]);
    const saved = JSON.parse(JSON.stringify(b.getState()));
    const c = createDpFedAvg(o);
    c.setState(saved);
    c.aggregate(rounds[1]!, [1, 1, 1, 1, 1]);
    assert.deepEqual(c.aggregate(rounds[2]!, [1, 1, 1, 1, 1]), outs[2]);
    assert.equal(c.lastReport()?.state.rounds, 3);
    assertQfl(() => c.setState({ rounds: -1, clipNorm: 1 }), 'state.rounds');
  });

  test('config block: snake_case, checked with the path', () => {
    const o = dpOptionsFromConfig({ noise_multiplier: 1.1, clip: { kind: 'adaptive', initial: 0.5, target_quantile: 0.7 }, expected_clients: 40 }, 3);
    assert.deepEqual(o, { noiseMultiplier: 1.1, clip: { kind: 'adaptive', initial: 0.5, targetQuantile: 0.7 }, seed: 3, expectedClients: 40 });
    assertQfl(() => dpOptionsFromConfig({ noise_multiplier: 1, clip: { kind: 'fixed', norm: -1 } }, 0), 'dp.clip.norm');
    assertQfl(() => dpOptionsFromConfig({ noise_multiplier: 1, clip: { kind: 'fixed', norm: 1 }, sigma: 2 }, 0), 'dp');
  });
});
