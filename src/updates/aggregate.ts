import { fail } from '../util/errors.js';
import type { Metrics } from './messages.js';

/**
 * The aggregation maths of the federation, as free pure functions (Flower's
 * `server/strategy/aggregate.py`). None of them mutates its inputs: every
 * result, and every new optimizer state, is a fresh array. Strategies select,
 * configure and call these.
 *
 * Updates are flat `Float64Array` parameter deltas `w_local - w_global`, one
 * per client. A NaN or infinite entry is refused with an error that names the
 * offending update, never averaged in.
 */

import { checkUpdates } from '../util/vectors.js';

export { checkUpdates, weightedAverage, type Aggregator } from '../util/vectors.js';

/** `a + b`, fresh. */
export function addVectors(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length !== b.length) fail('delta', `has ${b.length} entries, the parameters ${a.length}`);
  const out = new Float64Array(a.length);
  for (let j = 0; j < a.length; j++) out[j] = a[j]! + b[j]!;
  return out;
}

/**
 * Weighted means of scalar metrics, weighted by each item's `numExamples`
 * (Flower's `weighted_loss_avg` generalised to every key). A key is averaged
 * over the items that report it; `keys` restricts which keys are kept.
 */
export function weightedMetrics(
  items: readonly { readonly numExamples: number; readonly metrics: Metrics }[],
  keys?: readonly string[],
): Metrics {
  const sums = new Map<string, { s: number; w: number }>();
  for (const it of items) {
    for (const [key, value] of Object.entries(it.metrics)) {
      if (keys !== undefined && !keys.includes(key)) continue;
      const e = sums.get(key) ?? { s: 0, w: 0 };
      e.s += it.numExamples * value;
      e.w += it.numExamples;
      sums.set(key, e);
    }
  }
  const out: Metrics = {};
  for (const [key, { s, w }] of sums) if (w > 0) out[key] = s / w;
  return out;
}

// ---------------------------------------------------------------------------
// Server optimizers: a step from the averaged delta Δ, with explicit state.
// ---------------------------------------------------------------------------

/** FedAvgM's server momentum buffer v (zero before the first round). */
export interface MomentumState {
  readonly momentum: Float64Array;
}

export interface MomentumOptions {
  /** Server learning rate η (1 with momentum 0 is FedAvg). */
  readonly serverLr: number;
  /** Server momentum β in [0, 1). */
  readonly momentum: number;
}

/** FedAdam / FedYogi first and second moment estimates. */
export interface MomentState {
  readonly m: Float64Array;
  readonly v: Float64Array;
}

export interface AdaptiveOptions {
  /** Server learning rate η > 0. */
  readonly eta: number;
  /** First-moment decay β1 in [0, 1). */
  readonly beta1: number;
  /** Second-moment decay β2 in [0, 1). */
  readonly beta2: number;
  /** Adaptivity τ > 0: floor of the denominator and sqrt of v's initial value. */
  readonly tau: number;
}

