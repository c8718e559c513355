import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conv2d, type Conv2dOptions } from './conv2d.js';
import { Rng } from '../../util/random.js';
import { assertGradcheck, gradcheckLayer } from '../gradcheck.js';
import { NO_INPUT_GRAD } from './common.js';

/** Direct 7-loop convolution, the definition itself. */
function naiveConv(o: Required<Omit<Conv2dOptions, 'init'>>, x: Float64Array, batch: number, p: Float64Array): Float64Array {
  const { inChannels: C, height: H, width: W, outChannels: M, kernel: k, stride: s, padding: pad } = o;
  const OH = Math.floor((H + 2 * pad - k) / s) + 1;
  const OW = Math.floor((W + 2 * pad - k) / s) + 1;
  const y = new Float64Array(batch * M * OH * OW);
  for (let n = 0; n < batch; n++)
    for (let m = 0; m < M; m++)
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let acc = p[M * C * k * k + m]!;
          for (let c = 0; c < C; c++)
            for (let u = 0; u < k; u++)
              for (let v = 0; v < k; v++) {
                const iy = i * s - pad + u;
                const ix = j * s - pad + v;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                acc += p[((m * C + c) * k + u) * k + v]! * x[((n * C + c) * H + iy) * W + ix]!;
              }
          y[((n * M + m) * OH + i) * OW + j] = acc;
        }
  return y;
}

const CONFIGS: Required<Omit<Conv2dOptions, 'init'>>[] = [
  { inChannels: 2, height: 6, width: 5, outChannels: 3, kernel: 3, stride: 1, padding: 0 },
  { inChannels: 2, height: 7, width: 6, outChannels: 5, kernel: 3, stride: 2, padding: 1 },
  { inChannels: 1, height: 5, width: 8, outChannels: 2, kernel: 2, stride: 3, padding: 2 },
  { inChannels: 3, height: 6, width: 6, outChannels: 4, kernel: 5, stride: 1, padding: 2 },
  { inChannels: 1, height: 4, width: 4, outChannels: 1, kernel: 1, stride: 1, padding: 0 },
];

function randn(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

test('forward matches the direct definition for strides, paddings and ragged sizes', () => {
  const rng = new Rng(21);
  for (const o of CONFIGS) {
    const conv = new Conv2d(o);
    const batch = 3;
    const x = randn(batch * o.inChannels * o.height * o.width, rng);
    const p = randn(conv.paramCount, rng);
    const { y } = conv.forward(x, batch, p);
    const want = naiveConv(o, x, batch, p);
    assert.equal(y.length, want.length);
    for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i]! - want[i]!) < 1e-12, `${JSON.stringify(o)} entry ${i}`);
  }
});

test('output shapes follow floor((H + 2p - k) / s) + 1', () => {
  assert.deepEqual(new Conv2d({ inChannels: 1, height: 28, width: 28, outChannels: 6, kernel: 5, padding: 2 }).outShape, [6, 28, 28]);
  assert.deepEqual(new Conv2d({ inChannels: 6, height: 14, width: 14, outChannels: 16, kernel: 5 }).outShape, [16, 10, 10]);
  assert.deepEqual(new Conv2d({ inChannels: 2, height: 7, width: 6, outChannels: 5, kernel: 3, stride: 2, padding: 1 }).outShape, [5, 4, 3]);
  assert.equal(new Conv2d({ inChannels: 6, height: 14, width: 14, outChannels: 16, kernel: 5 }).paramCount, 2416);
});

test('gradients for weights, bias and input match finite differences (stride, padding)', () => {
  const rng = new Rng(22);
  for (const o of CONFIGS) assertGradcheck(gradcheckLayer(new Conv2d(o), { batch: 2, rng }), `conv ${JSON.stringify(o)}`);
});

test('backward is the same whether or not another forward ran in between', () => {
  const rng = new Rng(23);
  const o = CONFIGS[1]!;
  const conv = new Conv2d(o);
  const n = 2 * o.inChannels * o.height * o.width;
  const p = randn(conv.paramCount, rng);
  const xa = randn(n, rng);
  const xb = randn(n, rng);
  const passA = conv.forward(xa, 2, p);
  const dy = randn(passA.y.length, rng);
  const direct = new Float64Array(conv.paramCount);
  const dxDirect = passA.backward(dy, direct);

  const passA2 = conv.forward(xa, 2, p);
  conv.forward(xb, 2, p); // overwrites the kept columns
  const interleaved = new Float64Array(conv.paramCount);
  const dxInterleaved = passA2.backward(dy, interleaved);
  assert.deepEqual(interleaved, direct);
  assert.deepEqual(dxInterleaved, dxDirect);

  const skipped = new Float64Array(conv.paramCount);
  assert.equal(conv.forward(xa, 2, p).backward(dy, skipped, false), NO_INPUT_GRAD);
  assert.deepEqual(skipped, direct);
});

test('init: he std sqrt(2 / (in k^2)), zero bias', () => {
  const conv = new Conv2d({ inChannels: 8, height: 8, width: 8, outChannels: 64, kernel: 5, init: 'he' });
  const p = new Float64Array(conv.paramCount);
  conv.init(p, new Rng(1));
  const nw = 64 * 8 * 25;
  const w = p.subarray(0, nw);
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / nw);
  assert.ok(Math.abs(std / Math.sqrt(2 / 200) - 1) < 0.03, `std ${std}`);
  assert.ok(p.subarray(nw).every((v) => v === 0));
});

test('errors name the field and the allowed values', () => {
  const base = { inChannels: 1, height: 4, width: 4, outChannels: 2, kernel: 3 };
  assert.throws(() => new Conv2d({ ...base, kernel: 7 }), { message: 'conv2d.kernel: must fit the padded input 4x4, got 7' });
  assert.throws(() => new Conv2d({ ...base, stride: 0 }), { message: 'conv2d.stride: must be an integer >= 1, got 0' });
  assert.throws(() => new Conv2d({ ...base, padding: -1 }), { message: 'conv2d.padding: must be an integer >= 0, got -1' });
  assert.throws(() => new Conv2d({ ...base, inChannels: 1.5 }), { message: 'conv2d.inChannels: must be an integer >= 1, got 1.5' });
  const conv = new Conv2d(base);
  assert.throws(() => conv.forward(new Float64Array(15), 1, new Float64Array(conv.paramCount)), {
    message: 'conv2d.x: must hold batch * 16 = 16 numbers, got 15',
  });
});
