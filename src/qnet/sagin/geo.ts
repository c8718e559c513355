/**
 * Geometry shared by the space-air-ground modules: 3-vectors, the WGS84
 * ellipsoid, geodetic <-> ECEF conversion, simulation epochs and the
 * great-circle steps the UAV mobility models take.
 *
 * Frames and units:
 * - ECEF (Earth-centred, Earth-fixed), km. Geodetic latitude/longitude in
 *   degrees and height above the WGS84 ellipsoid in km, converted by
 *   satellite.js (`geodeticToEcf`, and `eciToGeodetic` with GMST = 0, which is
 *   the ECEF -> geodetic inverse): a = 6378.137 km, b = 6356.7523142 km.
 * - Horizontal motion of UAVs is along great circles of a sphere of radius
 *   {@link MEAN_EARTH_RADIUS_KM} (6371 km) in geodetic latitude/longitude;
 *   the lengths it gives differ from ellipsoidal geodesics by under 0.5 %,
 *   which is far inside any UAV speed assumption.
 * - An epoch is an absolute UTC instant: a Date, an ISO 8601 string, or
 *   milliseconds since 1970-01-01T00:00Z (a number, which may carry fractions
 *   of a millisecond). UT1 - UTC (under 0.9 s) is ignored.
 */
import * as sat from 'satellite.js';
import { fail } from '../../util/errors.js';

export interface Vec3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export interface Geodetic {
  readonly latDeg: number;
  readonly lonDeg: number;
  /** Height above the WGS84 ellipsoid, km. */
  readonly altKm: number;
}

export interface LatLon {
  readonly latDeg: number;
  readonly lonDeg: number;
}

/** Where a node is at one instant, in both coordinate systems. */
export interface NodePosition {
  /** Earth-centred, Earth-fixed, km. */
  readonly ecef: Vec3;
  readonly geodetic: Geodetic;
}

/** WGS84 equatorial radius a, km. */
export const WGS84_A_KM = 6378.137;
/** WGS84 polar radius b, km (the value satellite.js uses). */
export const WGS84_B_KM = 6356.7523142;
/** Mean Earth radius used for great-circle motion, km. */
export const MEAN_EARTH_RADIUS_KM = 6371;

const DEG = Math.PI / 180;
const MS_PER_DAY = 86_400_000;
/** Julian date of 1970-01-01T00:00Z. */
const JD_UNIX_EPOCH = 2440587.5;

export type Epoch = Date | string | number;

/** An epoch as milliseconds since 1970-01-01T00:00Z, or a QflError naming `field`. */
export function epochMs(epoch: Epoch, field = 'epoch'): number {
  let ms: number;
  if (epoch instanceof Date) ms = epoch.getTime();
  else if (typeof epoch === 'string') ms = Date.parse(epoch);
  else if (typeof epoch === 'number') ms = epoch;
  else return fail(field, `must be a Date, an ISO 8601 string or milliseconds since 1970, got ${typeof epoch}`);
  if (!Number.isFinite(ms)) fail(field, `must be a valid UTC instant, got '${String(epoch)}'`);
  return ms;
}

/** Julian date (UTC taken as UT1) of an instant in milliseconds since 1970. */
export function julianDate(ms: number): number {
  return ms / MS_PER_DAY + JD_UNIX_EPOCH;
}

/** Milliseconds since 1970 of a Julian date. */
export function msFromJulianDate(jd: number): number {
  return (jd - JD_UNIX_EPOCH) * MS_PER_DAY;
}

/** Greenwich mean sidereal time (IAU 1982, Vallado 2004 eq. 3-45, via satellite.js), radians. */
export function gmst(ms: number): number {
  return sat.gstime(julianDate(ms));
}

/** Rotation from an Earth-centred inertial frame of date (TEME) to ECEF: a turn of -GMST about z. */
export function inertialToEcef(r: Vec3, gmstRad: number): Vec3 {
  const c = Math.cos(gmstRad);
  const s = Math.sin(gmstRad);
  return { x: c * r.x + s * r.y, y: -s * r.x + c * r.y, z: r.z };
}

export function geodeticToEcef(g: Geodetic): Vec3 {
  return sat.geodeticToEcf({ latitude: g.latDeg * DEG, longitude: g.lonDeg * DEG, height: g.altKm });
}

export function ecefToGeodetic(r: Vec3): Geodetic {
  const g = sat.eciToGeodetic({ x: r.x, y: r.y, z: r.z }, 0);
  return { latDeg: g.latitude / DEG, lonDeg: wrapLonDeg(g.longitude / DEG), altKm: g.height };
}

/** The node position of a geodetic point. */
export function geodeticPosition(g: Geodetic): NodePosition {
  return { ecef: geodeticToEcef(g), geodetic: g };
}

