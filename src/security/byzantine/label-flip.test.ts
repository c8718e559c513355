import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeDataset, type Dataset } from '../../data/dataset.js';
import { Rng } from '../../util/random.js';
import { assertQfl } from '../robust/fixtures.js';
import { labelFlip } from './label-flip.js';

const ds = (labels: number[], classes = 4): Dataset =>
  makeDataset({ x: Float64Array.from(labels, (_, i) => i), y: Int32Array.from(labels), shape: [1], classes });

describe('labelFlip', () => {
  test('reverse maps y to C - 1 - y; rotate to y + 1 mod C', () => {
    const d = ds([0, 1, 2, 3, 0]);
    assert.deepEqual([...labelFlip(d, {}, new Rng(0)).data.y], [3, 2, 1, 0, 3]);
    assert.deepEqual([...labelFlip(d, { mapping: 'rotate' }, new Rng(0)).data.y], [1, 2, 3, 0, 1]);
  });

  test('targeted: only the source class changes', () => {
    const r = labelFlip(ds([0, 1, 2, 1, 3]), { source: 1, target: 3 }, new Rng(0));
    assert.deepEqual([...r.data.y], [0, 3, 2, 3, 3]);
    assert.equal(r.flipped, 2);
  });

  test('a fraction flips that share of the eligible samples, the same for the same seed', () => {
    const d = ds(Array.from({ length: 100 }, (_, i) => i % 4));
    const a = labelFlip(d, { fraction: 0.3 }, new Rng(5));
    assert.equal(a.flipped, 30);
    let changed = 0;
    for (let i = 0; i < 100; i++) if (a.data.y[i] !== d.y[i]) changed++;
    assert.equal(changed, 30);
    assert.deepEqual(a.data.y, labelFlip(d, { fraction: 0.3 }, new Rng(5)).data.y);
  });

  test('never touches the input; features are copied unchanged', () => {
    const d = ds([0, 1, 2]);
    const r = labelFlip(d, {}, new Rng(0));
    assert.deepEqual([...d.y], [0, 1, 2]);
    assert.deepEqual(r.data.x, d.x);
    assert.notEqual(r.data.x, d.x);
  });

  test('refuses classes out of range and half a targeted flip', () => {
    assertQfl(() => labelFlip(ds([0]), { source: 4, target: 0 }, new Rng(0)), 'attack.source', '0..3');
    assertQfl(() => labelFlip(ds([0]), { source: 1 }, new Rng(0)), 'attack.target', 'both source and target');
    assertQfl(() => labelFlip(ds([0]), { fraction: 2 }, new Rng(0)), 'attack.fraction');
  });
});
