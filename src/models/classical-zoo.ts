import type { Layer } from './layer.js';
import { fail } from '../util/errors.js';
import { Sequential } from './sequential.js';
import { Dense } from './layers/dense.js';
import { Conv2d } from './layers/conv2d.js';
import { MaxPool2d } from './layers/pool.js';
import { Activation, type ActivationKind } from './layers/activation.js';
import { Flatten } from './layers/flatten.js';

/**
 * Ready-made classical models: the baselines the quantum and hybrid models are
 * compared against. Both take flat float64 inputs and output logits, to be
 * paired with `softmaxCrossEntropy`.
 */

export interface MlpOptions {
  /** Nonlinearity between dense layers; default `relu`. */
  readonly activation?: ActivationKind;
}

/**
 * Multi-layer perceptron `inputSize → hidden[0] → … → classes`, each hidden
 * layer followed by the activation (He init before ReLU, Glorot otherwise).
 *
 * @example
 * mlp(784, [128, 64], 10).paramCount; // 109386
 */
export function mlp(inputSize: number, hidden: readonly number[], classes: number, options: MlpOptions = {}): Sequential {
  checkCount('mlp.inputSize', inputSize);
  checkCount('mlp.classes', classes);
  const act = options.activation ?? 'relu';
  const init = act === 'relu' ? 'he' : 'glorot';
  const layers: Layer[] = [];
  let width = inputSize;
  hidden.forEach((h, i) => {
    checkCount(`mlp.hidden[${i}]`, h);
    layers.push(new Dense(width, h, { init }), new Activation(act, [h]));
    width = h;
  });
  layers.push(new Dense(width, classes));
  return new Sequential(layers);
}

/**
 * LeNet-5 (LeCun et al. 1998) in its modern form (ReLU, max pooling) for
 * `1×28×28` images such as MNIST:
 *
 *   conv 6@5×5 pad 2 → relu → maxpool 2 → conv 16@5×5 → relu → maxpool 2
 *   → flatten 400 → dense 120 → relu → dense 84 → relu → dense classes
 *
 * 61 706 parameters for 10 classes.
 */
export function lenet5(classes = 10): Sequential {
  checkCount('lenet5.classes', classes);
  return new Sequential([
    new Conv2d({ inChannels: 1, height: 28, width: 28, outChannels: 6, kernel: 5, padding: 2, init: 'he' }),
    new Activation('relu', [6, 28, 28]),
    new MaxPool2d({ channels: 6, height: 28, width: 28, kernel: 2 }),
    new Conv2d({ inChannels: 6, height: 14, width: 14, outChannels: 16, kernel: 5, init: 'he' }),
    new Activation('relu', [16, 10, 10]),
    new MaxPool2d({ channels: 16, height: 10, width: 10, kernel: 2 }),
    new Flatten([16, 5, 5]),
    new Dense(400, 120, { init: 'he' }),
    new Activation('relu', [120]),
    new Dense(120, 84, { init: 'he' }),
    new Activation('relu', [84]),
    new Dense(84, classes),
  ]);
}

/** Total trainable parameters of a model or a list of layers. */
export function parameterCount(model: Sequential | readonly Layer[]): number {
  const layers = model instanceof Sequential ? model.layers : model;
  return layers.reduce((s, l) => s + l.paramCount, 0);
}

function checkCount(field: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) fail(field, `must be an integer >= 1, got ${n}`);
}
