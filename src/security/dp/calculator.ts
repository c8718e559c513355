import { fail } from '../../util/errors.js';
import { computeRdp, DEFAULT_ORDERS, epsilonFromRdp, type Conversion } from './accountant.js';

/**
 * The privacy calculator behind `qfl privacy`: TF Privacy's
 * `compute_dp_sgd_privacy` and Opacus's `get_noise_multiplier`, on the same
 * RDP accountant the runs use (`accountant.ts`).
 */

export interface SgmSettings {
  /** q: the chance that one record (or client) takes part in a step. */
  readonly sampleRate: number;
  /** T: steps (DP-SGD) or rounds (DP-FedAvg). */
  readonly steps: number;
  readonly delta: number;
  readonly conversion?: Conversion;
  readonly orders?: readonly number[];
}

export interface EpsilonResult {
  readonly epsilon: number;
  /** The RDP order that gives epsilon. */
  readonly order: number;
}

/**
 * Steps and sampling rate of `epochs` passes over `datasetSize` records in
 * batches of `batchSize`: q = B/N, T = ceil(E·N/B), as TF Privacy's
 * `compute_dp_sgd_privacy` counts them (epochs may be fractional).
 */
export function dpSgdSteps(epochs: number, batchSize: number, datasetSize: number): { readonly sampleRate: number; readonly steps: number } {
  if (!(Number.isInteger(datasetSize) && datasetSize >= 1)) fail('dataset_size', `must be an integer >= 1, got ${datasetSize}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= datasetSize)) {
    fail('batch_size', `must be an integer in [1, dataset_size = ${datasetSize}], got ${batchSize}`);
  }
  if (!(Number.isFinite(epochs) && epochs > 0)) fail('epochs', `must be a number > 0, got ${epochs}`);
  return { sampleRate: batchSize / datasetSize, steps: Math.ceil((epochs * datasetSize) / batchSize) };
}

/** (ε, order) after T steps of the sampled Gaussian mechanism with noise multiplier z. */
export function sgmEpsilon(s: SgmSettings & { readonly noiseMultiplier: number }): EpsilonResult {
  const orders = s.orders ?? DEFAULT_ORDERS;
  return epsilonFromRdp(orders, computeRdp(s.sampleRate, s.noiseMultiplier, s.steps, orders), s.delta, s.conversion ?? 'improved');
}

/** Relative width at which the noise search stops: z is found to 1e-4 of itself. */
const NOISE_TOLERANCE = 1e-4;
/** Beyond this noise multiplier the search gives up: no useful training has it. */
const MAX_NOISE = 1e4;

/**
 * The smallest noise multiplier z (to within 1e-4 relative, rounded up so
 * the target holds) for which T steps at rate q are (ε, δ)-DP. Bisection:
 * ε falls as z grows.
 */
export function sgmNoiseMultiplier(s: SgmSettings & { readonly epsilon: number }): EpsilonResult & { readonly noiseMultiplier: number } {
  if (!(Number.isFinite(s.epsilon) && s.epsilon > 0)) fail('epsilon', `must be a number > 0, got ${s.epsilon}`);
  const at = (z: number): EpsilonResult => sgmEpsilon({ ...s, noiseMultiplier: z });
  let hi = 1;
  let hiEps = at(hi);
  while (hiEps.epsilon > s.epsilon) {
    hi *= 2;
    if (hi > MAX_NOISE) fail('epsilon', `${s.epsilon} needs a noise multiplier above ${MAX_NOISE} at q = ${s.sampleRate}, ${s.steps} steps, delta = ${s.delta}`);
    hiEps = at(hi);
  }
  let lo = hi === 1 ? 0 : hi / 2;
  while (hi - lo > NOISE_TOLERANCE * hi) {
    const mid = (lo + hi) / 2;
    const e = at(mid);
    if (e.epsilon > s.epsilon) lo = mid;
    else {
      hi = mid;
      hiEps = e;
    }
  }
  return { noiseMultiplier: hi, ...hiEps };
}
