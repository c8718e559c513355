import type { Layer } from '../layer.js';
import type { Rng } from '../../util/random.js';
import { gemmNN, gemmNT, gemmTN } from '../matmul.js';
import { checkInitScheme, initWeights, type InitScheme } from './init.js';
import { checkBackward, checkInput, checkInt, checkParams, NO_INPUT_GRAD, type InputGradOptionalPass } from './common.js';

export interface DenseOptions {
  /** Weight initialisation; `he` for layers followed by ReLU. Default `glorot`. */
  readonly init?: InitScheme;
}

/**
 * Fully connected layer: `y = x W^T + b`.
 *
 * Parameters, in order: `W` as `[out, in]` row-major (row o holds the weights
 * into output o, as in PyTorch's `nn.Linear`), then `b` as `[out]`.
 *
 * Backward, for a batch X `[B, in]` and upstream G = dL/dY `[B, out]`:
 * `dW += G^T X`, `db += sum over the batch of G`, `dX = G W`. An optional
 * third argument `wantInputGrad = false` skips `dX` (see `InputGradOptionalPass`).
 *
 * @example
 * const fc = new Dense(400, 120, { init: 'he' });
 */
export class Dense implements Layer {
  readonly kind = 'dense';
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount: number;
  readonly initScheme: InitScheme;

  constructor(
    readonly inSize: number,
    readonly outSize: number,
    options: DenseOptions = {},
  ) {
    checkInt('dense.inSize', inSize);
    checkInt('dense.outSize', outSize);
    this.initScheme = checkInitScheme('dense.init', options.init ?? 'glorot');
    this.inShape = [inSize];
    this.outShape = [outSize];
    this.paramCount = outSize * inSize + outSize;
  }

  init(params: Float64Array, rng: Rng): void {
    checkParams(this.kind, params, this.paramCount);
    const nw = this.outSize * this.inSize;
    initWeights(params.subarray(0, nw), this.inSize, this.outSize, this.initScheme, rng);
    params.fill(0, nw);
  }

  forward(x: Float64Array, batch: number, params: Float64Array): InputGradOptionalPass {
    const { inSize: nIn, outSize: nOut, kind, paramCount } = this;
    checkInput(kind, x, batch, nIn);
    checkParams(kind, params, paramCount);
    const nw = nOut * nIn;
    const y = new Float64Array(batch * nOut);
    for (let s = 0; s < batch; s++) y.set(params.subarray(nw, nw + nOut), s * nOut);
    gemmNT(batch, nOut, nIn, x, params, y);
    return {
      y,
      backward(dy: Float64Array, dParams: Float64Array, wantInputGrad = true): Float64Array {
        checkBackward(kind, dy, y.length, dParams, paramCount);
        gemmTN(nOut, nIn, batch, dy, x, dParams);
        for (let s = 0; s < batch; s++) {
          const row = s * nOut;
          for (let o = 0; o < nOut; o++) dParams[nw + o] += dy[row + o];
        }
        if (!wantInputGrad) return NO_INPUT_GRAD;
        const dx = new Float64Array(batch * nIn);
        gemmNN(batch, nIn, nOut, dy, params, dx);
        return dx;
      },
    };
  }
}
