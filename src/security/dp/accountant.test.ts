import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertClose, assertQfl } from '../robust/fixtures.js';
import { computeRdp, DEFAULT_ORDERS, dpFedAvgEpsilon, epsilonFromRdp, INTEGER_ORDERS, RdpAccountant, rdpSampledGaussian } from './accountant.js';

describe('RDP of the sampled Gaussian mechanism', () => {
  test('q = 1, sigma = 1, one step: RDP(alpha) = alpha / 2 at any order (Gaussian mechanism, Mironov 2017)', () => {
    const orders = [1.5, 2, 3.25, 10, 100];
    assertClose(rdpSampledGaussian(1, 1, orders), orders.map((a) => a / 2), 1e-15);
    assertClose(rdpSampledGaussian(1, 2.71828, [3.14159]), [3.14159 / (2 * 2.71828 ** 2)], 1e-15);
  });

  test('edge cases: q = 0 costs nothing, sigma = 0 is not private', () => {
    // TF Privacy rdp_accountant_test: compute_rdp(0, 10, 1, 20) == 0, compute_rdp(1, 10, 1, 20) == 0.1.
    assert.equal(computeRdp(0, 10, 1, [20])[0], 0);
    assertClose(computeRdp(1, 10, 1, [20]), [0.1], 1e-15);
    assert.equal(rdpSampledGaussian(0.5, 0, [2])[0], Infinity);
  });

  test('matches TensorFlow Privacy test values (rdp_accountant_test.py)', () => {
    // test_compute_rdp_scalar: compute_rdp(0.1, 2, 10, 5) ≈ 0.07737 (5 places).
    assert.ok(Math.abs(computeRdp(0.1, 2, 10, [5])[0]! - 0.07737) < 5e-6);
    // test_compute_rdp_sequence: compute_rdp(0.01, 2.5, 50, [.., 5, 50, 100]) =
    // [.., 0.00218075, 0.023846, 167.416307]; dp_accounting's copy of the test
    // gives 2.18075656e-03, 2.38460375e-02, 1.67416308e02 at rtol 1e-4.
    assertClose(computeRdp(0.01, 2.5, 50, [5, 50, 100]), [2.18075656e-3, 2.38460375e-2, 1.67416308e2], 1e-6);
  });

  test('agrees with a 60-digit reference (mpmath, direct sum) at large orders', () => {
    // log A_alpha / (alpha - 1) by mpmath with mp.dps = 60, our own script: same formula, no log-space tricks.
    assertClose(computeRdp(0.1, 2, 10, [5]), [0.0773696848979586], 1e-12);
    assertClose(computeRdp(0.01, 2.5, 50, [100]), [167.416307548418256], 1e-12);
  });

  test('fractional orders by the series match dp_accounting (test_compute_rdp_sequence)', () => {
    // dp_accounting rdp_privacy_accountant_test: q = 0.01, sigma = 2.5, 50 steps at orders
    // [1.5, 2.5, 5, 50, 100, inf] gives [6.5007e-04, 1.0854e-03, 2.1808e-03, 2.3846e-02, 1.6742e+02, inf], rtol 1e-4.
    const got = computeRdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, Infinity]);
    const want = [6.5007e-4, 1.0854e-3, 2.1808e-3, 2.3846e-2, 1.6742e2];
    want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) <= 1e-4 * w, `order ${[1.5, 2.5, 5, 50, 100][i]}: ${got[i]} vs ${w}`));
    assert.equal(got[5], Infinity);
    // The series at an order next to an integer approaches the exact integer formula.
    const near = computeRdp(0.05, 1.3, 1, [3 - 1e-9, 3, 3 + 1e-9]);
    assert.ok(Math.abs(near[0]! - near[1]!) < 1e-8 && Math.abs(near[2]! - near[1]!) < 1e-8, `${near[0]} ${near[1]} ${near[2]}`);
  });

  test('refuses bad q, sigma or order', () => {
    assertQfl(() => rdpSampledGaussian(1.5, 1, [2]), 'q');
    assertQfl(() => rdpSampledGaussian(0.5, -1, [2]), 'noise_multiplier');
    assertQfl(() => rdpSampledGaussian(0.5, 1, [1]), 'orders[0]', '> 1');
  });
});

