/**
 * Preprocessing that turns images into inputs a few qubits can take:
 * class subsets, area-averaging downsampling, PCA, min-max scaling to rotation
 * angles, and L2 normalisation with zero-padding for amplitude embedding.
 *
 * Every function returns a new dataset and never mutates its input. Fitted
 * steps (PCA, min-max) are fitted on the training split only and return a
 * `Transform`: plain serialisable `params` plus `apply`, used on train and
 * test alike so that no statistic of the test split leaks into training.
 *
 * @example
 * const train = downsample(selectClasses(loadMnist({ split: 'train' }), [3, 5]), 16, 16);
 * const pca = fitPca(train, 8);
 * const scale = fitMinMax(pca.apply(train));            // to [0, pi]
 * const angles = scale.apply(pca.apply(test));           // test clamped to [0, pi]
 */
import { PCA } from 'ml-pca';
import { fail } from '../util/errors.js';
import { type Dataset, featureCount, features, withFeatures } from './dataset.js';

/** A step fitted on training data: its parameters (plain data) and how to apply it. */
export interface Transform<P> {
  readonly params: P;
  apply(ds: Dataset): Dataset;
}

// ---------------------------------------------------------------------------
// Class subsets

/**
 * Keep only the samples whose label is in `keep`, relabelled to their position
 * in `keep`: `selectClasses(ds, [3, 8])` maps 3 -> 0 and 8 -> 1, `classes = 2`.
 * Sample order is preserved.
 */
export function selectClasses(ds: Dataset, keep: readonly number[]): Dataset {
  if (keep.length === 0) fail('classes', 'expected at least one label to keep, found none');
  const newLabel = new Int32Array(ds.classes).fill(-1);
  keep.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= ds.classes) {
      fail(`classes[${i}]`, `expected a label in 0..${ds.classes - 1}, found ${c}`);
    }
    if (newLabel[c] !== -1) fail(`classes[${i}]`, `label ${c} is listed twice`);
    newLabel[c] = i;
  });
  const f = features(ds);
  let m = 0;
  for (let i = 0; i < ds.n; i++) if (newLabel[ds.y[i]!]! >= 0) m++;
  if (m === 0) fail('classes', `no sample has a label in [${keep.join(', ')}]`);
  const x = new Float64Array(m * f);
  const y = new Int32Array(m);
  let k = 0;
  for (let i = 0; i < ds.n; i++) {
    const l = newLabel[ds.y[i]!]!;
    if (l < 0) continue;
    x.set(ds.x.subarray(i * f, (i + 1) * f), k * f);
    y[k++] = l;
  }
  return { x, y, n: m, shape: [...ds.shape], classes: keep.length };
}

// ---------------------------------------------------------------------------
// Downsampling by area averaging

/**
 * 1-D area-averaging weights from `from` cells to `to` cells, as sparse rows.
 * Target cell j covers source interval [j*from/to, (j+1)*from/to); its value is
 * the mean of the source over that interval, i.e. source cell s has weight
 * overlap(s, j) / (from/to). Computed in integer units of 1/to, so the
 * weights are exact rationals `overlap / from` and each row sums to 1.
 */
function areaWeights(from: number, to: number): { start: Int32Array; src: Int32Array; w: Float64Array } {
  const start = new Int32Array(to + 1);
  const src: number[] = [];
  const w: number[] = [];
  for (let j = 0; j < to; j++) {
    start[j] = src.length;
    const a = j * from; // target interval [a, b) in units of 1/to
    const b = (j + 1) * from;
    for (let s = Math.floor(a / to); s * to < b; s++) {
      const overlap = Math.min((s + 1) * to, b) - Math.max(s * to, a);
      if (overlap > 0) {
        src.push(s);
        w.push(overlap / from);
      }
    }
  }
  start[to] = src.length;
  return { start, src: Int32Array.from(src), w: Float64Array.from(w) };
}

/**
 * Shrink images to `height x width` by area averaging: each output pixel is
 * the mean of the input over the rectangle it covers. When the sizes divide
 * (28 -> 14, 7, 4, 2) this is the plain mean of `28/size` square blocks; when
 * they do not (28 -> 16, 10, 8) input pixels straddling a boundary count in
 * each output pixel in proportion to the overlapping area (the rule of
 * OpenCV's INTER_AREA and PIL's BOX filter). The mean brightness of an image
 * is preserved exactly.
 *
 * Accepts per-sample shapes `[H, W]` or `[C, H, W]` (channels averaged
 * separately) and keeps the rank. Output sizes must lie in `1..H` and `1..W`.
 */
