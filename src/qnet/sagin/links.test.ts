import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { geodeticPosition, WGS84_A_KM, type Geodetic } from './geo.js';
import { circularOrbit, tleEpochMs, type TleOrbit } from './orbit.js';
import { positionAt, type NodeKind, type SaginNode } from './topology.js';
import {
  bestPath,
  DEFAULT_LINK_PARAMS,
  fsplDb,
  lineOfSight,
  linkAt,
  linkBetween,
  linkIntervals,
  linkKind,
  noisePowerDbW,
  resolveLinkParams,
  shannonCapacityBps,
  SPEED_OF_LIGHT_KM_S,
  transferTimeS,
  upLinksAt,
  type PlacedNode,
} from './links.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const within = (a: number, lo: number, hi: number, msg = ''): void => assert.ok(a >= lo && a <= hi, `${msg}: got ${a}, expected in [${lo}, ${hi}]`);
const placed = (id: string, kind: NodeKind, g: Geodetic): PlacedNode => ({ id, kind, position: geodeticPosition(g) });
const DEG = Math.PI / 180;
const EPOCH = '2024-06-01T00:00:00Z';

describe('link budget', () => {
  // Hand values: FSPL(1 km, 1 GHz) = 20 log10(4 pi 1e3 1e9 / 299792458) =
  // 92.4478 dB (the "32.45 + 20 log d_km + 20 log f_MHz" rule); kTB at 290 K
  // is 10 log10(1.380649e-23 x 290) = -203.975 dBW per Hz (the textbook
  // -174 dBm/Hz).
  test('free-space path loss, noise power, Shannon capacity', () => {
    close(fsplDb(1, 1e9), 92.44778, 1e-5, 'FSPL 1 km, 1 GHz');
    close(fsplDb(550, 12e9), 20 * Math.log10(550) + 20 * Math.log10(12_000) + 32.44778, 1e-5, 'FSPL 550 km, 12 GHz');
    close(fsplDb(2000, 1e9) - fsplDb(1000, 1e9), 6.0206, 1e-4, 'double the distance: +6 dB');
    close(noisePowerDbW(1, 290, 0), -203.975, 1e-3, 'kT at 290 K');
    close(noisePowerDbW(1e6, 290, 3), -203.975 + 60 + 3, 1e-3, 'kTB + NF');
    close(shannonCapacityBps(1e6, 0), 1e6, 1e-6, 'SNR 0 dB: B bit/s');
    close(shannonCapacityBps(20e6, 10 * Math.log10(15)), 80e6, 1e-6, 'SNR 15: 4 bit/s/Hz');
  });

  test('parameters: defaults per kind, overrides checked with the field named', () => {
    assert.equal(linkKind('satellite', 'ground'), 'ground-satellite');
    assert.equal(linkKind('uav', 'uav'), 'uav-uav');
    assert.equal(resolveLinkParams('ground-satellite').frequencyHz, DEFAULT_LINK_PARAMS['ground-satellite'].frequencyHz);
    assert.equal(resolveLinkParams('ground-satellite', { 'ground-satellite': { minElevationDeg: 25 } }).minElevationDeg, 25);
    assert.throws(() => resolveLinkParams('uav-uav', { 'uav-uav': { bandwidthHz: -1 } }), (e: unknown) => e instanceof QflError && e.field === 'params.uav-uav.bandwidthHz');
    assert.throws(() => resolveLinkParams('uav-uav', { 'uav-uav': { bandwith: 1 } as never }), (e: unknown) => e instanceof QflError && e.field === 'params.uav-uav.bandwith');
    assert.throws(() => resolveLinkParams('uav-uav', { 'uav-ground': {} } as never), (e: unknown) => e instanceof QflError && e.field === 'params.uav-ground');
  });
});

