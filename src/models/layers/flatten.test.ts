import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flatten } from './flatten.js';
import { Rng } from '../../util/random.js';
import { assertGradcheck, gradcheckLayer } from '../gradcheck.js';

test('flattens the per-sample shape without copying', () => {
  const f = new Flatten([16, 5, 5]);
  assert.deepEqual(f.outShape, [400]);
  assert.equal(f.paramCount, 0);
  const x = new Float64Array(800);
  const pass = f.forward(x, 2);
  assert.equal(pass.y, x);
  const dy = new Float64Array(800);
  assert.equal(pass.backward(dy, new Float64Array(0)), dy);
});

test('gradient is the identity', () => {
  assertGradcheck(gradcheckLayer(new Flatten([2, 3]), { batch: 3, rng: new Rng(1) }), 'flatten');
});

test('errors name the field and the allowed values', () => {
  assert.throws(() => new Flatten([2, -1]), { message: 'flatten.inShape[1]: must be an integer >= 1, got -1' });
  assert.throws(() => new Flatten([4]).forward(new Float64Array(6), 2), {
    message: 'flatten.x: must hold batch * 4 = 8 numbers, got 6',
  });
});
