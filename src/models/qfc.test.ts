import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expval } from '../quantum/measure.js';
import { simulate } from '../quantum/statevector.js';
import { Rng } from '../util/random.js';
import { assertGradcheck, gradcheckLayer, gradcheckModel } from './gradcheck.js';
import { softmaxCrossEntropy } from './loss.js';
import { PairSum, qfcCircuit, qfcClassifier } from './qfc.js';

test('QFCModel circuit: 4x4_ryzxy encoder, 50 random gates, 4 trainable and 4 fixed gates', () => {
  const c = qfcCircuit({ randomSeed: 0 });
  assert.equal(c.nQubits, 4);
  assert.equal(c.nInputs, 16);
  assert.equal(c.ops.length, 16 + 50 + 4 + 4);
  // Encoder: feature k on wire k mod 4, RY, RZ, RX, RY by blocks of four, unscaled.
  c.ops.slice(0, 16).forEach((op, k) => {
    assert.equal(op.gate, ['RY', 'RZ', 'RX', 'RY'][Math.floor(k / 4)]);
    assert.deepEqual(op.wires, [k % 4]);
    assert.deepEqual(op.params, [{ kind: 'input', index: k }]);
  });
  const random = c.ops.slice(16, 66);
  assert.ok(random.every((op) => ['RX', 'RY', 'RZ', 'CNOT'].includes(op.gate)));
  assert.ok(random.every((op) => new Set(op.wires).size === op.wires.length));
  const rotations = random.filter((op) => op.gate !== 'CNOT').length;
  assert.equal(c.nWeights, rotations + 4); // every random rotation and RX, RY, RZ, CRX train
  assert.deepEqual(
    c.ops.slice(66).map((op) => [op.gate, op.wires]),
    [['RX', [0]], ['RY', [1]], ['RZ', [3]], ['CRX', [0, 2]], ['H', [3]], ['SX', [2]], ['CNOT', [3, 0]], ['RX', [1]]],
  );
  assert.deepEqual(c.ops[73]!.params, [{ kind: 'const', value: 0.1 }]);
  // Seeded: the same seed gives the same layer (every client builds the same model), another seed another one.
  assert.deepEqual(qfcCircuit({ randomSeed: 0 }).ops, c.ops);
  assert.notDeepEqual(qfcCircuit({ randomSeed: 1 }).ops.slice(16, 66), random);
  // All four random gate kinds appear, and CNOTs reach every ordered wire pair direction both ways over many draws.
  const many = qfcCircuit({ randomOps: 4000, randomSeed: 3 }).ops.slice(16, 4016);
  for (const g of ['RX', 'RY', 'RZ', 'CNOT']) {
    const share = many.filter((op) => op.gate === g).length / 4000;
    assert.ok(Math.abs(share - 0.25) < 0.03, `${g}: ${share}`);
  }
  assert.equal(new Set(many.filter((op) => op.gate === 'CNOT').map((op) => op.wires.join('-'))).size, 12);
});

test('QFCModel readout: 2 classes sum <Z> pairs, 4 classes are the four <Z>; gradients agree with finite differences', () => {
  const rng = new Rng(5);
  const x = Float64Array.from({ length: 3 * 16 }, () => rng.normal());
  for (const classes of [2, 4]) {
    const model = qfcClassifier({ classes });
    model.init(new Rng(2));
    const params = model.getParams();
    const logits = model.forward(x, 3);
    const c = qfcCircuit();
    const z = expval(simulate({ circuit: c, inputs: x, weights: params, batch: 3 }), Array.from({ length: 4 }, (_, wire) => ({ terms: [{ wire, pauli: 'Z' as const }] })));
    for (let b = 0; b < 3; b++) {
      const zb = Array.from({ length: 4 }, (_, w) => z[b * 4 + w]!);
      const want = classes === 2 ? [zb[0]! + zb[1]!, zb[2]! + zb[3]!] : zb;
      want.forEach((v, j) => assert.ok(Math.abs(logits[b * classes + j]! - v) < 1e-12));
    }
    assertGradcheck(gradcheckModel(model, x, [0, 1, classes - 1], 3, softmaxCrossEntropy, { rng, maxEntries: 48 }), `qfc-${classes}`);
  }
  assert.throws(() => qfcClassifier({ classes: 10 }), /2 or 4 classes/);
});

test('PairSum: values and gradients', () => {
  const y = new PairSum(4).forward(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 2).y;
  assert.deepEqual([...y], [3, 7, 11, 15]);
  assertGradcheck(gradcheckLayer(new PairSum(4), { batch: 3, rng: new Rng(1) }), 'pair-sum');
  assert.throws(() => new PairSum(3), /even integer/);
});
