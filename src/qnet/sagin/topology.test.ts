import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as sat from 'satellite.js';
import { QflError } from '../../util/errors.js';
import { distance, gmst, julianDate, norm, WGS84_A_KM } from './geo.js';
import { circularOrbit, inertialStateAt, orbitalPeriodS, tleEpochMs, type TleOrbit } from './orbit.js';
import { positionAt, validateNodes, type SaginNode } from './topology.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const EPOCH = '2024-06-01T00:00:00Z';

describe('node positions', () => {
  // Hand values: on the equator the ellipsoid's radius is a, at a pole b, so
  // a station there at height h sits at a + h (resp. b + h) from the centre.
  test('ground stations: WGS84 geodetic to ECEF', () => {
    const eq = positionAt({ kind: 'ground', id: 'eq', latDeg: 0, lonDeg: 90, altKm: 0.2 }, 0, EPOCH);
    close(eq.ecef.x, 0, 1e-9, 'x');
    close(eq.ecef.y, WGS84_A_KM + 0.2, 1e-9, 'y');
    close(eq.ecef.z, 0, 1e-9, 'z');
    const pole = positionAt({ kind: 'ground', id: 'np', latDeg: 90, lonDeg: 0 }, 1e5, EPOCH);
    close(pole.ecef.z, 6356.7523142, 1e-9, 'north pole');
    const g = positionAt({ kind: 'ground', id: 'g', latDeg: 48.137, lonDeg: 11.575, altKm: 0.52 }, 0, EPOCH).geodetic;
    assert.deepEqual(g, { latDeg: 48.137, lonDeg: 11.575, altKm: 0.52 });
  });

  test('UAVs fly their mobility model at their altitude', () => {
    const uav: SaginNode = { kind: 'uav', id: 'u', altKm: 0.3, mobility: { model: 'circle', centre: { latDeg: 30, lonDeg: 30 }, radiusKm: 1, speedMps: 10 } };
    const p = positionAt(uav, 42, EPOCH);
    close(p.geodetic.altKm, 0.3, 1e-12, 'altitude');
    const back = sat.eciToGeodetic(p.ecef, 0);
    close(back.height, 0.3, 1e-9, 'altitude from ECEF');
    close((back.latitude * 180) / Math.PI, p.geodetic.latDeg, 1e-9, 'latitude from ECEF');
  });

  // With the rotation by GMST the right way round, a circular equatorial
  // orbit of one sidereal day (a = 42 164.17 km) stands still over the
  // ground; the wrong sign would make it drift 720 deg a day.
  test('satellites: inertial to ECEF by GMST (a geostationary orbit stands still)', () => {
    const sidereal = 86_164.0905;
    const a = Math.cbrt(398600.4418 * (sidereal / (2 * Math.PI)) ** 2);
    close(orbitalPeriodS(a), sidereal, 1e-6, 'period');
    const geo: SaginNode = { kind: 'satellite', id: 'geo', orbit: circularOrbit({ altitudeKm: a - WGS84_A_KM, inclinationDeg: 0, epoch: EPOCH }) };
    const p0 = positionAt(geo, 0, EPOCH);
    close(p0.geodetic.latDeg, 0, 1e-9, 'latitude');
    close(p0.geodetic.altKm, a - WGS84_A_KM, 1e-6, 'altitude');
    for (const t of [3600, 6 * 3600, 86_400]) {
      const p = positionAt(geo, t, EPOCH);
      close(p.geodetic.lonDeg, p0.geodetic.lonDeg, 1e-3, `longitude after ${t} s`);
    }
    // At t = 0 the satellite is at right ascension 0, so its longitude is -GMST.
    const lon = -(gmst(Date.parse(EPOCH)) * 180) / Math.PI;
    close((((p0.geodetic.lonDeg - lon) % 360) + 360) % 360, 0, 1e-9, 'longitude = -GMST');
  });

  test('TLE satellites: TEME to ECEF agrees with satellite.js eciToEcf', () => {
    const iss: TleOrbit = {
      model: 'tle',
      line1: '1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927',
      line2: '2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537',
    };
    const epoch = tleEpochMs(iss);
    for (const t of [0, 1000, 5000]) {
      const teme = inertialStateAt(iss, t, epoch).position;
      const ref = sat.eciToEcf(teme, sat.gstime(julianDate(epoch + 1000 * t)));
      const p = positionAt({ kind: 'satellite', id: 'iss', orbit: iss }, t, epoch);
      close(distance(p.ecef, ref), 0, 1e-9, `ECEF at ${t} s`);
      close(norm(p.ecef), norm(teme), 1e-9, 'rotation keeps the radius');
      assert.ok(p.geodetic.altKm > 330 && p.geodetic.altKm < 380, `ISS altitude in 2008: ${p.geodetic.altKm} km`);
    }
  });

  test('node lists: ids unique, fields named in errors', () => {
    const g = { kind: 'ground', id: 'a', latDeg: 0, lonDeg: 0 } as const;
    assert.throws(() => validateNodes([g, { ...g }]), (e: unknown) => e instanceof QflError && e.field === 'nodes[1].id' && /already/.test(e.message));
    assert.throws(() => validateNodes([{ ...g, lonDeg: 200 }]), (e: unknown) => e instanceof QflError && e.field === 'nodes[0].lonDeg');
    assert.throws(() => validateNodes([{ kind: 'balloon', id: 'b' } as unknown as SaginNode]), (e: unknown) => e instanceof QflError && e.field === 'nodes[0].kind');
    assert.throws(() => validateNodes([{ kind: 'uav', id: 'u', altKm: 80, mobility: { model: 'hover', at: { latDeg: 0, lonDeg: 0 } } }]), (e: unknown) => e instanceof QflError && e.field === 'nodes[0].altKm');
  });
});
