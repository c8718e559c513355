import { z } from 'zod';
import { localDpNoise } from '../../security/dp/local-noise.js';
import { NOISE_SOURCES, OsRng } from '../../util/os-random.js';
import { defineTransform, type TransformDef } from '../transform.js';

/**
 * Local DP as an update-pipeline transform (Flower's `LocalDpMod`): each
 * client clips its own delta to C and adds N(0, (z C)²) to every coordinate
 * before it leaves, so the server (and anyone on the wire) only ever sees a
 * noised update:
 *
 *     sent = clip(Δ, C) + N(0, (z C)² I).
 *
 * The server's inverse is the identity (the noise cannot be taken off), run
 * per update, so it composes with robust aggregators and goes before a
 * secure-aggregation mask. Reports `clip_norm` (the norm before clipping),
 * `clipped` (1 or 0) and `dp_noise_std`.
 *
 * `noise_source` says where the noise comes from: `seeded` (the transform's
 * seeded stream `ClientContext.rng`, from the round's seed: reproducible
 * simulations, the default of `qfl run`; whoever knows the seed can subtract
 * the noise) or `os` (the operating system's cryptographic generator, `OsRng`).
 * Deployed nodes always use `os` and refuse `seeded` (transport/deployment-noise.ts),
 * because there the server chooses the seed.
 *
 * Privacy of one release: a Gaussian mechanism with std z C. Two different
 * local datasets can move the clipped update by up to 2C, so per round it is
 * RDP(α) = α / (2 (z/2)²); compose over the rounds the client took part in
 * with `computeRdp(1, z / 2, rounds)` (no amplification by sampling: the
 * server sees who took part).
 *
 * A built-in: worker threads know it too. The maths is `localDpNoise`
 * (security/dp/local-noise.ts).
 *
 * @example pipeline: [{ type: local_dp, clip_norm: 1.0, noise_multiplier: 0.8 }]
 */
export const localDpTransform: TransformDef = defineTransform({
  type: 'local_dp',
  summary: 'local DP: clip the update to clip_norm and add Gaussian noise of std noise_multiplier * clip_norm',
  inverseOn: 'update',
  params: z.object({
    clip_norm: z.number().gt(0, 'must be > 0'),
    noise_multiplier: z.number().min(0, 'must be >= 0'),
    noise_source: z.enum(NOISE_SOURCES).optional(),
  }),
  create: ({ clip_norm, noise_multiplier, noise_source }) => ({
    type: 'local_dp',
    name: `local_dp(clip_norm=${clip_norm}, noise_multiplier=${noise_multiplier})`,
    inverseOn: 'update',
    client(update, ctx) {
      const rng = noise_source === 'os' ? new OsRng() : ctx.rng;
      const r = localDpNoise(update, { clipNorm: clip_norm, noiseMultiplier: noise_multiplier }, rng);
      ctx.metrics['clip_norm'] = r.norm;
      ctx.metrics['clipped'] = r.clipped ? 1 : 0;
      ctx.metrics['dp_noise_std'] = r.std;
      return r.update;
    },
    server: (x) => x,
  }),
});