describe('link geometry', () => {
  const gsParams = resolveLinkParams('ground-satellite');

  // A satellite straight above a station at height h: distance h, elevation
  // 90 deg, delay h / c (the ellipsoid normal through the station passes
  // through the satellite, so this holds at any latitude).
  test('a satellite overhead: distance h, elevation 90 deg, delay h / c', () => {
    for (const [lat, lon, h] of [[48.1, 11.6, 550], [0, -70, 500], [-77.8, 166.7, 1200]] as const) {
      const gs = placed('gs', 'ground', { latDeg: lat, lonDeg: lon, altKm: 0 });
      const s = placed('s', 'satellite', { latDeg: lat, lonDeg: lon, altKm: h });
      const l = linkBetween(gs, s, gsParams);
      close(l.distanceKm, h, 1e-9, 'distance');
      close(l.elevationDeg!, 90, 1e-9, 'elevation');
      close(l.delayS, h / SPEED_OF_LIGHT_KM_S, 1e-15, 'delay');
      assert.equal(l.up, true);
      assert.equal(l.lineOfSight, true);
      close(l.fsplDb, fsplDb(h, 12e9), 1e-12, 'FSPL');
    }
  });

  test('the same through orbit propagation: a station placed under an equatorial satellite', () => {
    const h = 500;
    const s: SaginNode = { kind: 'satellite', id: 's', orbit: circularOrbit({ altitudeKm: h, inclinationDeg: 0, epoch: EPOCH }) };
    const under = positionAt(s, 0, EPOCH).geodetic;
    const gs: SaginNode = { kind: 'ground', id: 'gs', latDeg: 0, lonDeg: under.lonDeg };
    const l = linkAt(gs, s, 0, EPOCH);
    close(l.distanceKm, h, 1e-6, 'distance');
    close(l.elevationDeg!, 90, 1e-6, 'elevation');
    close(l.delayS * 1e3, 1.6678, 1e-4, 'delay, ms');
    // Two minutes later (7.6 km/s) it has moved about 8 deg of arc: lower, farther.
    const later = linkAt(gs, s, 120, EPOCH);
    assert.ok(later.distanceKm > h + 100 && later.elevationDeg! < 80 && later.up);
  });

  // On the equator the ellipsoid's section is a circle of radius a, so a
  // satellite at height h and central angle theta from a sea-level station
  // is at elevation atan2(cos theta - a / (a + h), sin theta) and distance
  // sqrt(a^2 + r^2 - 2 a r cos theta); it sets at theta_h = acos(a / r).
  test('a satellite toward and beyond the horizon (hand-computed on the equator)', () => {
    const h = 500;
    const r = WGS84_A_KM + h;
    const gs = placed('gs', 'ground', { latDeg: 0, lonDeg: 0, altKm: 0 });
    const zeroMask = { ...gsParams, minElevationDeg: 0 };
    for (const theta of [5, 15, 20]) {
      const l = linkBetween(gs, placed('s', 'satellite', { latDeg: 0, lonDeg: theta, altKm: h }), zeroMask);
      const t = theta * DEG;
      close(l.elevationDeg!, Math.atan2(Math.cos(t) - WGS84_A_KM / r, Math.sin(t)) / DEG, 1e-9, `elevation at ${theta} deg`);
      close(l.distanceKm, Math.sqrt(WGS84_A_KM ** 2 + r * r - 2 * WGS84_A_KM * r * Math.cos(t)), 1e-9, `distance at ${theta} deg`);
      assert.equal(l.lineOfSight, true);
    }
    const horizon = Math.acos(WGS84_A_KM / r) / DEG; // 21.9 deg
    within(horizon, 21.8, 22.0, 'horizon angle at 500 km');
    assert.equal(linkBetween(gs, placed('s', 'satellite', { latDeg: 0, lonDeg: horizon - 0.01, altKm: h }), zeroMask).up, true);
    for (const theta of [horizon + 0.01, 40, 90, 180]) {
      const l = linkBetween(gs, placed('s', 'satellite', { latDeg: 0, lonDeg: theta, altKm: h }), zeroMask);
      assert.equal(l.lineOfSight, false, `no line of sight at ${theta} deg`);
      assert.equal(l.down, 'earth-blockage');
      assert.equal(l.capacityBps, 0);
      assert.ok(l.elevationDeg! < 0);
    }
    // Above the horizon but under the default 10 deg mask: down for 'elevation'.
    const low = linkBetween(gs, placed('s', 'satellite', { latDeg: 0, lonDeg: 18, altKm: h }), gsParams);
    assert.equal(low.lineOfSight, true);
    assert.equal(low.down, 'elevation');
  });

  // Two satellites at radius r, central angle theta apart: the chord passes
  // r cos(theta / 2) from the centre; with the 80 km clearance it is blocked
  // once that falls below a + 80.
  test('inter-satellite links: Earth blockage with atmosphere clearance', () => {
    const h = 550;
    const r = WGS84_A_KM + h;
    const limit = (2 * Math.acos((WGS84_A_KM + 80) / r)) / DEG;
    const isl = resolveLinkParams('satellite-satellite');
    const s1 = placed('s1', 'satellite', { latDeg: 0, lonDeg: 0, altKm: h });
    const at = (theta: number): PlacedNode => placed('s2', 'satellite', { latDeg: 0, lonDeg: theta, altKm: h });
    assert.equal(linkBetween(s1, at(limit - 0.01), isl).lineOfSight, true);
    assert.equal(linkBetween(s1, at(limit + 0.01), isl).lineOfSight, false);
    assert.equal(linkBetween(s1, at(limit + 0.01), { ...isl, clearanceKm: 0 }).lineOfSight, true);
    assert.equal(linkBetween(s1, at(limit + 0.01), isl).elevationDeg, undefined, 'no elevation between equals');
  });

  test('line of sight between ground points follows the curvature; disabled kinds are down', () => {
    const a = geodeticPosition({ latDeg: 0, lonDeg: 0, altKm: 0 }).ecef;
    const b = geodeticPosition({ latDeg: 0, lonDeg: 0.5, altKm: 0 }).ecef;
    assert.equal(lineOfSight(a, b), false, 'two sea-level points 55 km apart');
    // Masts of 0.1 km see each other out to 2 sqrt(2 a h) = 71 km.
    const m1 = geodeticPosition({ latDeg: 0, lonDeg: 0, altKm: 0.1 }).ecef;
    const m2 = geodeticPosition({ latDeg: 0, lonDeg: 0.6, altKm: 0.1 }).ecef;
    const m3 = geodeticPosition({ latDeg: 0, lonDeg: 0.7, altKm: 0.1 }).ecef;
    assert.equal(lineOfSight(m1, m2), true, '67 km');
    assert.equal(lineOfSight(m1, m3), false, '78 km');
    const g1 = placed('g1', 'ground', { latDeg: 0, lonDeg: 0, altKm: 0.1 });
    const g2 = placed('g2', 'ground', { latDeg: 0, lonDeg: 0.1, altKm: 0.1 });
    assert.equal(linkBetween(g1, g2, resolveLinkParams('ground-ground')).down, 'disabled');
    assert.equal(linkBetween(g1, g2, resolveLinkParams('ground-ground', { 'ground-ground': { enabled: true } })).up, true);
  });

  test('UAV links fade with distance: up at 10 km, down (SNR) at 60 km', () => {
    const p = resolveLinkParams('ground-uav');
    const gs = placed('gs', 'ground', { latDeg: 0, lonDeg: 0, altKm: 0 });
    const near = linkBetween(gs, placed('u', 'uav', { latDeg: 0, lonDeg: 0.09, altKm: 1 }), p);
    const far = linkBetween(gs, placed('u', 'uav', { latDeg: 0, lonDeg: 0.54, altKm: 1 }), p);
    assert.equal(near.up, true);
    within(near.capacityBps, 40e6, 80e6, 'capacity at 10 km');
    assert.equal(far.lineOfSight, true);
    assert.equal(far.down, 'snr');
  });
});

