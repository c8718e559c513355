/**
 * Photon loss on the links of a space-air-ground network, as a transmittance
 * T in [0, 1] (the probability that a photon sent into the channel reaches
 * the receiver's optics; detector efficiency is counted elsewhere).
 *
 * Fiber (Beer-Lambert with a loss coefficient in dB/km):
 *
 *     T_fiber = 10^(-alpha L / 10)                          (default alpha 0.2 dB/km)
 *
 * Free space: diffraction at the telescopes, atmospheric extinction, and a
 * flat extra loss (pointing, turbulence, receiver optics) in dB:
 *
 *     T_fs = T_diffraction * T_atmosphere * 10^(-extra / 10)
 *
 * Diffraction, two models:
 * - `far-field` (default): the Friis transmission formula (H. T. Friis, "A
 *   note on a simple transmission formula", Proc. IRE 34, 254 (1946)) with
 *   the apertures' areas A = pi D^2 / 4 as effective areas,
 *       T = min(1, A_t A_r / (lambda L)^2) = min(1, (pi D_t D_r / (4 lambda L))^2).
 *   It holds in the far field (L >> D_t D_r / lambda) and is capped at 1
 *   nearer, where it is a crude stand-in. The rougher estimate
 *   (D_t D_r / (lambda L))^2 (beam spread lambda L / D_t over the receiver)
 *   is larger by (4 / pi)^2 = 1.62, about 2.1 dB.
 * - `gaussian`: a Gaussian beam of waist w0 (default D_t / 2) caught by a
 *   circular receiver of radius a = D_r / 2 (A. E. Siegman, "Lasers",
 *   University Science Books (1986), Ch. 17):
 *       z_R = pi w0^2 / lambda,  w(L) = w0 sqrt(1 + (L / z_R)^2),
 *       T = 1 - exp(-2 a^2 / w(L)^2).
 *   Valid at every range (a short air-to-air hop as well as a downlink); the
 *   truncation of the beam by the transmitting aperture is ignored. Far away
 *   T -> 2 a^2 / w^2 = pi^2 w0^2 D_r^2 / (2 lambda^2 L^2): with w0 = D_t / 2
 *   that is twice the Friis value (an untruncated Gaussian concentrates more
 *   power on axis than a uniformly lit aperture's Airy pattern).
 *
 * Atmosphere, two kinds:
 * - `column` (a ground or low-altitude station to space): extinction grows
 *   with the air mass X(elevation), the path length through the atmosphere
 *   relative to the zenith path (Beer-Lambert):
 *       T = 10^(-A_zenith X / 10),
 *   with A_zenith the zenith attenuation in dB at the wavelength (a site and
 *   weather property; no default is assumed here). X is either the
 *   plane-parallel 1 / sin(elevation) (a flat, layered atmosphere; infinite
 *   at the horizon) or, by default, the fit of F. Kasten and A. T. Young,
 *   "Revised optical air mass tables and approximation formula", Appl. Opt.
 *   28, 4735 (1989), to air masses computed through the ISO standard
 *   atmosphere with Earth's curvature and refraction:
 *       X = 1 / (sin h + 0.50572 (h + 6.07995)^(-1.6364)),  h in degrees,
 *   which stays finite at the horizon (37.92; "about 38"). The two agree to
 *   1 % above 18 degrees of elevation (3 % at 10 degrees, 10 % at 5).
 * - `horizontal` (both ends inside the atmosphere, e.g. drone to drone):
 *   a uniform extinction coefficient in dB/km over the whole distance.
 *
 * @example fiberTransmittance(50)                    // 0.2 dB/km x 50 km = 10 dB -> 0.1
 * @example channelLoss({ kind: 'free-space', distanceKm: slantRangeKm(500, 40), txApertureM: 0.3,
 *   rxApertureM: 1, wavelengthNm: 810, atmosphere: { kind: 'column', zenithAttenuationDb: 1, elevationDeg: 40 } })
 */
import { fail } from '../../util/errors.js';
import { checkNumber, transmittance } from '../math.js';

/** Attenuation of standard single-mode fiber at 1550 nm, dB/km (the value of `LCQ_PARAMS` in `rates.ts`). */
export const DEFAULT_FIBER_DB_PER_KM = 0.2;
/** Mean Earth radius, km (IUGG). */
export const EARTH_RADIUS_KM = 6371;

export const BEAM_MODELS = ['far-field', 'gaussian'] as const;
export type BeamModel = (typeof BEAM_MODELS)[number];

export const AIR_MASS_MODELS = ['kasten-young', 'plane-parallel'] as const;
export type AirMassModel = (typeof AIR_MASS_MODELS)[number];

