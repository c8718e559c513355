import type { Layer, LayerPass } from '../layer.js';
import { shapeSize } from '../layer.js';
import { fail } from '../../util/errors.js';
import { checkBackward, checkInput, checkInt } from './common.js';

/**
 * Reshapes each sample to one dimension, `[c, h, w] -> [c·h·w]`, e.g. between
 * the last pooling layer and the first dense layer. Row-major data is already
 * laid out that way, so the pass copies nothing: `y` IS the input array and
 * backward returns `dy` itself. Layers never write into their inputs, so the
 * sharing is safe.
 *
 * @example
 * new Flatten([16, 5, 5]).outShape; // [400]
 */
export class Flatten implements Layer {
  readonly kind = 'flatten';
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount = 0;
  private readonly size: number;

  constructor(inShape: readonly number[]) {
    if (inShape.length === 0) fail('flatten.inShape', 'must have at least one dimension');
    inShape.forEach((d, i) => checkInt(`flatten.inShape[${i}]`, d));
    this.inShape = [...inShape];
    this.size = shapeSize(inShape);
    this.outShape = [this.size];
  }

  init(): void {}

  forward(x: Float64Array, batch: number): LayerPass {
    checkInput(this.kind, x, batch, this.size);
    return {
      y: x,
      backward: (dy: Float64Array, dParams: Float64Array): Float64Array => {
        checkBackward(this.kind, dy, x.length, dParams, 0);
        return dy;
      },
    };
  }
}
