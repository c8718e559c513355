import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';

/**
 * The standard normal quantile Phi^{-1}(p), by P. J. Acklam's rational
 * approximation (relative error below 1.2e-9) — enough for test thresholds.
 * Example: normalQuantile(0.975) = 1.959964.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) fail('p', `must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo || p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
    const x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < lo ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * Draws the mean of `shots` +-1 outcomes of a Pauli measurement whose exact
 * expectation is `value` (each outcome is +1 with probability (1 + value) / 2):
 * an exact binomial draw by inverting its CDF, built once (O(shots)) so that
 * each draw costs one uniform and a binary search.
 */
export class ShotSampler {
  private readonly cdf: Float64Array;

  constructor(
    value: number,
    readonly shots: number,
  ) {
    if (!Number.isInteger(shots) || shots < 1) fail('shots', `must be a positive integer, got ${shots}`);
    if (!(Math.abs(value) <= 1 + 1e-9)) fail('value', `an expectation of a Pauli word must be in [-1, 1], got ${value}`);
    const p = Math.min(1, Math.max(0, (1 + value) / 2));
    const n = shots;
    const pmf = new Float64Array(n + 1);
    if (p === 0 || p === 1) {
      pmf[p === 0 ? 0 : n] = 1;
    } else {
      // Start at the mode and walk outwards with pmf(k+1) / pmf(k) = (n-k)/(k+1) * p/(1-p).
      const r = p / (1 - p);
      const mode = Math.min(n, Math.floor((n + 1) * p));
      pmf[mode] = 1;
      for (let k = mode; k < n; k++) pmf[k + 1] = (pmf[k]! * (n - k) * r) / (k + 1);
      for (let k = mode; k > 0; k--) pmf[k - 1] = (pmf[k]! * k) / ((n - k + 1) * r);
    }
    this.cdf = new Float64Array(n + 1);
    let acc = 0;
    for (let k = 0; k <= n; k++) this.cdf[k] = acc += pmf[k]!;
    for (let k = 0; k <= n; k++) this.cdf[k] = this.cdf[k]! / acc;
  }

  /** One estimate: 2 k / shots - 1 with k ~ Binomial(shots, (1 + value) / 2). */
  draw(rng: Rng): number {
    const u = rng.uniform();
    let lo = 0;
    let hi = this.shots;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return (2 * lo) / this.shots - 1;
  }
}

/** Plug-in variance of a shot estimate, floored so that estimates of exactly +-1 still get a spread. */
export const shotVariance = (estimate: number, shots: number): number => Math.max(1 - estimate * estimate, 1 / shots) / shots;

/** log Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * One shot estimate, as `ShotSampler.draw` but without building a CDF:
 * 2 k / shots - 1 with k ~ Binomial(shots, (1 + value) / 2), drawn exactly
 * by chop-down search from the mode (Kemp 1986): one uniform, minus pmf(k)
 * for k = mode, mode - 1, mode + 1, ... until it is used up; O(sqrt(shots))
 * steps on average. For the many values of a node's task.
 */
export function drawShotMean(value: number, shots: number, rng: Rng): number {
  const p = Math.min(1, Math.max(0, (1 + value) / 2));
  const n = shots;
  if (p === 0 || p === 1) return p === 0 ? -1 : 1;
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const r = p / (1 - p);
  const pmfMode = Math.exp(logGamma(n + 1) - logGamma(mode + 1) - logGamma(n - mode + 1) + mode * Math.log(p) + (n - mode) * Math.log(1 - p));
  let u = rng.uniform() - pmfMode;
  if (u <= 0) return (2 * mode) / n - 1;
  let up = mode;
  let down = mode;
  let pUp = pmfMode;
  let pDown = pmfMode;
  while (up < n || down > 0) {
    if (down > 0) {
      pDown = (pDown * down) / ((n - down + 1) * r);
      down--;
      u -= pDown;
      if (u <= 0) return (2 * down) / n - 1;
    }
    if (up < n) {
      pUp = (pUp * (n - up) * r) / (up + 1);
      up++;
      u -= pUp;
      if (u <= 0) return (2 * up) / n - 1;
    }
  }
  return (2 * mode) / n - 1; // rounding left a sliver of u: the mode
}
