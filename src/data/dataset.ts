/**
 * A labelled dataset held as flat typed arrays: the shape travels beside the
 * data, never inside it.
 *
 * `x` is row-major `n x features`, where `features = product(shape)` and
 * `shape` is the shape of ONE sample (`[1, 28, 28]` for MNIST, `[16]` after a
 * PCA to 16 components). `y[i]` is the class of sample `i`, in `0..classes-1`.
 *
 * Helpers here never mutate their input and always copy: a subset can be
 * rescaled in place without touching the dataset it came from.
 *
 * @example
 * const test = loadMnist({ split: 'test', limit: 200 });
 * const firstTen = take(test, 10);
 * const row3 = sampleRow(test, 3); // a view of 784 pixels
 */
import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';

export interface Dataset {
  /** Features, row-major `n x featureCount(shape)`. */
  readonly x: Float64Array;
  /** Labels in `0..classes-1`, one per sample. */
  readonly y: Int32Array;
  /** Number of samples. */
  readonly n: number;
  /** Shape of one sample, e.g. `[1, 28, 28]`; its product is the row length. */
  readonly shape: number[];
  /** Number of classes; labels lie in `0..classes-1`. */
  readonly classes: number;
}

/** Number of features per sample: the product of `shape`. */
export function featureCount(shape: readonly number[]): number {
  let f = 1;
  for (const s of shape) f *= s;
  return f;
}

/** Features per sample of a dataset. */
export function features(ds: Dataset): number {
  return featureCount(ds.shape);
}

/**
 * Build a dataset and check that its parts agree: `x.length = n * product(shape)`,
 * every label an integer in `0..classes-1`, every feature finite.
 * `field` names the dataset in error messages.
 */
export function makeDataset(
  parts: { x: Float64Array; y: Int32Array; shape: readonly number[]; classes: number },
  field = 'dataset',
): Dataset {
  const { x, y, shape, classes } = parts;
  if (shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    fail(`${field}.shape`, `expected a non-empty list of positive integers, found [${shape.join(', ')}]`);
  }
  if (!Number.isInteger(classes) || classes < 1) {
    fail(`${field}.classes`, `expected a positive integer, found ${classes}`);
  }
  const n = y.length;
  const f = featureCount(shape);
  if (x.length !== n * f) {
    fail(
      `${field}.x`,
      `expected n * features = ${n} * ${f} = ${n * f} values for ${n} labels and shape [${shape.join(', ')}], found ${x.length}`,
    );
  }
  for (let i = 0; i < n; i++) {
    const label = y[i]!;
    if (label < 0 || label >= classes) {
      fail(`${field}.y[${i}]`, `expected a label in 0..${classes - 1}, found ${label}`);
    }
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      fail(`${field}.x[${Math.floor(i / f)}]`, `feature ${i % f} of sample ${Math.floor(i / f)} is ${x[i]}, expected a finite number`);
    }
  }
  return { x, y, n, shape: [...shape], classes };
}

/** A view (not a copy) of the features of sample `i`. */
export function sampleRow(ds: Dataset, i: number): Float64Array {
  if (!Number.isInteger(i) || i < 0 || i >= ds.n) fail('index', `expected an integer in 0..${ds.n - 1}, found ${i}`);
  const f = features(ds);
  return ds.x.subarray(i * f, (i + 1) * f);
}

/**
 * The samples at `indices`, in that order (repeats allowed), copied.
 * @example subset(ds, partition[3]) // client 3's local data
 */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const f = features(ds);
  const m = indices.length;
  const x = new Float64Array(m * f);
  const y = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= ds.n) {
      fail(`indices[${k}]`, `expected a sample index in 0..${ds.n - 1}, found ${i}`);
    }
    x.set(ds.x.subarray(i * f, (i + 1) * f), k * f);
    y[k] = ds.y[i]!;
  }
  return { x, y, n: m, shape: [...ds.shape], classes: ds.classes };
}

/** The first `min(k, n)` samples, copied. */
export function take(ds: Dataset, k: number): Dataset {
  if (!Number.isInteger(k) || k < 0) fail('k', `expected a non-negative integer, found ${k}`);
  const m = Math.min(k, ds.n);
  const f = features(ds);
  return {
    x: ds.x.slice(0, m * f),
    y: ds.y.slice(0, m),
    n: m,
    shape: [...ds.shape],
    classes: ds.classes,
  };
}

/** All samples in an order drawn from `rng`, copied. */
export function shuffled(ds: Dataset, rng: Rng): Dataset {
  return subset(ds, rng.permutation(ds.n));
}

/**
 * Split into the first `round(fraction * n)` samples of a random permutation
 * and the rest: `{ a, b }`. Used for a held-out validation set.
 */
export function randomSplit(ds: Dataset, fraction: number, rng: Rng): { a: Dataset; b: Dataset } {
  if (!(fraction >= 0 && fraction <= 1)) fail('fraction', `expected a number in [0, 1], found ${fraction}`);
  const perm = rng.permutation(ds.n);
  const cut = Math.round(fraction * ds.n);
  return { a: subset(ds, perm.subarray(0, cut)), b: subset(ds, perm.subarray(cut)) };
}

/** How many samples carry each label: `counts[c]` for `c` in `0..classes-1`. */
export function classCounts(ds: Dataset): Int32Array {
  const counts = new Int32Array(ds.classes);
  for (let i = 0; i < ds.n; i++) counts[ds.y[i]!]!++;
  return counts;
}

/** A copy with new features (same labels): `x` must hold `n * product(shape)` values. */
export function withFeatures(ds: Dataset, x: Float64Array, shape: readonly number[]): Dataset {
  const f = featureCount(shape);
  if (x.length !== ds.n * f) {
    fail('x', `expected ${ds.n} * ${f} = ${ds.n * f} values for shape [${shape.join(', ')}], found ${x.length}`);
  }
  return { x, y: ds.y.slice(), n: ds.n, shape: [...shape], classes: ds.classes };
}
