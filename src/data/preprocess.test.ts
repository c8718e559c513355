import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PCA } from 'ml-pca';
import { Rng } from '../util/random.js';
import { type Dataset, features, makeDataset, sampleRow } from './dataset.js';
import { loadMnist } from './mnist.js';
import {
  amplitudeQubits,
  downsample,
  fitMinMax,
  fitPca,
  normalizeL2,
  padToPowerOfTwo,
  pcaTransform,
  selectClasses,
  toAmplitudes,
} from './preprocess.js';

function ds(rows: number[][], labels: number[], shape: number[], classes = 10): Dataset {
  return makeDataset({ x: Float64Array.from(rows.flat()), y: Int32Array.from(labels), shape, classes });
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const mnist200 = (): Dataset => loadMnist({ split: 'test', limit: 200 });

describe('selectClasses', () => {
  test('keeps the listed labels and relabels them in the given order', () => {
    const d = ds([[0], [1], [2], [3], [4]], [3, 8, 1, 8, 3], [1]);
    const s = selectClasses(d, [8, 3]);
    assert.equal(s.classes, 2);
    assert.deepEqual(Array.from(s.x), [0, 1, 3, 4]);
    assert.deepEqual(Array.from(s.y), [1, 0, 0, 1]);
  });

  test('bad lists get clear errors', () => {
    const d = ds([[0], [1]], [3, 8], [1]);
    assert.throws(() => selectClasses(d, []), { message: 'classes: expected at least one label to keep, found none' });
    assert.throws(() => selectClasses(d, [3, 3]), { message: 'classes[1]: label 3 is listed twice' });
    assert.throws(() => selectClasses(d, [10]), { message: 'classes[0]: expected a label in 0..9, found 10' });
    assert.throws(() => selectClasses(d, [0, 1]), { message: 'classes: no sample has a label in [0, 1]' });
  });
});

describe('downsample', () => {
  test('divisible sizes: the mean of each block', () => {
    const img = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14, 15, 16],
    ];
    const out = downsample(ds([img.flat()], [0], [4, 4]), 2, 2);
    assert.deepEqual(out.shape, [2, 2]);
    close(out.x, [3.5, 5.5, 11.5, 13.5]);
  });

  test('non-divisible sizes: overlap-weighted means (3 -> 2 by hand)', () => {
    // target 0 covers [0, 1.5): weights 2/3, 1/3; target 1 covers [1.5, 3): 1/3, 2/3
    const out = downsample(ds([[3, 6, 12]], [0], [1, 3]), 1, 2);
    close(out.x, [(2 * 3 + 6) / 3, (6 + 2 * 12) / 3]);
  });

  test('keeps channels apart and the rank of the shape', () => {
    const out = downsample(ds([[1, 1, 1, 1, 2, 2, 2, 4]], [0], [2, 2, 2]), 1, 1);
    assert.deepEqual(out.shape, [2, 1, 1]);
    close(out.x, [1, 2.5]);
  });

  test('MNIST 28 x 28 -> 7 x 7 equals 4 x 4 block means; 28 -> 28 is the identity', () => {
    const m = mnist200();
    const small = downsample(m, 7, 7);
    assert.deepEqual(small.shape, [1, 7, 7]);
    for (const i of [0, 57, 199]) {
      const img = sampleRow(m, i);
      const got = sampleRow(small, i);
      for (let r = 0; r < 7; r++) {
        for (let c = 0; c < 7; c++) {
          let s = 0;
          for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) s += img[(4 * r + a) * 28 + 4 * c + b]!;
          assert.ok(Math.abs(got[r * 7 + c]! - s / 16) < 1e-12);
        }
      }
    }
    close(downsample(m, 28, 28).x, m.x);
  });

  test('property: any target size preserves each image mean and the value range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        (h0, w0, hs, ws, seed) => {
          const h = Math.min(hs, h0);
          const w = Math.min(ws, w0);
          const rng = new Rng(seed);
          const pixels = Array.from({ length: h0 * w0 }, () => rng.uniform());
          const out = downsample(ds([pixels], [0], [h0, w0]), h, w);
          const meanIn = pixels.reduce((a, b) => a + b, 0) / pixels.length;
          const meanOut = out.x.reduce((a, b) => a + b, 0) / out.x.length;
          assert.ok(Math.abs(meanIn - meanOut) < 1e-12);
          const lo = Math.min(...pixels);
          const hi = Math.max(...pixels);
          for (const v of out.x) assert.ok(v >= lo - 1e-12 && v <= hi + 1e-12);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  test('sizes outside 1..H are refused with the allowed range', () => {
    const m = ds([new Array<number>(16).fill(0)], [0], [1, 4, 4]);
    assert.throws(() => downsample(m, 0, 2), { message: 'height: expected an integer in 1..4 (area averaging only shrinks), found 0' });
    assert.throws(() => downsample(m, 2, 5), { message: 'width: expected an integer in 1..4 (area averaging only shrinks), found 5' });
    assert.throws(() => downsample(ds([[0, 0]], [0], [2]), 1, 1), {
      message: 'shape: downsample expects per-sample shape [H, W] or [C, H, W], found [2]',
    });
  });
});

