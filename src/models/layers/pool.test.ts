import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvgPool2d, MaxPool2d } from './pool.js';
import { Rng } from '../../util/random.js';
import { assertGradcheck, gradcheckLayer } from '../gradcheck.js';

const NONE = new Float64Array(0);

/** Distinct values at least 0.01 apart, shuffled: no ties, no near-ties for the difference step. */
function separated(n: number, rng: Rng): Float64Array {
  const p = rng.permutation(n);
  return Float64Array.from(p, (v) => (v - n / 2) * 0.01);
}

test('max pooling by hand, with the gradient routed to the winner', () => {
  const pool = new MaxPool2d({ channels: 1, height: 4, width: 4, kernel: 2 });
  // prettier-ignore
  const x = new Float64Array([
    1, 2, 0, 0,
    3, 4, 0, 9,
    0, 0, -1, -2,
    5, 0, -3, -4,
  ]);
  const pass = pool.forward(x, 1);
  assert.deepEqual(Array.from(pass.y), [4, 9, 5, -1]);
  const dx = pass.backward(new Float64Array([1, 2, 3, 4]), NONE);
  assert.deepEqual(Array.from(dx), [0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 4, 0, 3, 0, 0, 0]);
});

test('average pooling by hand', () => {
  const pool = new AvgPool2d({ channels: 1, height: 2, width: 4, kernel: 2 });
  const x = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const pass = pool.forward(x, 1);
  assert.deepEqual(Array.from(pass.y), [3.5, 5.5]);
  assert.deepEqual(Array.from(pass.backward(new Float64Array([4, 8]), NONE)), [1, 1, 2, 2, 1, 1, 2, 2]);
});

test('shapes: floor((H - k) / s) + 1, stride defaults to the kernel', () => {
  assert.deepEqual(new MaxPool2d({ channels: 6, height: 28, width: 28, kernel: 2 }).outShape, [6, 14, 14]);
  assert.deepEqual(new MaxPool2d({ channels: 2, height: 7, width: 5, kernel: 3, stride: 2 }).outShape, [2, 3, 2]);
  assert.deepEqual(new AvgPool2d({ channels: 1, height: 5, width: 5, kernel: 2 }).outShape, [1, 2, 2]);
  assert.equal(new AvgPool2d({ channels: 1, height: 5, width: 5, kernel: 2 }).paramCount, 0);
});

test('gradients match finite differences, overlapping and ragged windows included', () => {
  const rng = new Rng(31);
  const shapes = [
    { channels: 2, height: 6, width: 6, kernel: 2 },
    { channels: 2, height: 7, width: 5, kernel: 3, stride: 2 },
    { channels: 1, height: 5, width: 7, kernel: 2, stride: 3 },
  ];
  for (const o of shapes) {
    const batch = 2;
    const x = separated(batch * o.channels * o.height * o.width, rng);
    assertGradcheck(gradcheckLayer(new MaxPool2d(o), { batch, rng, x }), `maxpool ${JSON.stringify(o)}`);
    assertGradcheck(gradcheckLayer(new AvgPool2d(o), { batch, rng }), `avgpool ${JSON.stringify(o)}`);
  }
});

test('max pooling propagates NaN instead of hiding it', () => {
  const pool = new MaxPool2d({ channels: 1, height: 2, width: 2, kernel: 2 });
  assert.ok(Number.isNaN(pool.forward(new Float64Array([1, NaN, 3, 2]), 1).y[0]));
  assert.ok(Number.isNaN(pool.forward(new Float64Array([NaN, 5, 3, 2]), 1).y[0]));
});

test('errors name the field and the allowed values', () => {
  assert.throws(() => new MaxPool2d({ channels: 1, height: 3, width: 8, kernel: 4 }), {
    message: 'maxpool2d.kernel: must fit the input 3x8, got 4',
  });
  assert.throws(() => new AvgPool2d({ channels: 0, height: 3, width: 3, kernel: 2 }), {
    message: 'avgpool2d.channels: must be an integer >= 1, got 0',
  });
  const pool = new MaxPool2d({ channels: 1, height: 2, width: 2, kernel: 2 });
  assert.throws(() => pool.forward(new Float64Array(4), 2), {
    message: 'maxpool2d.x: must hold batch * 4 = 8 numbers, got 4',
  });
});
