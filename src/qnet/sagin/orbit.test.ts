import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { gmst, norm, type Vec3 } from './geo.js';
import { circularOrbit, eccentricAnomaly, inertialStateAt, orbitalPeriodS, tleEpochMs, validateOrbit, type KeplerOrbit, type TleOrbit } from './orbit.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const closeVec = (a: Vec3, b: readonly [number, number, number], tol: number, msg: string): void => {
  close(a.x, b[0], tol, `${msg} x`);
  close(a.y, b[1], tol, `${msg} y`);
  close(a.z, b[2], tol, `${msg} z`);
};

// The first test case of the SGP4 verification set: Vallado, Crawford, Hujsak
// & Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753 (2006),
// SGP4-VER.TLE / tcppver.out, catalog number 00005 (Vanguard 1, e = 0.186).
const VANGUARD: TleOrbit = {
  model: 'tle',
  line1: '1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753',
  line2: '2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667',
};

describe('SGP4 (TLE orbits)', () => {
  // Published: tcppver.out, TEME position (km) and velocity (km/s) at tsince
  // = 0 and 360 min, printed to 1e-8 km and 1e-9 km/s. Measured here (via
  // satellite.js): agreement to about 1e-9 km. Tolerance 1e-6 km (1 mm) and
  // 1e-8 km/s: far above the printing precision, far below any error that
  // would come from a wrong tsince (the satellite moves ~7 m per ms).
  test('matches the Vallado et al. (2006) verification output for catalog 00005', () => {
    const epoch = tleEpochMs(VANGUARD);
    const s0 = inertialStateAt(VANGUARD, 0, epoch);
    closeVec(s0.position, [7022.46529266, -1400.08296755, 0.03995155], 1e-6, 'r(0)');
    closeVec(s0.velocity, [1.893841015, 6.405893759, 4.53480725], 1e-8, 'v(0)');
    const s360 = inertialStateAt(VANGUARD, 360 * 60, epoch);
    closeVec(s360.position, [-7154.03120202, -3783.17682504, -3536.19412294], 1e-6, 'r(360 min)');
    closeVec(s360.velocity, [4.741887409, -4.151817765, -2.093935425], 1e-8, 'v(360 min)');
  });

  // The TLE epoch is 2000 day 179.78495062 = 2000-06-27T18:50:19.733568Z
  // (kept here to 0.05 ms: the Julian date it is stored as has a 40 us
  // grain). A Date or ISO string keeps whole milliseconds, so it lands
  // 0.568 ms early; at 7.4 km/s that is about 4 m.
  test('epochs given as ISO strings and shifted by t agree with the TLE epoch', () => {
    close(tleEpochMs(VANGUARD), Date.UTC(2000, 5, 27, 18, 50, 19, 733) + 0.568, 0.05, 'TLE epoch, ms');
    const viaString = inertialStateAt(VANGUARD, 0, '2000-06-27T18:50:19.733Z');
    closeVec(viaString.position, [7022.46529266, -1400.08296755, 0.03995155], 5e-3, 'r(0) from an ISO epoch');
    const viaShift = inertialStateAt(VANGUARD, 21_600 - 3600, tleEpochMs(VANGUARD) + 3_600_000);
    closeVec(viaShift.position, [-7154.03120202, -3783.17682504, -3536.19412294], 1e-6, 'r(360 min) from epoch + 1 h');
  });

  test('malformed element sets are refused with the line named', () => {
    const bad = (line1: string, line2: string): unknown => validateOrbit({ model: 'tle', line1, line2 });
    assert.throws(() => bad(VANGUARD.line1.replace('4753', '4754'), VANGUARD.line2), (e: unknown) => e instanceof QflError && e.field === 'orbit.line1' && /checksum/.test(e.message));
    assert.throws(() => bad(VANGUARD.line1.slice(0, 60), VANGUARD.line2), (e: unknown) => e instanceof QflError && /69 columns/.test(e.message));
    assert.throws(() => bad(VANGUARD.line2, VANGUARD.line1), (e: unknown) => e instanceof QflError && /must start with '1 '/.test(e.message));
  });
});

