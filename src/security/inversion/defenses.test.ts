import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyClientDefenses, checkDefense, clipUpdate, formatDefense, quantizeUpdate, secaggStep } from './defenses.js';
import { Rng } from '../../util/random.js';

test('clipUpdate scales down to the clip norm and leaves small updates alone', () => {
  const c = clipUpdate(new Float64Array([3, 4]), 1);
  assert.ok(Math.abs(c[0]! - 0.6) < 1e-15 && Math.abs(c[1]! - 0.8) < 1e-15);
  assert.deepEqual(Array.from(clipUpdate(new Float64Array([0.3, 0.4]), 1)), [0.3, 0.4]);
});

test('quantizeUpdate: one bit keeps signs, more bits approach the input', () => {
  const u = new Float64Array([0.5, -0.2, 0.1, -1]);
  assert.deepEqual(Array.from(quantizeUpdate(u, 1)), [1, -1, 1, -1]);
  // 2 bits: levels -1, -1/3, 1/3, 1.
  assert.deepEqual(Array.from(quantizeUpdate(u, 2)).map((v) => Math.round(v * 3)), [1, -1, 1, -3]);
  const q16 = quantizeUpdate(u, 16);
  for (let i = 0; i < u.length; i++) assert.ok(Math.abs(q16[i]! - u[i]!) <= 1 / 65535 + 1e-15);
  assert.deepEqual(Array.from(quantizeUpdate(new Float64Array(3), 4)), [0, 0, 0]);
});

test('applyClientDefenses: seeded DP noise of the stated size; inputs untouched', () => {
  const u = new Float64Array(4000).fill(0);
  u[0] = 10;
  const a = applyClientDefenses(u, [{ kind: 'dp', clip: 2, noiseMultiplier: 0.5 }], new Rng(1));
  const b = applyClientDefenses(u, [{ kind: 'dp', clip: 2, noiseMultiplier: 0.5 }], new Rng(1));
  assert.deepEqual(a, b);
  assert.equal(u[0], 10);
  let s2 = 0;
  for (let i = 1; i < a.length; i++) s2 += a[i]! ** 2;
  const std = Math.sqrt(s2 / (a.length - 1));
  assert.ok(Math.abs(std - 1) < 0.05, `noise std ${std}, want clip * z = 1`);
  assert.ok(Math.abs(a[0]! - 2) < 5);
});

test('checkDefense names the bad field; formatDefense and secaggStep', () => {
  assert.throws(() => checkDefense([{ kind: 'quantize', bits: 0 }]), /defense\[0\]\.bits/);
  assert.throws(() => checkDefense([{ kind: 'dp', clip: 0, noiseMultiplier: 1 }]), /defense\[0\]\.clip/);
  assert.throws(
    () =>
      checkDefense([
        { kind: 'secagg', clients: 2 },
        { kind: 'secagg', clients: 3 },
      ]),
    /once/,
  );
  const p = [{ kind: 'dp', clip: 1, noiseMultiplier: 0.1 }, { kind: 'secagg', clients: 4 }] as const;
  assert.equal(formatDefense(p), 'dp(C=1,z=0.1)+secagg(4,union)');
  assert.equal(formatDefense([]), 'none');
  assert.equal(secaggStep(p)?.clients, 4);
});
