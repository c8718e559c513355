import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lenet5, mlp, parameterCount } from './classical-zoo.js';
import { softmaxCrossEntropy, accuracy } from './loss.js';
import { Adam } from './optim.js';
import { Rng } from '../util/random.js';
import { assertGradcheck, gradcheckModel } from './gradcheck.js';

test('LeNet-5: shapes, kinds and 61 706 parameters', () => {
  const model = lenet5();
  assert.deepEqual(model.inShape, [1, 28, 28]);
  assert.deepEqual(model.outShape, [10]);
  assert.equal(model.paramCount, 61706);
  assert.equal(parameterCount(model), 61706);
  assert.deepEqual(
    model.layers.map((l) => l.kind),
    ['conv2d', 'relu', 'maxpool2d', 'conv2d', 'relu', 'maxpool2d', 'flatten', 'dense', 'relu', 'dense', 'relu', 'dense'],
  );
  assert.equal(lenet5(3).paramCount, 61706 - 85 * 7);
});

test('MLP: layer sizes and parameter count', () => {
  const model = mlp(784, [128, 64], 10);
  assert.equal(model.paramCount, 109386);
  assert.equal(parameterCount(model.layers), 109386);
  assert.deepEqual(mlp(4, [], 3).layers.map((l) => l.kind), ['dense']);
  assert.deepEqual(mlp(4, [5], 3, { activation: 'tanh' }).layers.map((l) => l.kind), ['dense', 'tanh', 'dense']);
  assert.throws(() => mlp(4, [5, 0], 3), { message: 'mlp.hidden[1]: must be an integer >= 1, got 0' });
  assert.throws(() => lenet5(0), { message: 'lenet5.classes: must be an integer >= 1, got 0' });
});

test('an MLP learns two Gaussian blobs with Adam', () => {
  const rng = new Rng(81);
  const batch = 64;
  const x = new Float64Array(batch * 2);
  const labels = new Int32Array(batch);
  for (let s = 0; s < batch; s++) {
    labels[s] = s % 2;
    x[2 * s] = rng.normal(labels[s] ? 1.5 : -1.5, 0.7);
    x[2 * s + 1] = rng.normal(labels[s] ? -1 : 1, 0.7);
  }
  const model = mlp(2, [16], 2);
  model.init(rng);
  const opt = new Adam({ lr: 0.05 });
  const first = model.lossAndGrad(x, labels, batch, softmaxCrossEntropy).loss;
  let last = first;
  for (let it = 0; it < 60; it++) {
    const { loss, grad } = model.lossAndGrad(x, labels, batch, softmaxCrossEntropy);
    last = loss;
    opt.step(model.params, grad);
  }
  assert.ok(last < first / 4, `loss ${first} -> ${last}`);
  assert.ok(accuracy(model.forward(x, batch), labels, batch) >= 0.95);
});

test('LeNet-5 steps downhill on a small batch', () => {
  const rng = new Rng(82);
  const batch = 4;
  const model = lenet5();
  model.init(rng);
  const x = Float64Array.from({ length: batch * 784 }, () => rng.uniform());
  const labels = [3, 1, 4, 1];
  const opt = new Adam({ lr: 1e-3 });
  const before = model.lossAndGrad(x, labels, batch, softmaxCrossEntropy);
  opt.step(model.params, before.grad);
  for (let i = 0; i < 4; i++) opt.step(model.params, model.lossAndGrad(x, labels, batch, softmaxCrossEntropy).grad);
  const after = model.lossAndGrad(x, labels, batch, softmaxCrossEntropy).loss;
  assert.ok(after < before.loss, `${before.loss} -> ${after}`);
});

test('LeNet-5 gradients at full size match finite differences (sampled entries)', () => {
  const rng = new Rng(83);
  const model = lenet5();
  model.init(rng);
  const x = Float64Array.from({ length: 2 * 784 }, () => rng.uniform());
  assertGradcheck(gradcheckModel(model, x, [7, 2], 2, softmaxCrossEntropy, { rng, maxEntries: 40 }), 'lenet5');
});
