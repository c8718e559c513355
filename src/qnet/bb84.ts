/**
 * BB84 (Bennett & Brassard 1984) simulated one qubit at a time, with a
 * single-photon source, a lossy and noisy fiber, two threshold detectors, and
 * the full classical post-processing: sifting, QBER estimation on a random
 * sample (then discarded), abort above a threshold, Cascade error correction
 * with its leaked parities counted, and Toeplitz privacy amplification.
 *
 * Physics, per pulse:
 * - Alice picks a bit a and a basis (Z or X) at random and sends the
 *   polarization angle phi = basis pi/4 + a pi/2 (H, V, D, A).
 * - An intercept-resend Eve (optional, on a fraction of the pulses) measures
 *   in a random basis and resends the state she saw: on sifted bits she is in
 *   the wrong basis half the time and then causes an error half the time, so
 *   she adds 25 % QBER and the key is refused.
 * - The photon reaches a detector with probability eta = eta_det 10^(-alpha L/10).
 * - Misalignment rotates the polarization by theta with sin^2 theta = e_d, so
 *   a photon measured in its own basis lands in the wrong detector with
 *   probability e_d (Born rule: P(0) = cos^2(phi - basis_Bob pi/4)).
 * - Each of Bob's two detectors fires a dark count with probability p_d per
 *   gate. Two clicks at once are assigned a random bit (squashing model).
 *
 * Detection events are rare, so the simulation jumps from one to the next by
 * geometric gaps (three independent Bernoulli streams: photon arrival, dark
 * count in detector 0, in detector 1) and only draws Alice's and Bob's
 * choices for pulses that produce a click; undetected pulses leave no record,
 * so their bits and bases need never be drawn. The cost is O(detections), not
 * O(pulses).
 *
 * The channel defaults are the GYS parameters (see `rates.ts`), with
 * p_d = Y0 / 2 per detector.
 *
 * @example
 * const r = runBb84({ pulses: 1e6, distanceKm: 25, rng: new Rng(1) });
 * r.status === 'ok' && r.finalKeyLength > 0;
 */
import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { packBits } from './bits.js';
import { cascade } from './cascade.js';
import { checkNumber, transmittance } from './math.js';
import { DEFAULT_SECURITY_MARGIN_BITS, secretKeyLength, toeplitzHash, toeplitzSeed } from './privacy.js';
import { GYS_PARAMS } from './rates.js';

export interface Bb84Options {
  /** Single photons Alice sends. */
  readonly pulses: number;
  /** Fiber length, km. */
  readonly distanceKm: number;
  /** The generator for everything random (physics and the public post-processing choices). */
  readonly rng: Rng;
  /** Fiber loss (default 0.21 dB/km, GYS). */
  readonly alphaDbPerKm?: number;
  /** Bob's detection efficiency, optics included (default 0.045, GYS). */
  readonly etaDetector?: number;
  /** Dark-count probability per detector per gate (default 8.5e-7 = GYS Y0 / 2). */
  readonly darkCountProbability?: number;
  /** Misalignment error e_d (default 0.033, GYS). */
  readonly eDetector?: number;
  /** Fraction of sifted bits disclosed to estimate the QBER (default 0.1). */
  readonly sampleFraction?: number;
  /** Abort when the estimated QBER exceeds this (default 0.11). */
  readonly qberThreshold?: number;
  /** Cascade passes (default 4). */
  readonly cascadePasses?: number;
  /** Subtracted from the key length: 2 log2(1/eps_PA), default 67 (eps_PA = 1e-10). */
  readonly securityMarginBits?: number;
  /** Fraction of pulses an intercept-resend Eve measures and resends (0: no Eve, 1: all). */
  readonly eveFraction?: number;
}

export const ABORT_REASONS = ['no-detections', 'qber-above-threshold', 'error-correction-failed', 'no-secret-key'] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

