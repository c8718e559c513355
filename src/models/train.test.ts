import assert from 'node:assert/strict';
import test from 'node:test';
import { makeDataset } from '../data/dataset.js';
import { Rng } from '../util/random.js';
import { mlp } from './classical-zoo.js';
import { Adam } from './optim.js';
import { vqcClassifier } from './quantum-zoo.js';
import { evaluate, train } from './train.js';

/** Two separable blobs in 4 dimensions. */
function blobs(n: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Float64Array(n * 4);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let f = 0; f < 4; f++) x[i * 4 + f] = (y[i] ? 2.2 : 0.8) + 0.3 * rng.normal();
  }
  return makeDataset({ x, y, shape: [4], classes: 2 });
}

test('training a VQC on separable data lowers the loss and reaches high accuracy', () => {
  const data = blobs(64, 1);
  const model = vqcClassifier({ nQubits: 4, layers: 2, classes: 2, embedding: 'angle', features: 4, angleScale: 1 });
  const rng = new Rng(7);
  model.init(rng);
  const before = evaluate(model, data);
  const history = train(model, data, { epochs: 15, batchSize: 16, optimizer: new Adam({ lr: 0.1 }), rng });
  assert.equal(history.length, 15);
  assert.ok(history[14]!.loss < before.loss * 0.7, `loss ${before.loss} -> ${history[14]!.loss}`);
  assert.ok(evaluate(model, data).accuracy >= 0.9);
});

test('training is deterministic for a seed and differs for another', () => {
  const data = blobs(40, 2);
  const run = (seed: number) => {
    const model = mlp(4, [6], 2);
    const rng = new Rng(seed);
    model.init(rng);
    train(model, data, { epochs: 2, batchSize: 8, optimizer: new Adam({ lr: 0.01 }), rng });
    return model.getParams();
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

test('train refuses data that does not fit the model', () => {
  const model = mlp(5, [], 2);
  assert.throws(
    () => train(model, blobs(4, 1), { epochs: 1, batchSize: 2, optimizer: new Adam(), rng: new Rng(1) }),
    /train: samples have 4 features but the model takes 5/,
  );
});