export function downsample(ds: Dataset, height: number, width: number): Dataset {
  const shape = ds.shape;
  if (shape.length !== 2 && shape.length !== 3) {
    fail('shape', `downsample expects per-sample shape [H, W] or [C, H, W], found [${shape.join(', ')}]`);
  }
  const [c, h0, w0] = (shape.length === 2 ? [1, shape[0], shape[1]] : shape) as [number, number, number];
  if (!Number.isInteger(height) || height < 1 || height > h0) {
    fail('height', `expected an integer in 1..${h0} (area averaging only shrinks), found ${height}`);
  }
  if (!Number.isInteger(width) || width < 1 || width > w0) {
    fail('width', `expected an integer in 1..${w0} (area averaging only shrinks), found ${width}`);
  }
  const rowW = areaWeights(h0, height);
  const colW = areaWeights(w0, width);
  const fin = c * h0 * w0;
  const fout = c * height * width;
  const out = new Float64Array(ds.n * fout);
  const tmp = new Float64Array(h0 * width); // rows of the input, columns already shrunk
  for (let i = 0; i < ds.n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const inBase = i * fin + ch * h0 * w0;
      const outBase = i * fout + ch * height * width;
      for (let r = 0; r < h0; r++) {
        const rowBase = inBase + r * w0;
        for (let j = 0; j < width; j++) {
          let acc = 0;
          for (let k = colW.start[j]!; k < colW.start[j + 1]!; k++) acc += colW.w[k]! * ds.x[rowBase + colW.src[k]!]!;
          tmp[r * width + j] = acc;
        }
      }
      for (let r = 0; r < height; r++) {
        for (let j = 0; j < width; j++) {
          let acc = 0;
          for (let k = rowW.start[r]!; k < rowW.start[r + 1]!; k++) acc += rowW.w[k]! * tmp[rowW.src[k]! * width + j]!;
          out[outBase + r * width + j] = acc;
        }
      }
    }
  }
  return withFeatures(ds, out, shape.length === 2 ? [height, width] : [c, height, width]);
}

/**
 * Average pooling with a k x k window and stride k, as torch's
 * `F.avg_pool2d(x, k)`: output size floor(H / k) x floor(W / k); the rows and
 * columns past the last whole window are dropped (28 x 28 by 6 reads the
 * top-left 24 x 24 pixels into 4 x 4). Per-sample shape [H, W] or [C, H, W].
 */
export function avgPool(ds: Dataset, k: number): Dataset {
  const shape = ds.shape;
  if (shape.length !== 2 && shape.length !== 3) fail('shape', `pooling expects per-sample shape [H, W] or [C, H, W], found [${shape.join(', ')}]`);
  const [c, h0, w0] = (shape.length === 2 ? [1, shape[0], shape[1]] : shape) as [number, number, number];
  if (!Number.isInteger(k) || k < 1 || k > Math.min(h0, w0)) fail('pool', `expected an integer window in 1..${Math.min(h0, w0)}, found ${k}`);
  const h = Math.floor(h0 / k);
  const w = Math.floor(w0 / k);
  const fin = c * h0 * w0;
  const fout = c * h * w;
  const out = new Float64Array(ds.n * fout);
  const inv = 1 / (k * k);
  for (let i = 0; i < ds.n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const inBase = i * fin + ch * h0 * w0;
      for (let r = 0; r < h; r++) {
        for (let q = 0; q < w; q++) {
          let acc = 0;
          for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) acc += ds.x[inBase + (r * k + a) * w0 + q * k + b]!;
          out[i * fout + ch * h * w + r * w + q] = acc * inv;
        }
      }
    }
  }
  return withFeatures(ds, out, shape.length === 2 ? [h, w] : [c, h, w]);
}

/** (x - mean) / std on every feature, as torchvision's `Normalize((mean,), (std,))`. */
export function standardize(ds: Dataset, mean: number, std: number): Dataset {
  if (!(Number.isFinite(mean) && std > 0 && Number.isFinite(std))) fail('normalize', `needs a finite mean and a positive std, got [${mean}, ${std}]`);
  const out = new Float64Array(ds.x.length);
  for (let i = 0; i < out.length; i++) out[i] = (ds.x[i]! - mean) / std;
  return withFeatures(ds, out, [...ds.shape]);
}

// ---------------------------------------------------------------------------
// PCA

export interface PcaParams {
  /** Input features per sample. */
  readonly features: number;
  /** Components kept. */
  readonly k: number;
  /** Training mean of each input feature (length `features`). */
  readonly mean: Float64Array;
  /** Principal axes, row-major `k x features`, unit length, by decreasing variance. */
  readonly components: Float64Array;
  /** Training variance along each axis (eigenvalues of the covariance, length `k`). */
  readonly variance: Float64Array;
  /** Fraction of the total training variance along each axis (length `k`). */
  readonly explainedRatio: Float64Array;
}

