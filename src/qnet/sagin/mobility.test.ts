import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { destination, greatCircleKm, MEAN_EARTH_RADIUS_KM, type LatLon } from './geo.js';
import { groundTrackAt, validateMobility, type Mobility } from './mobility.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const samePoint = (a: LatLon, b: LatLon, tolKm: number, msg: string): void => assert.ok(greatCircleKm(a, b) <= tolKm, `${msg}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);

describe('UAV mobility', () => {
  test('hover stays put', () => {
    const at = { latDeg: 10, lonDeg: 20 };
    for (const t of [0, 100, 1e6]) assert.deepEqual(groundTrackAt({ model: 'hover', at }, t), at);
  });

  test('waypoints: legs at constant speed, hover at the end, or loop', () => {
    const a = { latDeg: 45, lonDeg: 7 };
    const b = destination(a, 90, 10); // 10 km east
    const m: Mobility = { model: 'waypoints', waypoints: [a, b], speedMps: 20 }; // 500 s per leg
    samePoint(groundTrackAt(m, 0), a, 1e-9, 't = 0');
    close(greatCircleKm(a, groundTrackAt(m, 250)), 5, 1e-9, 'halfway at 250 s');
    close(greatCircleKm(groundTrackAt(m, 250), b), 5, 1e-9, 'halfway, from b');
    samePoint(groundTrackAt(m, 500), b, 1e-9, 'arrives at 500 s');
    samePoint(groundTrackAt(m, 5000), b, 1e-9, 'then hovers');
    samePoint(groundTrackAt(m, -10), a, 1e-9, 'before t = 0');
    const loop: Mobility = { ...m, loop: true };
    samePoint(groundTrackAt(loop, 750), groundTrackAt(m, 250), 1e-9, 'loop: flying back, halfway');
    samePoint(groundTrackAt(loop, 1000), a, 1e-9, 'loop: back at the start after 1000 s');
    samePoint(groundTrackAt(loop, 10_250), groundTrackAt(m, 250), 1e-9, 'loop: periodic');
  });

  test('circle: constant radius, speed and period 2 pi R sin(r/R) / v; clockwise by default', () => {
    const centre = { latDeg: 60, lonDeg: 25 };
    const m: Mobility = { model: 'circle', centre, radiusKm: 3, speedMps: 25 };
    const period = (2 * Math.PI * MEAN_EARTH_RADIUS_KM * Math.sin(3 / MEAN_EARTH_RADIUS_KM) * 1000) / 25;
    for (const t of [0, 17, 300, 1234]) close(greatCircleKm(centre, groundTrackAt(m, t)), 3, 1e-9, `radius at ${t} s`);
    samePoint(groundTrackAt(m, 0), destination(centre, 0, 3), 1e-9, 'starts north of the centre');
    samePoint(groundTrackAt(m, period), groundTrackAt(m, 0), 1e-9, 'one lap');
    close(greatCircleKm(groundTrackAt(m, 100), groundTrackAt(m, 101)), 0.025, 1e-6, 'km in one second');
    assert.ok(groundTrackAt(m, 10).lonDeg > centre.lonDeg, 'clockwise from north heads east');
    assert.ok(groundTrackAt({ ...m, clockwise: false }, 10).lonDeg < centre.lonDeg, 'anticlockwise heads west');
  });

  const box = { minLatDeg: 40, maxLatDeg: 40.2, minLonDeg: -3.8, maxLonDeg: -3.5 };
  const rwp = (seed: number): Mobility => ({ model: 'random-waypoint', box, speedMps: [5, 30], pauseS: 20, seed });

  test('random waypoint: the same seed gives the same track, whatever order it is asked in', () => {
    const times = Array.from({ length: 200 }, (_, k) => k * 97.3);
    const forward = rwp(7);
    const backward = rwp(7);
    const f = times.map((t) => groundTrackAt(forward, t));
    const b = [...times].reverse().map((t) => groundTrackAt(backward, t)).reverse();
    assert.deepEqual(f, b);
    const other = times.map((t) => groundTrackAt(rwp(8), t));
    assert.notDeepEqual(f, other, 'another seed, another track');
  });

  test('random waypoint: stays in the box, never faster than the top speed, pauses', () => {
    const m = rwp(3);
    let prev = groundTrackAt(m, 0);
    let still = 0;
    for (let t = 1; t <= 20_000; t++) {
      const p = groundTrackAt(m, t);
      assert.ok(p.latDeg >= box.minLatDeg - 1e-12 && p.latDeg <= box.maxLatDeg + 1e-12 && p.lonDeg >= box.minLonDeg - 1e-12 && p.lonDeg <= box.maxLonDeg + 1e-12, `out of the box at ${t} s`);
      const km = greatCircleKm(prev, p);
      assert.ok(km <= 0.030 + 1e-9, `${km * 1000} m in one second at ${t} s`);
      if (km === 0) still++;
      prev = p;
    }
    assert.ok(still > 100, `pauses: ${still} s standing still`);
    const fixed = groundTrackAt({ model: 'random-waypoint', box, speedMps: 12, seed: 1, start: { latDeg: 40.1, lonDeg: -3.6 } }, 0);
    assert.deepEqual(fixed, { latDeg: 40.1, lonDeg: -3.6 });
  });

  test('bad configs are refused with the field named', () => {
    const field = (m: unknown): string => {
      try {
        validateMobility(m as Mobility, 'nodes[1].mobility');
      } catch (e) {
        if (e instanceof QflError) return e.field;
        throw e;
      }
      return '(accepted)';
    };
    assert.equal(field({ model: 'waypoints', waypoints: [], speedMps: 10 }), 'nodes[1].mobility.waypoints');
    assert.equal(field({ model: 'circle', centre: { latDeg: 95, lonDeg: 0 }, radiusKm: 1, speedMps: 10 }), 'nodes[1].mobility.centre.latDeg');
    assert.equal(field({ model: 'random-waypoint', box: { ...box, maxLatDeg: 39 }, speedMps: 10, seed: 1 }), 'nodes[1].mobility.box.maxLatDeg');
    assert.equal(field({ model: 'random-waypoint', box, speedMps: [0, 10], seed: 1 }), 'nodes[1].mobility.speedMps');
    assert.equal(field({ model: 'teleport' }), 'nodes[1].mobility.model');
  });
});
