import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concentratableEntanglement } from '../quantum/entanglement.js';
import { statesOf } from './quantum.js';
import { ntangledDataset, ntangledGenerator } from './ntangled.js';

test('NTangled data: one trained generator per class, balanced, seeded, rows are normalized states with the recorded CE', () => {
  const opts = { samples: 24, seed: 3, nQubits: 3, layers: 2, targets: [0.05, 0.3], steps: 30 };
  const d = ntangledDataset(opts);
  assert.deepEqual(d.dataset.shape, [16]);
  assert.equal(d.dataset.classes, 2);
  assert.equal(d.dataset.y.filter((y) => y === 0).length, 12);
  const states = statesOf(d.dataset);
  const ce = concentratableEntanglement(states);
  for (let i = 0; i < 24; i++) {
    let norm = 0;
    for (let j = 0; j < 8; j++) norm += states.re[i * 8 + j]! ** 2 + states.im[i * 8 + j]! ** 2;
    assert.ok(Math.abs(norm - 1) < 1e-9);
    assert.ok(Math.abs(ce[i]! - d.measure[i]!) < 1e-12);
  }
  // Training moves each class towards its target: the low class ends below the high one.
  assert.equal(d.classes.length, 2);
  assert.ok(d.classes[0]!.mean < d.classes[1]!.mean, JSON.stringify(d.classes));
  assert.deepEqual([...ntangledDataset(opts).dataset.x], [...d.dataset.x]);
  assert.equal(ntangledGenerator(6, 4).nWeights, 48); // paper 002's 6 qubits, 4 HEA layers
  assert.throws(() => ntangledDataset({ ...opts, targets: [0.2, 0.2] }), /ce_targets: must be at least two distinct values/);
  assert.throws(() => ntangledDataset({ ...opts, samples: 25 }), /samples: must be a positive multiple of the 2 classes/);
});