describe('RDP to (epsilon, delta)', () => {
  test('constant RDP 1.1 on orders 2..32 at delta 1e-5 (dp_accounting test_compute_epsilon_delta_pure_dp)', () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const rdp = orders.map(() => 1.1);
    const improved = epsilonFromRdp(orders, rdp, 1e-5);
    assert.ok(Math.abs(improved.epsilon - 1.32783806176) < 1e-10);
    assert.equal(improved.order, 32);
    // Classic, by hand: 1.1 + log(1e5) / 31.
    const classic = epsilonFromRdp(orders, rdp, 1e-5, 'classic');
    assert.ok(Math.abs(classic.epsilon - (1.1 + Math.log(1e5) / 31)) < 1e-12);
    assert.equal(classic.order, 32);
  });

  test('Gaussian with sigma = 4.530877117 is (1, 1e-6)-DP (TF Privacy test_get_privacy_spent_check_target_delta)', () => {
    const orders = Array.from({ length: 99000 }, (_, i) => 0.001 * (i + 1000)).filter((a) => a > 1);
    const eps = epsilonFromRdp(orders, computeRdp(1, 4.530877117, 1, orders), 1e-6).epsilon;
    assert.ok(Math.abs(eps - 1) < 5e-7, `epsilon ${eps}`);
  });

  test('Abadi et al. 2016, Sec. 3.1: q = 0.01, sigma = 4, T = 10000, delta = 1e-5 gives epsilon ≈ 1.26', () => {
    // TF Privacy's earlier test_get_privacy_spent_check_target_eps (classic
    // conversion, orders 2..32): 1.258575 at order 20.
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const classic = epsilonFromRdp(orders, computeRdp(0.01, 4, 10000, orders), 1e-5, 'classic');
    assert.ok(Math.abs(classic.epsilon - 1.258575) < 5e-6, `epsilon ${classic.epsilon}`);
    assert.equal(classic.order, 20);
    const improved = epsilonFromRdp(orders, computeRdp(0.01, 4, 10000, orders), 1e-5);
    assert.ok(improved.epsilon < classic.epsilon);
  });

  test('q = 0.01, sigma = 1.1, 10000 steps, delta = 1e-5 (the DP-SGD tutorial setting), integer orders', () => {
    // Reference values from our 60-digit mpmath script (integer orders 2..64,
    // 80, 96, 128, 256, 512): classic 6.27981103 at order 5, improved
    // 5.65430800 at order 5. Not a published number; the fractional orders
    // of DEFAULT_ORDERS can only lower it.
    const rdp = computeRdp(0.01, 1.1, 10000, INTEGER_ORDERS);
    const classic = epsilonFromRdp(INTEGER_ORDERS, rdp, 1e-5, 'classic');
    const improved = epsilonFromRdp(INTEGER_ORDERS, rdp, 1e-5, 'improved');
    assert.ok(Math.abs(classic.epsilon - 6.27981103) < 1e-7, `classic ${classic.epsilon}`);
    assert.ok(Math.abs(improved.epsilon - 5.654308) < 1e-6, `improved ${improved.epsilon}`);
    assert.equal(classic.order, 5);
    assert.ok(epsilonFromRdp(DEFAULT_ORDERS, computeRdp(0.01, 1.1, 10000), 1e-5, 'classic').epsilon <= classic.epsilon);
  });

  test('the KL shortcut gives 0 for a tiny RDP; bad delta is refused', () => {
    assert.equal(epsilonFromRdp([2, 4], [1e-12, 2e-12], 0.5).epsilon, 0);
    assertQfl(() => epsilonFromRdp([2], [1], 0), 'delta');
    assertQfl(() => epsilonFromRdp([2], [1, 2], 0.1), 'rdp');
  });
});

describe('RdpAccountant and dpFedAvgEpsilon', () => {
  test('composition adds up, in any grouping; state round-trips through JSON', () => {
    const a = new RdpAccountant().compose(0.02, 1.2, 30).compose(0.05, 0.9, 10);
    const b = new RdpAccountant();
    for (let i = 0; i < 30; i++) b.compose(0.02, 1.2);
    b.compose(0.05, 0.9, 10);
    assertClose(a.rdpValues(), b.rdpValues(), 1e-12);
    assert.equal(a.steps, 40);
    const c = RdpAccountant.fromState(JSON.parse(JSON.stringify(a.getState())));
    assert.deepEqual(c.epsilon(1e-5), a.epsilon(1e-5));
    const inf = new RdpAccountant([2, 3]).compose(1, 0);
    assert.equal(RdpAccountant.fromState(JSON.parse(JSON.stringify(inf.getState()))).epsilon(1e-5).epsilon, Infinity);
  });

  test('client-level DP-FedAvg: more noise or fewer rounds spend less', () => {
    const base = { clientsPerRound: 100, totalClients: 10000, noiseMultiplier: 1, rounds: 1000, delta: 1e-5 };
    const e = dpFedAvgEpsilon(base);
    assert.equal(e.q, 0.01);
    assert.ok(dpFedAvgEpsilon({ ...base, noiseMultiplier: 2 }).epsilon < e.epsilon);
    assert.ok(dpFedAvgEpsilon({ ...base, rounds: 100 }).epsilon < e.epsilon);
    assert.ok(dpFedAvgEpsilon({ ...base, conversion: 'classic' }).epsilon > e.epsilon);
    assertQfl(() => dpFedAvgEpsilon({ ...base, clientsPerRound: 20000 }), 'clientsPerRound');
  });
});
