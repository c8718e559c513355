/**
 * UAV mobility models: where over the ground (latitude/longitude) a UAV is
 * at simulated time t >= 0 seconds. Altitude is the node's own (constant).
 * Motion is along great circles of the mean sphere (see `geo.ts`); speeds
 * are ground speeds in m/s.
 *
 * - `hover`: stays over one point.
 * - `waypoints`: flies the legs between successive waypoints at a constant
 *   speed; at the last one it hovers, or with `loop` flies back to the first
 *   and starts again.
 * - `circle`: a circular patrol of (great-circle) radius r around a centre at
 *   a constant speed v, starting at `startBearingDeg` (clockwise from north),
 *   clockwise unless `clockwise: false`. On the sphere the circle's length is
 *   2 pi R sin(r / R), so the bearing turns at v / (R sin(r / R)) rad/s.
 * - `random-waypoint`: the classic random waypoint model (Johnson & Maltz,
 *   1996): pick a destination uniformly in a latitude/longitude box (uniform
 *   in degrees, not in area: fine for boxes of a few degrees), fly to it at a
 *   speed (a fixed one, or drawn uniformly from [min, max] per leg), pause,
 *   repeat. It is driven by `new Rng(seed)` and nothing else, so the same
 *   config gives the same track whatever order positions are asked in (legs
 *   are generated lazily, once, and kept per config object).
 *
 * Before t = 0 a UAV is where it starts (t is clamped at 0), except on a
 * circle, which is periodic in t.
 *
 * @example
 * const m: Mobility = { model: 'circle', centre: { latDeg: 48.1, lonDeg: 11.6 }, radiusKm: 2, speedMps: 20 };
 * groundTrackAt(m, 60) // { latDeg, lonDeg } one minute into the patrol
 */
import { fail } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { checkNumber } from '../math.js';
import { checkLatLon, destination, greatCircleKm, interpolateGreatCircle, MEAN_EARTH_RADIUS_KM, type LatLon } from './geo.js';

export const MOBILITY_MODELS = ['hover', 'waypoints', 'circle', 'random-waypoint'] as const;
export type MobilityModel = (typeof MOBILITY_MODELS)[number];

export interface LatLonBox {
  readonly minLatDeg: number;
  readonly maxLatDeg: number;
  readonly minLonDeg: number;
  readonly maxLonDeg: number;
}

export type Mobility =
  | { readonly model: 'hover'; readonly at: LatLon }
  | {
      readonly model: 'waypoints';
      /** At least one point; the UAV starts at the first. */
      readonly waypoints: readonly LatLon[];
      readonly speedMps: number;
      /** After the last waypoint fly back to the first and repeat (default false: hover at the last). */
      readonly loop?: boolean;
    }
  | {
      readonly model: 'circle';
      readonly centre: LatLon;
      readonly radiusKm: number;
      readonly speedMps: number;
      /** Bearing from the centre at t = 0, degrees clockwise from north (default 0). */
      readonly startBearingDeg?: number;
      /** Direction of travel seen from above (default true). */
      readonly clockwise?: boolean;
    }
  | {
      readonly model: 'random-waypoint';
      readonly box: LatLonBox;
      /** A fixed ground speed, or [min, max] to draw each leg's speed uniformly from. */
      readonly speedMps: number | readonly [number, number];
      /** Pause at each destination, seconds (default 0). */
      readonly pauseS?: number;
      readonly seed: number;
      /** Start point (default: a uniform draw in the box, the generator's first use). */
      readonly start?: LatLon;
    };

const MAX_SPEED_MPS = 1e4;
const DEG = Math.PI / 180;

