import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import { combine, depolarize, expectation, pure, randomPure, traceDistance, type Dense } from './density.js';
import { certifyDepolarizing, certifyWithConditionNumber, marginRadius, radiusFromConditionNumber } from './robustness.js';

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** A one-qubit state with Bloch vector (x, 0, z). */
const bloch = (x: number, z: number): Dense => {
  const s = pure([1, 0]);
  s.re[0] = (1 + z) / 2;
  s.re[1] = x / 2;
  s.re[2] = x / 2;
  s.re[3] = (1 - z) / 2;
  return s;
};

describe('certified radius (Du et al. 2021)', () => {
  test('worked examples', () => {
    // y = [0.6, 0.4], p = 0.5, d = 2: p / (d (1 - p)) = 0.5; sqrt(1.5) - 1 = 0.2247449; radius 0.1123724.
    const c = certifyDepolarizing([0.6, 0.4], 0.5, 2);
    assert.equal(c.label, 0);
    close(c.radius, 0.11237243569579447, 1e-15, 'binary');
    // Three classes y = [0.2, 0.5, 0.3], p = 0.2, d = 4: 0.2 / 3.2 = 0.0625; sqrt(5/3) - 1 = 0.2909944; 0.0181872.
    const t = certifyDepolarizing([0.2, 0.5, 0.3], 0.2, 4);
    assert.equal(t.label, 1);
    assert.equal(t.yRunnerUp, 0.3);
    close(t.radius, 0.01818715304598785, 1e-15, 'three classes');
    // The DP radius shrinks as 1/d: d = 8 gives 0.1123724 / 4 = 0.0280931.
    close(certifyDepolarizing([0.6, 0.4], 0.5, 8).radius, 0.11237243569579447 / 4, 1e-15, 'd = 8');
    // The same through the condition number kappa = 1 + d (1 - p) / p = 3.
    close(certifyWithConditionNumber([0.6, 0.4], 3).radius, c.radius, 1e-15, 'kappa');
    // Ties certify nothing; a zero runner-up certifies everything (capped at 1).
    assert.equal(certifyDepolarizing([0.5, 0.5], 0.5, 2).radius, 0);
    assert.equal(radiusFromConditionNumber(1, 0, 3), 1);
    // Direct margin bound: (0.6 - 0.4) / (2 * 0.5) = 0.2, whatever d.
    close(marginRadius([0.6, 0.4], 0.5).radius, 0.2, 1e-15, 'margin');
  });

  test('no state within the radius flips a noisy one-qubit classifier; the margin radius is tight', () => {
    // Classifier: depolarizing p = 0.5, then measure Z: y0 = (1 + (1 - p) z) / 2.
    // Input Bloch z = 0.4 gives y = [0.6, 0.4].
    const p = 0.5;
    const M0 = pure([1, 0]);
    const y0 = (s: Dense): number => expectation(M0, depolarize(s, p));
    const rho = bloch(0, 0.4);
    close(y0(rho), 0.6, 1e-15, 'y0');
    const du = certifyDepolarizing([0.6, 0.4], p, 2).radius;
    const margin = marginRadius([0.6, 0.4], p).radius;
    assert.ok(du < margin);
    const rng = new Rng(8);
    for (let s = 0; s < 500; s++) {
      const omega = randomPure(rng, 2);
      const t = Math.min(1, (0.999 * margin) / traceDistance(rho, omega));
      const sigma = combine(1 - t, rho, t, omega);
      assert.ok(traceDistance(rho, sigma) < margin);
      assert.ok(y0(sigma) > 0.5, `flipped at distance ${traceDistance(rho, sigma)}`);
    }
    // Just beyond the margin radius: Bloch z = 0.4 - 2 * 0.201 < 0 flips the prediction.
    const sigma = bloch(0, 0.4 - 2 * 0.201);
    close(traceDistance(rho, sigma), 0.201, 1e-12, 'distance');
    assert.ok(y0(sigma) < 0.5);
  });
});