export interface Bb84Counts {
  readonly sent: number;
  /** Pulses with at least one click. */
  readonly detected: number;
  /** Of those, clicks in both detectors (random bit assigned). */
  readonly doubleClicks: number;
  /** Detections with no photon, only dark counts. */
  readonly darkOnly: number;
  /** Pulses Eve measured and resent (and that were detected). */
  readonly intercepted: number;
  /** Detections where Alice's and Bob's bases agree. */
  readonly sifted: number;
  /** Sifted bits disclosed to estimate the QBER, then discarded. */
  readonly sampleSize: number;
  readonly sampleErrors: number;
  /** Estimated QBER: sampleErrors / sampleSize. */
  readonly qber: number;
  /** Error rate of the kept sifted bits, known only to the simulation. */
  readonly trueQber: number;
  /** Bits entering error correction (sifted - sample). */
  readonly reconciledBits: number;
  /** Parities disclosed by Cascade. */
  readonly leakedBits: number;
  /** Bits Cascade flipped, and errors left after it (0 when it worked). */
  readonly correctedErrors: number;
  readonly residualErrors: number;
  readonly securityMarginBits: number;
  /** Length of the final secret key, bits. */
  readonly finalKeyLength: number;
}

export type Bb84Result =
  | (Bb84Counts & { readonly status: 'ok'; readonly key: Uint8Array })
  | (Bb84Counts & { readonly status: 'aborted'; readonly reason: AbortReason; readonly key: Uint8Array });

/** Number of failures before the first success of a Bernoulli(p) stream. */
function geometric(rng: Rng, p: number): number {
  if (p <= 0) return Infinity;
  if (p >= 1) return 0;
  const u = rng.uniform();
  return Math.floor(Math.log1p(-u) / Math.log1p(-p));
}

/** Growable byte list. */
class Bytes {
  data = new Uint8Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint8Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): Uint8Array {
    return this.data.subarray(0, this.length);
  }
}

