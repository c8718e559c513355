import { z } from 'zod';
import { decodeSum, encodedLength, encodeUpdate, type SecAggEncoding } from '../../security/secagg/encode.js';
import { MAX_CLIENTS, workingModulus } from '../../security/secagg/quantize.js';
import { defineTransform, mustComeLast, type TransformDef } from '../transform.js';

/**
 * Secure aggregation as a pipeline transform (QuNetQFL, paper 002). The
 * client step clamps the delta to [-clip, clip], scales it by n_k / W
 * (weighted: W = weight_cap), quantizes it to `bits`-bit levels and appends
 * its example count in base-2^bits digits (`security/secagg/encode.ts`). The
 * levels are then masked by the SecAgg+ round (`fl/secure.ts` runs it): the
 * server only ever holds their sum, so the inverse runs on the aggregate:
 * dequantize, divide by the examples (or the survivors), and report
 * `num_examples`. Must be the last step: nothing per update can follow a mask.
 *
 * @example pipeline: [{ type: secagg, bits: 8, clip: 0.5, rounding: stochastic, max_clients: 200, weight_cap: 600 }]
 */
export const secaggTransform: TransformDef = defineTransform({
  type: 'secagg',
  summary: 'secure aggregation: clamp, weight by examples, quantize to bits-bit levels (masked by the SecAgg+ round; inverse on the sum)',
  inverseOn: 'aggregate',
  params: z.object({
    bits: z.union([z.literal(4), z.literal(8), z.literal(16), z.literal(32)]),
    clip: z.number().gt(0, 'must be > 0'),
    rounding: z.enum(['deterministic', 'stochastic']),
    /** Clients whose sum the modulus must hold. */
    max_clients: z.number().int().min(1).max(MAX_CLIENTS),
    /** Weighted mean: the largest example count any client may report. */
    weight_cap: z.number().int().min(1).optional(),
    noise: z.object({ sigma: z.number().gt(0), clip_norm: z.number().gt(0), clients: z.number().int().min(1) }).strict().optional(),
  }),
  checkOrder: mustComeLast,
  create: (p) => {
    const e: SecAggEncoding = {
      bits: p.bits,
      clip: p.clip,
      rounding: p.rounding,
      ...(p.weight_cap !== undefined ? { weightCap: p.weight_cap } : {}),
      ...(p.noise ? { noise: { sigma: p.noise.sigma, clipNorm: p.noise.clip_norm, clients: p.noise.clients } } : {}),
    };
    const { modulus } = workingModulus(p.bits, p.max_clients);
    return {
      type: 'secagg',
      name: `secagg(bits=${p.bits}, clip=${p.clip}${p.weight_cap !== undefined ? ', weighted' : ''})`,
      inverseOn: 'aggregate',
      outputLength: (n) => encodedLength(e, n),
      client: (update, ctx) => encodeUpdate(update, ctx.numExamples, e, ctx.rng),
      server(x, ctx) {
        if (ctx.stage !== 'aggregate') return x;
        const d = decodeSum(x, ctx.clientIds.length, { ...e, modulus });
        if (d.numExamples !== undefined) ctx.report['num_examples'] = d.numExamples;
        return d.mean;
      },
    };
  },
});
