import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBuilder } from '../../quantum/circuit.js';
import { simulate } from '../../quantum/statevector.js';
import { Rng } from '../../util/random.js';
import { meanLoss, randomMlp, randomStateModel, randomStates } from './adversarial-testing.js';
import { rotateStates, stateAngleCount, stateAngleGrad, stateFgsm, statePgd } from './state-attack.js';

/** Norm of each state row. */
function rowNorms(x: Float64Array, batch: number): number[] {
  const w = x.length / batch;
  return Array.from({ length: batch }, (_, b) => Math.hypot(...x.subarray(b * w, (b + 1) * w)));
}

test('rotateStates applies the same rotations as the simulator', () => {
  const n = 3;
  const batch = 2;
  const { x } = randomStates(batch, n, 2, new Rng(1));
  const o = { axes: ['Z', 'X', 'Y'] as const, wires: [2, 0] };
  const K = stateAngleCount(2 << n, o);
  assert.equal(K, 6);
  const angles = new Float64Array(batch * K).map((_, i) => 0.3 * i - 0.7);
  const mine = rotateStates(x, batch, angles, o);
  for (let b = 0; b < batch; b++) {
    const c = new CircuitBuilder(n).setPrep({ kind: 'state' });
    let k = 0;
    for (const w of o.wires) for (const a of o.axes) c.add(`R${a}`, [w], [angles[b * K + k++]!]);
    const s = simulate({ circuit: c.build(), inputs: x.slice(b * 16, (b + 1) * 16), weights: new Float64Array(0), batch: 1 });
    for (let j = 0; j < 8; j++) {
      assert.ok(Math.abs(mine[b * 16 + j]! - s.re[j]!) < 1e-14, 're');
      assert.ok(Math.abs(mine[b * 16 + 8 + j]! - s.im[j]!) < 1e-14, 'im');
    }
  }
});

test('the angle gradient matches central finite differences', () => {
  const model = randomStateModel(2, 2, 3);
  const batch = 3;
  const { x, y } = randomStates(batch, 2, 2, new Rng(4));
  const K = stateAngleCount(model.inSize);
  const angles = new Float64Array(batch * K).map((_, i) => 0.1 * Math.sin(i + 1));
  const { grad, loss } = stateAngleGrad(model, x, y, batch, angles);
  assert.ok(Math.abs(loss - meanLoss(model, rotateStates(x, batch, angles), y, batch)) < 1e-14);
  const h = 1e-6;
  for (let i = 0; i < angles.length; i++) {
    const up = angles.slice();
    const down = angles.slice();
    up[i] += h;
    down[i] -= h;
    const fd = (meanLoss(model, rotateStates(x, batch, up), y, batch) - meanLoss(model, rotateStates(x, batch, down), y, batch)) / (2 * h);
    assert.ok(Math.abs(fd - grad[i]!) < 1e-8, `angle ${i}: adjoint ${grad[i]} vs finite differences ${fd}`);
  }
});

test('state FGSM and PGD keep states normalized, angles within eps, and raise the loss', () => {
  const model = randomStateModel(3, 2, 5);
  const batch = 4;
  const { x, y } = randomStates(batch, 3, 2, new Rng(6));
  const clean = meanLoss(model, x, y, batch);
  const small = 1e-5;
  const { grad } = stateAngleGrad(model, x, y, batch, new Float64Array(batch * stateAngleCount(model.inSize)));
  const firstOrder = small * grad.reduce((s, g) => s + Math.abs(g), 0);
  const tiny = stateFgsm(model, x, y, batch, { eps: small });
  assert.ok(Math.abs((meanLoss(model, tiny.x, y, batch) - clean) / firstOrder - 1) < 1e-3, 'first order: eps |dL/dθ|_1');

  const eps = 0.2;
  const f = stateFgsm(model, x, y, batch, { eps });
  const p = statePgd(model, x, y, batch, { eps, steps: 5, stepSize: 0.08, randomStart: true }, new Rng(7));
  for (const [name, a] of [['fgsm', f], ['pgd', p]] as const) {
    for (const norm of rowNorms(a.x, batch)) assert.ok(Math.abs(norm - 1) < 1e-12, `${name}: norm ${norm}`);
    assert.ok(a.angles.every((t) => Math.abs(t) <= eps), `${name}: |θ| <= eps`);
    assert.ok(meanLoss(model, a.x, y, batch) > clean, `${name}: loss up`);
  }
  assert.ok(f.angles.every((t) => Math.abs(t) === eps), 'FGSM puts every angle on the edge');
  const one = statePgd(model, x, y, batch, { eps, steps: 1, stepSize: eps, randomStart: false }, new Rng(1));
  assert.deepEqual(one, f, 'one PGD step of size eps is FGSM');
  assert.deepEqual(stateFgsm(model, x, y, batch, { eps: 0 }).angles, new Float64Array(batch * 9));
});

test('state attacks work on any model fed states (a classical MLP too) and refuse other inputs', () => {
  const onStates = randomMlp(8, 2, 8);
  const { x, y } = randomStates(3, 2, 2, new Rng(9));
  const a = stateFgsm(onStates, x, y, 3, { eps: 0.1, axes: ['Y'] });
  assert.equal(a.angles.length, 3 * 2);
  assert.ok(meanLoss(onStates, a.x, y, 3) > meanLoss(onStates, x, y, 3));
  assert.throws(() => stateFgsm(randomMlp(6, 2, 1), new Float64Array(6), [0], 1, { eps: 0.1 }), /model\.inSize: a prepared-state row holds 2 \* 2\^n numbers/);
  assert.throws(() => stateFgsm(onStates, x, y, 3, { eps: 0.1, wires: [2] }), /wires\[0\]: must be a wire in \[0, 1\], got 2/);
  assert.throws(() => stateFgsm(onStates, x, y, 3, { eps: 0.1, axes: ['W' as 'X'] }), /axes\[0\]: must be one of X, Y, Z, got 'W'/);
  assert.throws(() => stateFgsm(onStates, new Float64Array(24), y, 3, { eps: 0.1 }), /x\[0\]: a state needs finite, non-zero amplitudes/);
});
