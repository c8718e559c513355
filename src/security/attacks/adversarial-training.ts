import type { Sequential } from '../../models/sequential.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { checkAttackSpec, craft, type AttackSpec } from './craft.js';

/**
 * Adversarial training for federated clients (QFAL, arXiv:2502.21171): each
 * client replaces a share of every training batch by examples made against
 * its CURRENT local model, then takes the usual step; the server averages as
 * before. Plugs into the client app's `batchTransform` hook:
 *
 * ```ts
 * batchTransform: (clientId, model, rng) =>
 *   adversarialClients.has(clientId) ? adversarialBatchTransform(model, { attack: 'fgsm', eps: 0.1, share: 0.5, range: [0, 1] }, rng) : undefined,
 * ```
 */

/**
 * Replaces a batch's inputs (batch x features) given its labels: the same
 * shape as the client app's `BatchTransform` (fl/client-app.ts) and the
 * training loop's `batchHook` (models/train.ts), declared here because the
 * security layer sits below the federation layer.
 */
export type BatchTransform = (x: Float64Array, labels: Int32Array, batch: number) => Float64Array;

export interface AdversarialTrainingOptions extends AttackSpec {
  /** Fraction of each batch made adversarial, in [0, 1]; the rest stays clean. */
  readonly share: number;
}

export interface AdversarialBatch {
  /** The new batch: clean rows, with the chosen rows replaced. */
  readonly x: Float64Array;
  /** Indices of the rows replaced, ascending. */
  readonly adversarial: Int32Array;
}

function checkShare(share: number): number {
  if (!(Number.isFinite(share) && share >= 0 && share <= 1)) fail('share', `must be a number in [0, 1], got ${share}`);
  return share;
}

/**
 * How many rows of a batch of `batch` to attack: share x batch, rounded
 * stochastically (down or up with the probability of the fraction, drawn
 * from `rng`), so the expected share is exact even for small batches and an
 * integer share x batch is taken as is, with no draw.
 */
export function adversarialCount(share: number, batch: number, rng: Rng): number {
  const want = checkShare(share) * batch;
  const base = Math.floor(want);
  const frac = want - base;
  return frac > 0 && rng.uniform() < frac ? base + 1 : base;
}

/**
 * One batch with a random `share` of its rows (chosen with `rng`) replaced
 * by adversarial examples against `model` as it is now. Pure: `x` is not
 * touched.
 */
export function adversarialBatch(
  model: Sequential,
  x: Float64Array,
  labels: Int32Array,
  batch: number,
  o: AdversarialTrainingOptions,
  rng: Rng,
): AdversarialBatch {
  const f = model.inSize;
  if (!Number.isInteger(batch) || batch < 1) fail('batch', `must be an integer >= 1, got ${batch}`);
  if (x.length !== batch * f) fail('x', `must hold batch (${batch}) x ${f} features = ${batch * f} numbers, got ${x.length}`);
  if (labels.length !== batch) fail('labels', `must hold one label per sample (${batch}), got ${labels.length}`);
  const count = adversarialCount(o.share, batch, rng);
  const out = x.slice();
  if (count === 0) return { x: out, adversarial: new Int32Array(0) };
  // A uniform subset of `count` rows: the head of a partial Fisher-Yates shuffle.
  const order = Int32Array.from({ length: batch }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(batch - i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const chosen = order.slice(0, count).sort();
  const sub = new Float64Array(count * f);
  const subLabels = new Int32Array(count);
  chosen.forEach((row, k) => {
    sub.set(x.subarray(row * f, (row + 1) * f), k * f);
    subLabels[k] = labels[row]!;
  });
  const adv = craft(model, sub, subLabels, count, o, rng);
  chosen.forEach((row, k) => out.set(adv.subarray(k * f, (k + 1) * f), row * f));
  return { x: out, adversarial: chosen };
}

/**
 * The batch transform of adversarial training: every call attacks the
 * chosen share of the batch against `model`, the very object being trained,
 * so the examples follow the local model step by step. Options are checked
 * once, here.
 *
 * @example
 * const hook = adversarialBatchTransform(model, { attack: 'pgd', eps: 0.1, steps: 3, share: 0.3, range: [0, 1] }, rng);
 * train(model, data, { ...options, batchHook: hook });
 */
export function adversarialBatchTransform(model: Sequential, o: AdversarialTrainingOptions, rng: Rng): BatchTransform {
  checkShare(o.share);
  checkAttackSpec(o, model);
  return (x, labels, batch) => adversarialBatch(model, x, labels, batch, o, rng).x;
}
