import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeDataset, type Dataset } from '../../data/dataset.js';
import { mlp } from '../../models/classical-zoo.js';
import { createOptimizer } from '../../models/optim.js';
import { evaluate, train } from '../../models/train.js';
import { Rng } from '../../util/random.js';
import { assertQfl } from '../robust/fixtures.js';
import { backdoorPoison, backdoorSuccessRate, stampTrigger, triggerPixels } from './backdoor.js';

describe('triggerPixels', () => {
  test('square in the bottom-right corner of a 5x5 image, margin 1', () => {
    // rows 1..3, cols 1..3 -> a 3x3 block at the bottom right with one pixel of border
    assert.deepEqual(triggerPixels([5, 5]), [6, 7, 8, 11, 12, 13, 16, 17, 18]);
    assert.deepEqual(triggerPixels([4, 4], { size: 2, corner: 'top_left', margin: 0 }), [0, 1, 4, 5]);
  });

  test('cross and checker patterns; every channel of [C, H, W]', () => {
    assert.deepEqual(triggerPixels([3, 3], { pattern: 'cross', margin: 0 }), [1, 3, 4, 5, 7]);
    assert.deepEqual(triggerPixels([3, 3], { pattern: 'checker', margin: 0 }), [0, 2, 4, 6, 8]);
    assert.deepEqual(triggerPixels([2, 2, 2], { size: 1, margin: 0 }), [3, 7]);
  });

  test('a flat [F] sample is one row; a block larger than the image is clamped', () => {
    assert.deepEqual(triggerPixels([6], { size: 2 }), [3, 4]);
    assert.deepEqual(triggerPixels([2, 2], { size: 5 }), [0, 1, 2, 3]);
    assertQfl(() => triggerPixels([1, 2, 3, 4]), 'shape');
    assertQfl(() => triggerPixels([4, 4], { size: 0 }), 'attack.trigger.size');
  });
});

/** n images 4x4 of two classes: class 0 bright on the left half, class 1 on the right, with noise. */
function stripes(n: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float64Array(n * 16);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    y[i] = c;
    for (let r = 0; r < 4; r++) {
      for (let q = 0; q < 4; q++) {
        const on = c === 0 ? q < 2 : q >= 2;
        x[i * 16 + r * 4 + q] = Math.min(1, Math.max(0, (on ? 0.6 : 0.1) + rng.normal(0, 0.05)));
      }
    }
  }
  return makeDataset({ x, y, shape: [4, 4], classes: 2 });
}

describe('backdoorPoison and backdoorSuccessRate', () => {
  test('stamps and relabels a fraction of the non-target samples; the input stays clean', () => {
    const d = stripes(40, 1);
    const before = d.x.slice();
    const r = backdoorPoison(d, { target: 0, fraction: 0.5, trigger: { size: 1, margin: 0 } }, new Rng(2));
    assert.equal(r.poisoned, 10);
    assert.equal(r.trigger.value, Math.max(...d.x));
    let relabelled = 0;
    for (let i = 0; i < d.n; i++) {
      const stamped = r.data.x[i * 16 + 15] === r.trigger.value;
      if (d.y[i] === 1 && r.data.y[i] === 0) {
        relabelled++;
        assert.ok(stamped, `sample ${i} relabelled but not stamped`);
      }
    }
    assert.equal(relabelled, 10);
    assert.deepEqual(d.x, before);
    assertQfl(() => backdoorPoison(d, { target: 2 }, new Rng(0)), 'attack.target', '0..1');
  });

  test('success rate counts non-target samples sent to the target once stamped', () => {
    const test = stripes(20, 3);
    const trigger = { size: 1, margin: 0, value: 5 };
    // A model that answers 0 exactly when the last pixel is 5.
    const triggered = (x: Float64Array, b: number) => {
      const out = new Float64Array(b * 2);
      for (let k = 0; k < b; k++) out[k * 2 + (x[k * 16 + 15] === 5 ? 0 : 1)] = 1;
      return out;
    };
    const r = backdoorSuccessRate(triggered, test, trigger, 0, 3);
    assert.deepEqual(r, { rate: 1, cleanRate: 0, samples: 10 });
    const blind = (_x: Float64Array, b: number) => new Float64Array(b * 2).map((_, i) => (i % 2 === 1 ? 1 : 0));
    assert.equal(backdoorSuccessRate(blind, test, trigger, 0).rate, 0);
    assert.equal(stampTrigger(test, trigger).x[15], 5);
  });

  test('end to end: an MLP trained on poisoned data learns the trigger and keeps its clean accuracy', () => {
    const clean = stripes(400, 4);
    const testSet = stripes(200, 5);
    const trigger = { size: 2, margin: 0, corner: 'top_left' as const, value: 1 };
    const { data } = backdoorPoison(clean, { target: 1, fraction: 0.3, trigger }, new Rng(6));
    const model = mlp(16, [16], 2);
    model.init(new Rng(7));
    train(model, data, { epochs: 30, batchSize: 32, optimizer: createOptimizer({ kind: 'adam', lr: 0.02 }), rng: new Rng(8) });
    const acc = evaluate(model, testSet).accuracy;
    const r = backdoorSuccessRate((x, b) => model.forward(x, b), testSet, trigger, 1);
    assert.ok(acc > 0.95, `clean accuracy ${acc}`);
    assert.ok(r.rate > 0.9, `backdoor success ${r.rate}`);
    assert.ok(r.cleanRate < 0.1, `clean rate ${r.cleanRate}`);
  });
});