function checkIn(field: string, x: number, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): void {
  const ok = Number.isFinite(x) && (loOpen ? x > lo : x >= lo) && (hiOpen ? x < hi : x <= hi);
  if (!ok) {
    const range = hi === Infinity ? `a finite number ${loOpen ? '>' : '>='} ${lo}` : `in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
    fail(field, `must be ${range}, got ${x}`);
  }
}

/** Validates FedAvgM's hyperparameters (field names as in the YAML configs). */
export function checkMomentumOptions(o: MomentumOptions): void {
  checkIn('server_lr', o.serverLr, 0, Infinity, true, false);
  checkIn('server_momentum', o.momentum, 0, 1, false, true);
}

/** Validates FedAdam / FedYogi hyperparameters (field names as in the YAML configs). */
export function checkAdaptiveOptions(o: AdaptiveOptions): void {
  checkIn('server_lr', o.eta, 0, Infinity, true, false);
  checkIn('beta1', o.beta1, 0, 1, false, true);
  checkIn('beta2', o.beta2, 0, 1, false, true);
  checkIn('tau', o.tau, 0, Infinity, true, false);
}

function checkStep(params: Float64Array, delta: Float64Array, stateLengths: readonly number[]): void {
  checkUpdates([delta], params.length, () => 'delta');
  for (const len of stateLengths) {
    if (len !== params.length) {
      fail('state', `holds ${len} entries but the parameters have ${params.length}: was it saved for another model?`);
    }
  }
}

/** Zero momentum, FedAvgM's state before its first round. */
export function initialMomentum(dim: number): MomentumState {
  return { momentum: new Float64Array(dim) };
}

/**
 * One FedAvgM server step (Hsu, Qi & Brown 2019, "Measuring the Effects of
 * Non-Identical Data Distribution for Federated Visual Classification"), in
 * the form Flower uses with the averaged delta Δ = -(pseudo-gradient):
 *
 *     v ← β v + Δ
 *     w ← w + η v
 *
 * With `state` undefined, v starts at zero (so the first step is w + η Δ).
 * Returns the new parameters and the new state; the inputs are untouched.
 *
 * @example fedAvgMStep([0], [1], undefined, {serverLr: 1, momentum: 0.9}) // params [1], momentum [1]
 */
export function fedAvgMStep(
  params: Float64Array,
  delta: Float64Array,
  state: MomentumState | undefined,
  options: MomentumOptions,
): { params: Float64Array; state: MomentumState } {
  checkMomentumOptions(options);
  const prev = state ?? initialMomentum(params.length);
  checkStep(params, delta, [prev.momentum.length]);
  const { serverLr, momentum: beta } = options;
  const n = params.length;
  const v = new Float64Array(n);
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    v[j] = beta * prev.momentum[j]! + delta[j]!;
    out[j] = params[j]! + serverLr * v[j]!;
  }
  return { params: out, state: { momentum: v } };
}

/**
 * The moments before the first round: m = 0 and v = τ² (Reddi et al. 2021,
 * Algorithm 2 takes v_{-1} ≥ τ²).
 */
export function initialMoments(dim: number, tau: number): MomentState {
  return { m: new Float64Array(dim), v: new Float64Array(dim).fill(tau * tau) };
}

function adaptiveStep(
  params: Float64Array,
  delta: Float64Array,
  state: MomentState | undefined,
  options: AdaptiveOptions,
  yogi: boolean,
): { params: Float64Array; state: MomentState } {
  checkAdaptiveOptions(options);
  const { eta, beta1, beta2, tau } = options;
  const prev = state ?? initialMoments(params.length, tau);
  checkStep(params, delta, [prev.m.length, prev.v.length]);
  const n = params.length;
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const d = delta[j]!;
    const d2 = d * d;
    m[j] = beta1 * prev.m[j]! + (1 - beta1) * d;
    const vp = prev.v[j]!;
    v[j] = yogi ? vp - (1 - beta2) * d2 * Math.sign(vp - d2) : beta2 * vp + (1 - beta2) * d2;
    out[j] = params[j]! + (eta * m[j]!) / (Math.sqrt(v[j]!) + tau);
  }
  return { params: out, state: { m, v } };
}

/**
 * One FedAdam server step (Reddi et al. 2021, "Adaptive Federated
 * Optimization", Algorithm 2), from the averaged client delta Δ:
 *
 *     m ← β1 m + (1 - β1) Δ
 *     v ← β2 v + (1 - β2) Δ²
 *     w ← w + η m / (√v + τ)
 *
 * elementwise, with no bias correction (as in the paper). With `state`
 * undefined the moments start at m = 0, v = τ². Returns the new parameters
 * and state; the inputs are untouched.
 */
export function fedAdamStep(
  params: Float64Array,
  delta: Float64Array,
  state: MomentState | undefined,
  options: AdaptiveOptions,
): { params: Float64Array; state: MomentState } {
  return adaptiveStep(params, delta, state, options, false);
}

/**
 * One FedYogi server step (Reddi et al. 2021, "Adaptive Federated
 * Optimization", Algorithm 2; Yogi of Zaheer et al. 2018): as FedAdam but
 * the second moment moves additively, by at most (1 - β2) Δ² a round,
 *
 *     m ← β1 m + (1 - β1) Δ
 *     v ← v - (1 - β2) Δ² sign(v - Δ²)
 *     w ← w + η m / (√v + τ)
 *
 * with sign(0) = 0 and v starting at τ². Returns the new parameters and
 * state; the inputs are untouched.
 */
export function fedYogiStep(
  params: Float64Array,
  delta: Float64Array,
  state: MomentState | undefined,
  options: AdaptiveOptions,
): { params: Float64Array; state: MomentState } {
  return adaptiveStep(params, delta, state, options, true);
}