/** Telescopes and light of a free-space link. */
export interface Optics {
  /** Transmitting aperture diameter D_t, metres. */
  readonly txApertureM: number;
  /** Receiving aperture diameter D_r, metres. */
  readonly rxApertureM: number;
  /** Wavelength, nanometres. */
  readonly wavelengthNm: number;
  /** Diffraction model (default `far-field`). */
  readonly beam?: BeamModel;
  /** Gaussian beam waist w0 (1/e^2 intensity radius), metres; `gaussian` only, default D_t / 2. */
  readonly waistM?: number;
}

export type Atmosphere =
  | {
      readonly kind: 'column';
      /** Attenuation straight up through the whole atmosphere, dB, at the link's wavelength. */
      readonly zenithAttenuationDb: number;
      /** Elevation of the line of sight above the horizon at the lower end, degrees in [0, 90]. */
      readonly elevationDeg: number;
      /** Air-mass model (default `kasten-young`). */
      readonly airMass?: AirMassModel;
    }
  | {
      readonly kind: 'horizontal';
      /** Extinction along the path, dB per km. */
      readonly dbPerKm: number;
    };

export type Channel =
  | {
      readonly kind: 'fiber';
      readonly lengthKm: number;
      /** Default {@link DEFAULT_FIBER_DB_PER_KM}. */
      readonly alphaDbPerKm?: number;
    }
  | ({
      readonly kind: 'free-space';
      /** Line-of-sight distance between the telescopes, km (see {@link slantRangeKm}). */
      readonly distanceKm: number;
      /** Omitted: vacuum (space to space). */
      readonly atmosphere?: Atmosphere;
      /** Pointing, turbulence and optics losses not modelled above, dB (default 0). */
      readonly extraLossDb?: number;
    } & Optics)
  | {
      /** A measured or budgeted total loss. */
      readonly kind: 'loss';
      readonly db: number;
    };

export const CHANNEL_KINDS = ['fiber', 'free-space', 'loss'] as const;

/** A channel's transmittance and its factors (each 1 where it does not apply). */
export interface ChannelLoss {
  readonly transmittance: number;
  /** -10 log10 T (Infinity when T = 0). */
  readonly db: number;
  readonly fiber: number;
  readonly diffraction: number;
  readonly atmosphere: number;
  readonly extra: number;
}

/** 10^(-db / 10). */
export function dbToTransmittance(db: number): number {
  return Math.pow(10, -db / 10);
}

/** -10 log10(T); Infinity for T = 0. */
export function transmittanceToDb(t: number): number {
  return -10 * Math.log10(t);
}

/** T = 10^(-alpha L / 10) for `lengthKm` of fiber. */
export function fiberTransmittance(lengthKm: number, alphaDbPerKm = DEFAULT_FIBER_DB_PER_KM): number {
  checkNumber('lengthKm', lengthKm, 0, 1e6);
  checkNumber('alphaDbPerKm', alphaDbPerKm, 0, 100);
  return transmittance(lengthKm, alphaDbPerKm);
}

/**
 * Diffraction-limited coupling between two telescopes `distanceKm` apart:
 * Friis far field capped at 1 (default) or a Gaussian beam (see the file
 * header for both formulas).
 */
export function diffractionTransmittance(distanceKm: number, optics: Optics): number {
  checkNumber('distanceKm', distanceKm, 0, 1e9);
  const dt = checkNumber('txApertureM', optics.txApertureM, 0, 1e3, { minOpen: true });
  const dr = checkNumber('rxApertureM', optics.rxApertureM, 0, 1e3, { minOpen: true });
  const lambda = checkNumber('wavelengthNm', optics.wavelengthNm, 0, 1e6, { minOpen: true }) * 1e-9;
  const beam = optics.beam ?? 'far-field';
  const length = distanceKm * 1e3;
  switch (beam) {
    case 'far-field': {
      if (optics.waistM !== undefined) fail('waistM', "applies to beam 'gaussian' only");
      if (length === 0) return 1;
      const root = (Math.PI * dt * dr) / (4 * lambda * length);
      return Math.min(1, root * root);
    }
    case 'gaussian': {
      const w0 = optics.waistM === undefined ? dt / 2 : checkNumber('waistM', optics.waistM, 0, 1e3, { minOpen: true });
      const zr = (Math.PI * w0 * w0) / lambda;
      const spread = length / zr;
      const w2 = w0 * w0 * (1 + spread * spread);
      const a = dr / 2;
      return -Math.expm1((-2 * a * a) / w2);
    }
    default:
      return fail('beam', `must be one of ${BEAM_MODELS.join(', ')}, got '${String(beam)}'`);
  }
}