/** Checks a mobility config; errors name `field`. */
export function validateMobility(m: Mobility, field = 'mobility'): Mobility {
  if (m === null || typeof m !== 'object') return fail(field, 'must be an object');
  switch (m.model) {
    case 'hover':
      checkLatLon(`${field}.at`, m.at);
      return m;
    case 'waypoints': {
      if (!Array.isArray(m.waypoints) || m.waypoints.length === 0) fail(`${field}.waypoints`, 'must be a non-empty list of { latDeg, lonDeg }');
      m.waypoints.forEach((w, k) => checkLatLon(`${field}.waypoints[${k}]`, w));
      checkNumber(`${field}.speedMps`, m.speedMps, 0, MAX_SPEED_MPS, { minOpen: true });
      if (m.loop !== undefined && typeof m.loop !== 'boolean') fail(`${field}.loop`, `must be true or false, got ${String(m.loop)}`);
      return m;
    }
    case 'circle':
      checkLatLon(`${field}.centre`, m.centre);
      checkNumber(`${field}.radiusKm`, m.radiusKm, 0, (MEAN_EARTH_RADIUS_KM * Math.PI) / 2, { minOpen: true });
      checkNumber(`${field}.speedMps`, m.speedMps, 0, MAX_SPEED_MPS);
      if (m.startBearingDeg !== undefined) checkNumber(`${field}.startBearingDeg`, m.startBearingDeg, -360, 360);
      if (m.clockwise !== undefined && typeof m.clockwise !== 'boolean') fail(`${field}.clockwise`, `must be true or false, got ${String(m.clockwise)}`);
      return m;
    case 'random-waypoint': {
      const b = m.box;
      if (b === null || typeof b !== 'object') fail(`${field}.box`, 'must be { minLatDeg, maxLatDeg, minLonDeg, maxLonDeg }');
      checkNumber(`${field}.box.minLatDeg`, b.minLatDeg, -90, 90);
      checkNumber(`${field}.box.maxLatDeg`, b.maxLatDeg, b.minLatDeg, 90);
      checkNumber(`${field}.box.minLonDeg`, b.minLonDeg, -180, 180);
      checkNumber(`${field}.box.maxLonDeg`, b.maxLonDeg, b.minLonDeg, 180);
      const [lo, hi] = speedRange(m.speedMps);
      checkNumber(`${field}.speedMps`, lo, 0, MAX_SPEED_MPS, { minOpen: true });
      checkNumber(`${field}.speedMps`, hi, lo, MAX_SPEED_MPS);
      if (m.pauseS !== undefined) checkNumber(`${field}.pauseS`, m.pauseS, 0, Number.MAX_VALUE);
      if (!Number.isFinite(m.seed)) fail(`${field}.seed`, `must be a finite number, got ${String(m.seed)}`);
      if (m.start !== undefined) {
        checkLatLon(`${field}.start`, m.start);
        const s = m.start;
        if (s.latDeg < b.minLatDeg || s.latDeg > b.maxLatDeg || s.lonDeg < b.minLonDeg || s.lonDeg > b.maxLonDeg) fail(`${field}.start`, 'must lie inside box');
      }
      return m;
    }
    default:
      return fail(`${field}.model`, `must be one of ${MOBILITY_MODELS.join(', ')}, got '${String((m as { model: unknown }).model)}'`);
  }
}

function speedRange(s: number | readonly [number, number]): [number, number] {
  if (typeof s === 'number') return [s, s];
  if (Array.isArray(s) && s.length === 2) return [s[0], s[1]];
  return [Number.NaN, Number.NaN];
}

// ------------------------------------------------------------- tracks ----

/** One leg of a track: from `from` at `t0` to `to` at `t1`, then hovering at `to` until `tNext`. */
interface Leg {
  readonly t0: number;
  readonly t1: number;
  readonly tNext: number;
  readonly from: LatLon;
  readonly to: LatLon;
}

interface Track {
  readonly legs: Leg[];
  /** For looping tracks: the cycle length (0 when not periodic). */
  readonly period: number;
  /** Extends `legs` past time t (random waypoint); absent for finite tracks. */
  readonly extend?: (t: number) => void;
}

const tracks = new WeakMap<object, Track>();