/**
 * Fit PCA on `train` and keep `k` components: `z = V_k^T (x - mean)`, where the
 * columns of `V_k` are the top-k eigenvectors of the sample covariance
 * `C = sum_i (x_i - mean)(x_i - mean)^T / (n - 1)`.
 *
 * The covariance is accumulated here over typed arrays from the non-zero
 * entries of each row (`C = (X^T X - n mean mean^T) / (n - 1)`), which is fast
 * on sparse images; its eigendecomposition is `ml-pca`'s (symmetric EVD). The
 * cost of the EVD grows as `features^3`: downsample 28 x 28 images first
 * (on all 60,000 MNIST training images, 16 x 16 inputs take about 1 s and
 * 28 x 28 about 5 s on one core).
 *
 * Signs are fixed so that the largest-magnitude entry of each axis is
 * positive, making the result reproducible.
 */
export function fitPca(train: Dataset, k: number): Transform<PcaParams> {
  const d = features(train);
  const n = train.n;
  if (!Number.isInteger(k) || k < 1 || k > d) fail('k', `expected an integer in 1..${d} (the input features), found ${k}`);
  if (n < 2) fail('train', `PCA needs at least 2 training samples, found ${n}`);
  const x = train.x;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) mean[a]! += x[i * d + a]!;
  for (let a = 0; a < d; a++) mean[a]! /= n;

  // Upper triangle of X^T X, from the non-zeros of each row.
  const s = new Float64Array(d * d);
  const nz = new Int32Array(d);
  for (let i = 0; i < n; i++) {
    const base = i * d;
    let m = 0;
    for (let a = 0; a < d; a++) if (x[base + a] !== 0) nz[m++] = a;
    for (let p = 0; p < m; p++) {
      const a = nz[p]!;
      const xa = x[base + a]!;
      const rowA = a * d;
      for (let q = p; q < m; q++) {
        const b = nz[q]!;
        s[rowA + b]! += xa * x[base + b]!;
      }
    }
  }
  const cov: number[][] = [];
  let trace = 0;
  for (let a = 0; a < d; a++) cov.push(new Array<number>(d));
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = (s[a * d + b]! - n * mean[a]! * mean[b]!) / (n - 1);
      cov[a]![b] = v;
      cov[b]![a] = v;
    }
    trace += cov[a]![a]!;
  }

  const pca = new PCA(cov, { isCovarianceMatrix: true });
  const vectors = pca.getEigenvectors();
  const values = pca.getEigenvalues();
  const components = new Float64Array(k * d);
  const variance = new Float64Array(k);
  const explainedRatio = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let big = 0;
    for (let a = 0; a < d; a++) {
      const v = vectors.get(a, c);
      if (Math.abs(v) > Math.abs(big)) big = v;
    }
    const sign = big < 0 ? -1 : 1;
    for (let a = 0; a < d; a++) components[c * d + a] = sign * vectors.get(a, c);
    variance[c] = Math.max(0, values[c]!);
    explainedRatio[c] = trace > 0 ? variance[c]! / trace : 0;
  }
  return pcaTransform({ features: d, k, mean, components, variance, explainedRatio });
}

/** The PCA transform of fitted (or stored) parameters. */
export function pcaTransform(params: PcaParams): Transform<PcaParams> {
  const { features: d, k, mean, components } = params;
  return {
    params,
    apply(ds: Dataset): Dataset {
      if (features(ds) !== d) {
        fail('shape', `PCA was fitted on ${d} features per sample, found ${features(ds)} (shape [${ds.shape.join(', ')}])`);
      }
      const out = new Float64Array(ds.n * k);
      const centred = new Float64Array(d);
      for (let i = 0; i < ds.n; i++) {
        for (let a = 0; a < d; a++) centred[a] = ds.x[i * d + a]! - mean[a]!;
        for (let c = 0; c < k; c++) {
          let acc = 0;
          const base = c * d;
          for (let a = 0; a < d; a++) acc += components[base + a]! * centred[a]!;
          out[i * k + c] = acc;
        }
      }
      return withFeatures(ds, out, [k]);
    },
  };
}

// ---------------------------------------------------------------------------
// Min-max scaling

export interface MinMaxParams {
  /** Training minimum of each feature (one entry when `perFeature` is false). */
  readonly min: Float64Array;
  /** Training maximum of each feature (one entry when `perFeature` is false). */
  readonly max: Float64Array;
  readonly low: number;
  readonly high: number;
  readonly perFeature: boolean;
}

export interface MinMaxOptions {
  /** Lower end of the target range. Default 0. */
  low?: number;
  /** Upper end of the target range. Default pi (angles for angle embedding). */
  high?: number;
  /** One range per feature (default) or one range over all features (images). */
  perFeature?: boolean;
}

