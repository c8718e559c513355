import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from '../../data/dataset.js';
import { vqcClassifier } from '../../models/quantum-zoo.js';
import { evaluate } from '../../models/train.js';
import { Rng } from '../../util/random.js';
import { fitted, linearTask, randomMlp, randomStateModel, randomStates } from './adversarial-testing.js';
import { DEFAULT_EPSILONS, robustAccuracy } from './robustness.js';

test('robust accuracy at eps 0 is the clean accuracy, and attacks lower it', () => {
  const data = linearTask(96, 4, 1);
  const model = fitted(randomMlp(4, 2, 2), data, 15, 3);
  const clean = evaluate(model, data).accuracy;
  assert.ok(clean > 0.85, `trained: ${clean}`);
  const fg = robustAccuracy(model, data, { attack: 'fgsm', range: [0, 1], batchSize: 40 }, new Rng(4));
  assert.deepEqual(fg.map((p) => p.eps), DEFAULT_EPSILONS);
  assert.equal(fg[0]!.accuracy, clean);
  assert.ok(fg[fg.length - 1]!.accuracy < clean - 0.3, `eps 0.5: ${fg[fg.length - 1]!.accuracy}`);
  const pg = robustAccuracy(model, data, { attack: 'pgd', epsilons: [0, 0.1, 0.3], steps: 5, range: [0, 1] }, new Rng(4));
  assert.equal(pg[0]!.accuracy, clean);
  assert.ok(pg[2]!.accuracy <= fg[6]!.accuracy, 'PGD at 0.3 is at least as strong as FGSM here');
});

test('batching does not change the result, and progress is reported per batch', () => {
  const data = linearTask(30, 4, 5);
  const model = randomMlp(4, 2, 6);
  const seen: number[] = [];
  const a = robustAccuracy(model, data, { attack: 'fgsm', epsilons: [0, 0.05, 0.2], batchSize: 7, onProgress: (p) => seen.push(p.done) }, new Rng(1));
  const b = robustAccuracy(model, data, { attack: 'fgsm', epsilons: [0, 0.05, 0.2], batchSize: 100 }, new Rng(1));
  assert.deepEqual(a, b);
  assert.deepEqual(seen, [7, 14, 21, 28, 30, 7, 14, 21, 28, 30, 7, 14, 21, 28, 30]);
});

test('robust accuracy of quantum models: input space (VQC) and state space (state classifier)', () => {
  const data = linearTask(24, 2, 7);
  const vqc = vqcClassifier({ nQubits: 2, layers: 1, classes: 2, embedding: 'angle', features: 2 });
  vqc.init(new Rng(8));
  const v = robustAccuracy(vqc, data, { attack: 'pgd', epsilons: [0, 0.2], steps: 3, range: [0, 1] }, new Rng(9));
  assert.equal(v[0]!.accuracy, evaluate(vqc, data).accuracy);
  assert.ok(v[1]!.accuracy <= v[0]!.accuracy);

  const { x, y } = randomStates(12, 2, 2, new Rng(10));
  const states = makeDataset({ x, y, shape: [8], classes: 2 });
  const model = randomStateModel(2, 2, 11);
  const s = robustAccuracy(model, states, { attack: 'fgsm', space: 'state', epsilons: [0, 0.5] }, new Rng(12));
  assert.equal(s[0]!.accuracy, evaluate(model, states).accuracy);
  assert.ok(s[1]!.accuracy <= s[0]!.accuracy);
});

test('bad sweeps are refused with the field named', () => {
  const data = linearTask(4, 6, 1);
  const model = randomMlp(6, 2, 1);
  const rng = new Rng(1);
  assert.throws(() => robustAccuracy(model, data, { attack: 'fgsm', epsilons: [] }, rng), /epsilons: must hold at least one radius/);
  assert.throws(() => robustAccuracy(model, data, { attack: 'fgsm', epsilons: [0, -0.1] }, rng), /epsilons\[1\]: must be a finite number >= 0/);
  assert.throws(() => robustAccuracy(model, data, { attack: 'cw' as 'pgd' }, rng), /attack\.attack: must be one of fgsm, pgd, got 'cw'/);
  assert.throws(() => robustAccuracy(model, data, { attack: 'fgsm', space: 'state' }, rng), /model\.inSize: a prepared-state row holds 2 \* 2\^n numbers \(n = 1..30\), got 6/);
  assert.throws(() => robustAccuracy(model, data, { attack: 'fgsm', axes: ['X'] }, rng), /attack\.space: axes and wires describe state-space attacks/);
  assert.throws(() => robustAccuracy(model, data, { attack: 'fgsm', batchSize: 0 }, rng), /batchSize: must be an integer >= 1, got 0/);
  assert.throws(() => robustAccuracy(model, data, { attack: 'fgsm', space: 'state', range: [0, 1] }, rng), /attack\.space: a state-space attack keeps states normalized/);
  assert.throws(() => robustAccuracy(randomMlp(3, 2, 1), data, { attack: 'fgsm' }, rng), /data: samples have 6 features but the model takes 3/);
});
