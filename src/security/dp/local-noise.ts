import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { clipToNorm } from '../robust/clipping.js';

/**
 * Local DP on one client's delta (the maths of `localDpTransform`, with no
 * dependency on the update pipeline):
 *
 *     sent = clip(Δ, C) + N(0, (z C)² I).
 *
 * Returns the noised update (fresh), the norm before clipping, whether it
 * was clipped, and the noise std z C.
 */
export function localDpNoise(
  update: Float64Array,
  o: { readonly clipNorm: number; readonly noiseMultiplier: number },
  rng: Rng,
): { readonly update: Float64Array; readonly norm: number; readonly clipped: boolean; readonly std: number } {
  if (!(Number.isFinite(o.clipNorm) && o.clipNorm > 0)) fail('clip_norm', `must be a finite number > 0, got ${o.clipNorm}`);
  if (!(Number.isFinite(o.noiseMultiplier) && o.noiseMultiplier >= 0)) {
    fail('noise_multiplier', `must be a finite number >= 0, got ${o.noiseMultiplier}`);
  }
  const c = clipToNorm(update, o.clipNorm);
  const std = o.noiseMultiplier * o.clipNorm;
  const out = c.out;
  if (std > 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! + rng.normal(0, std);
  return { update: out, norm: c.norm, clipped: c.clipped, std };
}
