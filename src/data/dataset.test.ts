import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../util/random.js';
import {
  classCounts,
  type Dataset,
  featureCount,
  makeDataset,
  randomSplit,
  sampleRow,
  shuffled,
  subset,
  take,
  withFeatures,
} from './dataset.js';

/** 4 samples of shape [2]: sample i is [i, 10 + i], label i % 2. */
function tiny(): Dataset {
  return makeDataset({ x: Float64Array.from([0, 10, 1, 11, 2, 12, 3, 13]), y: Int32Array.from([0, 1, 0, 1]), shape: [2], classes: 2 });
}

describe('dataset helpers', () => {
  test('featureCount is the product of the shape', () => {
    assert.equal(featureCount([1, 28, 28]), 784);
    assert.equal(featureCount([16]), 16);
  });

  test('makeDataset checks lengths, labels and finiteness', () => {
    const ds = tiny();
    assert.equal(ds.n, 4);
    assert.throws(() => makeDataset({ x: new Float64Array(7), y: new Int32Array(4), shape: [2], classes: 2 }), {
      message: 'dataset.x: expected n * features = 4 * 2 = 8 values for 4 labels and shape [2], found 7',
    });
    assert.throws(() => makeDataset({ x: new Float64Array(4), y: Int32Array.from([0, 2]), shape: [2], classes: 2 }), {
      message: 'dataset.y[1]: expected a label in 0..1, found 2',
    });
    assert.throws(() => makeDataset({ x: Float64Array.from([0, 0, NaN, 0]), y: new Int32Array(2), shape: [2], classes: 1 }, 'train'), {
      message: 'train.x[1]: feature 0 of sample 1 is NaN, expected a finite number',
    });
    assert.throws(() => makeDataset({ x: new Float64Array(0), y: new Int32Array(0), shape: [0], classes: 1 }), {
      message: 'dataset.shape: expected a non-empty list of positive integers, found [0]',
    });
  });

  test('subset copies the chosen rows in order, repeats allowed', () => {
    const ds = tiny();
    const s = subset(ds, [3, 1, 3]);
    assert.deepEqual(Array.from(s.x), [3, 13, 1, 11, 3, 13]);
    assert.deepEqual(Array.from(s.y), [1, 1, 1]);
    s.x[0] = 99;
    assert.equal(ds.x[6], 3, 'the source is not touched');
    assert.throws(() => subset(ds, [0, 4]), { message: 'indices[1]: expected a sample index in 0..3, found 4' });
  });

  test('take, sampleRow, classCounts, withFeatures', () => {
    const ds = tiny();
    assert.deepEqual(Array.from(take(ds, 2).x), [0, 10, 1, 11]);
    assert.equal(take(ds, 10).n, 4);
    assert.deepEqual(Array.from(sampleRow(ds, 2)), [2, 12]);
    assert.deepEqual(Array.from(classCounts(ds)), [2, 2]);
    assert.throws(() => withFeatures(ds, new Float64Array(5), [2]), { message: 'x: expected 4 * 2 = 8 values for shape [2], found 5' });
  });

  test('shuffled and randomSplit are seeded permutations', () => {
    const ds = tiny();
    const a = shuffled(ds, new Rng(1));
    const b = shuffled(ds, new Rng(1));
    assert.deepEqual(a, b);
    assert.deepEqual(Array.from(a.x).sort((p, q) => p - q), [0, 1, 2, 3, 10, 11, 12, 13]);
    const { a: part, b: rest } = randomSplit(ds, 0.25, new Rng(2));
    assert.equal(part.n, 1);
    assert.equal(rest.n, 3);
  });
});
