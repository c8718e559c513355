import type { Rng } from '../util/random.js';

/**
 * One differentiable stage of a model. Classical and quantum layers share it.
 *
 * Shapes are per sample (the batch is the leading dimension, passed beside the
 * data): a dense layer has `inShape = [in]`, a conv layer `[channels, h, w]`.
 * A layer owns no parameters: the model's single flat parameter vector is
 * sliced into per-layer views (`params`), which is all the federation sees.
 */
export interface Layer {
  readonly kind: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount: number;
  /** Fill this layer's slice of the parameter vector with initial values. */
  init(params: Float64Array, rng: Rng): void;
  /** Forward pass over a batch; `x` has `batch * size(inShape)` entries. */
  forward(x: Float64Array, batch: number, params: Float64Array): LayerPass;
}

/** The result of a forward pass, holding what its backward pass needs. */
export interface LayerPass {
  readonly y: Float64Array;
  /**
   * Vector-Jacobian product: given dL/dy, ADD dL/dparams into `dParams`
   * (this layer's slice of the gradient vector) and return dL/dx.
   */
  backward(dy: Float64Array, dParams: Float64Array): Float64Array;
}

export function shapeSize(shape: readonly number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}
