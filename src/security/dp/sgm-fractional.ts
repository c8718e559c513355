import { logErfc } from './log-erfc.js';

/**
 * log A_α of the sampled Gaussian mechanism at a fractional order α > 1
 * (0 < q < 1, σ > 0): Mironov, Talwar & Zhang 2019, "Rényi Differential
 * Privacy of the Sampled Gaussian Mechanism", Sec. 3.3. The integral that
 * defines A_α is split at z0 = σ² log(1/q - 1) + 1/2 and each half is a
 * series over the generalized binomial coefficients C(α, i):
 *
 *   A_α = Σ_{i>=0} C(α,i) q^i (1-q)^(α-i) e^((i²-i)/(2σ²)) · ½ erfc((i - z0)/(√2 σ))
 *       + Σ_{i>=0} C(α,i) q^(α-i) (1-q)^i e^((j²-j)/(2σ²)) · ½ erfc((z0 - j)/(√2 σ)),  j = α - i.
 *
 * For i > α the coefficients alternate in sign, so the terms are summed as
 * signed values around the largest one. The series stops once both terms
 * of a step fall below e^-30 (the stopping rule of TF Privacy's accountant,
 * whose published tables the tests reproduce).
 */
export function logASampledGaussianFractional(q: number, sigma: number, alpha: number): number {
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const s2 = 2 * sigma * sigma;
  const rt2s = Math.SQRT2 * sigma;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const logs: number[] = [];
  const signs: number[] = [];
  let logAbsC = 0; // log |C(α, 0)|
  let sign = 1;
  for (let i = 0; i < 100000; i++) {
    if (i > 0) {
      const f = (alpha - i + 1) / i;
      if (f === 0) break; // cannot happen for fractional α; integer α has its exact formula
      logAbsC += Math.log(Math.abs(f));
      if (f < 0) sign = -sign;
    }
    const j = alpha - i;
    const s0 = logAbsC + i * logQ + j * log1mQ + (i * i - i) / s2 + Math.log(0.5) + logErfc((i - z0) / rt2s);
    const s1 = logAbsC + j * logQ + i * log1mQ + (j * j - j) / s2 + Math.log(0.5) + logErfc((z0 - j) / rt2s);
    logs.push(s0, s1);
    signs.push(sign, sign);
    if (Math.max(s0, s1) < -30) break;
  }
  let hi = -Infinity;
  for (const l of logs) if (l > hi) hi = l;
  let sum = 0;
  for (let k = 0; k < logs.length; k++) sum += signs[k]! * Math.exp(logs[k]! - hi);
  return hi + Math.log(sum);
}
