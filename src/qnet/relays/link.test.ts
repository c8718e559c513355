import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { entanglementLink, type Arm } from './link.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const refused = (fn: () => unknown, field: string): void =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, String(e));
    assert.equal(e.field, field, e.message);
    return true;
  });

const fiberArm = (km: number, extra: Partial<Arm> = {}): Arm => ({ channel: { kind: 'fiber', lengthKm: km }, detectorEfficiency: 0.5, ...extra });

describe('entanglement distribution over one link', () => {
  test('noiseless: R = R_src T_A eta_A T_B eta_B and w = 1', () => {
    // 50 km of 0.2 dB/km fiber per arm: T = 0.1; eta = 0.5: p = (0.1 x 0.5)^2 = 0.0025.
    const link = entanglementLink({ pairRateHz: 1e6, armA: fiberArm(50), armB: fiberArm(50), coincidenceWindowS: 0 });
    close(link.transmittanceA, 0.1, 1e-15, 'T_A');
    close(link.detectionProbability, 0.0025, 1e-15, 'p_det');
    close(link.heraldedRateHz, 2500, 1e-9, 'heralded rate');
    assert.equal(link.accidentalRateHz, 0);
    assert.equal(link.werner, 1);
    assert.equal(link.fidelity, 1);
    assert.equal(link.qber, 0);
  });

  test('accidentals from dark counts dilute w: a hand-computed case', () => {
    // Singles: 1e6 x 0.05 + 1000 = 51 000 per second at each end; accidentals
    // 51 000^2 x 1 ns = 2.601 per second beside 2500 true pairs.
    const link = entanglementLink({
      pairRateHz: 1e6,
      armA: fiberArm(50, { darkCountsPerSecond: 1000 }),
      armB: fiberArm(50, { darkCountsPerSecond: 1000 }),
      coincidenceWindowS: 1e-9,
      misalignment: 0.01,
    });
    close(link.accidentalRateHz, 2.601, 1e-9, 'R_acc');
    close(link.heraldedRateHz, 2502.601, 1e-9, 'R');
    close(link.werner, 0.98 * (2500 / 2502.601), 1e-12, 'w = (1 - 2 e_d) R_true / R');
    // QBER as the sum of its causes: e_d on true pairs, 1/2 on accidentals.
    close(link.qber, (0.01 * 2500 + 0.5 * 2.601) / 2502.601, 1e-12, 'QBER');
  });

  test('loss and noise only ever lower the rate or w', () => {
    let lastRate = Infinity;
    let lastW = 2;
    for (const km of [0, 25, 50, 100, 150]) {
      const link = entanglementLink({ pairRateHz: 1e7, armA: fiberArm(km, { darkCountsPerSecond: 500 }), armB: fiberArm(km, { darkCountsPerSecond: 500 }) });
      assert.ok(link.truePairRateHz < lastRate, `rate falls with distance (${km} km)`);
      assert.ok(link.werner < lastW, `w falls with distance (${km} km)`);
      lastRate = link.truePairRateHz;
      lastW = link.werner;
    }
    const fully = entanglementLink({ pairRateHz: 1e6, armA: fiberArm(10), armB: fiberArm(10), misalignment: 0.5 });
    assert.equal(fully.werner, 0, 'misalignment 1/2 leaves no correlation');
    const mixed = entanglementLink({ pairRateHz: 1e6, armA: fiberArm(10), armB: fiberArm(10), coincidenceWindowS: 0, sourceWerner: 0.9 });
    close(mixed.werner, 0.9, 1e-15, 'source visibility carries through');
  });

  test('free-space and budgeted arms', () => {
    // A source on a satellite, two downlinks of 35 dB each: 70 dB in all.
    const arm: Arm = { channel: { kind: 'loss', db: 35 }, detectorEfficiency: 1 };
    const link = entanglementLink({ pairRateHz: 1e7, armA: arm, armB: arm, coincidenceWindowS: 0 });
    close(link.heraldedRateHz, 1e7 * 1e-7, 1e-12, '70 dB of 1e7 pairs/s');
  });

  test('bad input names its field, with the arm', () => {
    refused(() => entanglementLink({ pairRateHz: -1, armA: fiberArm(1), armB: fiberArm(1) }), 'pairRateHz');
    refused(() => entanglementLink({ pairRateHz: 1, armA: fiberArm(-1), armB: fiberArm(1) }), 'armA.channel.lengthKm');
    refused(() => entanglementLink({ pairRateHz: 1, armA: fiberArm(1), armB: fiberArm(1, { detectorEfficiency: 0 }) }), 'armB.detectorEfficiency');
    refused(() => entanglementLink({ pairRateHz: 1, armA: fiberArm(1), armB: fiberArm(1), misalignment: 0.6 }), 'misalignment');
  });
});
