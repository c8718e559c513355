import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import {
  airMass,
  atmosphereTransmittance,
  channelLoss,
  channelTransmittance,
  dbToTransmittance,
  diffractionTransmittance,
  fiberTransmittance,
  slantRangeKm,
  transmittanceToDb,
} from './loss.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const refused = (fn: () => unknown, field: string): void =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, String(e));
    assert.equal(e.field, field, e.message);
    return true;
  });

describe('fiber', () => {
  test('0.2 dB/km x 50 km = 10 dB -> 0.1', () => {
    close(fiberTransmittance(50, 0.2), 0.1, 1e-15, '50 km');
    close(fiberTransmittance(50), 0.1, 1e-15, 'default 0.2 dB/km');
    close(fiberTransmittance(100, 0.2), 0.01, 1e-16, '100 km: 20 dB');
    assert.equal(fiberTransmittance(0), 1);
    close(channelLoss({ kind: 'fiber', lengthKm: 50 }).db, 10, 1e-12, 'dB');
  });

  test('dB and transmittance are inverse', () => {
    for (const db of [0, 0.5, 3, 10, 64.2]) close(transmittanceToDb(dbToTransmittance(db)), db, 1e-12, `${db} dB`);
    assert.equal(transmittanceToDb(0), Infinity);
  });

  test('bad input names its field', () => {
    refused(() => fiberTransmittance(-1), 'lengthKm');
    refused(() => fiberTransmittance(10, NaN), 'alphaDbPerKm');
  });
});

describe('free-space diffraction', () => {
  const optics = { txApertureM: 0.3, rxApertureM: 1, wavelengthNm: 810 };

  // Friis (1946): P_r / P_t = A_t A_r / (lambda L)^2. D_t = 0.3 m, D_r = 1 m,
  // lambda = 810 nm, L = 1000 km: (pi 0.3 1 / (4 810e-9 1e6))^2
  // = (0.942478 / 3.24)^2 = 0.290888^2 = 0.0846159, i.e. 10.725 dB.
  test('far field: the Friis value in a hand-computed case', () => {
    const t = diffractionTransmittance(1000, optics);
    close(t, 0.0846159499, 1e-9, 'T at 1000 km');
    close(transmittanceToDb(t), 10.7254777, 1e-6, 'dB');
    const area = (d: number): number => (Math.PI * d * d) / 4;
    close(t, (area(0.3) * area(1)) / Math.pow(810e-9 * 1e6, 2), 1e-15, 'A_t A_r / (lambda L)^2');
  });

  test('far field: 6.02 dB per doubling of distance, reciprocal, capped at 1', () => {
    const d1 = transmittanceToDb(diffractionTransmittance(600, optics));
    const d2 = transmittanceToDb(diffractionTransmittance(1200, optics));
    close(d2 - d1, 20 * Math.log10(2), 1e-12, 'doubling');
    close(diffractionTransmittance(800, optics), diffractionTransmittance(800, { ...optics, txApertureM: 1, rxApertureM: 0.3 }), 1e-18, 'reciprocity');
    assert.equal(diffractionTransmittance(1, optics), 1, 'near field is capped');
    assert.equal(diffractionTransmittance(0, optics), 1);
  });

  test('gaussian beam: 1 - exp(-2 a^2 / w0^2) at the waist, twice Friis far away', () => {
    const g = { ...optics, txApertureM: 0.2, rxApertureM: 0.2, beam: 'gaussian' as const };
    close(diffractionTransmittance(0, g), 1 - Math.exp(-2), 1e-15, 'equal apertures at L = 0');
    const far = 1e5; // km, z_R = pi 0.1^2 / 810e-9 = 38.8 km
    close(diffractionTransmittance(far, g) / diffractionTransmittance(far, { ...g, beam: 'far-field' }), 2, 1e-6, 'far-field ratio');
    let last = 1;
    for (const km of [0, 1, 10, 50, 100, 1000]) {
      const t = diffractionTransmittance(km, g);
      assert.ok(t <= last && t > 0, `monotone at ${km} km`);
      last = t;
    }
    // A larger waist spreads less: better far away.
    assert.ok(diffractionTransmittance(1000, { ...g, waistM: 0.2 }) > diffractionTransmittance(1000, g));
  });

  test('bad optics name their field', () => {
    refused(() => diffractionTransmittance(10, { ...optics, txApertureM: 0 }), 'txApertureM');
    refused(() => diffractionTransmittance(10, { ...optics, waistM: 0.1 }), 'waistM');
    refused(() => diffractionTransmittance(10, { ...optics, beam: 'airy' as never }), 'beam');
  });
});

