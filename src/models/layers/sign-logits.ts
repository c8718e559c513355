import type { Rng } from '../../util/random.js';
import type { Layer, LayerPass } from '../layer.js';

/**
 * Two class scores from one expectation value z = <Z>: [s z, -s z]. The
 * prediction is then the more likely measurement outcome of the qubit
 * (argmax of p0 = (1 + z) / 2, p1 = (1 - z) / 2), the classifier quantum
 * certificates speak about. No parameters; `scale` sharpens the softmax.
 */
export class SignLogits implements Layer {
  readonly kind = 'sign-logits';
  readonly inShape = [1] as const;
  readonly outShape = [2] as const;
  readonly paramCount = 0;

  constructor(readonly scale = 5) {}

  init(_params: Float64Array, _rng: Rng): void {}

  forward(x: Float64Array, batch: number): LayerPass {
    const s = this.scale;
    const y = new Float64Array(2 * batch);
    for (let b = 0; b < batch; b++) {
      y[2 * b] = s * x[b]!;
      y[2 * b + 1] = -s * x[b]!;
    }
    return {
      y,
      backward: (dy: Float64Array): Float64Array => {
        const dx = new Float64Array(batch);
        for (let b = 0; b < batch; b++) dx[b] = s * (dy[2 * b]! - dy[2 * b + 1]!);
        return dx;
      },
    };
  }
}
