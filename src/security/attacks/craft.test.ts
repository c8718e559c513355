import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from '../../data/dataset.js';
import { Rng } from '../../util/random.js';
import { fgsm, pgd } from './adversarial.js';
import { randomBatch, randomMlp, randomStateModel, randomStates } from './adversarial-testing.js';
import { craft, craftDataset, pgdSchedule } from './craft.js';
import { stateFgsm, statePgd } from './state-attack.js';

test('craft dispatches to the attack the spec names, PGD defaults filled in', () => {
  const model = randomMlp(4, 3, 1);
  const { x, y } = randomBatch(5, 4, 3, new Rng(2));
  assert.deepEqual(pgdSchedule({ attack: 'pgd', eps: 0.2 }), { steps: 10, stepSize: 0.05, randomStart: true });
  assert.deepEqual(craft(model, x, y, 5, { attack: 'fgsm', eps: 0.1, norm: 'l2' }, new Rng(1)), fgsm(model, x, y, 5, { eps: 0.1, norm: 'l2' }));
  assert.deepEqual(
    craft(model, x, y, 5, { attack: 'pgd', eps: 0.2, range: [0, 1] }, new Rng(3)),
    pgd(model, x, y, 5, { eps: 0.2, steps: 10, stepSize: 0.05, randomStart: true, norm: 'linf', range: [0, 1] }, new Rng(3)),
  );
  const sm = randomStateModel(2, 2, 4);
  const s = randomStates(3, 2, 2, new Rng(5));
  assert.deepEqual(craft(sm, s.x, s.y, 3, { attack: 'fgsm', eps: 0.1, space: 'state', axes: ['Y'] }, new Rng(1)), stateFgsm(sm, s.x, s.y, 3, { eps: 0.1, axes: ['Y'] }).x);
  assert.deepEqual(
    craft(sm, s.x, s.y, 3, { attack: 'pgd', eps: 0.1, space: 'state', steps: 2 }, new Rng(6)),
    statePgd(sm, s.x, s.y, 3, { eps: 0.1, steps: 2, stepSize: 0.125, randomStart: true }, new Rng(6)).x,
  );
});

test('craftDataset attacks in batches like one big batch (FGSM) and keeps the labels', () => {
  const model = randomMlp(4, 3, 7);
  const { x, y } = randomBatch(10, 4, 3, new Rng(8));
  const data = makeDataset({ x, y, shape: [4], classes: 3 });
  const adv = craftDataset(model, data, { attack: 'fgsm', eps: 0.1 }, new Rng(1), 3);
  assert.deepEqual(adv.x, fgsm(model, x, y, 10, { eps: 0.1 }));
  assert.deepEqual(adv.y, y);
  assert.deepEqual(adv.shape, [4]);
  assert.throws(() => craftDataset(model, data, { attack: 'fgsm', eps: 0.1 }, new Rng(1), 0), /batchSize: must be an integer >= 1, got 0/);
});