/**
 * Relative air mass at `elevationDeg` above the horizon: 1 at the zenith.
 * `kasten-young` (default, Kasten & Young 1989) is finite down to 0 degrees;
 * `plane-parallel` is 1 / sin(elevation), refused at 0.
 */
export function airMass(elevationDeg: number, model: AirMassModel = 'kasten-young'): number {
  switch (model) {
    case 'kasten-young': {
      const h = checkNumber('elevationDeg', elevationDeg, 0, 90);
      return 1 / (Math.sin((h * Math.PI) / 180) + 0.50572 * Math.pow(h + 6.07995, -1.6364));
    }
    case 'plane-parallel': {
      const h = checkNumber('elevationDeg', elevationDeg, 0, 90, { minOpen: true });
      return 1 / Math.sin((h * Math.PI) / 180);
    }
    default:
      return fail('airMass', `must be one of ${AIR_MASS_MODELS.join(', ')}, got '${String(model)}'`);
  }
}

/** Transmittance of the atmosphere on a free-space path of `distanceKm` (used by `horizontal` only). */
export function atmosphereTransmittance(atmosphere: Atmosphere, distanceKm: number): number {
  switch (atmosphere.kind) {
    case 'column': {
      const zen = checkNumber('atmosphere.zenithAttenuationDb', atmosphere.zenithAttenuationDb, 0, 1e3);
      return dbToTransmittance(zen * airMass(atmosphere.elevationDeg, atmosphere.airMass ?? 'kasten-young'));
    }
    case 'horizontal': {
      const k = checkNumber('atmosphere.dbPerKm', atmosphere.dbPerKm, 0, 1e3);
      return dbToTransmittance(k * checkNumber('distanceKm', distanceKm, 0, 1e9));
    }
    default:
      return fail('atmosphere.kind', `must be 'column' or 'horizontal', got '${String((atmosphere as { kind: unknown }).kind)}'`);
  }
}

/**
 * Line-of-sight distance from a ground station to a platform at
 * `altitudeKm`, seen at `elevationDeg` above the horizon (spherical Earth):
 *
 *     L = sqrt((R + h)^2 - R^2 cos^2 e) - R sin e
 *
 * @example slantRangeKm(500, 90) // 500
 */
export function slantRangeKm(altitudeKm: number, elevationDeg: number, earthRadiusKm = EARTH_RADIUS_KM): number {
  const h = checkNumber('altitudeKm', altitudeKm, 0, 1e6);
  const e = (checkNumber('elevationDeg', elevationDeg, 0, 90) * Math.PI) / 180;
  const r = checkNumber('earthRadiusKm', earthRadiusKm, 0, 1e6, { minOpen: true });
  // (R + h)^2 - R^2 cos^2 e = (R sin e)^2 + h (2R + h), and sqrt(s^2 + q) - s = q / (sqrt(s^2 + q) + s).
  const s = r * Math.sin(e);
  const q = h * (2 * r + h);
  if (q === 0) return 0;
  return q / (Math.sqrt(s * s + q) + s);
}

/** Transmittance of a channel with its factors. */
export function channelLoss(channel: Channel): ChannelLoss {
  let fiber = 1;
  let diffraction = 1;
  let atmosphere = 1;
  let extra = 1;
  switch (channel.kind) {
    case 'fiber':
      fiber = fiberTransmittance(channel.lengthKm, channel.alphaDbPerKm ?? DEFAULT_FIBER_DB_PER_KM);
      break;
    case 'free-space':
      diffraction = diffractionTransmittance(channel.distanceKm, channel);
      if (channel.atmosphere !== undefined) atmosphere = atmosphereTransmittance(channel.atmosphere, channel.distanceKm);
      extra = dbToTransmittance(checkNumber('extraLossDb', channel.extraLossDb ?? 0, 0, 1e3));
      break;
    case 'loss':
      extra = dbToTransmittance(checkNumber('db', channel.db, 0, 1e4));
      break;
    default:
      return fail('kind', `must be one of ${CHANNEL_KINDS.join(', ')}, got '${String((channel as { kind: unknown }).kind)}'`);
  }
  const t = fiber * diffraction * atmosphere * extra;
  return { transmittance: t, db: transmittanceToDb(t), fiber, diffraction, atmosphere, extra };
}

/** The channel's transmittance alone. */
export function channelTransmittance(channel: Channel): number {
  return channelLoss(channel).transmittance;
}