function waypointTrack(m: Extract<Mobility, { model: 'waypoints' }>): Track {
  const pts = m.loop === true && m.waypoints.length > 1 ? [...m.waypoints, m.waypoints[0]!] : m.waypoints;
  const legs: Leg[] = [];
  let t = 0;
  for (let k = 0; k + 1 < pts.length; k++) {
    const dt = (1000 * greatCircleKm(pts[k]!, pts[k + 1]!)) / m.speedMps;
    legs.push({ t0: t, t1: t + dt, tNext: t + dt, from: pts[k]!, to: pts[k + 1]! });
    t += dt;
  }
  if (legs.length === 0) legs.push({ t0: 0, t1: 0, tNext: Infinity, from: pts[0]!, to: pts[0]! });
  return { legs, period: m.loop === true && t > 0 ? t : 0 };
}

function randomWaypointTrack(m: Extract<Mobility, { model: 'random-waypoint' }>): Track {
  const rng = new Rng(m.seed);
  const b = m.box;
  const [vLo, vHi] = speedRange(m.speedMps);
  const pause = m.pauseS ?? 0;
  const draw = (): LatLon => ({
    latDeg: b.minLatDeg + (b.maxLatDeg - b.minLatDeg) * rng.uniform(),
    lonDeg: b.minLonDeg + (b.maxLonDeg - b.minLonDeg) * rng.uniform(),
  });
  const legs: Leg[] = [];
  let here = m.start ?? draw();
  let t = 0;
  const extend = (until: number): void => {
    while (t <= until) {
      const to = draw();
      const v = vLo === vHi ? vLo : vLo + (vHi - vLo) * rng.uniform();
      const dt = (1000 * greatCircleKm(here, to)) / v;
      if (!(dt + pause > 0)) {
        // A point-sized box and no pause: the UAV never moves.
        legs.push({ t0: t, t1: t, tNext: Infinity, from: here, to: here });
        t = Infinity;
        return;
      }
      legs.push({ t0: t, t1: t + dt, tNext: t + dt + pause, from: here, to });
      here = to;
      t += dt + pause;
    }
  };
  return { legs, period: 0, extend };
}

function trackOf(m: Extract<Mobility, { model: 'waypoints' | 'random-waypoint' }>): Track {
  let track = tracks.get(m);
  if (track === undefined) {
    validateMobility(m);
    track = m.model === 'waypoints' ? waypointTrack(m) : randomWaypointTrack(m);
    tracks.set(m, track);
  }
  return track;
}

function onTrack(track: Track, tIn: number): LatLon {
  let t = Math.max(0, tIn);
  if (track.period > 0) t %= track.period;
  track.extend?.(t);
  const legs = track.legs;
  // Last leg starting at or before t (binary search).
  let lo = 0;
  let hi = legs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (legs[mid]!.t0 <= t) lo = mid;
    else hi = mid - 1;
  }
  const leg = legs[lo]!;
  if (t >= leg.t1) return leg.to;
  return interpolateGreatCircle(leg.from, leg.to, (t - leg.t0) / (leg.t1 - leg.t0));
}

/** Where over the ground a UAV with mobility `m` is at `tSeconds`. */
export function groundTrackAt(m: Mobility, tSeconds: number): LatLon {
  if (!Number.isFinite(tSeconds)) fail('tSeconds', `must be a finite number, got ${tSeconds}`);
  switch (m.model) {
    case 'hover':
      validateMobility(m);
      return m.at;
    case 'circle': {
      validateMobility(m);
      const rate = (m.speedMps / 1000 / (MEAN_EARTH_RADIUS_KM * Math.sin(m.radiusKm / MEAN_EARTH_RADIUS_KM))) / DEG;
      const sign = m.clockwise === false ? -1 : 1;
      return destination(m.centre, (m.startBearingDeg ?? 0) + sign * rate * tSeconds, m.radiusKm);
    }
    case 'waypoints':
    case 'random-waypoint':
      return onTrack(trackOf(m), tSeconds);
    default:
      return validateMobility(m) as never;
  }
}
