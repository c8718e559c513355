import { makeDataset, type Dataset } from '../../data/dataset.js';
import { softmaxCrossEntropy } from '../../models/loss.js';
import { mlp } from '../../models/classical-zoo.js';
import { Adam } from '../../models/optim.js';
import { train } from '../../models/train.js';
import { quantumStateClassifier } from '../../models/quantum-zoo.js';
import type { Sequential } from '../../models/sequential.js';
import { Rng } from '../../util/random.js';

/** Small models and batches for the attack tests. */

/** A random smooth (tanh) MLP `inSize -> 8 -> classes`. */
export function randomMlp(inSize: number, classes: number, seed: number): Sequential {
  const model = mlp(inSize, [8], classes, { activation: 'tanh' });
  model.init(new Rng(seed));
  return model;
}

/** A random 2-layer classifier of `nQubits`-qubit prepared states. */
export function randomStateModel(nQubits: number, classes: number, seed: number): Sequential {
  const model = quantumStateClassifier({ nQubits, layers: 2, classes });
  model.init(new Rng(seed));
  return model;
}

/** Features uniform in [0, 1] (some exactly on the edges) and uniform labels. */
export function randomBatch(batch: number, width: number, classes: number, rng: Rng): { x: Float64Array; y: Int32Array } {
  const x = new Float64Array(batch * width);
  for (let i = 0; i < x.length; i++) x[i] = i % 7 === 0 ? i % 2 : rng.uniform();
  const y = Int32Array.from({ length: batch }, () => rng.int(classes));
  return { x, y };
}

/** Random normalized states as `state` prep rows (2^n real parts, then 2^n imaginary parts). */
export function randomStates(batch: number, nQubits: number, classes: number, rng: Rng): { x: Float64Array; y: Int32Array } {
  const width = 2 << nQubits;
  const x = new Float64Array(batch * width);
  for (let b = 0; b < batch; b++) {
    let n2 = 0;
    for (let k = 0; k < width; k++) n2 += (x[b * width + k] = rng.normal()) ** 2;
    for (let k = 0; k < width; k++) x[b * width + k] /= Math.sqrt(n2);
  }
  const y = Int32Array.from({ length: batch }, () => rng.int(classes));
  return { x, y };
}

export function meanLoss(model: Sequential, x: Float64Array, y: ArrayLike<number>, batch: number): number {
  return softmaxCrossEntropy(model.forward(x, batch), y, batch).loss;
}

/** Euclidean norm of each of the `batch` rows of a - b. */
export function rowDistances(a: Float64Array, b: Float64Array, batch: number): number[] {
  const width = a.length / batch;
  return Array.from({ length: batch }, (_, s) => {
    let n2 = 0;
    for (let j = s * width; j < (s + 1) * width; j++) n2 += (a[j]! - b[j]!) ** 2;
    return Math.sqrt(n2);
  });
}

/** `n` points of [0, 1]^width, class 1 iff the first feature exceeds the second (a margin-free linear task). */
export function linearTask(n: number, width: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float64Array(n * width).map(() => rng.uniform());
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * width]! > x[i * width + 1]! ? 1 : 0));
  return makeDataset({ x, y, shape: [width], classes: 2 });
}

/** Trains in place with Adam (lr 0.05, batches of 16) and returns the model. */
export function fitted(model: Sequential, data: Dataset, epochs: number, seed: number): Sequential {
  train(model, data, { epochs, batchSize: 16, optimizer: new Adam({ lr: 0.05 }), rng: new Rng(seed) });
  return model;
}
