import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import { runBb84 } from './bb84.js';
import { packBits, unpackBits } from './bits.js';
import { KeyPool, type KeySource } from './key-pool.js';

/** The paper's figure: more than 32.8 kbps of secret key for its four clients (arXiv 2501.12709). */
const PAPER_RATE = 32_800;
const ratePool = (extra: Partial<ConstructorParameters<typeof KeyPool>[0]> = {}) =>
  new KeyPool({ clients: 4, fill: { kind: 'rate', bitsPerSecond: PAPER_RATE, seed: 7 }, ...extra });

const refused = (fn: () => unknown, field: string, ...fragments: string[]) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, String(e));
    assert.equal(e.field, field);
    for (const f of fragments) assert.ok(e.message.includes(f), `"${e.message}" lacks "${f}"`);
    return true;
  });

describe('KeyPool filled at a rate', () => {
  test('one simulated second at 32.8 kbps fills every pair; take drains only its pair', () => {
    const pool = ratePool();
    pool.advance(1);
    assert.equal(pool.accounts().length, 6);
    for (const a of pool.accounts()) assert.equal(a.filledBits, PAPER_RATE);
    const key = pool.take(0, 2, 8000);
    assert.equal(key.length, 1000);
    assert.deepEqual(pool.account(2, 0), { i: 0, j: 2, filledBits: 32_800, usedBits: 8000, leftBits: 24_800, waitedSeconds: 0, refusals: 0 });
    assert.equal(pool.account(0, 1).usedBits, 0);
  });

  test('pairs are unordered and bits are never handed out twice', () => {
    const a = ratePool({ startSeconds: 1 });
    const b = ratePool({ startSeconds: 1 });
    const first = a.take(0, 1, 16);
    const second = a.take(1, 0, 16);
    assert.notDeepEqual(first, second);
    const both = b.take(1, 0, 32);
    assert.deepEqual(both, Uint8Array.from([...first, ...second]));
  });

  test('odd bit counts: packed LSB first, the stream continues mid-byte', () => {
    const a = ratePool({ startSeconds: 1 });
    const b = ratePool({ startSeconds: 1 });
    const twelve = a.take(2, 3, 12);
    assert.equal(twelve.length, 2);
    assert.equal(twelve[1]! & 0xf0, 0, 'padding bits (the high ones) are zero');
    const rest = a.take(2, 3, 13);
    const whole = unpackBits(b.take(2, 3, 25), 25);
    assert.deepEqual(packBits(whole.subarray(0, 12)), twelve);
    assert.deepEqual(packBits(whole.subarray(12)), rest);
    assert.equal(a.account(2, 3).usedBits, 25);
  });

  test('different pairs and different seeds give different keys; a seed reproduces them', () => {
    const p = ratePool({ startSeconds: 1 });
    const k01 = p.take(0, 1, 256);
    assert.notDeepEqual(p.take(2, 3, 256), k01);
    assert.deepEqual(ratePool({ startSeconds: 1 }).take(0, 1, 256), k01);
    const other = new KeyPool({ clients: 4, fill: { kind: 'rate', bitsPerSecond: PAPER_RATE, seed: 8 }, startSeconds: 1 });
    assert.notDeepEqual(other.take(0, 1, 256), k01);
    const random = new KeyPool({ clients: 4, fill: { kind: 'rate', bitsPerSecond: PAPER_RATE }, startSeconds: 1 });
    assert.notDeepEqual(random.take(0, 1, 256), k01);
  });

  test('key bits are balanced (ChaCha20 stream)', () => {
    const key = ratePool({ startSeconds: 10 }).take(0, 3, 200_000);
    let ones = 0;
    for (const byte of key) for (let b = byte; b; b &= b - 1) ones++;
    // Bin(200 000, 1/2): sd 224; allow 5 sd
    assert.ok(Math.abs(ones - 100_000) < 5 * 224, `${ones} ones`);
  });

  test("'wait': a short pair waits at the fill rate and the clock moves on for everyone", () => {
    const pool = new KeyPool({ clients: 3, fill: { kind: 'rate', bitsPerSecond: 1000, seed: 1 } });
    pool.advance(0.5);
    assert.equal(pool.secondsUntil(0, 1, 2500), 2);
    const r = pool.request(0, 1, 2500);
    assert.equal(r.waitSeconds, 2);
    assert.equal(r.key.length, 313);
    assert.equal(pool.now, 2.5);
    assert.deepEqual(pool.account(0, 1), { i: 0, j: 1, filledBits: 2500, usedBits: 2500, leftBits: 0, waitedSeconds: 2, refusals: 0 });
    assert.equal(pool.account(1, 2).filledBits, 2500, 'other pairs generated key meanwhile');
    assert.equal(pool.account(1, 2).waitedSeconds, 0);
    assert.equal(pool.secondsUntil(1, 2, 2500), 0);
  });

  test("'refuse': a short request is refused with the time it would need, and nothing is taken", () => {
    const pool = new KeyPool({ clients: 3, fill: { kind: 'rate', bitsPerSecond: 1000, seed: 1 }, onShortage: 'refuse', startSeconds: 1 });
    refused(() => pool.take(2, 1, 3500), 'keys[1,2]', '3500 bits requested but only 1000 left', '2.500 s', "'refuse'");
    assert.deepEqual(pool.account(1, 2), { i: 1, j: 2, filledBits: 1000, usedBits: 0, leftBits: 1000, waitedSeconds: 0, refusals: 1 });
    assert.equal(pool.now, 1);
    assert.equal(pool.take(1, 2, 1000).length, 125);
  });

  test('a zero rate never fills: waiting is refused too', () => {
    const pool = new KeyPool({ clients: 2, fill: { kind: 'rate', bitsPerSecond: 0, seed: 1 } });
    assert.equal(pool.secondsUntil(0, 1, 1), Infinity);
    refused(() => pool.take(0, 1, 1), 'keys[0,1]', 'produces no key');
    assert.equal(pool.take(0, 1, 0).length, 0);
  });

  test('is a KeySource', () => {
    const source: KeySource = ratePool({ startSeconds: 1 });
    assert.equal(source.available(0, 3), PAPER_RATE);
    assert.equal(source.take(3, 0, 64).length, 8);
    assert.equal(source.available(0, 3), PAPER_RATE - 64);
  });

  test('refuses bad pairs and sizes naming the field', () => {
    const pool = ratePool();
    refused(() => pool.take(1, 1, 8), 'j', 'two different clients');
    refused(() => pool.take(0, 4, 8), 'j', '[0, 3]');
    refused(() => pool.take(-1, 2, 8), 'i');
    refused(() => pool.take(0, 1, 2.5), 'bits');
    refused(() => new KeyPool({ clients: 1, fill: { kind: 'rate', bitsPerSecond: 1 } }), 'clients');
    refused(() => new KeyPool({ clients: 2, fill: { kind: 'rate', bitsPerSecond: -1 } }), 'fill.bitsPerSecond');
    refused(() => new KeyPool({ clients: 2, fill: { kind: 'rate', bitsPerSecond: 1, seed: new Uint8Array(3) } }), 'fill.seed');
    refused(() => new KeyPool({ clients: 2, fill: { kind: 'rate', bitsPerSecond: 1 }, onShortage: 'hope' as 'wait' }), 'onShortage');
    refused(() => pool.advance(-1), 'seconds');
    refused(() => new KeyPool({ clients: 2, fill: { kind: 'bb84', session: { pulses: 0, distanceKm: 1 }, repRateHz: 1e6, seed: 1 } }), 'fill.session.pulses');
    refused(() => new KeyPool({ clients: 2, fill: { kind: 'bb84', session: { pulses: 10, distanceKm: 1 }, repRateHz: 0, seed: 1 } }), 'fill.repRateHz');
  });
});