describe('link intervals (passes)', () => {
  const station: SaginNode = { kind: 'ground', id: 'gs', latDeg: 45, lonDeg: 10 };

  // Plausibility: a 500 km LEO satellite is seen from mid-latitudes a few
  // times a day, each pass well under 15 min (about 12 min horizon to
  // horizon overhead, 7-8 min above a 10 deg mask). Measured here at 45 N,
  // 53 deg inclination: 6 passes above 10 deg of 4.5-7.8 min, 7 horizon to
  // horizon of 3.9-12.2 min.
  test('a 500 km LEO satellite (two-body): a few passes a day, each under 15 min', () => {
    const s: SaginNode = { kind: 'satellite', id: 's', orbit: circularOrbit({ altitudeKm: 500, inclinationDeg: 53, epoch: EPOCH, j2: true }) };
    const passes = linkIntervals(station, s, [0, 86_400], 10, EPOCH);
    within(passes.length, 2, 12, 'passes per day');
    for (const p of passes) {
      within(p.durationS, 30, 15 * 60, 'pass duration, s');
      close(p.durationS, p.endS - p.startS, 1e-9, 'duration');
      // Rises and sets are located to the tolerance: elevation at the mask there.
      const mid = linkAt(station, s, (p.startS + p.endS) / 2, EPOCH);
      assert.ok(mid.up && mid.elevationDeg! > 10);
      close(linkAt(station, s, p.startS, EPOCH).elevationDeg!, 10, 0.01, 'elevation at rise');
      close(linkAt(station, s, p.endS, EPOCH).elevationDeg!, 10, 0.01, 'elevation at set');
      assert.equal(linkAt(station, s, p.startS - 1, EPOCH).up, false);
      assert.equal(linkAt(station, s, p.endS + 1, EPOCH).up, false);
    }
    const horizonPasses = linkIntervals(station, s, [0, 86_400], 10, EPOCH, { params: { 'ground-satellite': { minElevationDeg: 0 } } });
    assert.ok(horizonPasses.length >= passes.length);
    for (const p of horizonPasses) within(p.durationS, 0, 13 * 60, 'horizon-to-horizon pass, s');
  });

  // Measured: 5 passes above 10 deg of 4.7-5.6 min (the ISS flew at about
  // 350 km in 2008, so its passes are shorter than at 500 km).
  test('the ISS (SGP4 from a 2008 TLE): passes of a few minutes', () => {
    const iss: TleOrbit = {
      model: 'tle',
      line1: '1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927',
      line2: '2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537',
    };
    const s: SaginNode = { kind: 'satellite', id: 'iss', orbit: iss };
    const epoch = tleEpochMs(iss);
    const passes = linkIntervals(station, s, [0, 86_400], 10, epoch);
    within(passes.length, 2, 12, 'passes per day');
    for (const p of passes) within(p.durationS, 30, 10 * 60, 'pass above 10 deg, s');
    // Windows clip intervals: one starting inside a pass starts at t0.
    const first = passes[0]!;
    const clipped = linkIntervals(station, s, [(first.startS + first.endS) / 2, first.endS + 600], 10, epoch);
    assert.equal(clipped.length, 1);
    assert.equal(clipped[0]!.startS, (first.startS + first.endS) / 2);
    close(clipped[0]!.endS, first.endS, 0.02, 'same set time');
  });
});