/** The node position of an ECEF point. */
export function ecefPosition(r: Vec3): NodePosition {
  return { ecef: r, geodetic: ecefToGeodetic(r) };
}

/** Longitude folded into [-180, 180). */
export function wrapLonDeg(lon: number): number {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

export function sub(a: Vec3, b: Vec3): Vec3 {
  return { x: a.x - b.x, y: a.y - b.y, z: a.z - b.z };
}

export function dot(a: Vec3, b: Vec3): number {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return { x: a.y * b.z - a.z * b.y, y: a.z * b.x - a.x * b.z, z: a.x * b.y - a.y * b.x };
}

export function norm(a: Vec3): number {
  return Math.hypot(a.x, a.y, a.z);
}

/** Straight-line distance, km. */
export function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

/** Unit up vector of the ellipsoid normal at a geodetic latitude/longitude (ECEF). */
export function upVector(g: LatLon): Vec3 {
  const phi = g.latDeg * DEG;
  const lam = g.lonDeg * DEG;
  return { x: Math.cos(phi) * Math.cos(lam), y: Math.cos(phi) * Math.sin(lam), z: Math.sin(phi) };
}

// ------------------------------------------------------- great circles ----

function unit(p: LatLon): [number, number, number] {
  const phi = p.latDeg * DEG;
  const lam = p.lonDeg * DEG;
  return [Math.cos(phi) * Math.cos(lam), Math.cos(phi) * Math.sin(lam), Math.sin(phi)];
}

function fromUnit(x: number, y: number, z: number): LatLon {
  return { latDeg: Math.atan2(z, Math.hypot(x, y)) / DEG, lonDeg: wrapLonDeg(Math.atan2(y, x) / DEG) };
}

/** Central angle between two points (radians), by the numerically safe atan2 form. */
export function centralAngle(a: LatLon, b: LatLon): number {
  const [ax, ay, az] = unit(a);
  const [bx, by, bz] = unit(b);
  const cx = ay * bz - az * by;
  const cy = az * bx - ax * bz;
  const cz = ax * by - ay * bx;
  return Math.atan2(Math.hypot(cx, cy, cz), ax * bx + ay * by + az * bz);
}

/** Great-circle distance on the mean sphere, km. */
export function greatCircleKm(a: LatLon, b: LatLon): number {
  return MEAN_EARTH_RADIUS_KM * centralAngle(a, b);
}

/** The point a fraction `f` of the way from `a` to `b` along their great circle (spherical interpolation). */
export function interpolateGreatCircle(a: LatLon, b: LatLon, f: number): LatLon {
  const omega = centralAngle(a, b);
  if (omega < 1e-15 || f <= 0) return { latDeg: a.latDeg, lonDeg: a.lonDeg };
  if (f >= 1) return { latDeg: b.latDeg, lonDeg: b.lonDeg };
  const [ax, ay, az] = unit(a);
  const [bx, by, bz] = unit(b);
  const s = Math.sin(omega);
  const wa = Math.sin((1 - f) * omega) / s;
  const wb = Math.sin(f * omega) / s;
  return fromUnit(wa * ax + wb * bx, wa * ay + wb * by, wa * az + wb * bz);
}

/** The point `distanceKm` from `from` along the initial bearing `bearingDeg` (clockwise from north), on the mean sphere. */
export function destination(from: LatLon, bearingDeg: number, distanceKm: number): LatLon {
  const d = distanceKm / MEAN_EARTH_RADIUS_KM;
  const th = bearingDeg * DEG;
  const phi1 = from.latDeg * DEG;
  const sinPhi2 = Math.sin(phi1) * Math.cos(d) + Math.cos(phi1) * Math.sin(d) * Math.cos(th);
  const phi2 = Math.asin(Math.max(-1, Math.min(1, sinPhi2)));
  const lam2 = from.lonDeg * DEG + Math.atan2(Math.sin(th) * Math.sin(d) * Math.cos(phi1), Math.cos(d) - Math.sin(phi1) * sinPhi2);
  return { latDeg: phi2 / DEG, lonDeg: wrapLonDeg(lam2 / DEG) };
}

/** Checks a latitude/longitude pair, naming `field` in the error. */
export function checkLatLon(field: string, p: LatLon | undefined): LatLon {
  if (p === null || typeof p !== 'object') return fail(field, 'must be an object { latDeg, lonDeg }');
  if (typeof p.latDeg !== 'number' || !(p.latDeg >= -90 && p.latDeg <= 90)) fail(`${field}.latDeg`, `must be a number in [-90, 90], got ${String(p.latDeg)}`);
  if (typeof p.lonDeg !== 'number' || !(p.lonDeg >= -180 && p.lonDeg <= 180)) fail(`${field}.lonDeg`, `must be a number in [-180, 180], got ${String(p.lonDeg)}`);
  return p;
}
