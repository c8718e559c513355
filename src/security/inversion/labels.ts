import type { Sequential } from '../../models/sequential.js';
import type { UpdateRule } from './update.js';

/**
 * Label inference from the last layer's bias, as in iDLG (Zhao, Mopuri &
 * Bilen 2020). With softmax cross-entropy on ONE sample of class y, the
 * gradient of the bias of the layer that outputs the logits is
 *
 *   ∂L/∂b_c = softmax(z)_c − [c = y],
 *
 * negative for c = y and positive for every other class: y is the arg-min.
 * After k SGD steps the bias delta is −lr Σ_t ∂L/∂b (θ_t), a sum of vectors
 * with that same sign pattern, so y is the arg-max of the delta: the rule is
 * exact for any number of local steps. With several samples (a batch, or the
 * sum of several clients' updates) the signs mix and the rule no longer
 * applies; this returns `undefined` and the attack optimizes soft labels.
 *
 * Works when the model ends in a `dense` layer (bias after the weights) or an
 * `affine` layer (per-class scale, then shift), as the zoo's models do.
 */
export function inferLabelIdlg(model: Sequential, update: Float64Array, rule: UpdateRule, rows: number): number | undefined {
  if (rows !== 1) return undefined;
  const bias = lastBias(model);
  if (bias === undefined) return undefined;
  const sign = rule.kind === 'gradient' ? 1 : -1;
  let best = 0;
  for (let c = 1; c < bias.length; c++) {
    if (sign * update[bias.start + c]! < sign * update[bias.start + best]!) best = c;
  }
  return best;
}

/** Where the bias of the logit layer sits in the flat parameters, if the model has one. */
export function lastBias(model: Sequential): { start: number; length: number } | undefined {
  const i = model.layers.length - 1;
  const layer = model.layers[i]!;
  const off = model.offsets[i]!;
  const classes = model.outSize;
  switch (layer.kind) {
    case 'dense':
      // W [out, in] then b [out].
      return { start: off + layer.paramCount - classes, length: classes };
    case 'affine':
      // a [size] then b [size].
      return { start: off + classes, length: classes };
    default:
      return undefined;
  }
}
