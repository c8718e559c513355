import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';

/**
 * Quantization of updates to q-bit unsigned integers, the Q_q / D_q of
 * QuNetQFL (Zhang et al. 2025, arXiv:2501.12709, Methods), so that updates can
 * be masked with one-time pads of q (plus a few) bits per element.
 *
 * The server sends a clipping range [-c, c]. Each entry x is clamped to it and
 * mapped onto the 2^q levels 0 .. L, L = 2^q - 1:
 *
 *   u = (clamp(x, -c, c) + c) * L / (2c),   Q(x) = round(u)
 *   D(k) = k * 2c / L - c                    (one step is 2c / L)
 *
 * Rounding is deterministic (nearest level, error <= c / L) or stochastic:
 * floor(u) + Bernoulli(u - floor(u)), so E[Q(x)] = u exactly (unbiased for x
 * inside the range; clamping biases entries outside it). Stochastic rounding
 * draws from the seeded `Rng` passed in: it is statistics, not key material.
 *
 * Sums. The server learns the sum of n quantized updates, each entry in
 * [0, L], so a sum entry lies in [0, n L]. The protocol works modulo
 *
 *   M = 2^(q + ceil(log2 n_max)) >= n_max * 2^q > n_max * L,
 *
 * which holds every such sum without wrapping, and `dequantizeSum` maps it back:
 * sum_i D(k_i) = S * 2c / L - n c. With more than `maxClientsFor(q, M)`
 * clients the sum wraps modulo M and is refused.
 *
 * Number representation (the choice the issue asks for): integers travel as
 * exact float64 values, never BigInt or Uint32. With q <= 32 and
 * n_max <= 10,000 the modulus is at most 2^(32 + 14) = 2^46, and the sum of
 * two residues stays below 2^47 < 2^53, so every add-then-reduce in the
 * protocol is exact; it also lets a quantized or masked update travel in the
 * federation's `Float64Array` messages unchanged. Uint32 could not hold a
 * 32-bit update plus the log2 n headroom, and BigInt would be about two orders
 * of magnitude slower.
 *
 * @example
 * const { modulus } = workingModulus(8, 100);                 // 2^(8 + 7) = 32768
 * const k = quantize(delta, { bits: 8, clip: 0.05, rounding: 'stochastic', rng });
 * const mean = dequantizeSum(sum, n, { bits: 8, clip: 0.05, modulus }).map((v) => v / n);
 */

/** The bit widths an update may be quantized to. */
export const QUANT_BITS = [4, 8, 16, 32] as const;
export type QuantBits = (typeof QUANT_BITS)[number];

export const ROUNDING_MODES = ['deterministic', 'stochastic'] as const;
export type Rounding = (typeof ROUNDING_MODES)[number];

/** The most clients whose sum the working modulus is sized for. */
export const MAX_CLIENTS = 10_000;

/** The range and width, as the server sends them. */
export interface QuantizationRange {
  /** One of QUANT_BITS in the protocol; any integer 1..32 for plain quantization. */
  readonly bits: QuantBits | number;
  /** Entries are clamped to [-clip, clip]. */
  readonly clip: number;
}

export type QuantizeOptions = QuantizationRange &
  (
    | { readonly rounding: 'deterministic' }
    | {
        readonly rounding: 'stochastic';
        /** The seeded generator that draws the rounding (statistics, never key material). */
        readonly rng: Pick<Rng, 'uniform'>;
      }
  );

/**
 * L for a range. The protocol's widths are QUANT_BITS (`workingModulus`
 * refuses others); quantize and dequantize themselves take any width 1..32,
 * so the inversion study's quantization defense is this same quantizer.
 */
function checkRange(r: QuantizationRange, strict = false): number {
  if (strict ? !(QUANT_BITS as readonly number[]).includes(r.bits) : !(Number.isInteger(r.bits) && r.bits >= 1 && r.bits <= 32)) {
    fail('quantize.bits', strict ? `must be one of ${QUANT_BITS.join(', ')}, got ${String(r.bits)}` : `must be an integer in [1, 32], got ${String(r.bits)}`);
  }
  if (!(Number.isFinite(r.clip) && r.clip > 0)) fail('quantize.clip', `must be a finite number > 0, got ${r.clip}`);
  return 2 ** r.bits - 1;
}

/** The largest level, L = 2^q - 1. */
export const levels = (bits: QuantBits | number): number => 2 ** bits - 1;

/** The distance between two neighbouring levels, 2c / (2^q - 1). */
export function quantizationStep(r: QuantizationRange): number {
  return (2 * r.clip) / checkRange(r);
}

