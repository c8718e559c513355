import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeDataset } from '../../data/dataset.js';
import { Rng } from '../../util/random.js';
import { assertClose, assertQfl, f64 } from '../robust/fixtures.js';
import { attackHooks, buildAttack, maliciousClients, parseAttacks, type AttackSpec } from './config.js';

const ctx = { numClients: 10, seed: 42 };

describe('maliciousClients', () => {
  test('a list is validated and sorted', () => {
    assert.deepEqual(maliciousClients({ clients: [7, 2] }, 10, 0), [2, 7]);
    assertQfl(() => maliciousClients({ clients: [10] }, 10, 0), 'attacks.clients[0]', '0..9');
    assertQfl(() => maliciousClients({ clients: [1, 1] }, 10, 0), 'attacks.clients[1]', 'twice');
  });

  test('a fraction picks round(fraction N) clients, nested as the fraction grows, fixed by the seed', () => {
    const a = maliciousClients({ clients: 0.2 }, 10, 42);
    const b = maliciousClients({ clients: 0.5 }, 10, 42);
    assert.equal(a.length, 2);
    assert.equal(b.length, 5);
    assert.ok(a.every((id) => b.includes(id)));
    assert.deepEqual(a, maliciousClients({ clients: 0.2 }, 10, 42));
    assert.deepEqual(maliciousClients({ clients: 0 }, 10, 42), []);
    assert.equal(maliciousClients({ clients: 1 }, 10, 42).length, 10);
  });
});

describe('parseAttacks', () => {
  test('names the bad field', () => {
    assertQfl(() => parseAttacks({ kind: 'flip', clients: [0] }), 'attacks.kind', 'unknown attack "flip"', 'sign_flip');
    assertQfl(() => parseAttacks([{ kind: 'zero', clients: [0] }, { kind: 'scale', clients: [0] }]), 'attacks[1].factor');
    assertQfl(() => parseAttacks({ kind: 'zero', clients: [0], factor: 2 }), 'attacks.factor', 'unknown parameter of zero');
    assertQfl(() => parseAttacks({ kind: 'zero', clients: 1.5 }), 'attacks.clients', 'list of client ids', 'fraction');
    assertQfl(() => parseAttacks({ kind: 'zero', clients: 'all' }), 'attacks.clients', 'list of client ids');
    assertQfl(() => parseAttacks({ kind: 'zero' }), 'attacks.clients');
    assertQfl(() => parseAttacks({ clients: [1] }), 'attacks.kind', 'required');
  });
});

describe('buildAttack', () => {
  const u = f64(1, -1);
  const g = f64(0, 0);

  test('each update kind, only for the named clients', () => {
    const cases: [AttackSpec, number[]][] = [
      [{ kind: 'sign_flip', clients: [3] }, [-1, 1]],
      [{ kind: 'sign_flip', scale: 2, clients: [3] }, [-2, 2]],
      [{ kind: 'scale', factor: 5, clients: [3] }, [5, -5]],
      [{ kind: 'zero', clients: [3] }, [0, 0]],
      [{ kind: 'constant', value: 9, clients: [3] }, [9, 9]],
      [{ kind: 'adaptive_norm', bound: 1, margin: 0, clients: [3] }, [-Math.SQRT1_2, Math.SQRT1_2]],
    ];
    for (const [spec, expected] of cases) {
      const bad = buildAttack(spec, 3, ctx);
      assert.deepEqual(bad.kinds, [spec.kind]);
      assertClose(bad.attackUpdate(1, u, g, new Rng(0)), expected, 1e-12, spec.kind);
      const good = buildAttack(spec, 4, ctx);
      assert.deepEqual(good.kinds, []);
      assert.equal(good.attackUpdate(1, u, g, new Rng(0)), u);
    }
    const noisy = buildAttack({ kind: 'gaussian', std: 1, clients: [3] }, 3, ctx).attackUpdate(1, u, g, new Rng(0));
    assert.notDeepEqual(noisy, u);
  });

  test('start_round gates an update attack; entries compose in order', () => {
    const a = buildAttack(
      [
        { kind: 'sign_flip', clients: [3] },
        { kind: 'scale', factor: 10, clients: [3], start_round: 3 },
      ],
      3,
      ctx,
    );
    assertClose(a.attackUpdate(2, u, g, new Rng(0)), [-1, 1]);
    assertClose(a.attackUpdate(3, u, g, new Rng(0)), [-10, 10]);
  });

  test('data attacks poison the training data, the same way every call', () => {
    const ds = makeDataset({ x: new Float64Array(8 * 4), y: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]), shape: [2, 2], classes: 2 });
    const flip = buildAttack({ kind: 'label_flip', clients: [3] }, 3, ctx);
    assert.deepEqual([...flip.poisonData(ds).y], [1, 0, 1, 0, 1, 0, 1, 0]);
    const bd = buildAttack({ kind: 'backdoor', target: 0, fraction: 0.5, trigger: { size: 1, value: 1, margin: 0 }, clients: [3] }, 3, ctx);
    const p1 = bd.poisonData(ds);
    assert.deepEqual(p1, bd.poisonData(ds));
    assert.equal(p1.y.filter((y) => y === 0).length, 6);
    assert.equal(buildAttack({ kind: 'label_flip', clients: [3] }, 2, ctx).poisonData(ds), ds);
  });
});

describe('attackHooks', () => {
  test('ClientApp-shaped hooks over the whole federation', () => {
    const hooks = attackHooks(
      [
        { kind: 'sign_flip', clients: 0.3 },
        { kind: 'label_flip', clients: [9] },
      ],
      ctx,
    );
    const flippers = maliciousClients({ clients: 0.3 }, 10, 42);
    assert.deepEqual(hooks.malicious, [...new Set([...flippers, 9])].sort((a, b) => a - b));
    const u = f64(2);
    for (let id = 0; id < 10; id++) {
      const out = hooks.attackUpdate(id, 1, u, f64(0), new Rng(0));
      if (flippers.includes(id)) assertClose(out, [-2]);
      else assert.equal(out, u);
    }
    const ds = makeDataset({ x: new Float64Array(2), y: Int32Array.from([0, 1]), shape: [1], classes: 2 });
    assert.deepEqual([...hooks.poisonData(9, ds).y], [1, 0]);
    assert.equal(hooks.poisonData(9, ds), hooks.poisonData(9, ds)); // poisoned once, cached
  });
});