describe('Keplerian orbits (two-body)', () => {
  const epoch = '2024-03-20T12:00:00Z';

  test('a circular orbit keeps its radius and speed sqrt(mu / a), and repeats after one period', () => {
    const orbit = circularOrbit({ altitudeKm: 550, inclinationDeg: 53, raanDeg: 40, phaseDeg: 10 });
    const a = orbit.semiMajorAxisKm;
    const period = orbitalPeriodS(a);
    close(period / 60, 95.65, 0.05, 'period at 550 km, min');
    const start = inertialStateAt(orbit, 0, epoch);
    for (const t of [0, 600, 1234.5, period / 2]) {
      const s = inertialStateAt(orbit, t, epoch);
      close(norm(s.position), a, 1e-9, `radius at ${t} s`);
      close(norm(s.velocity), Math.sqrt(398600.4418 / a), 1e-12, `speed at ${t} s`);
    }
    const back = inertialStateAt(orbit, period, epoch);
    closeVec(back.position, [start.position.x, start.position.y, start.position.z], 1e-6, 'after one period');
    // At the ascending node (phase 0) the satellite is in the equatorial plane, heading north-east.
    const node = inertialStateAt(circularOrbit({ altitudeKm: 550, inclinationDeg: 53, raanDeg: 40 }), 0, epoch);
    close(node.position.z, 0, 1e-9, 'z at the node');
    close((Math.atan2(node.position.y, node.position.x) * 180) / Math.PI, 40, 1e-9, 'right ascension of the node');
    assert.ok(node.velocity.z > 0);
  });

  test('an eccentric orbit: perigee and apogee radii a (1 -+ e) at M = 0 and 180 deg', () => {
    const o: KeplerOrbit = { model: 'kepler', semiMajorAxisKm: 26_560, eccentricity: 0.74, inclinationDeg: 63.4, raanDeg: 0, argPerigeeDeg: 270, meanAnomalyDeg: 0, epoch };
    close(norm(inertialStateAt(o, 0, epoch).position), 26_560 * 0.26, 1e-8, 'perigee');
    close(norm(inertialStateAt(o, orbitalPeriodS(26_560) / 2, epoch).position), 26_560 * 1.74, 1e-8, 'apogee');
    for (const [m, e] of [[0.3, 0.1], [2, 0.9], [5, 0.5]] as const) {
      const ea = eccentricAnomaly(m, e);
      close(ea - e * Math.sin(ea), m, 1e-13, `Kepler's equation at M=${m}, e=${e}`);
    }
  });

  // A sun-synchronous orbit's plane turns 360 deg per tropical year,
  // 0.9856 deg/day. Published: Landsat 8 flies one at about 705 km and
  // 98.2 deg (USGS Landsat 8 data users handbook). Measured here: 0.9855
  // deg/day at 700 km, 98.19 deg. Tolerance 0.005 deg/day: the inclination
  // is quoted to 0.01 deg, worth about 0.002 deg/day. Without J2 the node
  // stays put.
  test('with J2, a 700 km orbit at 98.19 deg is sun-synchronous (node +0.9856 deg/day)', () => {
    const nodeAfter = (orbit: KeplerOrbit, days: number): number => {
      const s = inertialStateAt(orbit, days * 86_400, epoch);
      const hx = s.position.y * s.velocity.z - s.position.z * s.velocity.y;
      const hy = s.position.z * s.velocity.x - s.position.x * s.velocity.z;
      return (Math.atan2(hx, -hy) * 180) / Math.PI; // node vector z x h = (-h_y, h_x, 0)
    };
    const withJ2 = circularOrbit({ altitudeKm: 700, inclinationDeg: 98.19, raanDeg: 0, epoch, j2: true });
    close(nodeAfter(withJ2, 0), 0, 1e-9, 'node at epoch');
    close(nodeAfter(withJ2, 10) / 10, 0.9856, 0.005, 'node rate, deg/day');
    const twoBody = circularOrbit({ altitudeKm: 700, inclinationDeg: 98.19, raanDeg: 0, epoch });
    close(nodeAfter(twoBody, 10), 0, 1e-9, 'two-body node after 10 days');
  });

  test('bad elements are refused with the field named', () => {
    const base: KeplerOrbit = { model: 'kepler', semiMajorAxisKm: 7000, eccentricity: 0.01, inclinationDeg: 50, raanDeg: 0, argPerigeeDeg: 0, meanAnomalyDeg: 0 };
    assert.throws(() => validateOrbit({ ...base, eccentricity: 1 }, 'nodes[2].orbit'), (e: unknown) => e instanceof QflError && e.field === 'nodes[2].orbit.eccentricity');
    assert.throws(() => validateOrbit({ ...base, semiMajorAxisKm: 6400, eccentricity: 0.1 }), (e: unknown) => e instanceof QflError && /inside the Earth/.test(e.message));
    assert.throws(() => validateOrbit({ ...base, model: 'sgp8' } as unknown as KeplerOrbit), (e: unknown) => e instanceof QflError && e.field === 'orbit.model');
  });
});

describe('sidereal time', () => {
  // GMST at J2000.0 (2000-01-01T12:00 UT1) is 280.46061837 deg (IAU 1982, the
  // constant term of Vallado 2004 eq. 3-45: 67310.54841 s).
  test('GMST at J2000.0', () => {
    close((gmst(Date.UTC(2000, 0, 1, 12)) * 180) / Math.PI, 280.46061837, 1e-8, 'GMST, deg');
  });
});