describe('best path', () => {
  // A station pair 20 km apart on the equator, a UAV hovering at 1 km
  // between them and a satellite 500 km overhead. Small messages take the
  // UAV (measured: 0.067 ms of flight, 64 Mbit/s per hop), large ones the
  // satellite (3.34 ms, 1.66 Gbit/s per hop): 1 Gbit takes 1.21 s through
  // the satellite and 31.1 s through the UAV.
  const sat: SaginNode = { kind: 'satellite', id: 'sat', orbit: circularOrbit({ altitudeKm: 500, inclinationDeg: 0, epoch: EPOCH }) };
  const lon = positionAt(sat, 0, EPOCH).geodetic.lonDeg;
  const g1: SaginNode = { kind: 'ground', id: 'g1', latDeg: 0, lonDeg: lon - 0.09 };
  const g2: SaginNode = { kind: 'ground', id: 'g2', latDeg: 0, lonDeg: lon + 0.09 };
  const uav: SaginNode = { kind: 'uav', id: 'uav', altKm: 1, mobility: { model: 'hover', at: { latDeg: 0, lonDeg: lon } } };
  const nodes = [g1, g2, uav, sat];

  test('small messages take the low-delay path, large ones the high-capacity path', () => {
    const small = bestPath(nodes, 'g1', 'g2', 0, EPOCH, { messageBits: 1e3 })!;
    assert.deepEqual(small.path, ['g1', 'uav', 'g2']);
    const large = bestPath(nodes, 'g1', 'g2', 0, EPOCH, { messageBits: 1e9 })!;
    assert.deepEqual(large.path, ['g1', 'sat', 'g2']);
    for (const r of [small, large]) {
      close(r.timeS, r.hops.reduce((s, h) => s + transferTimeS(h, r === small ? 1e3 : 1e9), 0), 1e-12, 'time = sum of hops');
      close(r.delayS, r.hops.reduce((s, h) => s + h.distanceKm / SPEED_OF_LIGHT_KM_S, 0), 1e-15, 'delay');
      assert.equal(r.bottleneckBps, Math.min(...r.hops.map((h) => h.capacityBps)));
    }
    within(large.delayS * 1e3, 3.3, 3.4, 'two 500 km hops, ms');
    assert.ok(large.timeS < 2 && bestPath([g1, g2, uav], 'g1', 'g2', 0, EPOCH, { messageBits: 1e9 })!.timeS > 20);
  });

  test('unreachable destinations, trivial paths, unknown ids', () => {
    assert.equal(bestPath([g1, g2], 'g1', 'g2', 0, EPOCH, { messageBits: 1e6 }), undefined);
    assert.deepEqual(bestPath(nodes, 'g1', 'g1', 0, EPOCH, { messageBits: 1e6 }), { path: ['g1'], hops: [], timeS: 0, delayS: 0, bottleneckBps: Infinity });
    assert.throws(() => bestPath(nodes, 'g1', 'g9', 0, EPOCH, { messageBits: 1 }), (e: unknown) => e instanceof QflError && e.field === 'toId');
  });

  test('upLinksAt lists each live pair once', () => {
    const links = upLinksAt(nodes, 0, EPOCH);
    const pairs = links.map((l) => `${l.a}-${l.b}`).sort();
    assert.deepEqual(pairs, ['g1-sat', 'g1-uav', 'g2-sat', 'g2-uav', 'uav-sat'].sort());
    assert.ok(links.every((l) => l.up && l.capacityBps > 0));
  });
});
