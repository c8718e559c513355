import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { clipL2 } from '../../util/vectors.js';
import { localDpNoise } from '../dp/local-noise.js';
import { dequantize, quantize } from '../secagg/quantize.js';

/**
 * The defenses a gradient-inversion experiment measures, as they act on what
 * the attacker sees. They are the federation's update transforms' own maths
 * (the security layer does not import the update layer above it): the one L2
 * clipper (`clipL2`), the local-DP noise of the `local_dp` transform
 * (`localDpNoise`), the quantizer of secure aggregation (`quantize`), and the
 * sum that secure aggregation leaves the server.
 *
 * - `dp`: clip the update to L2 norm `clip`, then add N(0, (noiseMultiplier ·
 *   clip)²) to every coordinate (the Gaussian mechanism, applied by each
 *   client: local DP as in DP-FedAvg's client-side variant).
 * - `quantize`: round every coordinate to the nearest of 2^bits levels evenly
 *   spaced on [−m, m], m = max |u_i| (m travels with the update).
 * - `secagg`: secure aggregation of `clients` clients; the attacker (the
 *   server) sees only the SUM of their (clipped, noised, quantized) updates.
 *   `attacker: 'union'` (default) reconstructs all clients' samples at once,
 *   simulating the sum exactly; `'single'` naively treats the sum as one
 *   client's update.
 */
export type DefenseStep =
  | { readonly kind: 'dp'; readonly clip: number; readonly noiseMultiplier: number }
  | { readonly kind: 'quantize'; readonly bits: number }
  | { readonly kind: 'secagg'; readonly clients: number; readonly attacker?: 'union' | 'single' };

/** Steps applied in order; `[]` is no defense. */
export type DefensePipeline = readonly DefenseStep[];

export function checkDefense(pipeline: DefensePipeline, field = 'defense'): void {
  let secagg = 0;
  pipeline.forEach((step, i) => {
    const f = `${field}[${i}]`;
    switch (step.kind) {
      case 'dp':
        if (!(step.clip > 0) || !Number.isFinite(step.clip)) fail(`${f}.clip`, `must be a finite number > 0, got ${step.clip}`);
        if (!(step.noiseMultiplier >= 0) || !Number.isFinite(step.noiseMultiplier)) {
          fail(`${f}.noiseMultiplier`, `must be a finite number >= 0, got ${step.noiseMultiplier}`);
        }
        return;
      case 'quantize':
        if (!Number.isInteger(step.bits) || step.bits < 1 || step.bits > 32) fail(`${f}.bits`, `must be an integer in [1, 32], got ${step.bits}`);
        return;
      case 'secagg':
        if (!Number.isInteger(step.clients) || step.clients < 1) fail(`${f}.clients`, `must be an integer >= 1, got ${step.clients}`);
        if (step.attacker !== undefined && step.attacker !== 'union' && step.attacker !== 'single') {
          fail(`${f}.attacker`, `must be 'union' or 'single', got '${String(step.attacker)}'`);
        }
        if (++secagg > 1) fail(f, 'secure aggregation may appear once in a pipeline');
        return;
      default:
        fail(`${f}.kind`, `must be one of dp, quantize, secagg, got '${String((step as { kind: unknown }).kind)}'`);
    }
  });
}

/** A copy of `u` scaled down to L2 norm at most `clip` (`clipL2`). */
export function clipUpdate(u: Float64Array, clip: number): Float64Array {
  return clipL2(u, clip).out;
}

/** A copy of `u` with N(0, std²) added to every coordinate. */
export function addGaussianNoise(u: Float64Array, std: number, rng: Rng): Float64Array {
  return u.map((v) => v + rng.normal(0, std));
}

/**
 * A copy of `u` rounded to 2^bits levels on [−m, m], m = max |u_i|:
 * level k is −m + k · 2m / (2^bits − 1). One bit keeps only signs (±m).
 */
export function quantizeUpdate(u: Float64Array, bits: number): Float64Array {
  let m = 0;
  for (let i = 0; i < u.length; i++) m = Math.max(m, Math.abs(u[i]!));
  if (m === 0) return u.slice();
  // Secure aggregation's quantizer with the range [-m, m] (m travels with the update).
  return dequantize(quantize(u, { bits, clip: m, rounding: 'deterministic' }), { bits, clip: m });
}

/** The per-client part of a pipeline (everything but secure aggregation), applied in order. */
export function applyClientDefenses(u: Float64Array, pipeline: DefensePipeline, rng: Rng): Float64Array {
  let out: Float64Array = u.slice();
  for (const step of pipeline) {
    switch (step.kind) {
      case 'dp':
        out = localDpNoise(out, { clipNorm: step.clip, noiseMultiplier: step.noiseMultiplier }, rng).update;
        break;
      case 'quantize':
        out = quantizeUpdate(out, step.bits);
        break;
      case 'secagg':
        break;
    }
  }
  return out;
}

/** The secure-aggregation step of a pipeline, if any. */
export function secaggStep(pipeline: DefensePipeline): Extract<DefenseStep, { kind: 'secagg' }> | undefined {
  return pipeline.find((s): s is Extract<DefenseStep, { kind: 'secagg' }> => s.kind === 'secagg');
}

/** Short label for tables: `none`, `dp(C=1,z=0.1)+secagg(4,union)`. */
export function formatDefense(pipeline: DefensePipeline): string {
  if (pipeline.length === 0) return 'none';
  return pipeline
    .map((s) => {
      switch (s.kind) {
        case 'dp':
          return `dp(C=${s.clip},z=${s.noiseMultiplier})`;
        case 'quantize':
          return `quantize(${s.bits}b)`;
        case 'secagg':
          return `secagg(${s.clients},${s.attacker ?? 'union'})`;
      }
    })
    .join('+');
}
