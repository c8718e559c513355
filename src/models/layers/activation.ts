import type { Layer, LayerPass } from '../layer.js';
import { fail } from '../../util/errors.js';
import { shapeSize } from '../layer.js';
import { checkBackward, checkInput, checkInt } from './common.js';
import { exp, tanh as detTanh } from '../../util/detmath.js';

/** The element-wise nonlinearities, each a layer without parameters. */
export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export type ActivationKind = (typeof ACTIVATIONS)[number];

/**
 * Element-wise activation over any shape. The derivative is written in terms
 * of the output y where it can be, so backward needs nothing but y:
 *
 * - relu:    y = max(0, x),         dy/dx = [y > 0]  (0 at the kink, as PyTorch)
 * - tanh:    y = tanh x,            dy/dx = 1 − y²
 * - sigmoid: y = 1 / (1 + e^(−x)),  dy/dx = y (1 − y)
 *
 * NaN inputs stay NaN (relu included: `max(0, NaN)` would hide them).
 *
 * @example
 * new Activation('relu', [6, 28, 28]);
 */
export class Activation implements Layer {
  readonly kind: ActivationKind;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount = 0;
  private readonly size: number;

  constructor(kind: string, shape: readonly number[]) {
    if (!(ACTIVATIONS as readonly string[]).includes(kind)) {
      fail('activation', `must be one of ${ACTIVATIONS.join(', ')}, got '${kind}'`);
    }
    if (shape.length === 0) fail(`${kind}.shape`, 'must have at least one dimension');
    shape.forEach((d, i) => checkInt(`${kind}.shape[${i}]`, d));
    this.kind = kind as ActivationKind;
    this.inShape = [...shape];
    this.outShape = this.inShape;
    this.size = shapeSize(shape);
  }

  init(): void {}

  forward(x: Float64Array, batch: number): LayerPass {
    const kind = this.kind;
    checkInput(kind, x, batch, this.size);
    const n = x.length;
    const y = new Float64Array(n);
    switch (kind) {
      case 'relu':
        for (let i = 0; i < n; i++) {
          const v = x[i];
          y[i] = v > 0 || v !== v ? v : 0;
        }
        break;
      case 'tanh':
        for (let i = 0; i < n; i++) y[i] = detTanh(x[i]);
        break;
      case 'sigmoid':
        for (let i = 0; i < n; i++) {
          // Two branches so that exp never overflows.
          const v = x[i];
          if (v >= 0) y[i] = 1 / (1 + exp(-v));
          else {
            const e = exp(v);
            y[i] = e / (1 + e);
          }
        }
        break;
    }
    return {
      y,
      backward(dy: Float64Array, dParams: Float64Array): Float64Array {
        checkBackward(kind, dy, n, dParams, 0);
        const dx = new Float64Array(n);
        switch (kind) {
          case 'relu':
            for (let i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
            break;
          case 'tanh':
            for (let i = 0; i < n; i++) {
              const t = y[i];
              dx[i] = dy[i] * (1 - t * t);
            }
            break;
          case 'sigmoid':
            for (let i = 0; i < n; i++) {
              const s = y[i];
              dx[i] = dy[i] * s * (1 - s);
            }
            break;
        }
        return dx;
      },
    };
  }
}

/** `new Activation('relu', shape)`. */
export function relu(shape: readonly number[]): Activation {
  return new Activation('relu', shape);
}

/** `new Activation('tanh', shape)`. */
export function tanh(shape: readonly number[]): Activation {
  return new Activation('tanh', shape);
}

/** `new Activation('sigmoid', shape)`. */
export function sigmoid(shape: readonly number[]): Activation {
  return new Activation('sigmoid', shape);
}
