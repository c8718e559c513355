/**
 * Satellite orbits as plain data, and where a satellite is at an instant in
 * an Earth-centred inertial frame of date.
 *
 * - `tle`: two-line elements propagated by SGP4/SDP4 (satellite.js, a port of
 *   Vallado's reference code from "Revisiting Spacetrack Report #3", AIAA
 *   2006-6753, improved mode, WGS72 constants as the elements assume). Output
 *   is in TEME, km and km/s.
 * - `kepler`: osculating Keplerian elements at an element epoch, propagated as
 *   a two-body ellipse around mu = 398600.4418 km^3/s^2 (WGS84):
 *
 *       n = sqrt(mu / a^3),  M(t) = M0 + n (t - t0),  E - e sin E = M,
 *       r_pf = a (cos E - e, sqrt(1 - e^2) sin E, 0),
 *       r = R3(-raan) R1(-i) R3(-argp) r_pf.
 *
 *   With `j2: true` the node, perigee and mean anomaly also drift at their
 *   first-order secular J2 rates (the textbook result, e.g. Vallado,
 *   "Fundamentals of Astrodynamics and Applications", ch. 9), p = a (1 - e^2):
 *
 *       raan' = -3/2 n J2 (Re/p)^2 cos i
 *       argp' =  3/4 n J2 (Re/p)^2 (5 cos^2 i - 1)
 *       M'    =  n [1 + 3/4 J2 (Re/p)^2 sqrt(1 - e^2) (3 cos^2 i - 1)]
 *
 *   Without it a LEO orbit's plane stays fixed in inertial space, whereas the
 *   real one turns by several degrees a day (about -5 deg/day at 500 km,
 *   53 deg): fine for an hour, misleading for a week. No drag, no third
 *   bodies. The elements are read in the same frame of date as SGP4's TEME,
 *   so both kinds go to ECEF by the same GMST rotation.
 *
 * @example
 * const orbit = circularOrbit({ altitudeKm: 550, inclinationDeg: 53 });
 * inertialStateAt(orbit, 600, '2024-01-01T00:00:00Z').position
 */
import * as sat from 'satellite.js';
import type { SatRec } from 'satellite.js';
import { fail } from '../../util/errors.js';
import { checkNumber } from '../math.js';
import { epochMs, msFromJulianDate, WGS84_A_KM, type Epoch, type Vec3 } from './geo.js';

export const ORBIT_MODELS = ['tle', 'kepler'] as const;
export type OrbitModel = (typeof ORBIT_MODELS)[number];

export interface TleOrbit {
  readonly model: 'tle';
  /** Line 1 of the element set (69 columns, with its checksum). */
  readonly line1: string;
  /** Line 2 of the element set. */
  readonly line2: string;
}

export interface KeplerOrbit {
  readonly model: 'kepler';
  readonly semiMajorAxisKm: number;
  /** In [0, 1). */
  readonly eccentricity: number;
  readonly inclinationDeg: number;
  /** Right ascension of the ascending node. */
  readonly raanDeg: number;
  readonly argPerigeeDeg: number;
  readonly meanAnomalyDeg: number;
  /** Instant the elements hold at; the simulation epoch when omitted. */
  readonly epoch?: Epoch;
  /** Add the secular J2 drift of node, perigee and mean anomaly (default false: pure two-body). */
  readonly j2?: boolean;
}

export type Orbit = TleOrbit | KeplerOrbit;

/** Position (km) and velocity (km/s) in the inertial frame of date (TEME). */
export interface InertialState {
  readonly position: Vec3;
  readonly velocity: Vec3;
}

/** WGS84 gravitational parameter, km^3/s^2. */
export const EARTH_MU_KM3_S2 = 398600.4418;
/** WGS84 (EGM96) second zonal harmonic. */
export const EARTH_J2 = 1.08262668e-3;

const DEG = Math.PI / 180;

interface TleCache {
  readonly satrec: SatRec;
  readonly epochMs: number;
}

const tleCache = new WeakMap<TleOrbit, TleCache>();
const keplerChecked = new WeakSet<KeplerOrbit>();

/** The TLE checksum: digits summed, '-' counting 1, modulo 10. */
function tleChecksum(line: string): number {
  let sum = 0;
  for (let k = 0; k < 68; k++) {
    const ch = line.charCodeAt(k);
    if (ch >= 48 && ch <= 57) sum += ch - 48;
    else if (ch === 45) sum += 1;
  }
  return sum % 10;
}

