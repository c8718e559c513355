import assert from 'node:assert/strict';
import test from 'node:test';
import { OsRng } from './os-random.js';

test('OsRng: uniform words from the OS (mean and spread of uniform and normal draws), no state to save or seed', () => {
  const r = new OsRng();
  const n = 20000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  for (let i = 0; i < n; i++) {
    su += r.uniform();
    const z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  // Standard errors: 0.002 for the uniform mean, 0.007 for the normal mean, 0.01 for its variance.
  assert.ok(Math.abs(su / n - 0.5) < 0.01, `uniform mean ${su / n}`);
  assert.ok(Math.abs(sn / n) < 0.04, `normal mean ${sn / n}`);
  assert.ok(Math.abs(sn2 / n - 1) < 0.05, `normal variance ${sn2 / n}`);
  // Two generators do not share a stream (as two Rng(0) would).
  const a = Array.from({ length: 8 }, () => new OsRng().nextUint32());
  assert.equal(new Set(a).size, 8);
  assert.throws(() => r.getState(), /no state/);
  assert.throws(() => r.setState([1, 2, 3, 4]), /cannot be seeded/);
  assert.throws(() => r.fork(), /cannot fork/);
});
