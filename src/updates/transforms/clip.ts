import { z } from 'zod';
import { clipL2 } from '../../util/vectors.js';
import { defineTransform } from '../transform.js';


/**
 * L2 clipping of the delta, `u * min(1, C / |u|_2)` (Abadi et al. 2016;
 * Flower's `fixedclipping_mod`; `clipL2`). An update already within the bound
 * leaves unchanged (the same array). The server's inverse is the identity. Reports
 * `clip_norm` (the norm before clipping) and `clipped` (1 or 0).
 */
export const clipTransform = defineTransform({
  type: 'clip',
  summary: 'L2-clip the update to max_norm',
  inverseOn: 'update',
  params: z.object({ max_norm: z.number().gt(0, 'must be > 0') }),
  create: ({ max_norm }) => ({
    type: 'clip',
    name: `clip(max_norm=${max_norm})`,
    inverseOn: 'update',
    client(update, ctx) {
      const c = clipL2(update, max_norm);
      ctx.metrics['clip_norm'] = c.norm;
      ctx.metrics['clipped'] = c.clipped ? 1 : 0;
      return c.clipped ? c.out : update;
    },
    server: (x) => x,
  }),
});