describe('KeyPool filled by BB84 sessions', () => {
  // 200 000 pulses at 1 MHz: one session every 0.2 s, about 600 key bits each at 10 km.
  const session = { pulses: 200_000, distanceKm: 10 };
  const bb84Pool = () => new KeyPool({ clients: 3, fill: { kind: 'bb84', session, repRateHz: 1e6, seed: 5 } });

  test('waits whole sessions, and hands out exactly the simulated keys in order', () => {
    const pool = bb84Pool();
    const rng = new Rng(deriveSeed(5, 0, 2));
    const keys = [runBb84({ ...session, rng }), runBb84({ ...session, rng }), runBb84({ ...session, rng })];
    for (const k of keys) assert.equal(k.status, 'ok');
    const want = keys[0]!.finalKeyLength + 10; // reaches into the second session
    const r = pool.request(2, 0, want);
    assert.ok(Math.abs(r.waitSeconds - 0.4) < 1e-12, `waited ${r.waitSeconds}`);
    const expected = [...unpackBits(keys[0]!.key, keys[0]!.finalKeyLength), ...unpackBits(keys[1]!.key, 10)];
    assert.deepEqual(unpackBits(r.key, want), Uint8Array.from(expected));
    const acc = pool.account(0, 2);
    assert.equal(acc.filledBits, keys[0]!.finalKeyLength + keys[1]!.finalKeyLength);
    assert.equal(acc.leftBits, keys[1]!.finalKeyLength - 10);
    assert.ok(Math.abs(acc.waitedSeconds - 0.4) < 1e-12);
    // the third session is not ready until 0.6 s
    pool.advance(0.2);
    assert.equal(pool.account(0, 2).filledBits, acc.filledBits + keys[2]!.finalKeyLength);
  });

  test('a link too long for any key is refused rather than waited on forever', () => {
    const pool = new KeyPool({ clients: 2, fill: { kind: 'bb84', session: { pulses: 1000, distanceKm: 300 }, repRateHz: 1e6, seed: 1 } });
    refused(() => pool.take(0, 1, 8), 'keys[0,1]', 'produces no key');
  });
});
