import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import { normBound } from '../robust/clipping.js';
import { norm2 } from '../robust/common.js';
import { assertClose, assertQfl, f64 } from '../robust/fixtures.js';
import { adaptiveNormAttack, constantUpdate, gaussianUpdate, scaleUpdate, signFlip, zeroUpdate } from './update-attacks.js';

describe('update attacks', () => {
  const u = f64(1, -2, 0.5);

  test('sign flip, optionally scaled', () => {
    assertClose(signFlip(u), [-1, 2, -0.5]);
    assertClose(signFlip(u, 3), [-3, 6, -1.5]);
    assertQfl(() => signFlip(u, 0), 'attack.scale', '> 0');
  });

  test('scaled update (model replacement: gamma = n / eta)', () => {
    // 10 clients, server rate 1: gamma = 10 makes the average equal the attacker's model.
    assertClose(scaleUpdate(u, 10), [10, -20, 5]);
    assertQfl(() => scaleUpdate(u, NaN), 'attack.factor');
  });

  test('zero and constant updates keep the length', () => {
    assertClose(zeroUpdate(u), [0, 0, 0]);
    assertClose(constantUpdate(u, -7), [-7, -7, -7]);
  });

  test('gaussian: replace draws N(0, std^2) per coordinate, add keeps the update as mean', () => {
    const d = 20000;
    const base = new Float64Array(d).fill(5);
    const stats = (v: Float64Array) => {
      const m = v.reduce((s, x) => s + x, 0) / d;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (d - 1));
      return { m, sd };
    };
    const r = stats(gaussianUpdate(base, { std: 2 }, new Rng(1)));
    // Standard error of the mean 2/sqrt(20000) = 0.014; of the sd about 0.01.
    assert.ok(Math.abs(r.m) < 0.06, `mean ${r.m}`);
    assert.ok(Math.abs(r.sd - 2) < 0.05, `sd ${r.sd}`);
    const a = stats(gaussianUpdate(base, { std: 2, mode: 'add' }, new Rng(1)));
    assert.ok(Math.abs(a.m - 5) < 0.06, `mean ${a.m}`);
    assert.deepEqual(gaussianUpdate(u, { std: 1 }, new Rng(3)), gaussianUpdate(u, { std: 1 }, new Rng(3)));
  });

  test('no attack mutates its input', () => {
    const before = u.slice();
    signFlip(u);
    scaleUpdate(u, 2);
    gaussianUpdate(u, { std: 1, mode: 'add' }, new Rng(0));
    constantUpdate(u, 1);
    adaptiveNormAttack(u, { bound: 1 });
    assert.deepEqual(u, before);
  });
});

describe('adaptiveNormAttack', () => {
  test('opposite of the estimate, at (1 - margin) of the bound', () => {
    const e = f64(3, 4);
    const a = adaptiveNormAttack(e, { bound: 2, margin: 0.01 });
    assert.ok(Math.abs(norm2(a) - 1.98) < 1e-12);
    assertClose(a, [-1.98 * 0.6, -1.98 * 0.8]);
  });

  test('a finite scale sends -scale * e while that is inside the bound', () => {
    assertClose(adaptiveNormAttack(f64(0.3, 0.4), { bound: 10, scale: 2 }), [-0.6, -0.8]);
    assertClose(adaptiveNormAttack(f64(0, 0), { bound: 1 }), [0, 0]);
  });

  test('slips under norm bounding unclipped, where a naive boosted sign flip is clipped', () => {
    const honest = [f64(0.2, 0.1), f64(0.25, 0.05), f64(0.15, 0.12), f64(0.22, 0.08)];
    const est = honest[0]!;
    const M = 1;
    const adaptive = adaptiveNormAttack(est, { bound: M });
    const naive = signFlip(est, 100);
    const ra = normBound([...honest, adaptive], [1, 1, 1, 1, 1], { maxNorm: M });
    const rn = normBound([...honest, naive], [1, 1, 1, 1, 1], { maxNorm: M });
    assert.deepEqual(ra.flagged, []);
    assert.deepEqual(rn.flagged, [4]);
    // Both pull the aggregate the same way by nearly the same amount: the
    // bound caps the naive attack at M, the adaptive one sits at 0.99 M unseen.
    const dot = (x: Float64Array) => x[0]! * est[0]! + x[1]! * est[1]!;
    assert.ok(dot(ra.aggregate) < dot(normBound(honest, [1, 1, 1, 1], { maxNorm: M }).aggregate));
  });

  test('refuses a bad bound or margin', () => {
    assertQfl(() => adaptiveNormAttack(f64(1), { bound: 0 }), 'attack.bound');
    assertQfl(() => adaptiveNormAttack(f64(1), { bound: 1, margin: 1 }), 'attack.margin');
  });
});
