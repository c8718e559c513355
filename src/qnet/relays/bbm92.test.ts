import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { h2 } from '../math.js';
import { KeyPool } from '../key-pool.js';
import { bbm92KeyRate, bbm92Qber, bbm92QberThreshold, bbm92SecretFraction, chainKeyFill, chainKeyRate } from './bbm92.js';
import { relayChain } from './chain.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const refused = (fn: () => unknown, field: string): void =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, String(e));
    assert.equal(e.field, field, e.message);
    return true;
  });

describe('BBM92 key rate (Bennett, Brassard & Mermin 1992)', () => {
  test('R = R_pairs / 2 (1 - 2 h2(e)); a perfect pair gives half a bit', () => {
    const perfect = bbm92KeyRate(1000, 1);
    assert.equal(perfect.qber, 0);
    assert.equal(perfect.secretFraction, 1);
    assert.equal(perfect.siftedRateHz, 500);
    assert.equal(perfect.bitsPerSecond, 500);
    const w = 0.9; // e = 5 %
    const r = bbm92KeyRate(1000, w);
    close(r.qber, 0.05, 1e-15, 'e = (1 - w) / 2');
    close(r.bitsPerSecond, 500 * (1 - 2 * h2(0.05)), 1e-9, 'Shor-Preskill with f = 1');
    close(bbm92KeyRate(1000, w, { fEc: 1.16 }).bitsPerSecond, 500 * (1 - 2.16 * h2(0.05)), 1e-9, 'f = 1.16');
    close(bbm92KeyRate(1000, w, { sifting: 0.9 }).siftedRateHz, 900, 1e-12, 'biased basis choice');
  });

  test('zero at e >= 11 %: the one-way threshold h2(e) = 1/2', () => {
    const e0 = bbm92QberThreshold();
    close(e0, 0.110028, 1e-6, 'threshold with f = 1');
    close(h2(e0), 0.5, 1e-12, 'h2 at the threshold');
    assert.ok(bbm92SecretFraction(0.109) > 0);
    assert.equal(bbm92SecretFraction(0.1101), 0);
    assert.equal(bbm92SecretFraction(0.25), 0);
    assert.equal(bbm92SecretFraction(0.5), 0);
    assert.equal(bbm92KeyRate(1e6, 1 - 2 * 0.111).bitsPerSecond, 0, 'a Werner pair at 11.1 %');
    assert.ok(bbm92KeyRate(1e6, 1 - 2 * 0.109).bitsPerSecond > 0, 'a Werner pair at 10.9 %');
    assert.ok(bbm92QberThreshold(1.16) < e0, 'a worse code tolerates less');
    close(1 - (1 + 1.16) * h2(bbm92QberThreshold(1.16)), 0, 1e-12, 'f = 1.16 threshold is a root');
  });

  test('misalignment at the stations is one more bit flip: w -> w (1 - 2 e_d)', () => {
    for (const [w, ed] of [
      [0.9, 0.01],
      [0.95, 0.03],
      [1, 0.02],
    ] as const) {
      close(bbm92Qber(w, ed), ed * (1 - (1 - w) / 2) + (1 - ed) * ((1 - w) / 2), 1e-15, `composition at ${w}, ${ed}`);
      close(bbm92Qber(w, ed), bbm92Qber(w * (1 - 2 * ed)), 1e-15, 'same as a lower w');
    }
    close(bbm92KeyRate(1000, 1, { misalignment: 0.02 }).qber, 0.02, 1e-15, 'e_d alone');
  });

  test('a relay chain fills a KeyPool at its key rate', () => {
    const chain = relayChain(
      [
        { heraldedRateHz: 40_000, werner: 0.97 },
        { heraldedRateHz: 30_000, werner: 0.96 },
      ],
      { swapSuccess: 1 },
    );
    const expected = 30_000 * 0.5 * (1 - 2 * h2((1 - 0.97 * 0.96) / 2));
    close(chainKeyRate(chain).bitsPerSecond, expected, 1e-6, 'chain key rate');
    const fill = chainKeyFill(chain, { seed: 5 });
    assert.equal(fill.kind, 'rate');
    assert.equal(fill.seed, 5);
    close(fill.bitsPerSecond, expected, 1e-6, 'fill rate');
    assert.ok(!('seed' in chainKeyFill(chain)), 'no seed unless given');
    const pool = new KeyPool({ clients: 3, fill });
    pool.advance(2);
    assert.equal(pool.available(0, 2), Math.floor(2 * expected + 1e-6));
    assert.equal(pool.take(0, 1, 64).length, 8);
    const noisy = relayChain(
      [
        { heraldedRateHz: 40_000, werner: 0.85 },
        { heraldedRateHz: 30_000, werner: 0.85 },
      ],
      { swapSuccess: 1 },
    );
    assert.equal(chainKeyFill(noisy).bitsPerSecond, 0, 'w 0.7225, e 13.9 %: no key');
  });

  test('bad input names its field', () => {
    refused(() => bbm92SecretFraction(0.6), 'qber');
    refused(() => bbm92SecretFraction(0.05, 0.9), 'fEc');
    refused(() => bbm92KeyRate(-1, 1), 'pairRateHz');
    refused(() => bbm92KeyRate(1, 1.2), 'werner');
    refused(() => bbm92KeyRate(1, 1, { sifting: 0 }), 'sifting');
    refused(() => chainKeyRate({ rateHz: NaN, werner: 1 }), 'chain.rateHz');
  });
});
