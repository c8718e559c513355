import type { Sequential } from '../../models/sequential.js';
import { softmaxCrossEntropy, type LossFn } from '../../models/loss.js';
import { fail } from '../../util/errors.js';

/**
 * What a client sends and how the attacker re-computes it for a dummy batch.
 *
 * - `gradient`: the gradient of the mean cross-entropy over the client's batch
 *   at the global parameters θ0 (FedSGD; DLG's setting).
 * - `delta`: the parameter change θ_k − θ0 after `steps` full-batch SGD steps
 *   of learning rate `lr` on that batch (FedAvg with local epochs; Geiping et
 *   al. 2020, section 5). The attacker knows θ0, `steps` and `lr`.
 */
export type UpdateRule = { readonly kind: 'gradient' } | { readonly kind: 'delta'; readonly steps: number; readonly lr: number };

export function checkUpdateRule(rule: UpdateRule, field = 'update'): void {
  switch (rule.kind) {
    case 'gradient':
      return;
    case 'delta':
      if (!Number.isInteger(rule.steps) || rule.steps < 1) fail(`${field}.steps`, `must be an integer >= 1, got ${rule.steps}`);
      if (!(rule.lr > 0) || !Number.isFinite(rule.lr)) fail(`${field}.lr`, `must be a finite number > 0, got ${rule.lr}`);
      return;
    default:
      fail(`${field}.kind`, `must be 'gradient' or 'delta', got '${String((rule as { kind: unknown }).kind)}'`);
  }
}

/** Short label of a rule for tables: `gradient`, `delta(k=4, lr=0.1)`. */
export function formatUpdateRule(rule: UpdateRule): string {
  return rule.kind === 'gradient' ? 'gradient' : `delta(k=${rule.steps}, lr=${rule.lr})`;
}

/**
 * Cross-entropy against soft targets P (rows of class probabilities), the
 * loss the attacker uses when the label is a variable (DLG):
 *
 *   L = −(1/B) Σ_s Σ_c P[s,c] log softmax(z_s)_c,
 *   dL/dz[s,c] = (softmax(z_s)_c Σ_c' P[s,c'] − P[s,c]) / B.
 *
 * With one-hot rows it equals `softmaxCrossEntropy` exactly.
 */
export const softCrossEntropy: LossFn<Float64Array> = (logits, probs, batch) => {
  const width = logits.length / batch;
  if (!Number.isInteger(width) || width < 1) fail('softCrossEntropy.output', `must hold ${batch} rows, got ${logits.length} numbers`);
  if (probs.length !== logits.length) fail('softCrossEntropy.targets', `must match the ${logits.length} logits, got ${probs.length}`);
  const grad = new Float64Array(logits.length);
  const lsm = logSoftmaxRows(logits, batch);
  let total = 0;
  for (let s = 0; s < batch; s++) {
    let mass = 0;
    for (let c = 0; c < width; c++) mass += probs[s * width + c]!;
    for (let c = 0; c < width; c++) {
      const i = s * width + c;
      total -= probs[i]! * lsm[i]!;
      grad[i] = (Math.exp(lsm[i]!) * mass - probs[i]!) / batch;
    }
  }
  return { loss: total / batch, grad };
};

/** Row-wise log-softmax of `batch` rows, stable for any logits. */
export function logSoftmaxRows(logits: Float64Array, batch: number): Float64Array {
  const width = logits.length / batch;
  const out = new Float64Array(logits.length);
  for (let s = 0; s < batch; s++) {
    const row = s * width;
    let max = -Infinity;
    for (let c = 0; c < width; c++) max = Math.max(max, logits[row + c]!);
    let sum = 0;
    for (let c = 0; c < width; c++) sum += Math.exp(logits[row + c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < width; c++) out[row + c] = logits[row + c]! - lse;
  }
  return out;
}

/** One-hot rows for integer labels. */
export function oneHot(labels: ArrayLike<number>, classes: number): Float64Array {
  const out = new Float64Array(labels.length * classes);
  for (let s = 0; s < labels.length; s++) {
    const c = labels[s]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) fail(`labels[${s}]`, `must be an integer class in [0, ${classes}), got ${c}`);
    out[s * classes + c] = 1;
  }
  return out;
}

/**
 * The update a client computes on its private batch: the gradient at θ0, or
 * the delta after `steps` full-batch SGD steps (see `UpdateRule`). Uses the
 * model's own `softmaxCrossEntropy` with integer labels. The model's
 * parameters are restored afterwards.
 */
export function clientUpdate(
  model: Sequential,
  params: Float64Array,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  rule: UpdateRule,
): Float64Array {
  checkUpdateRule(rule);
  const saved = model.getParams();
  try {
    model.params.set(params);
    if (rule.kind === 'gradient') return model.lossAndGrad(x, labels, batch, softmaxCrossEntropy).grad;
    for (let t = 0; t < rule.steps; t++) {
      const g = model.lossAndGrad(x, labels, batch, softmaxCrossEntropy).grad;
      for (let i = 0; i < g.length; i++) model.params[i] -= rule.lr * g[i]!;
    }
    const delta = new Float64Array(params.length);
    for (let i = 0; i < delta.length; i++) delta[i] = model.params[i]! - params[i]!;
    return delta;
  } finally {
    model.params.set(saved);
  }
}
