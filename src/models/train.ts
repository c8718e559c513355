import type { Dataset } from '../data/dataset.js';
import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { accuracy, softmaxCrossEntropy } from './loss.js';
import type { Optimizer } from './optim.js';
import type { Sequential } from './sequential.js';

/** Metrics of one epoch; test metrics when a test set was given. */
export interface EpochMetrics {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly seconds: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
}

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly optimizer: Optimizer;
  /** Shuffles the samples every epoch. */
  readonly rng: Rng;
  readonly test?: Dataset;
  /** Adds to the gradient before each step (FedProx's proximal term, for example). */
  readonly gradHook?: (params: Float64Array, grad: Float64Array) => void;
  /** Replaces a batch's inputs before the step (adversarial training, for example). */
  readonly batchHook?: (x: Float64Array, labels: Int32Array, batch: number) => Float64Array;
  readonly onEpoch?: (m: EpochMetrics) => void;
}

/** Copies rows `order[from..to)` of the data set into a contiguous batch. */
function gather(data: Dataset, order: Int32Array, from: number, to: number): { x: Float64Array; y: Int32Array } {
  const f = data.x.length / data.n;
  const x = new Float64Array((to - from) * f);
  const y = new Int32Array(to - from);
  for (let k = from; k < to; k++) {
    const i = order[k]!;
    x.set(data.x.subarray(i * f, (i + 1) * f), (k - from) * f);
    y[k - from] = data.y[i]!;
  }
  return { x, y };
}

function checkFits(model: Sequential, data: Dataset, field: string): void {
  const f = data.n > 0 ? data.x.length / data.n : 0;
  if (f !== model.inSize) fail(field, `samples have ${f} features but the model takes ${model.inSize}`);
  if (data.classes > model.outSize) fail(field, `${data.classes} classes but the model outputs ${model.outSize} scores`);
}

/** Mean softmax cross-entropy and accuracy over a data set, in batches. */
export function evaluate(model: Sequential, data: Dataset, batchSize = 512): { loss: number; accuracy: number } {
  checkFits(model, data, 'evaluate');
  const order = Int32Array.from({ length: data.n }, (_, i) => i);
  let loss = 0;
  let correct = 0;
  for (let from = 0; from < data.n; from += batchSize) {
    const to = Math.min(data.n, from + batchSize);
    const { x, y } = gather(data, order, from, to);
    const logits = model.forward(x, to - from);
    loss += softmaxCrossEntropy(logits, y, to - from).loss * (to - from);
    correct += accuracy(logits, y, to - from) * (to - from);
  }
  return { loss: loss / data.n, accuracy: correct / data.n };
}

/**
 * Mini-batch training with softmax cross-entropy: the samples are shuffled
 * with `rng` every epoch, so the same seed gives the same model.
 */
export function train(model: Sequential, data: Dataset, o: TrainOptions): EpochMetrics[] {
  checkFits(model, data, 'train');
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) fail('batch_size', `must be a positive integer, got ${o.batchSize}`);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) fail('epochs', `must be a non-negative integer, got ${o.epochs}`);
  const history: EpochMetrics[] = [];
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const t0 = performance.now();
    const order = o.rng.permutation(data.n);
    let loss = 0;
    let correct = 0;
    for (let from = 0; from < data.n; from += o.batchSize) {
      const to = Math.min(data.n, from + o.batchSize);
      const b = to - from;
      const batch = gather(data, order, from, to);
      const x = o.batchHook ? o.batchHook(batch.x, batch.y, b) : batch.x;
      const r = model.lossAndGrad(x, batch.y, b, softmaxCrossEntropy);
      o.gradHook?.(model.params, r.grad);
      o.optimizer.step(model.params, r.grad);
      loss += r.loss * b;
      correct += accuracy(r.logits, batch.y, b) * b;
    }
    const metrics: EpochMetrics = {
      epoch,
      loss: loss / data.n,
      accuracy: correct / data.n,
      seconds: (performance.now() - t0) / 1000,
      ...(o.test ? prefixTest(evaluate(model, o.test)) : {}),
    };
    history.push(metrics);
    o.onEpoch?.(metrics);
  }
  return history;
}

const prefixTest = (m: { loss: number; accuracy: number }) => ({ testLoss: m.loss, testAccuracy: m.accuracy });