/**
 * The protocol's working modulus for q-bit updates and up to `maxClients`
 * clients: M = 2^(q + ceil(log2 maxClients)), with its width in bits.
 *
 * @example workingModulus(8, 4) // { bits: 10, modulus: 1024 }
 */
export function workingModulus(bits: QuantBits, maxClients: number): { readonly bits: number; readonly modulus: number } {
  checkRange({ bits, clip: 1 }, true);
  if (!(Number.isInteger(maxClients) && maxClients >= 1 && maxClients <= MAX_CLIENTS)) {
    fail('maxClients', `must be an integer in 1..${MAX_CLIENTS}, got ${maxClients}`);
  }
  let headroom = 0;
  while (2 ** headroom < maxClients) headroom++;
  const width = bits + headroom;
  return { bits: width, modulus: 2 ** width };
}

/** How many q-bit updates can be summed modulo `modulus` without wrapping: floor((M - 1) / L). */
export function maxClientsFor(bits: QuantBits | number, modulus: number): number {
  return Math.floor((modulus - 1) / levels(bits));
}

/**
 * Q_q: clamps each entry to [-clip, clip] and maps it to an integer level in
 * [0, 2^q - 1] (exact float64). Rejects non-finite entries. Never mutates its
 * input; `out` may be passed to avoid allocating.
 */
export function quantize(update: ArrayLike<number>, opts: QuantizeOptions, out?: Float64Array): Float64Array {
  const L = checkRange(opts);
  const res = out ?? new Float64Array(update.length);
  if (res.length !== update.length) fail('quantize.out', `must have ${update.length} entries, has ${res.length}`);
  const c = opts.clip;
  const scale = L / (2 * c);
  const rng = opts.rounding === 'stochastic' ? opts.rng : undefined;
  if (!(ROUNDING_MODES as readonly string[]).includes(opts.rounding)) {
    fail('quantize.rounding', `must be one of ${ROUNDING_MODES.join(', ')}, got ${String(opts.rounding)}`);
  }
  // Callers from plain JavaScript or parsed config may omit the generator.
  const draw = (rng as { uniform?: unknown } | undefined)?.uniform;
  if (opts.rounding === 'stochastic' && typeof draw !== 'function') fail('quantize.rng', 'stochastic rounding needs a seeded Rng');
  for (let k = 0; k < update.length; k++) {
    const x = update[k]!;
    if (!Number.isFinite(x)) fail(`update[${k}]`, `is ${x}, not finite`);
    const u = ((x < -c ? -c : x > c ? c : x) + c) * scale;
    let level: number;
    if (rng === undefined) level = Math.round(u);
    else {
      const f = Math.floor(u);
      level = rng.uniform() < u - f ? f + 1 : f;
    }
    res[k] = level < 0 ? 0 : level > L ? L : level;
  }
  return res;
}

/**
 * D_q: integer levels back to values, k * 2c / L - c. Being affine with slope
 * and offset independent of the input, it also maps a weighted mean of levels
 * (weights summing to 1) to the same weighted mean of the values.
 */
export function dequantize(levelsIn: ArrayLike<number>, r: QuantizationRange): Float64Array {
  const L = checkRange(r);
  const out = new Float64Array(levelsIn.length);
  const step = (2 * r.clip) / L;
  for (let k = 0; k < levelsIn.length; k++) out[k] = levelsIn[k]! * step - r.clip;
  return out;
}

/**
 * The sum of `count` dequantized updates from the sum of their levels:
 * S * 2c / L - count * c. Divide by `count` for the mean. Refuses a count the
 * modulus cannot hold (the sum may have wrapped) and an entry outside
 * [0, count * L] (a wrapped or corrupted sum).
 */
export function dequantizeSum(
  sum: ArrayLike<number>,
  count: number,
  r: QuantizationRange & { readonly modulus: number },
): Float64Array {
  const L = checkRange(r);
  if (!(Number.isInteger(count) && count >= 1)) fail('dequantizeSum.count', `must be an integer >= 1, got ${count}`);
  const most = maxClientsFor(r.bits, r.modulus);
  if (count > most) {
    fail(
      'dequantizeSum.count',
      `${count} updates of ${r.bits} bits can wrap around modulus ${r.modulus} (it holds sums of at most ${most}); ` +
        'size the modulus with workingModulus(bits, maxClients)',
    );
  }
  const top = count * L;
  const step = (2 * r.clip) / L;
  const out = new Float64Array(sum.length);
  for (let k = 0; k < sum.length; k++) {
    const s = sum[k]!;
    if (!(Number.isInteger(s) && s >= 0 && s <= top)) {
      fail(`sum[${k}]`, `must be an integer in [0, ${top}] (${count} updates of at most ${L}), got ${s}`);
    }
    out[k] = s * step - count * r.clip;
  }
  return out;
}