/** Runs one BB84 session and returns every count along the way and the key (packed, LSB first). */
export function runBb84(options: Bb84Options): Bb84Result {
  const rng = options.rng;
  const pulses = options.pulses;
  if (!Number.isInteger(pulses) || pulses < 1 || pulses > 1e10) fail('pulses', `must be an integer in [1, 1e10], got ${pulses}`);
  const distanceKm = checkNumber('distanceKm', options.distanceKm, 0, 1e5);
  const alpha = checkNumber('alphaDbPerKm', options.alphaDbPerKm ?? GYS_PARAMS.alphaDbPerKm, 0, 100);
  const etaDet = checkNumber('etaDetector', options.etaDetector ?? GYS_PARAMS.etaDetector, 0, 1);
  const pd = checkNumber('darkCountProbability', options.darkCountProbability ?? GYS_PARAMS.y0 / 2, 0, 1, { maxOpen: true });
  const ed = checkNumber('eDetector', options.eDetector ?? GYS_PARAMS.eDetector, 0, 0.5);
  const sampleFraction = checkNumber('sampleFraction', options.sampleFraction ?? 0.1, 0, 1, { minOpen: true, maxOpen: true });
  const threshold = checkNumber('qberThreshold', options.qberThreshold ?? 0.11, 0, 0.5);
  const margin = checkNumber('securityMarginBits', options.securityMarginBits ?? DEFAULT_SECURITY_MARGIN_BITS, 0, 1e9);
  const eveFraction = checkNumber('eveFraction', options.eveFraction ?? 0, 0, 1);

  // ---- quantum phase: only pulses with a click are simulated in full ----
  const eta = etaDet * transmittance(distanceKm, alpha);
  const theta = Math.asin(Math.sqrt(ed));
  const aBit = new Bytes();
  const aBasis = new Bytes();
  const bBit = new Bytes();
  const bBasis = new Bytes();
  let doubleClicks = 0;
  let darkOnly = 0;
  let intercepted = 0;
  let nextPhoton = geometric(rng, eta);
  let nextDark0 = geometric(rng, pd);
  let nextDark1 = geometric(rng, pd);
  for (;;) {
    const i = Math.min(nextPhoton, nextDark0, nextDark1);
    if (!(i < pulses)) break;
    const photon = nextPhoton === i;
    let click0 = nextDark0 === i;
    let click1 = nextDark1 === i;
    if (photon) nextPhoton = i + 1 + geometric(rng, eta);
    if (click0) nextDark0 = i + 1 + geometric(rng, pd);
    if (click1) nextDark1 = i + 1 + geometric(rng, pd);

    const word = rng.nextUint32();
    const a = word & 1;
    const aliceBasis = (word >>> 1) & 1;
    const bobBasis = (word >>> 2) & 1;
    if (photon) {
      let phi = (aliceBasis * Math.PI) / 4 + (a * Math.PI) / 2;
      if (eveFraction > 0 && rng.uniform() < eveFraction) {
        const eveBasis = (word >>> 3) & 1;
        const c = Math.cos(phi - (eveBasis * Math.PI) / 4);
        const seen = rng.uniform() < c * c ? 0 : 1;
        phi = (eveBasis * Math.PI) / 4 + (seen * Math.PI) / 2;
        intercepted++;
      }
      phi += theta;
      const c = Math.cos(phi - (bobBasis * Math.PI) / 4);
      if (rng.uniform() < c * c) click0 = true;
      else click1 = true;
    } else darkOnly++;
    let b: number;
    if (click0 && click1) {
      doubleClicks++;
      b = (word >>> 4) & 1;
    } else b = click1 ? 1 : 0;
    aBit.push(a);
    aBasis.push(aliceBasis);
    bBit.push(b);
    bBasis.push(bobBasis);
  }
  const detected = aBit.length;

  // ---- sifting: keep the pulses where the bases agree ----
  const siftedA = new Bytes();
  const siftedB = new Bytes();
  const ab = aBasis.view();
  const bb = bBasis.view();
  const abit = aBit.view();
  const bbit = bBit.view();
  for (let k = 0; k < detected; k++) {
    if (ab[k] === bb[k]) {
      siftedA.push(abit[k]!);
      siftedB.push(bbit[k]!);
    }
  }
  const sifted = siftedA.length;

  // ---- parameter estimation: disclose a random sample, then drop it ----
  const sampleSize = sifted === 0 ? 0 : Math.max(1, Math.round(sampleFraction * sifted));
  const order = rng.permutation(sifted); // the first sampleSize indices are disclosed
  let sampleErrors = 0;
  const sa = siftedA.view();
  const sb = siftedB.view();
  for (let k = 0; k < sampleSize; k++) sampleErrors += sa[order[k]!]! ^ sb[order[k]!]!;
  const qber = sampleSize > 0 ? sampleErrors / sampleSize : 0;
  const keep = Int32Array.from(order.subarray(sampleSize)).sort();
  const n = keep.length;
  const alice = new Uint8Array(n);
  const bob = new Uint8Array(n);
  let trueErrors = 0;
  for (let k = 0; k < n; k++) {
    alice[k] = sa[keep[k]!]!;
    bob[k] = sb[keep[k]!]!;
    trueErrors += alice[k]! ^ bob[k]!;
  }

  const counts = {
    sent: pulses,
    detected,
    doubleClicks,
    darkOnly,
    intercepted,
    sifted,
    sampleSize,
    sampleErrors,
    qber,
    trueQber: n > 0 ? trueErrors / n : 0,
    reconciledBits: n,
    leakedBits: 0,
    correctedErrors: 0,
    residualErrors: trueErrors,
    securityMarginBits: margin,
    finalKeyLength: 0,
  };
  const empty = new Uint8Array(0);
  if (n === 0) return { ...counts, status: 'aborted', reason: 'no-detections', key: empty };
  if (qber > threshold) return { ...counts, status: 'aborted', reason: 'qber-above-threshold', key: empty };

  // ---- error correction ----
  const ec = cascade(alice, bob, { qber, rng, ...(options.cascadePasses !== undefined ? { passes: options.cascadePasses } : {}) });
  let residual = 0;
  for (let k = 0; k < n; k++) residual += alice[k]! ^ ec.corrected[k]!;
  const corrected = { ...counts, leakedBits: ec.leakedBits, correctedErrors: ec.flips, residualErrors: residual };
  // A real system checks the keys with a short hash here; the simulation compares them directly.
  if (residual > 0) return { ...corrected, status: 'aborted', reason: 'error-correction-failed', key: empty };

  // ---- privacy amplification ----
  const m = secretKeyLength({ reconciledBits: n, qber, leakedBits: ec.leakedBits, securityMarginBits: margin });
  if (m === 0) return { ...corrected, status: 'aborted', reason: 'no-secret-key', key: empty };
  const key = packBits(toeplitzHash(alice, m, toeplitzSeed(n, m, rng)));
  return { ...corrected, finalKeyLength: m, status: 'ok', key };
}
