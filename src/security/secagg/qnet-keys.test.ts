import assert from 'node:assert/strict';
import test from 'node:test';
import { KeyPool as QkdKeyPool } from '../../qnet/key-pool.js';
import type { KeySource } from './keys.js';
import { maskBits, sumMod } from './masking.js';
import { roundKeyBitsPerPair } from './protocol.js';
import { secureAggregate } from './round.js';
import { workingModulus } from './quantize.js';

// The contract with the QKD layer: its key pool is a KeySource, and a round that
// finds too little key can wait for the links and go on.
test('a QKD rate-filled key pool drives secure aggregation; a short round waits for the links', async () => {
  const n = 4;
  const length = 50;
  const { modulus } = workingModulus(8, n);
  const xs = Array.from({ length: n }, (_, i) => Float64Array.from({ length }, (_, k) => (i * 31 + k) % 256));
  const qkd = new QkdKeyPool({ clients: n, fill: { kind: 'rate', bitsPerSecond: 32_800, seed: 7 }, onShortage: 'refuse' });
  const keys: KeySource = qkd;
  const first = await secureAggregate({ updates: xs, modulus, keys, threshold: 3, onKeyShortage: 'wait' });
  assert.equal(first.status, 'wait');
  const need = roundKeyBitsPerPair(length, modulus);
  assert.ok(need > maskBits(length, modulus));
  qkd.advance(Math.max(...qkd.accounts().map((a) => qkd.secondsUntil(a.i, a.j, need))));
  const r = await secureAggregate({ updates: xs, modulus, keys, threshold: 3, dropoutsAfterMasking: [2] });
  assert.deepEqual(r.sum, sumMod([xs[0]!, xs[1]!, xs[3]!], modulus, length));
  // One slice per pair and round, whoever dropped.
  for (const a of qkd.accounts()) assert.equal(a.usedBits, need);
});
