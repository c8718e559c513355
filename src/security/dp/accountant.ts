import { fail } from '../../util/errors.js';
import { logASampledGaussianFractional } from './sgm-fractional.js';

/**
 * Privacy accounting for client-level DP-FedAvg by Rényi differential
 * privacy (RDP; Mironov 2017, "Rényi Differential Privacy", CSF).
 *
 * One round samples each client with probability q (Poisson sampling) and
 * adds Gaussian noise of standard deviation σ·C to the sum of updates
 * clipped to C: the sampled Gaussian mechanism (SGM) with noise multiplier
 * σ. Its RDP at integer order α > 1 is exact (Mironov, Talwar & Zhang 2019,
 * "Rényi Differential Privacy of the Sampled Gaussian Mechanism", Sec. 3.3):
 *
 *     A_α = Σ_{k=0}^{α} C(α, k) (1 - q)^{α-k} q^k exp((k² - k) / (2σ²))
 *     RDP(α) = log(A_α) / (α - 1)
 *
 * computed in log space so that large orders do not overflow. With q = 1 it
 * is the Gaussian mechanism, RDP(α) = α / (2σ²), for any real α > 1 (the
 * closed form); with q < 1 fractional orders are evaluated by the series
 * of Mironov, Talwar & Zhang 2019, Sec. 3.3 (`sgm-fractional.ts`).
 *
 * RDP composes by addition over rounds. The (ε, δ) guarantee is the best
 * order's conversion:
 *
 *   - `classic` (Mironov 2017, Prop. 3): ε = RDP(α) + log(1/δ) / (α - 1).
 *   - `improved` (Canonne, Kamath & Steinke 2020, "The Discrete Gaussian
 *     for Differential Privacy", Prop. 12; Asoodeh et al. 2020; Balle et al.
 *     2020, "Hypothesis Testing Interpretations and Renyi Differential
 *     Privacy", Thm. 21):
 *     ε = RDP(α) + log((α - 1)/α) - (log δ + log α) / (α - 1), for α > 1.01,
 *     and ε = 0 when δ² >= 1 - exp(-RDP(α)) (the KL bound). This is what TF
 *     Privacy and Google's dp_accounting report today; it is never worse.
 *
 * Client-level DP (McMahan et al. 2018, "Learning Differentially Private
 * Recurrent Language Models"): q = clients per round / all clients, steps =
 * rounds, σ = the noise multiplier z of the update sum. For local DP (each
 * client noises its own update with std z·C, `localDpTransform`) the server
 * sees who took part, so there is no amplification: q = 1, steps = rounds
 * the client took part in, and σ = z/2 under replace-one adjacency (an
 * update can move by 2C), or σ = z for add/remove-one.
 *
 * @example epsilonFromRdp(DEFAULT_ORDERS, computeRdp(0.01, 4, 10000), 1e-5, 'classic').epsilon // 1.2586 (Abadi et al. 2016: ≈ 1.26)
 */

/** Integer orders 2..64, then 80, 96, 128, 256, 512 (the exact SGM formula, no series). */
export const INTEGER_ORDERS: readonly number[] = [...Array.from({ length: 63 }, (_, i) => i + 2), 80, 96, 128, 256, 512];

/**
 * Orders 1.1, 1.2, ..., 10.9 (fractional ones by the series; they give the
 * best epsilon when noise is small or steps many: 0.6 noise, 7020 steps is
 * best near 2.9), then 11..64, 80, 96, 128, 256, 512. The grid of TF
 * Privacy's MNIST DP-SGD tutorial (`1 + x / 10` and integers), so its
 * published epsilons are reproduced.
 */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 54 }, (_, i) => i + 11),
  80, 96, 128, 256, 512,
];

export const CONVERSIONS = ['classic', 'improved'] as const;
export type Conversion = (typeof CONVERSIONS)[number];

function checkQSigma(q: number, sigma: number): void {
  if (!(Number.isFinite(q) && q >= 0 && q <= 1)) fail('q', `the sampling rate must be in [0, 1], got ${q}`);
  if (!(sigma >= 0) || Number.isNaN(sigma)) fail('noise_multiplier', `must be >= 0, got ${sigma}`);
}

