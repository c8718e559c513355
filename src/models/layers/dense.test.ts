import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dense } from './dense.js';
import { Rng } from '../../util/random.js';
import { assertGradcheck, gradcheckLayer } from '../gradcheck.js';
import { NO_INPUT_GRAD } from './common.js';

test('forward computes x W^T + b with W stored [out, in]', () => {
  const d = new Dense(3, 2);
  // W = [[1, 2, 3], [0, -1, 1]], b = [10, 20]
  const params = new Float64Array([1, 2, 3, 0, -1, 1, 10, 20]);
  const x = new Float64Array([1, 1, 1, 2, 0, -1]);
  const { y } = d.forward(x, 2, params);
  assert.deepEqual(Array.from(y), [16, 20, 9, 19]);
  assert.deepEqual(d.inShape, [3]);
  assert.deepEqual(d.outShape, [2]);
  assert.equal(d.paramCount, 8);
});

test('backward by hand: dW = G^T X, db = column sums of G, dX = G W', () => {
  const d = new Dense(2, 1);
  const params = new Float64Array([2, -3, 0.5]);
  const x = new Float64Array([1, 2, 3, 4]);
  const pass = d.forward(x, 2, params);
  const dParams = new Float64Array(3);
  const dx = pass.backward(new Float64Array([1, 10]), dParams);
  assert.deepEqual(Array.from(dParams), [31, 42, 11]);
  assert.deepEqual(Array.from(dx), [2, -3, 20, -30]);
});

test('gradients match finite differences', () => {
  const rng = new Rng(11);
  assertGradcheck(gradcheckLayer(new Dense(7, 5), { batch: 3, rng }), 'dense 7->5');
  assertGradcheck(gradcheckLayer(new Dense(1, 9), { batch: 1, rng }), 'dense 1->9');
});

test('wantInputGrad = false still accumulates dParams and skips dx', () => {
  const rng = new Rng(2);
  const d = new Dense(4, 3);
  const params = Float64Array.from({ length: d.paramCount }, () => rng.normal());
  const x = Float64Array.from({ length: 8 }, () => rng.normal());
  const dy = Float64Array.from({ length: 6 }, () => rng.normal());
  const full = new Float64Array(d.paramCount);
  const skip = new Float64Array(d.paramCount);
  d.forward(x, 2, params).backward(dy, full);
  const dx = d.forward(x, 2, params).backward(dy, skip, false);
  assert.equal(dx, NO_INPUT_GRAD);
  assert.deepEqual(skip, full);
});

test('init: glorot is bounded by sqrt(6/(in+out)), he has std sqrt(2/in), biases are zero', () => {
  const rng = new Rng(5);
  const g = new Dense(300, 200);
  const p = new Float64Array(g.paramCount);
  g.init(p, rng);
  const bound = Math.sqrt(6 / 500);
  const w = p.subarray(0, 60000);
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...w) > 0.95 * bound);
  assert.ok(p.subarray(60000).every((v) => v === 0));

  const h = new Dense(400, 300, { init: 'he' });
  const q = new Float64Array(h.paramCount);
  h.init(q, rng);
  const wh = q.subarray(0, 120000);
  const std = Math.sqrt(wh.reduce((s, v) => s + v * v, 0) / wh.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / 400) - 1) < 0.02, `std ${std}`);

  const again = new Float64Array(h.paramCount);
  h.init(again, new Rng(5));
  const first = new Float64Array(h.paramCount);
  const r2 = new Rng(5);
  h.init(first, r2);
  assert.deepEqual(again, first, 'same seed, same init');
});

test('errors name the field and the allowed values', () => {
  assert.throws(() => new Dense(0, 3), { message: 'dense.inSize: must be an integer >= 1, got 0' });
  assert.throws(() => new Dense(3, 2.5), { message: 'dense.outSize: must be an integer >= 1, got 2.5' });
  assert.throws(() => new Dense(3, 2, { init: 'xavier' as 'he' }), {
    message: "dense.init: must be one of glorot, he, got 'xavier'",
  });
  const d = new Dense(3, 2);
  const p = new Float64Array(8);
  assert.throws(() => d.forward(new Float64Array(5), 2, p), {
    message: 'dense.x: must hold batch * 3 = 6 numbers, got 5',
  });
  assert.throws(() => d.forward(new Float64Array(3), 0, p), { message: 'dense.batch: must be an integer >= 1, got 0' });
  assert.throws(() => d.forward(new Float64Array(3), 1, new Float64Array(7)), {
    message: 'dense.params: must hold 8 numbers, got 7',
  });
  const pass = d.forward(new Float64Array(3), 1, p);
  assert.throws(() => pass.backward(new Float64Array(3), new Float64Array(8)), {
    message: 'dense.dy: must hold 2 numbers like y, got 3',
  });
});

test('NaN in the input propagates to the output', () => {
  const d = new Dense(2, 2);
  const { y } = d.forward(new Float64Array([NaN, 1]), 1, new Float64Array([1, 1, 1, 1, 0, 0]));
  assert.ok(y.every((v) => Number.isNaN(v)));
});