describe('fitPca', () => {
  test('finds the axis of a 2-D cloud by hand: points on the line (3, 4) t', () => {
    // x = t (0.6, 0.8) + s (-0.8, 0.6) with t in {-2, -1, 1, 2}, s in {+-0.1}
    const rows: number[][] = [];
    for (const t of [-2, -1, 1, 2]) for (const s of [-0.1, 0.1]) rows.push([0.6 * t - 0.8 * s + 5, 0.8 * t + 0.6 * s - 1]);
    const train = ds(rows, new Array<number>(8).fill(0), [2]);
    const pca = fitPca(train, 2);
    close(pca.params.mean, [5, -1]);
    close(pca.params.components, [0.6, 0.8, 0.8, -0.6], 1e-10, 'components'); // sign: largest entry positive
    // variances: sum t^2 * 2 / 7 = 20/7, sum s^2 * 4 ... = 8 * 0.01 / 7
    close(pca.params.variance, [20 / 7, 0.08 / 7], 1e-10, 'variance');
    close(pca.params.explainedRatio, [20 / 20.08, 0.08 / 20.08], 1e-10, 'ratio');
    const z = pca.apply(ds([[5 + 0.6 * 3, -1 + 0.8 * 3]], [0], [2]));
    close(z.x, [3, 0], 1e-10, 'projection');
  });

  test('on MNIST 7 x 7: orthonormal axes, decreasing variance, agrees with ml-pca SVD', () => {
    const train = downsample(mnist200(), 7, 7);
    const k = 5;
    const pca = fitPca(train, k);
    const d = features(train);
    const { components, variance } = pca.params;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += components[a * d + i]! * components[b * d + i]!;
        assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9, `axes ${a}, ${b}: ${dot}`);
      }
      if (a > 0) assert.ok(variance[a]! <= variance[a - 1]!);
    }
    const z = pca.apply(train);
    assert.deepEqual(z.shape, [k]);
    assert.deepEqual(z.y, train.y);
    for (let c = 0; c < k; c++) {
      let mean = 0;
      let sq = 0;
      for (let i = 0; i < z.n; i++) mean += z.x[i * k + c]!;
      mean /= z.n;
      for (let i = 0; i < z.n; i++) sq += (z.x[i * k + c]! - mean) ** 2;
      assert.ok(Math.abs(mean) < 1e-10, 'projected training data is centred');
      assert.ok(Math.abs(sq / (z.n - 1) - variance[c]!) < 1e-9 * variance[c]!, 'projected variance = eigenvalue');
    }
    // Independent reference: ml-pca's SVD on the raw data matrix (signs may differ per axis).
    const rows = Array.from({ length: train.n }, (_, i) => Array.from(sampleRow(train, i)));
    const ref = new PCA(rows, { method: 'SVD' }).predict(rows, { nComponents: k });
    for (let c = 0; c < k; c++) {
      const sign = Math.sign(ref.get(0, c)) * Math.sign(z.x[c]!);
      for (let i = 0; i < train.n; i++) assert.ok(Math.abs(sign * ref.get(i, c) - z.x[i * k + c]!) < 1e-8);
    }
  });

  test('fitted on train only: test data is centred with the training mean', () => {
    const train = ds([[0, 5], [2, 5], [4, 5]], [0, 0, 0], [2]); // mean (2, 5), axis (1, 0)
    const pca = fitPca(train, 1);
    close(pca.params.components, [1, 0], 1e-12, 'axis');
    // One test sample: fitted on itself it would project to 0; with the training mean it is 10.
    const test = pcaTransform(pca.params).apply(ds([[12, 5]], [0], [2]));
    close(test.x, [10], 1e-12, 'projection');
    assert.throws(() => pca.apply(ds([[1, 2, 3]], [0], [3])), {
      message: 'shape: PCA was fitted on 2 features per sample, found 3 (shape [3])',
    });
  });

  test('bad k or too few samples', () => {
    const train = ds([[0, 1], [1, 0]], [0, 0], [2]);
    assert.throws(() => fitPca(train, 3), { message: 'k: expected an integer in 1..2 (the input features), found 3' });
    assert.throws(() => fitPca(train, 0), { message: 'k: expected an integer in 1..2 (the input features), found 0' });
    assert.throws(() => fitPca(ds([[0, 1]], [0], [2]), 1), { message: 'train: PCA needs at least 2 training samples, found 1' });
  });
});

