import type { Layer, LayerPass } from '../layer.js';
import { fail } from '../../util/errors.js';
import { checkBackward, checkInput, checkInt } from './common.js';

export interface Pool2dOptions {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Square window side. */
  readonly kernel: number;
  /** Default: the kernel (non-overlapping windows). */
  readonly stride?: number;
}

/**
 * Window geometry shared by the pooling layers: NCHW, no padding,
 * `OH = ⌊(H − k) / s⌋ + 1` (likewise OW); rows and columns past the last full
 * window are dropped, as in PyTorch.
 */
abstract class Pool2d implements Layer {
  abstract readonly kind: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount = 0;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kernel: number;
  readonly stride: number;
  readonly outHeight: number;
  readonly outWidth: number;

  constructor(name: string, options: Pool2dOptions) {
    this.channels = checkInt(`${name}.channels`, options.channels);
    this.height = checkInt(`${name}.height`, options.height);
    this.width = checkInt(`${name}.width`, options.width);
    this.kernel = checkInt(`${name}.kernel`, options.kernel);
    this.stride = checkInt(`${name}.stride`, options.stride ?? options.kernel);
    if (this.kernel > this.height || this.kernel > this.width) {
      fail(`${name}.kernel`, `must fit the input ${this.height}x${this.width}, got ${this.kernel}`);
    }
    this.outHeight = Math.floor((this.height - this.kernel) / this.stride) + 1;
    this.outWidth = Math.floor((this.width - this.kernel) / this.stride) + 1;
    this.inShape = [this.channels, this.height, this.width];
    this.outShape = [this.channels, this.outHeight, this.outWidth];
  }

  init(): void {}

  abstract forward(x: Float64Array, batch: number, params: Float64Array): LayerPass;
}

/**
 * Max pooling: `y = max over the window`. The gradient flows only to the
 * winning input (the first one on ties), `dx[argmax] += dy`; a NaN in a
 * window wins, so it is propagated rather than hidden.
 *
 * @example
 * new MaxPool2d({ channels: 6, height: 28, width: 28, kernel: 2 }).outShape; // [6, 14, 14]
 */
export class MaxPool2d extends Pool2d {
  readonly kind = 'maxpool2d';

  constructor(options: Pool2dOptions) {
    super('maxpool2d', options);
  }

  forward(x: Float64Array, batch: number): LayerPass {
    const { kind, kernel: k, stride: st, width: W, height: H, outHeight: OH, outWidth: OW } = this;
    const planes = batch * this.channels;
    checkInput(kind, x, batch, this.channels * H * W);
    const y = new Float64Array(planes * OH * OW);
    const arg = new Int32Array(y.length);
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * H * W;
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const corner = base + i * st * W + j * st;
          let best = x[corner];
          let at = corner;
          for (let u = 0; u < k; u++) {
            const r = corner + u * W;
            for (let v = 0; v < k; v++) {
              const val = x[r + v];
              if (val > best || val !== val) {
                best = val;
                at = r + v;
              }
            }
          }
          y[o] = best;
          arg[o++] = at;
        }
      }
    }
    return {
      y,
      backward(dy: Float64Array, dParams: Float64Array): Float64Array {
        checkBackward(kind, dy, y.length, dParams, 0);
        const dx = new Float64Array(x.length);
        for (let q = 0; q < dy.length; q++) dx[arg[q]] += dy[q];
        return dx;
      },
    };
  }
}

/**
 * Average pooling: `y = (1 / k²) Σ over the window`; backward spreads
 * `dy / k²` over the window.
 *
 * @example
 * new AvgPool2d({ channels: 16, height: 10, width: 10, kernel: 2 }).outShape; // [16, 5, 5]
 */
export class AvgPool2d extends Pool2d {
  readonly kind = 'avgpool2d';

  constructor(options: Pool2dOptions) {
    super('avgpool2d', options);
  }

  forward(x: Float64Array, batch: number): LayerPass {
    const { kind, kernel: k, stride: st, width: W, height: H, outHeight: OH, outWidth: OW } = this;
    const planes = batch * this.channels;
    checkInput(kind, x, batch, this.channels * H * W);
    const scale = 1 / (k * k);
    const y = new Float64Array(planes * OH * OW);
    let o = 0;
    for (let pl = 0; pl < planes; pl++) {
      const base = pl * H * W;
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const corner = base + i * st * W + j * st;
          let sum = 0;
          for (let u = 0; u < k; u++) {
            const r = corner + u * W;
            for (let v = 0; v < k; v++) sum += x[r + v];
          }
          y[o++] = sum * scale;
        }
      }
    }
    return {
      y,
      backward(dy: Float64Array, dParams: Float64Array): Float64Array {
        checkBackward(kind, dy, y.length, dParams, 0);
        const dx = new Float64Array(x.length);
        let q = 0;
        for (let pl = 0; pl < planes; pl++) {
          const base = pl * H * W;
          for (let i = 0; i < OH; i++) {
            for (let j = 0; j < OW; j++) {
              const g = dy[q++] * scale;
              const corner = base + i * st * W + j * st;
              for (let u = 0; u < k; u++) {
                const r = corner + u * W;
                for (let v = 0; v < k; v++) dx[r + v] += g;
              }
            }
          }
        }
        return dx;
      },
    };
  }
}