function parseTle(orbit: TleOrbit, field: string): TleCache {
  const cached = tleCache.get(orbit);
  if (cached !== undefined) return cached;
  const lines: string[] = [];
  for (const [k, raw] of [orbit.line1, orbit.line2].entries()) {
    const name = `${field}.line${k + 1}`;
    if (typeof raw !== 'string') return fail(name, 'must be a string');
    const line = raw.trimEnd();
    if (line.length !== 69) fail(name, `must be 69 columns long, got ${line.length}`);
    if (!line.startsWith(`${k + 1} `)) fail(name, `must start with '${k + 1} '`);
    const check = tleChecksum(line);
    if (String(check) !== line[68]) fail(name, `checksum: column 69 is '${line[68]}', the line sums to ${check}`);
    lines.push(line);
  }
  const [l1, l2] = lines as [string, string];
  if (l1.slice(2, 7) !== l2.slice(2, 7)) fail(field, `catalog numbers differ: '${l1.slice(2, 7)}' on line 1, '${l2.slice(2, 7)}' on line 2`);
  const satrec = sat.twoline2satrec(l1, l2);
  for (const key of ['no', 'ecco', 'inclo', 'jdsatepoch'] as const) {
    if (!Number.isFinite(satrec[key])) fail(field, `could not read the elements (${key} is ${satrec[key]})`);
  }
  if (satrec.error !== 0) fail(field, `SGP4 rejected the elements (error code ${satrec.error})`);
  const entry = { satrec, epochMs: msFromJulianDate(satrec.jdsatepoch) };
  tleCache.set(orbit, entry);
  return entry;
}

function checkKepler(orbit: KeplerOrbit, field: string): void {
  if (keplerChecked.has(orbit)) return;
  checkNumber(`${field}.semiMajorAxisKm`, orbit.semiMajorAxisKm, 0, Number.MAX_VALUE, { minOpen: true });
  checkNumber(`${field}.eccentricity`, orbit.eccentricity, 0, 1, { maxOpen: true });
  checkNumber(`${field}.inclinationDeg`, orbit.inclinationDeg, 0, 180);
  checkNumber(`${field}.raanDeg`, orbit.raanDeg, -360, 360);
  checkNumber(`${field}.argPerigeeDeg`, orbit.argPerigeeDeg, -360, 360);
  checkNumber(`${field}.meanAnomalyDeg`, orbit.meanAnomalyDeg, -360, 360);
  const perigee = orbit.semiMajorAxisKm * (1 - orbit.eccentricity);
  if (!(perigee > WGS84_A_KM)) fail(`${field}.semiMajorAxisKm`, `perigee a (1 - e) = ${perigee.toFixed(3)} km is inside the Earth (equatorial radius ${WGS84_A_KM} km)`);
  if (orbit.epoch !== undefined) epochMs(orbit.epoch, `${field}.epoch`);
  if (orbit.j2 !== undefined && typeof orbit.j2 !== 'boolean') fail(`${field}.j2`, `must be true or false, got ${String(orbit.j2)}`);
  keplerChecked.add(orbit);
}

/** Checks an orbit (and parses a TLE once); errors name `field`. */
export function validateOrbit(orbit: Orbit, field = 'orbit'): Orbit {
  if (orbit === null || typeof orbit !== 'object') return fail(field, 'must be an object');
  switch (orbit.model) {
    case 'tle':
      parseTle(orbit, field);
      return orbit;
    case 'kepler':
      checkKepler(orbit, field);
      return orbit;
    default:
      return fail(`${field}.model`, `must be one of ${ORBIT_MODELS.join(', ')}, got '${String((orbit as { model: unknown }).model)}'`);
  }
}

/** The epoch of a TLE's elements, ms since 1970 (fractions of a ms kept): t = 0 there is SGP4's tsince = 0. */
export function tleEpochMs(orbit: TleOrbit): number {
  return parseTle(orbit, 'orbit').epochMs;
}

/** Orbital period of a Keplerian orbit, 2 pi sqrt(a^3 / mu), seconds (two-body). */
export function orbitalPeriodS(semiMajorAxisKm: number): number {
  return 2 * Math.PI * Math.sqrt((semiMajorAxisKm * semiMajorAxisKm * semiMajorAxisKm) / EARTH_MU_KM3_S2);
}