describe('fitMinMax', () => {
  test('maps the training range of each feature onto [0, pi] and clamps other data', () => {
    const train = ds([[0, 10, 5], [2, 20, 5], [1, 15, 5]], [0, 0, 0], [3]);
    const mm = fitMinMax(train);
    close(mm.apply(train).x, [0, 0, 0, Math.PI, Math.PI, 0, Math.PI / 2, Math.PI / 2, 0]);
    // Test data beyond the training range is clamped; the constant feature maps to low.
    close(mm.apply(ds([[-1, 25, 7]], [0], [3])).x, [0, Math.PI, 0]);
  });

  test('one range for all features, and a custom target range', () => {
    const train = ds([[0, 4], [2, 8]], [0, 0], [2]);
    const mm = fitMinMax(train, { perFeature: false, low: -1, high: 1 });
    close(mm.apply(train).x, [-1, 0, -0.5, 1]);
    assert.throws(() => fitMinMax(train, { low: 1, high: 1 }), { message: 'range: expected finite low < high, found [1, 1]' });
  });
});

describe('amplitude embedding', () => {
  test('normalizeL2 gives unit vectors and names an all-zero sample', () => {
    const d = ds([[3, 4], [0, -2]], [0, 0], [2]);
    close(normalizeL2(d).x, [0.6, 0.8, 0, -1]);
    assert.throws(() => normalizeL2(ds([[1, 0], [0, 0]], [0, 0], [2])), {
      message: 'x[1]: sample 1 is all zeros (L2 norm 0) and cannot be amplitude-embedded; drop it or add a constant feature before normalising',
    });
  });

  test('padToPowerOfTwo pads to the next power of two', () => {
    assert.deepEqual(padToPowerOfTwo(ds([[1, 2, 3, 4, 5]], [0], [5])).shape, [8]);
    assert.deepEqual(Array.from(padToPowerOfTwo(ds([[1, 2, 3]], [0], [3])).x), [1, 2, 3, 0]);
    assert.deepEqual(padToPowerOfTwo(ds([[1, 2, 3, 4]], [0], [2, 2])).shape, [4]);
    assert.deepEqual(padToPowerOfTwo(ds([[7]], [0], [1])).shape, [2]);
    assert.deepEqual(padToPowerOfTwo(ds([[1, 2, 3]], [0], [3]), 16).shape, [16]);
    assert.throws(() => padToPowerOfTwo(ds([[1, 2, 3]], [0], [3]), 6), { message: 'length: expected a power of two >= 3 (the features per sample), found 6' });
    assert.throws(() => padToPowerOfTwo(ds([[1, 2, 3]], [0], [3]), 2), { message: 'length: expected a power of two >= 3 (the features per sample), found 2' });
    assert.equal(amplitudeQubits([1, 28, 28]), 10);
    assert.equal(amplitudeQubits(16), 4);
    assert.equal(amplitudeQubits(1), 1);
  });

  test('MNIST 28 x 28 -> 1024 unit amplitudes on 10 qubits', () => {
    const a = toAmplitudes(mnist200());
    assert.deepEqual(a.shape, [1024]);
    for (let i = 0; i < a.n; i++) {
      const row = sampleRow(a, i);
      let ss = 0;
      for (const v of row) ss += v * v;
      assert.ok(Math.abs(ss - 1) < 1e-12);
      for (let j = 784; j < 1024; j++) assert.equal(row[j], 0);
    }
  });
});

test("avgPool is torch's avg_pool2d (window = stride, remainder dropped); standardize is Normalize", async () => {
  const { avgPool, standardize } = await import('./preprocess.js');
  // One 1x28x28 image whose pixel (r, c) is r * 28 + c: a 6x6 window's mean is its centre's value.
  const x = Float64Array.from({ length: 784 }, (_, i) => i);
  const ds = { x, y: Int32Array.from([0]), n: 1, shape: [1, 28, 28], classes: 1 };
  const p = avgPool(ds, 6);
  assert.deepEqual(p.shape, [1, 4, 4]);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) assert.ok(Math.abs(p.x[r * 4 + c]! - ((6 * r + 2.5) * 28 + 6 * c + 2.5)) < 1e-9);
  assert.throws(() => avgPool(ds, 29), /pool: expected an integer window in 1\.\.28/);
  const s = standardize({ ...ds, x: Float64Array.from([0.1307, 1, 0]), shape: [3] }, 0.1307, 0.3081);
  assert.ok(Math.abs(s.x[0]!) < 1e-12 && Math.abs(s.x[1]! - (1 - 0.1307) / 0.3081) < 1e-12);
  assert.throws(() => standardize(ds, 0, 0), /normalize: needs a finite mean and a positive std/);
});
