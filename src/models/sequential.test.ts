import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sequential } from './sequential.js';
import type { Layer, LayerPass } from './layer.js';
import { Dense } from './layers/dense.js';
import { Conv2d } from './layers/conv2d.js';
import { AvgPool2d, MaxPool2d } from './layers/pool.js';
import { Flatten } from './layers/flatten.js';
import { relu, tanh } from './layers/activation.js';
import { meanSquaredError, softmaxCrossEntropy } from './loss.js';
import { assertGradcheck, gradcheckModel } from './gradcheck.js';
import { Rng } from '../util/random.js';

/**
 * A layer written against the bare `Layer` interface, as a quantum layer
 * would be: y = a ⊙ sin(x) per feature, parameters a; its backward takes no
 * third argument.
 */
class SinLayer implements Layer {
  readonly kind = 'sin';
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount: number;
  constructor(readonly n: number) {
    this.inShape = [n];
    this.outShape = [n];
    this.paramCount = n;
  }
  init(params: Float64Array, rng: Rng): void {
    for (let i = 0; i < params.length; i++) params[i] = rng.normal();
  }
  forward(x: Float64Array, batch: number, params: Float64Array): LayerPass {
    const n = this.n;
    const y = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) y[i] = params[i % n]! * Math.sin(x[i]!);
    return {
      y,
      backward(dy: Float64Array, dParams: Float64Array): Float64Array {
        const dx = new Float64Array(x.length);
        for (let s = 0; s < batch; s++) {
          for (let j = 0; j < n; j++) {
            const i = s * n + j;
            dParams[j] += dy[i]! * Math.sin(x[i]!);
            dx[i] = dy[i]! * params[j]! * Math.cos(x[i]!);
          }
        }
        return dx;
      },
    };
  }
}

function smallConvNet(): Sequential {
  return new Sequential([
    new Conv2d({ inChannels: 1, height: 8, width: 8, outChannels: 3, kernel: 3, padding: 1, init: 'he' }),
    tanh([3, 8, 8]),
    new MaxPool2d({ channels: 3, height: 8, width: 8, kernel: 2 }),
    new Conv2d({ inChannels: 3, height: 4, width: 4, outChannels: 4, kernel: 3, stride: 2, padding: 1 }),
    relu([4, 2, 2]),
    new AvgPool2d({ channels: 4, height: 2, width: 2, kernel: 2 }),
    new Flatten([4, 1, 1]),
    new Dense(4, 6),
    new SinLayer(6),
    new Dense(6, 3),
  ]);
}

test('shapes must chain: the error names the layer indices, kinds and shapes', () => {
  assert.throws(() => new Sequential([new Dense(4, 8), relu([9]), new Dense(9, 2)]), {
    message: 'layers[1]: relu expects input shape [9] but layers[0] (dense) outputs [8]',
  });
  assert.throws(
    () =>
      new Sequential([
        new MaxPool2d({ channels: 16, height: 10, width: 10, kernel: 2 }),
        new Dense(400, 10),
      ]),
    {
      message:
        'layers[1]: dense expects input shape [400] but layers[0] (maxpool2d) outputs [16, 5, 5] ' +
        '(same size: insert a flatten layer?)',
    },
  );
  assert.throws(() => new Sequential([]), { message: 'layers: must hold at least one layer' });
});