/** A circular Keplerian orbit at `altitudeKm` above the equatorial radius. */
export function circularOrbit(o: {
  readonly altitudeKm: number;
  readonly inclinationDeg: number;
  readonly raanDeg?: number;
  /** Argument of latitude at the element epoch (default 0: at the ascending node). */
  readonly phaseDeg?: number;
  readonly epoch?: Epoch;
  readonly j2?: boolean;
}): KeplerOrbit {
  return {
    model: 'kepler',
    semiMajorAxisKm: WGS84_A_KM + o.altitudeKm,
    eccentricity: 0,
    inclinationDeg: o.inclinationDeg,
    raanDeg: o.raanDeg ?? 0,
    argPerigeeDeg: 0,
    meanAnomalyDeg: o.phaseDeg ?? 0,
    ...(o.epoch !== undefined ? { epoch: o.epoch } : {}),
    ...(o.j2 !== undefined ? { j2: o.j2 } : {}),
  };
}

/** Solves Kepler's equation E - e sin E = M by Newton's method (|dE| < 1e-14). */
export function eccentricAnomaly(meanAnomaly: number, e: number): number {
  const m = meanAnomaly - 2 * Math.PI * Math.floor(meanAnomaly / (2 * Math.PI));
  let ea = e < 0.8 ? m : Math.PI;
  for (let k = 0; k < 50; k++) {
    const d = (ea - e * Math.sin(ea) - m) / (1 - e * Math.cos(ea));
    ea -= d;
    if (Math.abs(d) < 1e-14) break;
  }
  return ea;
}

function keplerState(o: KeplerOrbit, dtS: number): InertialState {
  const a = o.semiMajorAxisKm;
  const e = o.eccentricity;
  const inc = o.inclinationDeg * DEG;
  const n = Math.sqrt(EARTH_MU_KM3_S2 / (a * a * a));
  let raan = o.raanDeg * DEG;
  let argp = o.argPerigeeDeg * DEG;
  let mDot = n;
  if (o.j2 === true) {
    const p = a * (1 - e * e);
    const k = EARTH_J2 * (WGS84_A_KM / p) * (WGS84_A_KM / p);
    const ci = Math.cos(inc);
    raan += -1.5 * n * k * ci * dtS;
    argp += 0.75 * n * k * (5 * ci * ci - 1) * dtS;
    mDot = n * (1 + 0.75 * k * Math.sqrt(1 - e * e) * (3 * ci * ci - 1));
  }
  const ea = eccentricAnomaly(o.meanAnomalyDeg * DEG + mDot * dtS, e);
  const cosE = Math.cos(ea);
  const sinE = Math.sin(ea);
  const s = Math.sqrt(1 - e * e);
  const xp = a * (cosE - e);
  const yp = a * s * sinE;
  const r = a * (1 - e * cosE);
  const vScale = Math.sqrt(EARTH_MU_KM3_S2 * a) / r;
  const vxp = -vScale * sinE;
  const vyp = vScale * s * cosE;
  const cO = Math.cos(raan);
  const sO = Math.sin(raan);
  const cw = Math.cos(argp);
  const sw = Math.sin(argp);
  const ci = Math.cos(inc);
  const si = Math.sin(inc);
  const px = cO * cw - sO * sw * ci;
  const py = sO * cw + cO * sw * ci;
  const pz = sw * si;
  const qx = -cO * sw - sO * cw * ci;
  const qy = -sO * sw + cO * cw * ci;
  const qz = cw * si;
  return {
    position: { x: xp * px + yp * qx, y: xp * py + yp * qy, z: xp * pz + yp * qz },
    velocity: { x: vxp * px + vyp * qx, y: vxp * py + vyp * qy, z: vxp * pz + vyp * qz },
  };
}

/**
 * Inertial (TEME) state of a satellite `tSeconds` after the simulation
 * `epoch`. For a TLE, SGP4 runs at tsince = (epoch + t - TLE epoch) in
 * minutes; errors of SGP4 (decay, eccentricity out of range) are QflErrors.
 */
export function inertialStateAt(orbit: Orbit, tSeconds: number, epoch: Epoch, field = 'orbit'): InertialState {
  if (!Number.isFinite(tSeconds)) fail('tSeconds', `must be a finite number, got ${tSeconds}`);
  const nowMs = epochMs(epoch);
  validateOrbit(orbit, field);
  if (orbit.model === 'tle') {
    const { satrec, epochMs: tleMs } = parseTle(orbit, field);
    const tsinceMin = (nowMs - tleMs) / 60_000 + tSeconds / 60;
    const pv = sat.sgp4(satrec, tsinceMin);
    if (pv === null) return fail(field, `SGP4 failed at tsince = ${tsinceMin} min (error code ${satrec.error}; 6 means the satellite has decayed)`);
    return { position: pv.position, velocity: pv.velocity };
  }
  const elementMs = orbit.epoch === undefined ? nowMs : epochMs(orbit.epoch);
  return keplerState(orbit, (nowMs - elementMs) / 1000 + tSeconds);
}
