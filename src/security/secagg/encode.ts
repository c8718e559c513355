import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { clipL2 } from '../../util/vectors.js';
import { addDistributedNoise } from './distributed-dp.js';
import { dequantizeSum, quantize, type QuantBits } from './quantize.js';

/**
 * What a client sends into secure aggregation and what the server makes of
 * the sum: the two halves of the secure-aggregation transform (the masks in
 * between are `protocol.ts`).
 *
 * Client (weighted, FedAvg's mean): with n_k its examples and W a public cap
 * on them (the largest partition), the client sends
 *
 *   Q( (n_k / W) clamp(delta_k, -c, c) ),  then n_k in base-2^q digits,
 *
 * q-bit levels throughout, so the count is masked with the update. The server
 * gets S = sum Q(...) and N = sum n_k (the digit sums recombined exactly),
 * and the mean is W * D(S) / N = sum n_k delta_k / sum n_k up to quantization
 * error: at most m c / L per client-sum entry (deterministic rounding), so
 * W m c / (L N) on the mean for m survivors (L = 2^q - 1).
 *
 * Unweighted (`weighted: false`, and always with distributed noise, whose
 * calibration assumes equal shares): Q(clamp(delta_k)) and the plain mean.
 *
 * Distributed DP (`noise`): before quantization each client clips its delta
 * to L2 norm clip_norm and adds N(0, sigma^2 / n), n the round's clients.
 */
export interface SecAggEncoding {
  readonly bits: QuantBits;
  /** Entries are clamped to [-clip, clip] before quantization. */
  readonly clip: number;
  readonly rounding: 'deterministic' | 'stochastic';
  /** Weight by examples; W, the cap on any client's examples (> 0). */
  readonly weightCap?: number;
  readonly noise?: { readonly sigma: number; readonly clipNorm: number; readonly clients: number };
}

/** Entries the count takes: base-2^q digits of numbers up to W. */
export function countDigits(e: SecAggEncoding): number {
  if (e.weightCap === undefined) return 0;
  let d = 1;
  while (2 ** (e.bits * d) <= e.weightCap) d++;
  return d;
}

/** Entries a client sends for a model of `paramCount` parameters. */
export const encodedLength = (e: SecAggEncoding, paramCount: number): number => paramCount + countDigits(e);

/** The client half: a delta and its example count to q-bit levels (count digits appended). */
export function encodeUpdate(delta: Float64Array, numExamples: number, e: SecAggEncoding, rng: Rng): Float64Array {
  let u = delta;
  if (e.noise) u = addDistributedNoise(clipL2(u, e.noise.clipNorm).out, { sigma: e.noise.sigma, clients: e.noise.clients }, rng.fork());
  const W = e.weightCap;
  const digits = countDigits(e);
  const out = new Float64Array(u.length + digits);
  const scaled = new Float64Array(u.length);
  if (W !== undefined && !(Number.isInteger(numExamples) && numExamples >= 0 && numExamples <= W)) {
    fail('numExamples', `must be an integer in [0, ${W}] (the weight cap), got ${numExamples}`);
  }
  const w = W === undefined ? 1 : numExamples / W;
  for (let k = 0; k < u.length; k++) scaled[k] = w * Math.max(-e.clip, Math.min(e.clip, u[k]!));
  const q =
    e.rounding === 'stochastic'
      ? quantize(scaled, { bits: e.bits, clip: e.clip, rounding: 'stochastic', rng })
      : quantize(scaled, { bits: e.bits, clip: e.clip, rounding: 'deterministic' });
  out.set(q);
  let n = numExamples;
  for (let d = 0; d < digits; d++) {
    out[u.length + d] = n % 2 ** e.bits;
    n = Math.floor(n / 2 ** e.bits);
  }
  return out;
}

/** The server half, on the sum of `survivors` encodings mod M: the mean delta and the examples behind it. */
export function decodeSum(sum: Float64Array, survivors: number, e: SecAggEncoding & { readonly modulus: number }): { readonly mean: Float64Array; readonly numExamples: number | undefined } {
  const digits = countDigits(e);
  const L = sum.length - digits;
  const total = dequantizeSum(sum.subarray(0, L), survivors, { bits: e.bits, clip: e.clip, modulus: e.modulus });
  if (e.weightCap === undefined) return { mean: total.map((v) => v / survivors), numExamples: undefined };
  let N = 0;
  for (let d = digits - 1; d >= 0; d--) N = N * 2 ** e.bits + sum[L + d]!;
  if (!(N > 0)) fail('secure_aggregation', `the survivors hold ${N} examples in all; no weighted mean`);
  const scale = e.weightCap / N;
  return { mean: total.map((v) => v * scale), numExamples: N };
}
