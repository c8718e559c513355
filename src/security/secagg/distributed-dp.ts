import { fail } from '../../util/errors.js';

/**
 * Distributed differential privacy: the mitigation for the collusion that
 * secure aggregation cannot stop (the server with all but one client learns
 * that client's update from the sum, QuNetQFL's excluded case).
 *
 * Each of n clients adds N(0, sigma^2 / n) to every entry of its clipped
 * update before quantization, so the sum of n updates carries N(0, sigma^2),
 * what a trusted curator would have added once (the approach of Kairouz, Liu
 * and Steinke 2021, "The Distributed Discrete Gaussian Mechanism for
 * Federated Learning with Secure Aggregation", ICML, here with the continuous
 * Gaussian). Who knows some clients' noise removes it: with h honest clients
 * among the survivors the noise left is N(0, h sigma^2 / n), and against the
 * server with all but one client it is sigma^2 / n (`distributedDpReport`).
 *
 * The choice documented here: continuous Gaussian noise added in float64
 * before quantization (not the discrete Gaussian on the integer grid). The
 * epsilon reported is that of the Gaussian mechanism on the sum of the noised
 * real-valued updates. Rounding each noised update to the grid afterwards is
 * not a post-processing of that sum, so the figure is exact for the
 * continuous release and an approximation for the quantized one, good when
 * the grid step 2c / (2^q - 1) is small against sigma / sqrt(n); a proof for
 * the grid needs the distributed discrete Gaussian of Kairouz et al. The
 * sensitivity is the L2 clipping norm C of one client's update (add or remove
 * one client). The noise comes from the generator passed in; a deployment
 * should pass a cryptographic normal source, because floating-point noise
 * from a seeded generator is predictable (Mironov 2012). Epsilons are per
 * round; composing rounds needs an accountant.
 */

/** What draws the noise: the seeded `Rng` has this method. */
export interface NormalSource {
  normal(mean?: number, std?: number): number;
}

/** The standard deviation each of n clients adds: sigma / sqrt(n). */
export function perClientStd(sigma: number, clients: number): number {
  checkPositive(sigma, 'sigma');
  if (!(Number.isInteger(clients) && clients >= 1)) fail('clients', `must be an integer >= 1, got ${clients}`);
  return sigma / Math.sqrt(clients);
}

/**
 * A client's share of the noise: `update` + N(0, sigma^2 / clients) per entry,
 * as a new vector (the input is not changed).
 */
export function addDistributedNoise(
  update: ArrayLike<number>,
  opts: { readonly sigma: number; readonly clients: number },
  rng: NormalSource,
): Float64Array {
  const std = perClientStd(opts.sigma, opts.clients);
  const out = new Float64Array(update.length);
  for (let k = 0; k < update.length; k++) out[k] = update[k]! + rng.normal(0, std);
  return out;
}

function checkPositive(v: number, field: string): void {
  if (!(Number.isFinite(v) && v > 0)) fail(field, `must be a finite number > 0, got ${v}`);
}

function checkDelta(delta: number): void {
  if (!(delta > 0 && delta < 1)) fail('delta', `must be in (0, 1), got ${delta}`);
}

// ---------------------------------------------------------------------------
// The standard normal distribution function

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log Phi(x) for x <= -3 by the continued fraction of the Mills ratio (Lentz's method). */
function logPhiTail(x: number): number {
  const t = -x;
  // R(t) = 1 / (t + 1 / (t + 2 / (t + 3 / (t + ...)))), Phi(x) = phi(t) R(t).
  const tiny = 1e-300;
  let f = t;
  let c = t;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    d = t + k * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = t + k / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -0.5 * t * t - LOG_SQRT_2PI - Math.log(f);
}

/** Phi(x) for -3 < x <= 0 by Marsaglia's series 1/2 + phi(x)(x + x^3/3 + x^5/15 + ...) (J. Stat. Softw. 2004). */
function phiSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 3; Math.abs(term) > 1e-17 * Math.abs(sum); k += 2) {
    term *= x2 / k;
    sum += term;
  }
  return 0.5 + Math.exp(-0.5 * x2 - LOG_SQRT_2PI) * sum;
}

/** log Phi(x), accurate in the far lower tail (where Phi underflows). */
export function logNormalCdf(x: number): number {
  if (x <= -3) return logPhiTail(x);
  return Math.log(normalCdf(x));
}

/** Phi(x), the standard normal distribution function, to about 1e-15 relative in the lower tail. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= -3) return Math.exp(logPhiTail(x));
  if (x <= 0) return phiSeries(x);
  return 1 - normalCdf(-x);
}

// ---------------------------------------------------------------------------
// Gaussian mechanism accounting

/**
 * The smallest delta for which N(0, sigma^2) noise on a query of L2
 * sensitivity `sensitivity` is (epsilon, delta)-DP, by the analytic Gaussian
 * mechanism (Balle and Wang 2018, "Improving the Gaussian Mechanism for
 * Differential Privacy: Analytical Calibration and Optimal Denoising", ICML,
 * Theorem 8):
 *
 *   delta(eps) = Phi(D/(2s) - eps s/D) - e^eps Phi(-D/(2s) - eps s/D)
 */
export function analyticGaussianDelta(epsilon: number, sigma: number, sensitivity: number): number {
  if (!(epsilon >= 0)) fail('epsilon', `must be >= 0, got ${epsilon}`);
  checkPositive(sigma, 'sigma');
  checkPositive(sensitivity, 'sensitivity');
  const a = sensitivity / (2 * sigma);
  const b = (epsilon * sigma) / sensitivity;
  const d = normalCdf(a - b) - Math.exp(epsilon + logNormalCdf(-a - b));
  return d < 0 ? 0 : d;
}

