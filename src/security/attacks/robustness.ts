import { featureCount, type Dataset } from '../../data/dataset.js';
import { argmax } from '../../models/loss.js';
import type { Sequential } from '../../models/sequential.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { checkEps } from './adversarial.js';
import { checkAttackMethod, checkFits, craft, type AttackMethod } from './craft.js';

/**
 * Robust accuracy: the accuracy of a model on examples attacked against
 * itself (white box), for each radius of a sweep. Eps 0 is the clean
 * accuracy (the batch is not touched).
 */

/** The radii of the QFAL experiments (arXiv:2502.21171: eps from 0.01 to 0.5), plus the clean point. */
export const DEFAULT_EPSILONS: readonly number[] = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5];

export interface SweepOptions extends AttackMethod {
  /** Radii to evaluate, in order; default `DEFAULT_EPSILONS`. */
  readonly epsilons?: readonly number[];
  /** Samples attacked and evaluated at once; default 256. */
  readonly batchSize?: number;
  /** Called after each batch: long sweeps show progress. */
  readonly onProgress?: (p: { readonly eps: number; readonly done: number; readonly total: number }) => void;
}

export interface RobustPoint {
  readonly eps: number;
  /** Fraction of the data set classified correctly after the attack, in [0, 1]. */
  readonly accuracy: number;
}

/** Checks a sweep's options and returns its radii and batch size. */
export function checkSweep(model: Sequential, data: Dataset, o: SweepOptions): { epsilons: readonly number[]; batchSize: number } {
  checkFits(model, data);
  checkAttackMethod(o, model);
  const epsilons = o.epsilons ?? DEFAULT_EPSILONS;
  if (epsilons.length === 0) fail('epsilons', 'must hold at least one radius');
  epsilons.forEach((e, i) => checkEps(e, `epsilons[${i}]`));
  const batchSize = o.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) fail('batchSize', `must be an integer >= 1, got ${batchSize}`);
  return { epsilons, batchSize };
}

/**
 * Runs `visit(i, xAdv, labels, batch)` for every radius `epsilons[i]` and
 * batch of the data set, xAdv attacked against `model` (the clean batch at
 * eps 0), radius after radius.
 */
export function sweepBatches(
  model: Sequential,
  data: Dataset,
  o: SweepOptions,
  rng: Rng,
  visit: (index: number, x: Float64Array, labels: Int32Array, batch: number) => void,
): void {
  const { epsilons, batchSize } = checkSweep(model, data, o);
  const f = featureCount(data.shape);
  for (let i = 0; i < epsilons.length; i++) {
    const eps = epsilons[i]!;
    for (let from = 0; from < data.n; from += batchSize) {
      const to = Math.min(data.n, from + batchSize);
      const b = to - from;
      const x = data.x.subarray(from * f, to * f);
      const y = data.y.subarray(from, to);
      visit(i, eps === 0 ? x : craft(model, x, y, b, { ...o, eps }, rng), y, b);
      o.onProgress?.({ eps, done: to, total: data.n });
    }
  }
}

/**
 * Accuracy under a white-box attack for each eps: `[{ eps, accuracy }]` in
 * the order of `epsilons`, computed in batches.
 *
 * @example
 * robustAccuracy(model, test, { attack: 'fgsm', range: [0, 1] }, new Rng(3));
 * // [{ eps: 0, accuracy: 0.91 }, { eps: 0.01, accuracy: 0.88 }, ...]
 */
export function robustAccuracy(model: Sequential, data: Dataset, o: SweepOptions, rng: Rng): RobustPoint[] {
  const epsilons = o.epsilons ?? DEFAULT_EPSILONS;
  const hits = new Float64Array(epsilons.length);
  sweepBatches(model, data, o, rng, (i, x, y, b) => {
    hits[i] += countCorrect(model.forward(x, b), y, b);
  });
  return epsilons.map((eps, i) => ({ eps, accuracy: hits[i]! / data.n }));
}

/** Rows whose argmax is the label. */
export function countCorrect(logits: Float64Array, labels: ArrayLike<number>, batch: number): number {
  const pred = argmax(logits, batch);
  let hits = 0;
  for (let s = 0; s < batch; s++) if (pred[s] === labels[s]) hits++;
  return hits;
}
