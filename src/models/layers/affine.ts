import type { Rng } from '../../util/random.js';
import type { Layer, LayerPass } from '../layer.js';
import { checkInt } from './common.js';

/**
 * Elementwise affine map y_i = a_i x_i + b_i: turns expectation values in
 * [-1, 1] into class scores of a useful range. Parameters: a (init `scale`),
 * then b (init 0).
 */
export class Affine implements Layer {
  readonly kind = 'affine';
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount: number;

  constructor(
    readonly size: number,
    readonly initialScale = 1,
  ) {
    checkInt('affine.size', size);
    this.inShape = [size];
    this.outShape = [size];
    this.paramCount = 2 * size;
  }

  init(params: Float64Array, _rng: Rng): void {
    params.fill(this.initialScale, 0, this.size);
    params.fill(0, this.size);
  }

  forward(x: Float64Array, batch: number, params: Float64Array): LayerPass {
    const k = this.size;
    const y = new Float64Array(x.length);
    for (let s = 0; s < batch; s++) for (let i = 0; i < k; i++) y[s * k + i] = params[i]! * x[s * k + i]! + params[k + i]!;
    return {
      y,
      backward(dy: Float64Array, dParams: Float64Array): Float64Array {
        const dx = new Float64Array(x.length);
        for (let s = 0; s < batch; s++) {
          for (let i = 0; i < k; i++) {
            const g = dy[s * k + i]!;
            dParams[i] += g * x[s * k + i]!;
            dParams[k + i] += g;
            dx[s * k + i] = g * params[i]!;
          }
        }
        return dx;
      },
    };
  }
}
