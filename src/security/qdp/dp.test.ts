import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import {
  combine,
  depolarize,
  depolarizeLocal,
  empiricalConditionNumber,
  expectation,
  hermitianEigenvalues,
  pure,
  randomPure,
  traceDistance,
  type Dense,
} from './density.js';
import {
  depolarizingConditionNumber,
  depolarizingDelta,
  depolarizingEpsilon,
  depolarizingNoiseFor,
  epsilonFromConditionNumber,
} from './dp.js';

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (|diff| ${Math.abs(a - b)} > ${tol})`);

describe('depolarizing epsilon (Zhou & Ying 2017)', () => {
  test('worked examples', () => {
    // p = 0.5, d = 2, tau = 1: 1 + 2 * 0.5 / 0.5 = 3, epsilon = ln 3 = 1.0986123.
    close(depolarizingEpsilon(0.5, 2), 1.0986122886681098, 1e-15, 'ln 3');
    // p = 0.1, d = 4, tau = 0.5: 1 + 4 * 0.9 * 0.5 / 0.1 = 19, epsilon = ln 19 = 2.9444390.
    close(depolarizingEpsilon(0.1, 4, 0.5), 2.9444389791664403, 1e-15, 'ln 19');
    // All noise: nothing leaks.
    assert.equal(depolarizingEpsilon(1, 8), 0);
    // Inverse: epsilon = ln 3, d = 2: p = 2 / (2 + 2) = 0.5.
    close(depolarizingNoiseFor(Math.log(3), 2), 0.5, 1e-15, 'p for ln 3');
    close(depolarizingEpsilon(depolarizingNoiseFor(0.7, 16, 0.2), 16, 0.2), 0.7, 1e-14, 'round trip');
    // Condition number form: kappa = 1 + d (1 - p) / p = 3 for p = 0.5, d = 2.
    close(depolarizingConditionNumber(0.5, 2), 3, 1e-15, 'kappa');
    close(epsilonFromConditionNumber(3, 0.25), Math.log(1.5), 1e-15, 'ln(1 + 0.25 * 2)');
    // delta at a smaller epsilon: p = 0.5, d = 2, epsilon = ln 2: 0.75 - 2 * 0.25 = 0.25; 0 at ln 3.
    close(depolarizingDelta(0.5, 2, Math.log(2)), 0.25, 1e-15, 'delta');
    close(depolarizingDelta(0.5, 2, Math.log(3)), 0, 1e-15, 'delta at epsilon');
  });

  test('bad parameters name the field', () => {
    assert.throws(() => depolarizingEpsilon(0, 2), (e: unknown) => e instanceof QflError && e.message === 'p: must be in (0, 1], got 0');
    assert.throws(() => depolarizingEpsilon(0.5, 3.5), (e: unknown) => e instanceof QflError && e.message === 'd: must be an integer >= 2 (2^qubits), got 3.5');
    assert.throws(() => depolarizingEpsilon(0.5, 2, 1.5), (e: unknown) => e instanceof QflError && e.message === 'tau: must be in (0, 1], got 1.5');
  });

  test('the DP inequality holds for random neighbours and measurements, and is attained', () => {
    const rng = new Rng(17);
    for (const [p, d, tau] of [[0.3, 2, 0.4], [0.1, 4, 1], [0.6, 4, 0.2]] as const) {
      const bound = Math.exp(depolarizingEpsilon(p, d, tau));
      let worst = 0;
      for (let s = 0; s < 300; s++) {
        const sigma = rng.uniform() < 0.5 ? randomPure(rng, d) : combine(0.5, randomPure(rng, d), 0.5, randomPure(rng, d));
        const omega = randomPure(rng, d);
        // rho = (1 - t) sigma + t omega is within trace distance t * T(omega, sigma) <= tau.
        const rho = combine(1 - tau, sigma, tau, omega);
        assert.ok(traceDistance(rho, sigma) <= tau + 1e-12);
        const m = randomPure(rng, d);
        worst = Math.max(worst, expectation(m, depolarize(rho, p)) / expectation(m, depolarize(sigma, p)));
      }
      assert.ok(worst <= bound * (1 + 1e-12), `p ${p}, d ${d}: ratio ${worst} > e^eps ${bound}`);
      // The extreme pair: sigma = |0><0|, rho = (1 - tau)|0><0| + tau|1><1|, M = |1><1|.
      const e = (i: number): Dense => pure(Float64Array.from({ length: d }, (_, k) => (k === i ? 1 : 0)));
      const sigma = e(0);
      const rho = combine(1 - tau, e(0), tau, e(1));
      close(traceDistance(rho, sigma), tau, 1e-12, 'extreme pair distance');
      close(expectation(e(1), depolarize(rho, p)) / expectation(e(1), depolarize(sigma, p)), bound, 1e-12, 'attained');
    }
  });

  test('condition numbers: closed forms match an empirical search', () => {
    const rng = new Rng(2);
    for (const [p, d] of [[0.2, 2], [0.35, 4]] as const) {
      close(empiricalConditionNumber((r) => depolarize(r, p), d, rng), depolarizingConditionNumber(p, d), 1e-9, `global p ${p} d ${d}`);
    }
    // Local depolarizing q on 2 qubits: ((2 - q) / q)^2; q = 0.5 gives 9.
    close(empiricalConditionNumber((r) => depolarizeLocal(r, 2, 0.5), 4, rng), 9, 1e-9, 'local q 0.5');
  });

  test('density helpers: eigenvalues, trace distance, local depolarizing of one qubit', () => {
    // |+><+| has eigenvalues 0, 1; T(|0>, |+>) = sqrt(1 - 1/2) = 0.7071068.
    const plus = pure([Math.SQRT1_2, Math.SQRT1_2]);
    const zero = pure([1, 0]);
    const ev = hermitianEigenvalues(plus);
    close(ev[0]!, 0, 1e-14, 'lambda_min');
    close(ev[1]!, 1, 1e-14, 'lambda_max');
    close(traceDistance(zero, plus), Math.SQRT1_2, 1e-14, 'T(0, +)');
    // One qubit: D_q = (1 - q) rho + q I/2, the same as the global channel with d = 2.
    const rng = new Rng(4);
    const rho = randomPure(rng, 2);
    const a = depolarizeLocal(rho, 1, 0.3);
    const b = depolarize(rho, 0.3);
    for (let i = 0; i < 4; i++) {
      close(a.re[i]!, b.re[i]!, 1e-15, 're');
      close(a.im[i]!, b.im[i]!, 1e-15, 'im');
    }
  });
});
