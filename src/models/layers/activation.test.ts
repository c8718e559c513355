import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Activation, relu, sigmoid, tanh } from './activation.js';
import { Rng } from '../../util/random.js';
import { assertGradcheck, gradcheckLayer } from '../gradcheck.js';

const NONE = new Float64Array(0);

test('values by hand', () => {
  const x = new Float64Array([-2, 0, 3]);
  assert.deepEqual(Array.from(relu([3]).forward(x, 1).y), [0, 0, 3]);
  assert.deepEqual(Array.from(tanh([3]).forward(x, 1).y), [Math.tanh(-2), 0, Math.tanh(3)]);
  const s = sigmoid([3]).forward(x, 1).y;
  assert.ok(Math.abs(s[0]! - 1 / (1 + Math.exp(2))) < 1e-16);
  assert.equal(s[1], 0.5);
});

test('derivatives by hand: relu is 0 at the kink', () => {
  const x = new Float64Array([-1, 0, 2]);
  const dy = new Float64Array([5, 5, 5]);
  assert.deepEqual(Array.from(relu([3]).forward(x, 1).backward(dy, NONE)), [0, 0, 5]);
  assert.deepEqual(Array.from(sigmoid([1]).forward(new Float64Array([0]), 1).backward(new Float64Array([1]), NONE)), [0.25]);
});

test('gradients match finite differences', () => {
  const rng = new Rng(41);
  const shape = [2, 3, 4];
  const n = 2 * 24;
  // Keep relu's inputs at least 0.05 away from its kink.
  const x = Float64Array.from({ length: n }, () => {
    const v = rng.normal();
    return v >= 0 ? v + 0.05 : v - 0.05;
  });
  assertGradcheck(gradcheckLayer(relu(shape), { batch: 2, rng, x }), 'relu');
  assertGradcheck(gradcheckLayer(tanh(shape), { batch: 2, rng }), 'tanh');
  assertGradcheck(gradcheckLayer(sigmoid(shape), { batch: 2, rng }), 'sigmoid');
});

test('sigmoid is finite and exact at the extremes; NaN propagates', () => {
  const y = sigmoid([4]).forward(new Float64Array([-1000, 1000, -40, NaN]), 1).y;
  assert.equal(y[0], 0);
  assert.equal(y[1], 1);
  assert.ok(y[2]! > 0 && y[2]! < 1e-17);
  assert.ok(Number.isNaN(y[3]));
  assert.ok(Number.isNaN(relu([1]).forward(new Float64Array([NaN]), 1).y[0]));
});

test('errors name the field and the allowed values', () => {
  assert.throws(() => new Activation('gelu', [3]), { message: "activation: must be one of relu, tanh, sigmoid, got 'gelu'" });
  assert.throws(() => relu([3, 0]), { message: 'relu.shape[1]: must be an integer >= 1, got 0' });
  assert.throws(() => tanh([]), { message: 'tanh.shape: must have at least one dimension' });
  const pass = relu([2]).forward(new Float64Array(2), 1);
  assert.throws(() => pass.backward(new Float64Array(3), NONE), { message: 'relu.dy: must hold 2 numbers like y, got 3' });
});