describe('atmosphere', () => {
  test('air mass: 1 at the zenith, 2 at 30 degrees (plane-parallel), about 38 at the horizon (Kasten-Young)', () => {
    assert.equal(airMass(90, 'plane-parallel'), 1);
    close(airMass(30, 'plane-parallel'), 2, 1e-12, '30 deg');
    close(airMass(90), 1, 3e-4, 'KY zenith');
    close(airMass(0), 38, 0.5, 'KY horizon');
    for (const h of [18, 20, 30, 45, 60, 90]) close(airMass(h) / airMass(h, 'plane-parallel'), 1, 0.01, `KY vs 1/sin at ${h} deg`);
    let last = 0;
    for (const h of [90, 60, 30, 10, 5, 0]) {
      const x = airMass(h);
      assert.ok(x > last, `air mass grows as elevation falls (${h} deg)`);
      last = x;
    }
  });

  test('extinction grows with the air mass above the zenith attenuation', () => {
    const zen = 1.5;
    close(atmosphereTransmittance({ kind: 'column', zenithAttenuationDb: zen, elevationDeg: 90, airMass: 'plane-parallel' }, 500), dbToTransmittance(1.5), 1e-15, 'zenith');
    close(atmosphereTransmittance({ kind: 'column', zenithAttenuationDb: zen, elevationDeg: 30, airMass: 'plane-parallel' }, 999), dbToTransmittance(3), 1e-12, '30 deg: twice');
    close(atmosphereTransmittance({ kind: 'horizontal', dbPerKm: 0.1 }, 20), dbToTransmittance(2), 1e-15, 'horizontal: 0.1 dB/km x 20 km');
    refused(() => airMass(0, 'plane-parallel'), 'elevationDeg');
    refused(() => airMass(-1), 'elevationDeg');
    refused(() => atmosphereTransmittance({ kind: 'column', zenithAttenuationDb: -1, elevationDeg: 40 }, 1), 'atmosphere.zenithAttenuationDb');
  });

  test('slant range: the altitude at the zenith, sqrt(h (2R + h)) at the horizon', () => {
    close(slantRangeKm(500, 90), 500, 1e-9, 'zenith');
    close(slantRangeKm(500, 0), Math.sqrt(500 * (2 * 6371 + 500)), 1e-9, 'horizon');
    close(slantRangeKm(500, 0), 2573.1304, 1e-4, 'horizon, 500 km');
    assert.ok(slantRangeKm(500, 30) > slantRangeKm(500, 60));
    assert.equal(slantRangeKm(0, 0), 0);
  });
});

describe('channels', () => {
  test('a free-space channel is diffraction x atmosphere x extra loss', () => {
    const ch = {
      kind: 'free-space' as const,
      distanceKm: slantRangeKm(500, 40),
      txApertureM: 0.3,
      rxApertureM: 1,
      wavelengthNm: 810,
      atmosphere: { kind: 'column' as const, zenithAttenuationDb: 1, elevationDeg: 40 },
      extraLossDb: 3,
    };
    const loss = channelLoss(ch);
    close(loss.transmittance, loss.diffraction * loss.atmosphere * loss.extra, 1e-18, 'product');
    close(loss.db, transmittanceToDb(loss.diffraction) + transmittanceToDb(loss.atmosphere) + 3, 1e-9, 'dB add');
    assert.equal(loss.fiber, 1);
    close(channelTransmittance({ kind: 'loss', db: 30 }), 1e-3, 1e-18, 'a budgeted loss');
    refused(() => channelLoss({ kind: 'wormhole' } as never), 'kind');
    refused(() => channelLoss({ ...ch, extraLossDb: -1 }), 'extraLossDb');
  });
});
