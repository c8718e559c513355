import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from '../../data/dataset.js';
import { vqcClassifier } from '../../models/quantum-zoo.js';
import { evaluate } from '../../models/train.js';
import { Rng } from '../../util/random.js';
import { fitted, linearTask, randomMlp, randomStateModel, randomStates } from './adversarial-testing.js';
import { craftDataset } from './craft.js';
import { transferAttack } from './transfer.js';

test('transfer attack: examples crafted on a classical MLP, evaluated on a VQC', () => {
  const data = linearTask(64, 2, 1);
  const surrogate = fitted(randomMlp(2, 2, 2), data, 15, 3);
  const target = vqcClassifier({ nQubits: 2, layers: 2, classes: 2, embedding: 'angle', features: 2 });
  target.init(new Rng(4));
  fitted(target, data, 4, 5);
  const points = transferAttack(surrogate, target, data, { attack: 'pgd', epsilons: [0, 0.1, 0.4], steps: 5, range: [0, 1] }, new Rng(6));
  assert.deepEqual(points.map((p) => p.eps), [0, 0.1, 0.4]);
  assert.equal(points[0]!.surrogateAccuracy, evaluate(surrogate, data).accuracy);
  assert.equal(points[0]!.targetAccuracy, evaluate(target, data).accuracy);
  assert.ok(points[2]!.surrogateAccuracy < points[0]!.surrogateAccuracy - 0.3, 'white-box on the surrogate');
  for (const p of points) assert.ok(p.targetAccuracy >= 0 && p.targetAccuracy <= 1);

  // The same examples, crafted once, give the same target accuracy.
  const adv = craftDataset(surrogate, data, { attack: 'pgd', eps: 0.4, steps: 5, range: [0, 1] }, new Rng(6), 256);
  assert.deepEqual(adv.y, data.y);
  assert.ok(adv.x.every((v) => v >= 0 && v <= 1));
});

test('transfer in state space: a classical surrogate on state rows, a quantum state classifier as target', () => {
  const { x, y } = randomStates(10, 2, 2, new Rng(7));
  const states = makeDataset({ x, y, shape: [8], classes: 2 });
  const points = transferAttack(randomMlp(8, 2, 8), randomStateModel(2, 2, 9), states, { attack: 'fgsm', space: 'state', epsilons: [0, 0.3] }, new Rng(1));
  assert.equal(points.length, 2);
  assert.throws(
    () => transferAttack(randomMlp(8, 2, 8), randomMlp(4, 2, 1), states, { attack: 'fgsm' }, new Rng(1)),
    /target: samples have 8 features but the model takes 4/,
  );
});
