import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, argmax, meanSquaredError, softmax, softmaxCrossEntropy } from './loss.js';
import { Rng } from '../util/random.js';
import { assertGradcheck, gradcheckLoss } from './gradcheck.js';

function close(a: number, b: number, tol = 1e-12): void {
  assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${a} vs ${b}`);
}

test('softmax cross-entropy by hand: mean loss and (softmax - onehot) / B', () => {
  const logits = new Float64Array([2, 0, 0, 3]);
  const { loss, grad } = softmaxCrossEntropy(logits, [0, 1], 2);
  close(loss, (Math.log(1 + Math.exp(-2)) + Math.log(1 + Math.exp(-3))) / 2);
  const p0 = 1 / (1 + Math.exp(-2));
  const p1 = 1 / (1 + Math.exp(3));
  close(grad[0]!, (p0 - 1) / 2);
  close(grad[1]!, (1 - p0) / 2);
  close(grad[2]!, p1 / 2);
  close(grad[3]!, -p1 / 2);
});

test('softmax cross-entropy is stable for huge logits and uniform logits give log C', () => {
  // Row 0: lse = 1000, loss 1000 - (-1000). Row 1: two tied giants, loss log 2.
  const { loss, grad } = softmaxCrossEntropy(new Float64Array([1000, -1000, 0, 1e300, 1e300, -5]), [1, 0], 2);
  close(loss, (2000 + Math.log(2)) / 2);
  assert.ok(grad.every((g) => Number.isFinite(g)));
  close(softmaxCrossEntropy(new Float64Array(10).fill(7), [3], 1).loss, Math.log(10));
});

test('gradients match finite differences', () => {
  const rng = new Rng(51);
  const batch = 4;
  const logits = Float64Array.from({ length: batch * 5 }, () => rng.normal(0, 2));
  assertGradcheck(gradcheckLoss(softmaxCrossEntropy, logits, [0, 4, 2, 2], batch), 'softmax cross-entropy');
  const out = Float64Array.from({ length: 12 }, () => rng.normal());
  const target = Float64Array.from({ length: 12 }, () => rng.normal());
  assertGradcheck(gradcheckLoss(meanSquaredError, out, target, 3), 'mse');
});

test('mean squared error by hand, averaged over every entry', () => {
  const { loss, grad } = meanSquaredError(new Float64Array([1, 2, 3, 4]), new Float64Array([1, 0, 3, 1]), 2);
  assert.equal(loss, (4 + 9) / 4);
  assert.deepEqual(Array.from(grad), [0, 1, 0, 1.5]);
});

test('softmax, argmax (first on ties) and accuracy', () => {
  const p = softmax(new Float64Array([0, Math.log(3), 5, 5]), 2);
  close(p[0]!, 0.25);
  close(p[1]!, 0.75);
  close(p[2]!, 0.5);
  assert.deepEqual(Array.from(argmax(new Float64Array([1, 3, 2, 7, 7, 0]), 2)), [1, 0]);
  assert.equal(accuracy(new Float64Array([1, 3, 2, 7, 7, 0]), Int32Array.from([1, 1]), 2), 0.5);
});

test('NaN logits give a NaN loss rather than a quiet number', () => {
  assert.ok(Number.isNaN(softmaxCrossEntropy(new Float64Array([NaN, 1]), [0], 1).loss));
});

test('errors name the field and the allowed values', () => {
  const z = new Float64Array(6);
  assert.throws(() => softmaxCrossEntropy(z, [0, 3], 2), {
    message: 'softmaxCrossEntropy.labels[1]: must be an integer class in [0, 3), got 3',
  });
  assert.throws(() => softmaxCrossEntropy(z, [0, 1.5], 2), {
    message: 'softmaxCrossEntropy.labels[1]: must be an integer class in [0, 3), got 1.5',
  });
  assert.throws(() => softmaxCrossEntropy(z, [0], 2), {
    message: 'softmaxCrossEntropy.labels: must hold one label per sample (2), got 1',
  });
  assert.throws(() => softmaxCrossEntropy(z, [0, 0, 0, 0], 4), {
    message: 'softmaxCrossEntropy.output: must hold batch (4) rows of equal width, got 6 numbers',
  });
  assert.throws(() => meanSquaredError(z, new Float64Array(5), 2), {
    message: 'meanSquaredError.targets: must match the output length 6, got 5',
  });
});
