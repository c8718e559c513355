import { fail } from '../util/errors.js';
import { exp, log } from '../util/detmath.js';

/**
 * Losses over a batch of model outputs: each returns the MEAN loss over the
 * batch and its gradient with respect to the outputs, ready to hand to a
 * backward pass. Outputs are `batch × width`, row-major.
 */
export interface LossResult {
  readonly loss: number;
  /** dL/d(output), same length as the output. */
  readonly grad: Float64Array;
}

/** A loss with its targets' type: class labels, regression targets, ... */
export type LossFn<T> = (output: Float64Array, targets: T, batch: number) => LossResult;

/** Width of one row, checking that the output splits into `batch` rows. */
function rowWidth(field: string, output: Float64Array, batch: number): number {
  if (!Number.isInteger(batch) || batch < 1) fail(`${field}.batch`, `must be an integer >= 1, got ${batch}`);
  const width = output.length / batch;
  if (!Number.isInteger(width) || width < 1) {
    fail(`${field}.output`, `must hold batch (${batch}) rows of equal width, got ${output.length} numbers`);
  }
  return width;
}

function checkLabels(field: string, labels: ArrayLike<number>, batch: number, classes: number): void {
  if (labels.length !== batch) fail(`${field}.labels`, `must hold one label per sample (${batch}), got ${labels.length}`);
  for (let s = 0; s < batch; s++) {
    const c = labels[s]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      fail(`${field}.labels[${s}]`, `must be an integer class in [0, ${classes}), got ${c}`);
    }
  }
}

/**
 * Softmax cross-entropy over logits z with integer labels y:
 *
 *   L = (1/B) Σ_s [ logΣ_c exp z[s,c] − z[s, y_s] ],
 *   dL/dz[s,c] = (softmax(z[s])_c − [c = y_s]) / B.
 *
 * Stable for any logits: the row maximum is subtracted before exponentiating
 * (log-sum-exp), so nothing overflows and the loss stays finite.
 *
 * @example
 * softmaxCrossEntropy(new Float64Array([2, 0, 0, 3]), [0, 1], 2).loss; // (log(1+e^-2) + log(1+e^-3))/2
 */
export const softmaxCrossEntropy: LossFn<ArrayLike<number>> = (logits, labels, batch) => {
  const width = rowWidth('softmaxCrossEntropy', logits, batch);
  checkLabels('softmaxCrossEntropy', labels, batch, width);
  const grad = new Float64Array(logits.length);
  const invB = 1 / batch;
  let total = 0;
  for (let s = 0; s < batch; s++) {
    const row = s * width;
    let max = -Infinity;
    for (let c = 0; c < width; c++) if (logits[row + c] > max) max = logits[row + c];
    let sum = 0;
    for (let c = 0; c < width; c++) {
      const e = exp(logits[row + c] - max);
      grad[row + c] = e;
      sum += e;
    }
    const label = labels[s]!;
    // (max − z_y) first: exact when z_y is the max, however large the logits.
    total += log(sum) + (max - logits[row + label]);
    const scale = invB / sum;
    for (let c = 0; c < width; c++) grad[row + c] *= scale;
    grad[row + label] -= invB;
  }
  return { loss: total * invB, grad };
};

/**
 * Mean squared error over every entry, as PyTorch's `MSELoss()`:
 * `L = (1/(B·W)) Σ (o − t)²`, `dL/do = 2 (o − t) / (B·W)`.
 */
export const meanSquaredError: LossFn<Float64Array> = (output, targets, batch) => {
  rowWidth('meanSquaredError', output, batch);
  if (targets.length !== output.length) {
    fail('meanSquaredError.targets', `must match the output length ${output.length}, got ${targets.length}`);
  }
  const n = output.length;
  const grad = new Float64Array(n);
  const scale = 2 / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = output[i] - targets[i];
    total += d * d;
    grad[i] = scale * d;
  }
  return { loss: total / n, grad };
};

/** Row-wise softmax probabilities of `batch` rows of logits. */
export function softmax(logits: Float64Array, batch: number): Float64Array {
  const width = rowWidth('softmax', logits, batch);
  const p = new Float64Array(logits.length);
  for (let s = 0; s < batch; s++) {
    const row = s * width;
    let max = -Infinity;
    for (let c = 0; c < width; c++) if (logits[row + c] > max) max = logits[row + c];
    let sum = 0;
    for (let c = 0; c < width; c++) sum += p[row + c] = exp(logits[row + c] - max);
    for (let c = 0; c < width; c++) p[row + c] /= sum;
  }
  return p;
}

/** Index of the largest entry of each row (the first on ties): the predicted class. */
export function argmax(output: Float64Array, batch: number): Int32Array {
  const width = rowWidth('argmax', output, batch);
  const out = new Int32Array(batch);
  for (let s = 0; s < batch; s++) {
    const row = s * width;
    let best = 0;
    for (let c = 1; c < width; c++) if (output[row + c] > output[row + best]) best = c;
    out[s] = best;
  }
  return out;
}

/** Fraction of rows whose argmax equals the label, in [0, 1]. */
export function accuracy(output: Float64Array, labels: ArrayLike<number>, batch: number): number {
  if (labels.length !== batch) fail('accuracy.labels', `must hold one label per sample (${batch}), got ${labels.length}`);
  const pred = argmax(output, batch);
  let hits = 0;
  for (let s = 0; s < batch; s++) if (pred[s] === labels[s]) hits++;
  return hits / batch;
}
