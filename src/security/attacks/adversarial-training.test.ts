import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam } from '../../models/optim.js';
import { train } from '../../models/train.js';
import { Rng } from '../../util/random.js';
import { fgsm } from './adversarial.js';
import { adversarialBatch, adversarialBatchTransform, adversarialCount } from './adversarial-training.js';
import { linearTask, randomBatch, randomMlp, randomStateModel, randomStates } from './adversarial-testing.js';

/** Indices of the rows that differ between a and b. */
function changedRows(a: Float64Array, b: Float64Array, batch: number): number[] {
  const w = a.length / batch;
  const out: number[] = [];
  for (let s = 0; s < batch; s++) if (a.subarray(s * w, (s + 1) * w).some((v, j) => v !== b[s * w + j])) out.push(s);
  return out;
}

test('the batch transform replaces exactly the requested share of each batch', () => {
  const model = randomMlp(5, 3, 1);
  const { x, y } = randomBatch(8, 5, 3, new Rng(2));
  for (const [share, want] of [[0, 0], [0.25, 2], [0.5, 4], [1, 8]] as const) {
    const r = adversarialBatch(model, x, y, 8, { attack: 'fgsm', eps: 0.1, share, range: [0, 1] }, new Rng(3));
    assert.equal(r.adversarial.length, want);
    assert.deepEqual(changedRows(r.x, x, 8), [...r.adversarial], `share ${share}: only the chosen rows changed`);
    const f = fgsm(model, x, y, 8, { eps: 0.1, range: [0, 1] });
    for (const row of r.adversarial) assert.deepEqual(r.x.subarray(row * 5, row * 5 + 5), f.subarray(row * 5, row * 5 + 5));
  }
  const hook = adversarialBatchTransform(model, { attack: 'pgd', eps: 0.1, steps: 2, share: 0.5 }, new Rng(4));
  for (let call = 0; call < 3; call++) assert.equal(changedRows(hook(x, y, 8), x, 8).length, 4);
  assert.deepEqual(x, randomBatch(8, 5, 3, new Rng(2)).x, 'the clean batch is not mutated');
});

test('a fractional share is rounded stochastically, exact on average', () => {
  const rng = new Rng(5);
  let total = 0;
  for (let i = 0; i < 4000; i++) {
    const c = adversarialCount(0.3, 5, rng);
    assert.ok(c === 1 || c === 2);
    total += c;
  }
  assert.ok(Math.abs(total / 4000 - 1.5) < 0.05, `mean ${total / 4000}`);
  assert.equal(adversarialCount(0.5, 6, rng), 3);
  assert.throws(() => adversarialCount(1.5, 6, rng), /share: must be a number in \[0, 1\], got 1.5/);
});

test('examples are made against the current local model, step after step', () => {
  const model = randomMlp(4, 2, 6);
  const { x, y } = randomBatch(6, 4, 2, new Rng(7));
  const hook = adversarialBatchTransform(model, { attack: 'fgsm', eps: 0.2, share: 1 }, new Rng(8));
  assert.deepEqual(hook(x, y, 6), fgsm(model, x, y, 6, { eps: 0.2 }));
  model.setParams(randomMlp(4, 2, 99).params);
  assert.deepEqual(hook(x, y, 6), fgsm(model, x, y, 6, { eps: 0.2 }), 'the new parameters are used');

  // In the training loop: every batch's examples come from the parameters of that step.
  const data = linearTask(32, 4, 9);
  let calls = 0;
  const inner = adversarialBatchTransform(model, { attack: 'fgsm', eps: 0.1, share: 0.5, range: [0, 1] }, new Rng(10));
  train(model, data, {
    epochs: 2,
    batchSize: 8,
    optimizer: new Adam({ lr: 0.01 }),
    rng: new Rng(11),
    batchHook: (bx, by, b) => {
      calls++;
      const out = inner(bx, by, b);
      assert.equal(changedRows(out, bx, b).length, b / 2);
      return out;
    },
  });
  assert.equal(calls, 8);
});

test('adversarial training in state space keeps every row a normalized state', () => {
  const model = randomStateModel(2, 2, 12);
  const { x, y } = randomStates(4, 2, 2, new Rng(13));
  const hook = adversarialBatchTransform(model, { attack: 'pgd', space: 'state', eps: 0.2, steps: 2, share: 0.5 }, new Rng(14));
  const out = hook(x, y, 4);
  assert.equal(changedRows(out, x, 4).length, 2);
  for (let b = 0; b < 4; b++) assert.ok(Math.abs(Math.hypot(...out.subarray(b * 8, b * 8 + 8)) - 1) < 1e-12);
  assert.throws(
    () => adversarialBatchTransform(randomMlp(3, 2, 1), { attack: 'fgsm', space: 'state', eps: 0.1, share: 0.5 }, new Rng(1)),
    /model\.inSize: a prepared-state row holds/,
  );
});