/** log(exp(a) + exp(b)) without overflow. */
function logAdd(a: number, b: number): number {
  const hi = Math.max(a, b);
  const lo = Math.min(a, b);
  if (lo === -Infinity) return hi;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log A_α of the SGM for integer α >= 2 and 0 < q < 1. */
export function logASampledGaussian(q: number, sigma: number, alpha: number): number {
  checkQSigma(q, sigma);
  if (!(Number.isInteger(alpha) && alpha >= 2)) fail('orders', `the exact SGM formula needs integer orders >= 2, got ${alpha}`);
  if (!(q > 0 && q < 1)) fail('q', `logASampledGaussian needs 0 < q < 1, got ${q}`);
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const s2 = 2 * sigma * sigma;
  let logComb = 0; // log C(alpha, 0)
  let acc = -Infinity;
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logComb += Math.log(alpha - k + 1) - Math.log(k);
    acc = logAdd(acc, logComb + k * logQ + (alpha - k) * log1mQ + (k * k - k) / s2);
  }
  return acc;
}

/**
 * RDP of ONE step of the sampled Gaussian mechanism at each order: 0 for
 * q = 0, Infinity for σ = 0 (or an infinite order), α/(2σ²) for q = 1.
 */
export function rdpSampledGaussian(q: number, sigma: number, orders: readonly number[] = DEFAULT_ORDERS): Float64Array {
  checkQSigma(q, sigma);
  return Float64Array.from(orders, (alpha, i) => {
    if (!(alpha > 1)) fail(`orders[${i}]`, `must be > 1, got ${alpha}`);
    if (q === 0) return 0;
    if (sigma === 0 || alpha === Infinity) return Infinity;
    if (q === 1) return alpha / (2 * sigma * sigma);
    if (!Number.isInteger(alpha)) return logASampledGaussianFractional(q, sigma, alpha) / (alpha - 1);
    return logASampledGaussian(q, sigma, alpha) / (alpha - 1);
  });
}

/** RDP of `steps` compositions of the SGM (TF Privacy's `compute_rdp(q, noise_multiplier, steps, orders)`). */
export function computeRdp(q: number, sigma: number, steps: number, orders: readonly number[] = DEFAULT_ORDERS): Float64Array {
  if (!(Number.isInteger(steps) && steps >= 0)) fail('steps', `must be an integer >= 0, got ${steps}`);
  return rdpSampledGaussian(q, sigma, orders).map((r) => (steps === 0 ? 0 : r * steps));
}

/**
 * The smallest ε over the orders for which the composed RDP guarantees
 * (ε, δ)-DP, and the order that gives it (see the module comment for the
 * two conversions; `improved` by default).
 */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
  conversion: Conversion = 'improved',
): { readonly epsilon: number; readonly order: number } {
  if (orders.length !== rdp.length) fail('rdp', `has ${rdp.length} values for ${orders.length} orders`);
  if (orders.length === 0) fail('orders', 'at least one order is needed');
  if (!(delta > 0 && delta < 1)) fail('delta', `must be in (0, 1), got ${delta}`);
  if (!CONVERSIONS.includes(conversion)) fail('conversion', `must be one of ${CONVERSIONS.join(', ')}, got ${String(conversion)}`);
  let best = Infinity;
  let order = orders[0]!;
  for (let i = 0; i < orders.length; i++) {
    const a = orders[i]!;
    const r = rdp[i]!;
    if (!(a > 1)) fail(`orders[${i}]`, `must be > 1, got ${a}`);
    if (!(r >= 0)) fail(`rdp[${i}]`, `must be >= 0, got ${r}`);
    let eps: number;
    if (conversion === 'classic') eps = r + Math.log(1 / delta) / (a - 1);
    else if (delta * delta + Math.expm1(-r) > 0) eps = 0;
    else if (a > 1.01) eps = r + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    else eps = Infinity;
    if (eps < best) {
      best = eps;
      order = a;
    }
  }
  return { epsilon: Math.max(0, best), order };
}

