import assert from 'node:assert/strict';
import test from 'node:test';
import { Rng } from '../../util/random.js';
import {
  addDistributedNoise,
  analyticGaussianDelta,
  analyticGaussianEpsilon,
  analyticGaussianSigma,
  classicGaussianEpsilon,
  classicGaussianSigma,
  distributedDpReport,
  logNormalCdf,
  normalCdf,
  perClientStd,
} from './distributed-dp.js';

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('normalCdf and logNormalCdf against scipy.stats.norm', () => {
  // scipy 1.17: norm.cdf(x), norm.logcdf(x)
  const table: [number, number][] = [
    [-8, 6.22096057427174e-16],
    [-5, 2.866515718791933e-7],
    [-3.5, 0.00023262907903552502],
    [-3, 0.0013498980316300933],
    [-2.5, 0.006209665325776132],
    [-1, 0.15865525393145707],
    [-0.1, 0.460172162722971],
    [0, 0.5],
    [0.7, 0.758036347776927],
    [2, 0.9772498680518208],
    [6, 0.9999999990134123],
  ];
  for (const [x, p] of table) close(normalCdf(x), p, 1e-12, `Phi(${x})`);
  close(logNormalCdf(-40), -804.6084420137539, 1e-13, 'log Phi(-40)');
  close(logNormalCdf(-20), -203.9171553710973, 1e-13, 'log Phi(-20)');
});

test('analytic Gaussian mechanism (Balle and Wang 2018): worked values', () => {
  // Reference: scipy brentq on Theorem 8, delta(eps) = Phi(D/2s - eps s/D) - e^eps Phi(-D/2s - eps s/D).
  close(analyticGaussianEpsilon(1, 1e-5, 1), 4.377178095681225, 1e-9, 'sigma 1');
  close(analyticGaussianEpsilon(2, 1e-5, 1), 1.9930914044151173, 1e-9, 'sigma 2');
  close(analyticGaussianEpsilon(5, 1e-5, 1), 0.7255217508577968, 1e-9, 'sigma 5');
  close(analyticGaussianEpsilon(0.5, 1e-6, 1), 10.997151214220645, 1e-9, 'sigma 0.5');
  close(analyticGaussianSigma(1, 1e-5, 1), 3.730631634815946, 1e-9, 'sigma for eps 1');
  // At eps = 0: delta = 2 Phi(D / 2s) - 1.
  close(analyticGaussianDelta(0, 1, 1), 0.38292492254802624, 1e-12, 'delta(0)');
  assert.equal(analyticGaussianEpsilon(1, 0.39, 1), 0);
  // Only the ratio sigma / sensitivity matters.
  close(analyticGaussianEpsilon(3, 1e-5, 1.5), analyticGaussianEpsilon(2, 1e-5, 1), 1e-9, 'scale');
  // The solution satisfies the equation.
  close(analyticGaussianDelta(analyticGaussianEpsilon(1.7, 1e-6, 1), 1.7, 1), 1e-6, 1e-6, 'round trip');
});

test('classic bound: sigma = sqrt(2 ln(1.25 / delta)) D / eps, looser than the analytic one', () => {
  close(classicGaussianSigma(1, 1e-5, 1), 4.844805262605389, 1e-12, 'classic sigma');
  assert.ok(analyticGaussianSigma(1, 1e-5, 1) < classicGaussianSigma(1, 1e-5, 1));
  assert.deepEqual(classicGaussianEpsilon(4.844805262605389, 1e-5, 1).valid, false); // eps = 1: outside the theorem
  const c = classicGaussianEpsilon(10, 1e-5, 1);
  close(c.epsilon, 0.4844805262605389, 1e-12, 'classic eps');
  assert.equal(c.valid, true);
  assert.throws(() => classicGaussianSigma(1, 1, 1), /delta: must be in \(0, 1\), got 1/);
});

test('distributed noise: n clients at sigma^2 / n sum to variance sigma^2', () => {
  const n = 8;
  const sigma = 2;
  const length = 20_000;
  const rng = new Rng(21);
  const sum = new Float64Array(length);
  for (let i = 0; i < n; i++) {
    const noisy = addDistributedNoise(new Float64Array(length), { sigma, clients: n }, rng);
    for (let k = 0; k < length; k++) sum[k]! += noisy[k]!;
  }
  let m = 0;
  let v = 0;
  for (const s of sum) m += s / length;
  for (const s of sum) v += (s - m) ** 2 / (length - 1);
  // The sample variance's standard error is sigma^2 sqrt(2 / length) = 1%.
  close(v, sigma * sigma, 0.05, 'variance of the sum');
  assert.equal(perClientStd(2, 4), 1);
});

test('distributedDpReport: the server alone, with colluders, and the excluded all-but-one case', () => {
  const r = distributedDpReport({ sigma: 2, delta: 1e-5, clipNorm: 1, clients: 10, colluding: 3 });
  close(r.server.epsilon, 1.9930914044151173, 1e-9, 'all 10 honest');
  close(r.collusion.sigma, 2 * Math.sqrt(7 / 10), 1e-12, 'seven honest');
  close(r.allButOne.sigma, 2 / Math.sqrt(10), 1e-12, 'one honest');
  assert.ok(r.server.epsilon < r.collusion.epsilon && r.collusion.epsilon < r.allButOne.epsilon);
  const dropped = distributedDpReport({ sigma: 2, delta: 1e-5, clipNorm: 1, clients: 10, survivors: 6 });
  close(dropped.server.sigma, 2 * Math.sqrt(0.6), 1e-12, 'dropouts take their noise');
  assert.throws(() => distributedDpReport({ sigma: 2, delta: 1e-5, clipNorm: 1, clients: 10, colluding: 10 }), /colluding: must be an integer in 0\.\.9/);
});