/**
 * Fit a min-max scaling on `train`: `x' = low + (x - min) / (max - min) * (high - low)`,
 * with `[low, high] = [0, pi]` by default. Applied to other data, values
 * outside the training range are clamped to `[low, high]`. A feature that is
 * constant on the training data maps to `low`.
 */
export function fitMinMax(train: Dataset, options: MinMaxOptions = {}): Transform<MinMaxParams> {
  const { low = 0, high = Math.PI, perFeature = true } = options;
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    fail('range', `expected finite low < high, found [${low}, ${high}]`);
  }
  if (train.n < 1) fail('train', 'min-max scaling needs at least 1 training sample, found 0');
  const d = features(train);
  const m = perFeature ? d : 1;
  const min = new Float64Array(m).fill(Infinity);
  const max = new Float64Array(m).fill(-Infinity);
  for (let i = 0; i < train.n * d; i++) {
    const a = perFeature ? i % d : 0;
    const v = train.x[i]!;
    if (v < min[a]!) min[a] = v;
    if (v > max[a]!) max[a] = v;
  }
  return minMaxTransform({ min, max, low, high, perFeature });
}

/** The min-max transform of fitted (or stored) parameters. */
export function minMaxTransform(params: MinMaxParams): Transform<MinMaxParams> {
  const { min, max, low, high, perFeature } = params;
  return {
    params,
    apply(ds: Dataset): Dataset {
      const d = features(ds);
      if (perFeature && d !== min.length) {
        fail('shape', `min-max scaling was fitted on ${min.length} features per sample, found ${d}`);
      }
      const out = new Float64Array(ds.n * d);
      const span = high - low;
      for (let i = 0; i < out.length; i++) {
        const a = perFeature ? i % d : 0;
        const lo = min[a]!;
        const range = max[a]! - lo;
        const v = range > 0 ? low + ((ds.x[i]! - lo) / range) * span : low;
        out[i] = v < low ? low : v > high ? high : v;
      }
      return withFeatures(ds, out, ds.shape);
    },
  };
}

// ---------------------------------------------------------------------------
// Amplitude embedding

/**
 * Scale every sample to unit L2 norm, as amplitude embedding needs
 * (`|psi> = x / ||x||`). A sample with zero norm cannot be embedded and is
 * reported by index; so is a non-finite one.
 */
export function normalizeL2(ds: Dataset): Dataset {
  const d = features(ds);
  const out = new Float64Array(ds.n * d);
  for (let i = 0; i < ds.n; i++) {
    const base = i * d;
    let ss = 0;
    for (let a = 0; a < d; a++) ss += ds.x[base + a]! * ds.x[base + a]!;
    if (!Number.isFinite(ss)) fail(`x[${i}]`, `sample ${i} has a non-finite L2 norm (${Math.sqrt(ss)})`);
    if (ss === 0) {
      fail(
        `x[${i}]`,
        `sample ${i} is all zeros (L2 norm 0) and cannot be amplitude-embedded; drop it or add a constant feature before normalising`,
      );
    }
    const inv = 1 / Math.sqrt(ss);
    for (let a = 0; a < d; a++) out[base + a] = ds.x[base + a]! * inv;
  }
  return withFeatures(ds, out, ds.shape);
}

/** The number of qubits whose amplitudes hold `features` values: `ceil(log2 features)`, at least 1. */
export function amplitudeQubits(featureCountOrShape: number | readonly number[]): number {
  const f = typeof featureCountOrShape === 'number' ? featureCountOrShape : featureCount(featureCountOrShape);
  if (!Number.isInteger(f) || f < 1) fail('features', `expected a positive integer, found ${f}`);
  let q = 1;
  while (2 ** q < f) q++;
  return q;
}

/**
 * Flatten each sample and append zeros up to `length` features: by default the
 * next power of two at or above the feature count (at least 2, one qubit).
 * `length` must be a power of two no smaller than the feature count.
 * Output shape `[length]`. Zeros do not change the L2 norm, so padding and
 * `normalizeL2` commute.
 */
export function padToPowerOfTwo(ds: Dataset, length?: number): Dataset {
  const d = features(ds);
  const len = length ?? 2 ** amplitudeQubits(d);
  if (!Number.isInteger(len) || len < d || len < 1 || 2 ** Math.round(Math.log2(len)) !== len) {
    fail('length', `expected a power of two >= ${d} (the features per sample), found ${len}`);
  }
  const out = new Float64Array(ds.n * len);
  for (let i = 0; i < ds.n; i++) out.set(ds.x.subarray(i * d, (i + 1) * d), i * len);
  return withFeatures(ds, out, [len]);
}

/** Pad to a power of two and normalise: inputs ready for amplitude embedding on `amplitudeQubits(features)` qubits. */
export function toAmplitudes(ds: Dataset): Dataset {
  return normalizeL2(padToPowerOfTwo(ds));
}
