import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';

/**
 * What a malicious client does to its honestly computed delta before it
 * leaves (the `attackUpdate` hook of a ClientApp). Pure functions: each
 * returns a fresh vector and never touches its input.
 */

function checkFinite(field: string, x: number): void {
  if (!Number.isFinite(x)) fail(field, `must be a finite number, got ${x}`);
}

/**
 * Sign flipping (Damaskinos et al. 2018; Allen-Zhu et al. 2021 use it as a
 * baseline): sends `-scale * u`, pushing the model up the loss.
 *
 * @example signFlip([1, -2]) // [-1, 2]
 */
export function signFlip(update: Float64Array, scale = 1): Float64Array {
  checkFinite('attack.scale', scale);
  if (!(scale > 0)) fail('attack.scale', `must be > 0, got ${scale}`);
  return update.map((x) => -scale * x);
}

/**
 * Scaled update, the model-replacement attack of Bagdasaryan et al. 2020
 * ("How To Backdoor Federated Learning", Eq. 3): to replace the global model
 * G by its own model X in a FedAvg round of n clients with server rate η, a
 * client sends γ (X - G) with γ = n / η. Here: `factor * u`.
 *
 * @example scaleUpdate([1, -2], 10) // [10, -20]
 */
export function scaleUpdate(update: Float64Array, factor: number): Float64Array {
  checkFinite('attack.factor', factor);
  return update.map((x) => factor * x);
}

/**
 * Gaussian noise (the "Gaussian" Byzantine worker of Blanchard et al. 2017
 * and Xie et al. 2018): `mode: 'replace'` (default) sends N(0, std²) in every
 * coordinate; `'add'` sends u + N(0, std²).
 */
export function gaussianUpdate(
  update: Float64Array,
  options: { readonly std: number; readonly mode?: 'replace' | 'add' },
  rng: Rng,
): Float64Array {
  const { std } = options;
  checkFinite('attack.std', std);
  if (!(std >= 0)) fail('attack.std', `must be >= 0, got ${std}`);
  const add = (options.mode ?? 'replace') === 'add';
  const out = new Float64Array(update.length);
  for (let j = 0; j < update.length; j++) out[j] = (add ? update[j]! : 0) + rng.normal(0, std);
  return out;
}

/** A free-rider / crashed client: the zero update. */
export function zeroUpdate(update: Float64Array): Float64Array {
  return new Float64Array(update.length);
}

/** Every coordinate set to `value` (a constant Byzantine vector). */
export function constantUpdate(update: Float64Array, value: number): Float64Array {
  checkFinite('attack.value', value);
  return new Float64Array(update.length).fill(value);
}

export interface AdaptiveNormOptions {
  /** The norm bound the attacker expects the server to enforce (norm_bound's max_norm, the DP clip norm). */
  readonly bound: number;
  /** Stay this fraction inside the bound: |sent| = (1 - margin) bound at most; default 0.01. */
  readonly margin?: number;
  /** Send -scale * estimate when that is shorter than the cap; default Infinity (always at the cap). */
  readonly scale?: number;
}

/**
 * An adaptive attack that stays just inside a norm bound: the opposite of
 * the attacker's estimate of the honest mean, as long as allowed,
 *
 *     sent = -e/|e| * min(scale |e|, (1 - margin) bound),
 *
 * so norm bounding and clipping never touch it while it pulls the aggregate
 * back as hard as the bound allows (in the spirit of Baruch et al. 2019, "A
 * Little Is Enough", and Fang et al. 2020's attacks that respect the
 * defence's acceptance rule). The estimate is usually the attacker's own
 * honestly trained delta. A zero estimate gives the zero update.
 */
export function adaptiveNormAttack(estimate: Float64Array, options: AdaptiveNormOptions): Float64Array {
  const { bound } = options;
  const margin = options.margin ?? 0.01;
  const scale = options.scale ?? Infinity;
  if (!(Number.isFinite(bound) && bound > 0)) fail('attack.bound', `must be a finite number > 0, got ${bound}`);
  if (!(Number.isFinite(margin) && margin >= 0 && margin < 1)) fail('attack.margin', `must be in [0, 1), got ${margin}`);
  if (!(scale > 0)) fail('attack.scale', `must be > 0, got ${scale}`);
  let s = 0;
  for (let j = 0; j < estimate.length; j++) s += estimate[j]! * estimate[j]!;
  const norm = Math.sqrt(s);
  const out = new Float64Array(estimate.length);
  if (norm === 0) return out;
  const length = Math.min(scale * norm, (1 - margin) * bound);
  const k = -length / norm;
  for (let j = 0; j < estimate.length; j++) out[j] = k * estimate[j]!;
  return out;
}