test('one flat parameter vector, sliced per layer in order', () => {
  const model = new Sequential([new Dense(3, 2), relu([2]), new Dense(2, 4)]);
  assert.equal(model.paramCount, 8 + 12);
  assert.deepEqual(model.offsets, [0, 8, 8]);
  assert.deepEqual(model.inShape, [3]);
  assert.deepEqual(model.outShape, [4]);
  model.setParams(Float64Array.from({ length: 20 }, (_, i) => i));
  assert.deepEqual(Array.from(model.layerParams(2)), [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  model.params[8] = -1;
  assert.equal(model.layerParams(2)[0], -1, 'views share memory with params');
  const copy = model.getParams();
  copy[0] = 99;
  assert.equal(model.params[0], 0, 'getParams returns a copy');
});

test('setParams refuses a wrong length or a non-finite entry', () => {
  const model = new Sequential([new Dense(3, 2)]);
  assert.throws(() => model.setParams(new Float64Array(7)), { message: 'params: must hold 8 numbers, got 7' });
  const bad = new Float64Array(8);
  bad[5] = NaN;
  assert.throws(() => model.setParams(bad), { message: 'params[5]: must be finite, got NaN' });
  assert.throws(() => model.forward(new Float64Array(5), 2), { message: 'x: must hold batch * [3] = 6 numbers, got 5' });
  assert.throws(() => model.forward(new Float64Array(0), 0), { message: 'batch: must be an integer >= 1, got 0' });
});

test('init is deterministic in the seed', () => {
  const a = smallConvNet();
  const b = smallConvNet();
  a.init(new Rng(9));
  b.init(new Rng(9));
  assert.deepEqual(a.params, b.params);
  b.init(new Rng(10));
  assert.notDeepEqual(a.params, b.params);
});

test('lossAndGrad and inputGrad match finite differences through conv, pools, dense and a foreign layer', () => {
  const rng = new Rng(71);
  const model = smallConvNet();
  model.init(rng);
  const batch = 3;
  const x = Float64Array.from({ length: batch * 64 }, () => rng.normal());
  assertGradcheck(gradcheckModel(model, x, [0, 2, 1], batch, softmaxCrossEntropy, { rng }), 'conv net + CE');

  const mlp = new Sequential([new Dense(5, 7, { init: 'he' }), tanh([7]), new Dense(7, 2)]);
  mlp.init(rng);
  const xm = Float64Array.from({ length: 4 * 5 }, () => rng.normal());
  const target = Float64Array.from({ length: 4 * 2 }, () => rng.normal());
  assertGradcheck(gradcheckModel(mlp, xm, target, 4, meanSquaredError), 'mlp + mse');
});

test('vjp agrees with lossAndGrad and inputGrad; training gradients skip nothing they need', () => {
  const rng = new Rng(72);
  const model = smallConvNet();
  model.init(rng);
  const x = Float64Array.from({ length: 2 * 64 }, () => rng.normal());
  const labels = [1, 2];
  const lg = model.lossAndGrad(x, labels, 2, softmaxCrossEntropy);
  const ig = model.inputGrad(x, labels, 2, softmaxCrossEntropy);
  const { grad: dLogits } = softmaxCrossEntropy(lg.logits, labels, 2);
  const v = model.vjp(x, 2, dLogits);
  assert.deepEqual(v.grad, lg.grad);
  assert.deepEqual(v.inputGrad, ig.inputGrad);
  assert.equal(ig.loss, lg.loss);
  assert.deepEqual(model.forward(x, 2), lg.logits);
  assert.equal(v.inputGrad.length, x.length);
});

test('a foreign first layer without the wantInputGrad flag still trains', () => {
  const rng = new Rng(73);
  const model = new Sequential([new SinLayer(3), new Dense(3, 2)]);
  model.init(rng);
  const x = Float64Array.from({ length: 6 }, () => rng.normal());
  assertGradcheck(gradcheckModel(model, x, [0, 1], 2, softmaxCrossEntropy), 'sin first');
});

test('training backward stops at the first trainable layer; inputGrad runs through everything', () => {
  let calls = 0;
  const spy: Layer = {
    kind: 'spy',
    inShape: [2, 2],
    outShape: [2, 2],
    paramCount: 0,
    init: () => {},
    forward: (x) => ({
      y: x,
      backward: (dy) => {
        calls++;
        return dy;
      },
    }),
  };
  const rng = new Rng(74);
  const model = new Sequential([spy, new Flatten([2, 2]), new Dense(4, 3), relu([3]), new Dense(3, 2)]);
  model.init(rng);
  const x = Float64Array.from({ length: 8 }, () => rng.normal());
  model.lossAndGrad(x, [0, 1], 2, softmaxCrossEntropy);
  assert.equal(calls, 0);
  assert.equal(model.inputGrad(x, [0, 1], 2, softmaxCrossEntropy).inputGrad.length, 8);
  assert.equal(calls, 1);
  assertGradcheck(gradcheckModel(model, x, [0, 1], 2, softmaxCrossEntropy), 'spy + flatten + mlp');
});
