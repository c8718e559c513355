import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { runBb84, type Bb84Result } from './bb84.js';
import { h2, transmittance } from './math.js';
import { secretKeyLength } from './privacy.js';
import { GYS_PARAMS } from './rates.js';

const within = (a: number, lo: number, hi: number, msg = ''): void => assert.ok(a >= lo && a <= hi, `${msg}: got ${a}, expected in [${lo}, ${hi}]`);
/** Binomial count n ~ Bin(N, p) is within 5 standard deviations of N p. */
const binomial = (n: number, N: number, p: number, msg: string): void => {
  const sd = Math.sqrt(N * p * (1 - p));
  within(n, N * p - 5 * sd, N * p + 5 * sd, msg);
};

const PULSES = 2_000_000;
const session = (seed: number, extra: Partial<Parameters<typeof runBb84>[0]> = {}): Bb84Result =>
  runBb84({ pulses: PULSES, distanceKm: 25, rng: new Rng(seed), ...extra });

describe('BB84, no eavesdropper, 25 km of GYS fiber', () => {
  const r = session(11);

  test('counts follow the channel: detections, sifting, sample', () => {
    const eta = GYS_PARAMS.etaDetector * transmittance(25, GYS_PARAMS.alphaDbPerKm);
    const pd = GYS_PARAMS.y0 / 2;
    const pClick = 1 - (1 - eta) * (1 - pd) * (1 - pd);
    assert.equal(r.sent, PULSES);
    binomial(r.detected, PULSES, pClick, 'detected');
    binomial(r.sifted, r.detected, 0.5, 'sifted');
    assert.equal(r.sampleSize, Math.round(0.1 * r.sifted));
    assert.equal(r.reconciledBits, r.sifted - r.sampleSize);
    assert.equal(r.intercepted, 0);
  });

  test('QBER is the misalignment e_d = 3.3 % (dark counts are negligible here)', () => {
    // true QBER over ~12 000 bits: sd 0.16 %; the sample of ~1 350 bits: sd 0.5 %
    within(r.trueQber, 0.033 - 0.008, 0.033 + 0.008, 'true QBER');
    within(r.qber, 0.033 - 0.025, 0.033 + 0.025, 'estimated QBER');
  });

  test('error correction leaves no error; the key length is the formula', () => {
    assert.equal(r.status, 'ok');
    assert.equal(r.residualErrors, 0);
    assert.equal(r.correctedErrors, Math.round(r.trueQber * r.reconciledBits));
    // Cascade leaks a little more than the Shannon limit n h(e)
    const f = r.leakedBits / (r.reconciledBits * h2(r.trueQber));
    within(f, 1, 1.35, 'Cascade efficiency');
    assert.equal(r.finalKeyLength, secretKeyLength({ reconciledBits: r.reconciledBits, qber: r.qber, leakedBits: r.leakedBits, securityMarginBits: r.securityMarginBits }));
    assert.ok(r.finalKeyLength > 0.3 * r.reconciledBits, `key ${r.finalKeyLength} of ${r.reconciledBits}`);
    assert.equal(r.key.length, Math.ceil(r.finalKeyLength / 8));
  });

  test('the key looks uniform: about half its bits are ones', () => {
    let ones = 0;
    for (const byte of r.key) for (let b = byte; b; b &= b - 1) ones++;
    binomial(ones, r.finalKeyLength, 0.5, 'ones in the key');
  });

  test('same seed, same session; another seed, another key', () => {
    const again = session(11);
    assert.deepEqual(again, r);
    const other = session(12);
    assert.notDeepEqual(other.key, r.key);
  });
});

describe('BB84 under attack and at its limits', () => {
  test('intercept-resend on every pulse: QBER near 25 %, key refused', () => {
    const r = session(21, { eveFraction: 1 });
    // Eve in the wrong basis half the time (then 50 % errors), else only misalignment: 0.25 + e_d / 2 = 0.267 (sample sd ~1.2 %)
    within(r.trueQber, 0.25, 0.3, 'true QBER');
    within(r.qber, 0.2, 0.32, 'estimated QBER');
    assert.equal(r.intercepted, r.detected - r.darkOnly);
    assert.equal(r.status, 'aborted');
    assert.ok(r.status === 'aborted' && r.reason === 'qber-above-threshold');
    assert.equal(r.finalKeyLength, 0);
    assert.equal(r.key.length, 0);
    assert.equal(r.leakedBits, 0, 'no error correction after an abort');
  });

  test("a partial intercept on a fraction f adds f (1/4 - e_d/2) to the QBER and shrinks the key", () => {
    const clean = session(31);
    const partial = session(31, { eveFraction: 0.2 });
    within(partial.trueQber - clean.trueQber, 0.05 - 0.015, 0.05 + 0.015, 'QBER increase');
    assert.equal(partial.status, 'ok');
    assert.ok(partial.finalKeyLength < 0.8 * clean.finalKeyLength);
  });

  test('far away, dark counts dominate: QBER above 11 %, refused', () => {
    // 200 km: eta = 0.045e-4.2 = 2.8e-6 against 2 p_d = 1.7e-6 -> QBER ~ 21 %
    const r = runBb84({ pulses: 100_000_000, distanceKm: 200, rng: new Rng(5) });
    assert.ok(r.darkOnly > 0.25 * r.detected, `dark-only ${r.darkOnly} of ${r.detected}`);
    within(r.trueQber, 0.14, 0.3, 'true QBER');
    assert.ok(r.status === 'aborted' && r.reason === 'qber-above-threshold');
  });

  test('nothing detected: aborted with no-detections', () => {
    const r = runBb84({ pulses: 1000, distanceKm: 500, darkCountProbability: 0, rng: new Rng(1) });
    assert.equal(r.detected, 0);
    assert.ok(r.status === 'aborted' && r.reason === 'no-detections');
  });

  test('a perfect channel: no errors, no leak beyond block parities', () => {
    const r = runBb84({ pulses: 20_000, distanceKm: 0, etaDetector: 1, darkCountProbability: 0, eDetector: 0, rng: new Rng(2) });
    assert.equal(r.detected, 20_000);
    assert.equal(r.trueQber, 0);
    assert.equal(r.correctedErrors, 0);
    assert.equal(r.status, 'ok');
    // QBER 0 -> first block ceil(0.73 / 1e-4) = 7300 bits, doubling, capped at n: one parity per block
    const n = r.reconciledBits;
    const blocks = [0, 1, 2, 3].reduce((sum, p) => sum + Math.ceil(n / Math.min(n, 7300 * 2 ** p)), 0);
    assert.equal(r.leakedBits, blocks);
  });

  test('refuses bad input naming the field', () => {
    const field = (fn: () => unknown, name: string) => assert.throws(fn, (e: unknown) => e instanceof QflError && e.field === name);
    field(() => runBb84({ pulses: 0, distanceKm: 1, rng: new Rng(1) }), 'pulses');
    field(() => runBb84({ pulses: 1.5, distanceKm: 1, rng: new Rng(1) }), 'pulses');
    field(() => runBb84({ pulses: 10, distanceKm: -1, rng: new Rng(1) }), 'distanceKm');
    field(() => runBb84({ pulses: 10, distanceKm: 1, eDetector: 0.6, rng: new Rng(1) }), 'eDetector');
    field(() => runBb84({ pulses: 10, distanceKm: 1, sampleFraction: 1, rng: new Rng(1) }), 'sampleFraction');
    field(() => runBb84({ pulses: 10, distanceKm: 1, eveFraction: 2, rng: new Rng(1) }), 'eveFraction');
  });
});
