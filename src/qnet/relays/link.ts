/**
 * Entanglement distribution over one link: a source emitting photon pairs at
 * R_src pairs per second sends one photon down each arm (fiber or free
 * space) to the two end stations, which detect (or store) them.
 *
 *     p_det  = T_A eta_A T_B eta_B                      (both photons arrive and click)
 *     R_true = R_src p_det                              (heralded pairs from one pair)
 *     S_X    = R_src T_X eta_X + D_X                    (singles at end X, with dark counts D_X)
 *     R_acc  = S_A S_B tau                              (accidental coincidences in a window tau)
 *     R      = R_true + R_acc                           (heralded pair rate)
 *     w      = w_src (1 - 2 e_d) R_true / R             (Werner parameter of what is heralded)
 *
 * Accidental coincidences (dark counts, photons of different pairs) are
 * uncorrelated, so they are white noise: error 1/2 in every basis. The
 * misalignment e_d (probability that a photon of a true pair lands in the
 * wrong detector) is modelled as isotropic, which keeps the state Werner
 * (the twirl; see `werner.ts`); e = (1 - w) / 2 then equals
 * e_d R_true / R + R_acc / (2 R), the usual entanglement-based QBER of
 * X. Ma, C.-H. F. Fung & H.-K. Lo, PRA 76, 012307 (2007), with their
 * per-pulse probabilities replaced by continuous-wave rates.
 *
 * Simplifications: the source is continuous-wave and its pairs arrive as a
 * Poisson stream; R_acc = S_A S_B tau is the rate of chance coincidences of
 * two independent Poisson streams in a window of full width tau (it counts
 * the true pairs' photons among the singles, which is negligible when
 * R_true << S_A S_B tau or R_acc << R_true); multi-pair emission inside one
 * window beyond that is ignored; the end stations' "detection" may stand for
 * writing the photon into a memory (its efficiency is eta).
 *
 * @example
 * const link = entanglementLink({
 *   pairRateHz: 5.9e6,
 *   armA: { channel: { kind: 'loss', db: 35 }, detectorEfficiency: 0.5, darkCountsPerSecond: 100 },
 *   armB: { channel: { kind: 'loss', db: 35 }, detectorEfficiency: 0.5, darkCountsPerSecond: 100 },
 *   coincidenceWindowS: 2.5e-9,
 * });
 * link.heraldedRateHz; link.werner;
 */
import { QflError } from '../../util/errors.js';
import { checkNumber } from '../math.js';
import { channelLoss, type Channel } from './loss.js';
import { checkWerner, fidelityFromWerner } from './werner.js';

/** Default coincidence window, seconds: an assumed jitter-limited nanosecond window, not a measured value. */
export const DEFAULT_COINCIDENCE_WINDOW_S = 1e-9;

/** One arm of a link: the channel from the source to an end station and that station's detector. */
export interface Arm {
  readonly channel: Channel;
  /** Detection (or memory write) efficiency at the end station, in (0, 1]. */
  readonly detectorEfficiency: number;
  /** Dark (and background) counts per second at this station, all its detectors together (default 0). */
  readonly darkCountsPerSecond?: number;
}

export interface LinkSpec {
  /** Pairs emitted per second by the source, R_src. */
  readonly pairRateHz: number;
  readonly armA: Arm;
  readonly armB: Arm;
  /** Coincidence window tau (full width), seconds; default {@link DEFAULT_COINCIDENCE_WINDOW_S}. */
  readonly coincidenceWindowS?: number;
  /** Misalignment error e_d in [0, 1/2] (default 0). */
  readonly misalignment?: number;
  /** Werner parameter of the pairs as emitted (source visibility, default 1). */
  readonly sourceWerner?: number;
}

/** What a link delivers, and the pieces it came from. */
export interface Link {
  /** Channel transmittances T_A, T_B. */
  readonly transmittanceA: number;
  readonly transmittanceB: number;
  /** p_det = T_A eta_A T_B eta_B. */
  readonly detectionProbability: number;
  /** Coincidences from one and the same pair, per second. */
  readonly truePairRateHz: number;
  /** Chance coincidences, per second. */
  readonly accidentalRateHz: number;
  /** All heralded pairs, per second: true + accidental. */
  readonly heraldedRateHz: number;
  /** Werner parameter of a heralded pair. */
  readonly werner: number;
  /** Its fidelity with |Phi+>, (1 + 3 w) / 4. */
  readonly fidelity: number;
  /** Its error rate in any basis, (1 - w) / 2. */
  readonly qber: number;
}

/** Runs `fn`, putting `prefix.` before the field of any QflError it throws. */
export function prefixed<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof QflError) throw new QflError(`${prefix}.${e.field}`, e.detail);
    throw e;
  }
}

function armParts(arm: Arm, name: string): { t: number; eta: number; dark: number } {
  const t = prefixed(`${name}.channel`, () => channelLoss(arm.channel).transmittance);
  const eta = checkNumber(`${name}.detectorEfficiency`, arm.detectorEfficiency, 0, 1, { minOpen: true });
  const dark = checkNumber(`${name}.darkCountsPerSecond`, arm.darkCountsPerSecond ?? 0, 0, Number.MAX_VALUE);
  return { t, eta, dark };
}

/** Heralded pair rate and Werner parameter of one source-to-two-stations link (formulas above). */
export function entanglementLink(spec: LinkSpec): Link {
  const rSrc = checkNumber('pairRateHz', spec.pairRateHz, 0, Number.MAX_VALUE);
  const tau = checkNumber('coincidenceWindowS', spec.coincidenceWindowS ?? DEFAULT_COINCIDENCE_WINDOW_S, 0, 1);
  const ed = checkNumber('misalignment', spec.misalignment ?? 0, 0, 0.5);
  const w0 = checkWerner('sourceWerner', spec.sourceWerner ?? 1);
  const a = armParts(spec.armA, 'armA');
  const b = armParts(spec.armB, 'armB');
  const pDet = a.t * a.eta * b.t * b.eta;
  const truePairs = rSrc * pDet;
  const singlesA = rSrc * a.t * a.eta + a.dark;
  const singlesB = rSrc * b.t * b.eta + b.dark;
  const accidental = singlesA * singlesB * tau;
  const heralded = truePairs + accidental;
  const signalShare = heralded > 0 ? truePairs / heralded : 1;
  const werner = w0 * (1 - 2 * ed) * signalShare;
  return {
    transmittanceA: a.t,
    transmittanceB: b.t,
    detectionProbability: pDet,
    truePairRateHz: truePairs,
    accidentalRateHz: accidental,
    heraldedRateHz: heralded,
    werner,
    fidelity: fidelityFromWerner(werner),
    qber: (1 - werner) / 2,
  };
}