/** The state of an accountant, plain JSON for checkpoints. */
export interface AccountantState {
  readonly orders: readonly number[];
  /** One value per order; null stands for Infinity (JSON has no Infinity). */
  readonly rdp: readonly (number | null)[];
  readonly steps: number;
}

/**
 * Adds up the RDP of every round (rounds may differ in q and σ, e.g. with
 * a changing number of clients).
 *
 * @example
 * const acc = new RdpAccountant();
 * acc.compose(10 / 1000, 1.1, 100);
 * acc.epsilon(1e-5).epsilon
 */
export class RdpAccountant {
  readonly orders: readonly number[];
  private rdp: Float64Array;
  private stepCount = 0;

  constructor(orders: readonly number[] = DEFAULT_ORDERS) {
    if (orders.length === 0) fail('orders', 'at least one order is needed');
    orders.forEach((a, i) => {
      if (!(a > 1)) fail(`orders[${i}]`, `must be > 1, got ${a}`);
    });
    this.orders = [...orders];
    this.rdp = new Float64Array(orders.length);
  }

  /** Composes `steps` rounds of the SGM with sampling rate q and noise multiplier σ. */
  compose(q: number, sigma: number, steps = 1): this {
    const add = computeRdp(q, sigma, steps, this.orders);
    for (let i = 0; i < add.length; i++) this.rdp[i]! += add[i]!;
    this.stepCount += steps;
    return this;
  }

  /** The composed RDP, one value per order (a copy). */
  rdpValues(): Float64Array {
    return this.rdp.slice();
  }

  get steps(): number {
    return this.stepCount;
  }

  epsilon(delta: number, conversion: Conversion = 'improved'): { readonly epsilon: number; readonly order: number } {
    return epsilonFromRdp(this.orders, this.rdp, delta, conversion);
  }

  getState(): AccountantState {
    return { orders: [...this.orders], rdp: Array.from(this.rdp, (r) => (Number.isFinite(r) ? r : null)), steps: this.stepCount };
  }

  static fromState(s: AccountantState): RdpAccountant {
    if (s.orders.length !== s.rdp.length) fail('state.rdp', `has ${s.rdp.length} values for ${s.orders.length} orders`);
    const acc = new RdpAccountant(s.orders);
    s.rdp.forEach((r, i) => {
      if (r !== null && !(r >= 0)) fail(`state.rdp[${i}]`, `must be a number >= 0 or null, got ${r}`);
      acc.rdp[i] = r ?? Infinity;
    });
    if (!(Number.isInteger(s.steps) && s.steps >= 0)) fail('state.steps', `must be an integer >= 0, got ${s.steps}`);
    acc.stepCount = s.steps;
    return acc;
  }
}

/**
 * (ε, δ) of client-level DP-FedAvg after `rounds` rounds that each sample
 * `clientsPerRound` of `totalClients` clients (q = ratio, Poisson sampling
 * assumed) with noise multiplier z on the update sum.
 *
 * @example dpFedAvgEpsilon({ clientsPerRound: 100, totalClients: 10000, noiseMultiplier: 1.1, rounds: 10000, delta: 1e-5 })
 */
export function dpFedAvgEpsilon(o: {
  readonly clientsPerRound: number;
  readonly totalClients: number;
  readonly noiseMultiplier: number;
  readonly rounds: number;
  readonly delta: number;
  readonly conversion?: Conversion;
  readonly orders?: readonly number[];
}): { readonly epsilon: number; readonly order: number; readonly q: number } {
  if (!(Number.isInteger(o.totalClients) && o.totalClients >= 1)) fail('totalClients', `must be an integer >= 1, got ${o.totalClients}`);
  if (!(Number.isInteger(o.clientsPerRound) && o.clientsPerRound >= 0 && o.clientsPerRound <= o.totalClients)) {
    fail('clientsPerRound', `must be an integer in [0, ${o.totalClients}], got ${o.clientsPerRound}`);
  }
  const q = o.clientsPerRound / o.totalClients;
  const orders = o.orders ?? DEFAULT_ORDERS;
  const e = epsilonFromRdp(orders, computeRdp(q, o.noiseMultiplier, o.rounds, orders), o.delta, o.conversion ?? 'improved');
  return { ...e, q };
}