/** Bisection for the root of a decreasing function on [lo, hi]. */
function bisect(f: (x: number) => number, lo: number, hi: number): number {
  for (let k = 0; k < 200 && hi - lo > 1e-13 * Math.max(1, hi); k++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The smallest epsilon >= 0 with analyticGaussianDelta(epsilon) <= delta
 * (Balle and Wang 2018, Theorem 8, solved by bisection).
 *
 * @example analyticGaussianEpsilon(1, 1e-5, 1) // 4.3771780956...
 */
export function analyticGaussianEpsilon(sigma: number, delta: number, sensitivity: number): number {
  checkDelta(delta);
  const excess = (eps: number) => analyticGaussianDelta(eps, sigma, sensitivity) - delta;
  if (excess(0) <= 0) return 0;
  let hi = 1;
  while (excess(hi) > 0) hi *= 2;
  return bisect(excess, 0, hi);
}

/**
 * The smallest sigma for which the Gaussian mechanism is (epsilon, delta)-DP
 * (Balle and Wang 2018, Theorem 8, solved by bisection).
 *
 * @example analyticGaussianSigma(1, 1e-5, 1) // 3.7306316348...
 */
export function analyticGaussianSigma(epsilon: number, delta: number, sensitivity: number): number {
  checkPositive(epsilon, 'epsilon');
  checkDelta(delta);
  checkPositive(sensitivity, 'sensitivity');
  // delta(eps; sigma) falls as sigma grows.
  const excess = (s: number) => analyticGaussianDelta(epsilon, s, sensitivity) - delta;
  let hi = sensitivity;
  while (excess(hi) > 0) hi *= 2;
  let lo = hi / 2;
  while (lo > 1e-12 * sensitivity && excess(lo) <= 0) lo /= 2;
  return bisect(excess, lo, hi);
}

/**
 * The classic bound (Dwork and Roth 2014, Theorem A.1): sigma >=
 * sqrt(2 ln(1.25 / delta)) * sensitivity / epsilon gives (epsilon, delta)-DP
 * for epsilon < 1.
 */
export function classicGaussianSigma(epsilon: number, delta: number, sensitivity: number): number {
  checkPositive(epsilon, 'epsilon');
  checkDelta(delta);
  checkPositive(sensitivity, 'sensitivity');
  return (Math.sqrt(2 * Math.log(1.25 / delta)) * sensitivity) / epsilon;
}

/** The classic bound solved for epsilon; `valid` is false when epsilon >= 1, where the theorem says nothing. */
export function classicGaussianEpsilon(sigma: number, delta: number, sensitivity: number): { readonly epsilon: number; readonly valid: boolean } {
  checkPositive(sigma, 'sigma');
  checkDelta(delta);
  checkPositive(sensitivity, 'sensitivity');
  const epsilon = (Math.sqrt(2 * Math.log(1.25 / delta)) * sensitivity) / sigma;
  return { epsilon, valid: epsilon < 1 };
}

/** The privacy of one round of distributed noise, against three adversaries. */
export interface DistributedDpReport {
  readonly sigma: number;
  readonly delta: number;
  /** Sensitivity: the L2 clipping norm of one client's update. */
  readonly clipNorm: number;
  readonly clients: number;
  /** The standard deviation each client adds: sigma / sqrt(clients). */
  readonly perClientStd: number;
  /** Against the server alone: the noise of every survivor, sigma * sqrt(survivors / clients). */
  readonly server: { readonly sigma: number; readonly epsilon: number };
  /** Against the server with `colluding` clients, whose noise it can subtract. */
  readonly collusion: { readonly colluding: number; readonly sigma: number; readonly epsilon: number };
  /** Against the server with all clients but one (QuNetQFL's excluded case): sigma / sqrt(clients). */
  readonly allButOne: { readonly sigma: number; readonly epsilon: number };
}

/**
 * Epsilon (analytic Gaussian, Balle and Wang 2018) of the noised sum at
 * `delta`, when `clients` each add N(0, sigma^2 / clients), `survivors` of
 * them reach the sum (dropouts take their noise with them) and `colluding`
 * survivors share their noise with the server.
 */
export function distributedDpReport(opts: {
  readonly sigma: number;
  readonly delta: number;
  readonly clipNorm: number;
  readonly clients: number;
  readonly survivors?: number;
  readonly colluding?: number;
}): DistributedDpReport {
  const { sigma, delta, clipNorm, clients } = opts;
  const std = perClientStd(sigma, clients);
  checkPositive(clipNorm, 'clipNorm');
  checkDelta(delta);
  const survivors = opts.survivors ?? clients;
  const colluding = opts.colluding ?? 0;
  if (!(Number.isInteger(survivors) && survivors >= 1 && survivors <= clients)) {
    fail('survivors', `must be an integer in 1..${clients}, got ${survivors}`);
  }
  if (!(Number.isInteger(colluding) && colluding >= 0 && colluding < survivors)) {
    fail('colluding', `must be an integer in 0..${survivors - 1} (at least one honest survivor), got ${colluding}`);
  }
  const at = (honest: number) => {
    const s = std * Math.sqrt(honest);
    return { sigma: s, epsilon: analyticGaussianEpsilon(s, delta, clipNorm) };
  };
  return {
    sigma,
    delta,
    clipNorm,
    clients,
    perClientStd: std,
    server: at(survivors),
    collusion: { colluding, ...at(survivors - colluding) },
    allButOne: at(1),
  };
}
