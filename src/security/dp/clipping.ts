import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { clipToNorm } from '../robust/clipping.js';

/**
 * Per-client L2 clipping for client-level DP: fixed (Abadi et al. 2016;
 * McMahan et al. 2018) or adaptive, tracking a quantile of the update norms
 * privately (Andrew, Thakkar, McMahan & Ramaswamy 2021, "Differentially
 * Private Learning with Adaptive Clipping").
 */

/** Clips every update to `clipNorm`: the clipped copies, their norms before clipping, and how many were clipped. */
export function clipUpdates(
  updates: readonly Float64Array[],
  clipNorm: number,
): { readonly clipped: Float64Array[]; readonly norms: number[]; readonly clippedCount: number } {
  if (!(Number.isFinite(clipNorm) && clipNorm > 0)) fail('clip_norm', `must be a finite number > 0, got ${clipNorm}`);
  const clipped: Float64Array[] = [];
  const norms: number[] = [];
  let clippedCount = 0;
  for (const u of updates) {
    const c = clipToNorm(u, clipNorm);
    clipped.push(c.out);
    norms.push(c.norm);
    if (c.clipped) clippedCount++;
  }
  return { clipped, norms, clippedCount };
}

export interface AdaptiveClipOptions {
  /** Target quantile γ of the update norms, in (0, 1); default 0.5 (the median, as in the paper's experiments). */
  readonly targetQuantile?: number;
  /** Learning rate η_C of the geometric update; default 0.2 (the paper's choice). */
  readonly lr?: number;
  /**
   * Standard deviation σ_b of the noise on the count of unclipped updates;
   * the paper uses (expected clients) / 20. 0 turns the noise off.
   */
  readonly countStd: number;
}

export function checkAdaptiveClip(o: AdaptiveClipOptions): { readonly gamma: number; readonly lr: number; readonly countStd: number } {
  const gamma = o.targetQuantile ?? 0.5;
  const lr = o.lr ?? 0.2;
  if (!(gamma > 0 && gamma < 1)) fail('target_quantile', `must be in (0, 1), got ${gamma}`);
  if (!(Number.isFinite(lr) && lr > 0)) fail('clip_lr', `must be a finite number > 0, got ${lr}`);
  if (!(Number.isFinite(o.countStd) && o.countStd >= 0)) fail('count_std', `must be a finite number >= 0, got ${o.countStd}`);
  return { gamma, lr, countStd: o.countStd };
}

/**
 * One step of the private quantile estimate (Andrew et al. 2021, Alg. 1).
 * Each client reports b_i = 1[|Δ_i| <= C]; centred as b_i - 1/2 the sum has
 * sensitivity 1/2, and the server releases
 *
 *     b̃ = (Σ_i (b_i - 1/2) + N(0, σ_b²)) / m + 1/2
 *
 * (m the number of clients this round, or the expected number), then moves
 * the clip norm geometrically towards the γ-quantile,
 *
 *     C ← C · exp(-η_C (b̃ - γ)).
 *
 * Too many updates fit (b̃ > γ): C shrinks; too few: it grows.
 */
export function adaptiveClipStep(
  clipNorm: number,
  norms: readonly number[],
  options: AdaptiveClipOptions & { readonly denominator?: number },
  rng: Rng,
): { readonly clipNorm: number; readonly fraction: number; readonly noisyFraction: number } {
  if (!(Number.isFinite(clipNorm) && clipNorm > 0)) fail('clip_norm', `must be a finite number > 0, got ${clipNorm}`);
  const { gamma, lr, countStd } = checkAdaptiveClip(options);
  if (norms.length === 0) fail('norms', 'need at least one client norm');
  const m = options.denominator ?? norms.length;
  if (!(Number.isFinite(m) && m > 0)) fail('denominator', `must be a finite number > 0, got ${m}`);
  let centred = 0;
  let fits = 0;
  for (const r of norms) {
    if (!(r >= 0)) fail('norms', `must be numbers >= 0, got ${r}`);
    const b = r <= clipNorm ? 1 : 0;
    fits += b;
    centred += b - 0.5;
  }
  const noisy = (countStd > 0 ? centred + rng.normal(0, countStd) : centred) / m + 0.5;
  return { clipNorm: clipNorm * Math.exp(-lr * (noisy - gamma)), fraction: fits / norms.length, noisyFraction: noisy };
}

/**
 * The noise multiplier left for the update sum when the count query also
 * spends privacy (Andrew et al. 2021, Thm. 1): releasing the update sum
 * with multiplier z_Δ and the centred count with std σ_b is one Gaussian
 * mechanism of multiplier z = (z_Δ^-2 + (2σ_b)^-2)^-1/2, so for a target z
 *
 *     z_Δ = (z^-2 - (2σ_b)^-2)^-1/2,
 *
 * which needs 2σ_b > z.
 */
export function updateNoiseMultiplier(z: number, countStd: number): number {
  if (!(Number.isFinite(z) && z >= 0)) fail('noise_multiplier', `must be a finite number >= 0, got ${z}`);
  if (z === 0) return 0;
  if (!(2 * countStd > z)) {
    fail(
      'count_std',
      `must exceed noise_multiplier / 2 = ${z / 2} so that the count does not use up the whole budget, ` +
        `got ${countStd} (the paper uses clients per round / 20)`,
    );
  }
  return 1 / Math.sqrt(z ** -2 - (2 * countStd) ** -2);
}
