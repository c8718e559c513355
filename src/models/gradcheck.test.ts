import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Layer, LayerPass } from './layer.js';
import { GRADCHECK_TOLERANCE, assertGradcheck, gradcheckLayer, gradcheckLoss } from './gradcheck.js';
import type { LossFn } from './loss.js';
import { Rng } from '../util/random.js';

type Bug = 'none' | 'scale' | 'overwrite' | 'mutateInput' | 'shortDx' | 'tiny';

/** y = w ⊙ x², per feature, with a switchable bug in its backward. */
function squareLayer(n: number, bug: Bug): Layer {
  return {
    kind: 'square',
    inShape: [n],
    outShape: [n],
    paramCount: n,
    init: () => {},
    forward(x: Float64Array, batch: number, w: Float64Array): LayerPass {
      const y = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) y[i] = w[i % n]! * x[i]! * x[i]!;
      return {
        y,
        backward(dy: Float64Array, dW: Float64Array): Float64Array {
          const dx = new Float64Array(bug === 'shortDx' ? x.length - 1 : x.length);
          const k = bug === 'scale' ? 1.001 : bug === 'tiny' ? 1 + 1e-10 : 1;
          if (bug === 'overwrite') dW.fill(0);
          for (let s = 0; s < batch; s++) {
            for (let j = 0; j < n; j++) {
              const i = s * n + j;
              dW[j] += k * dy[i]! * x[i]! * x[i]!;
              if (i < dx.length) dx[i] = 2 * dy[i]! * w[j]! * x[i]!;
            }
          }
          if (bug === 'mutateInput') x[0] = 0;
          return dx;
        },
      };
    },
  };
}

test('a correct backward passes, and a 1e-10 relative error is within tolerance', () => {
  const rng = new Rng(1);
  const ok = gradcheckLayer(squareLayer(4, 'none'), { batch: 3, rng });
  assert.ok(ok.ok);
  assert.equal(ok.checked, 4 + 12);
  assert.ok(ok.worst !== undefined && ok.worst.relError < GRADCHECK_TOLERANCE.relative);
  assert.ok(gradcheckLayer(squareLayer(4, 'tiny'), { batch: 3, rng }).ok);
});

test('catches a wrong factor, a backward that overwrites instead of adding, and contract breaches', () => {
  const rng = new Rng(2);
  const scaled = gradcheckLayer(squareLayer(4, 'scale'), { batch: 2, rng });
  assert.equal(scaled.ok, false);
  assert.equal(scaled.failures.length, 4);
  assert.ok(scaled.failures.every((f) => f.wrt === 'params' && Math.abs(f.relError - 1e-3) < 1e-5));

  const overwrite = gradcheckLayer(squareLayer(4, 'overwrite'), { batch: 2, rng });
  assert.equal(overwrite.ok, false);
  assert.equal(overwrite.failures.filter((f) => f.wrt === 'params').length, 4);

  const mutates = gradcheckLayer(squareLayer(2, 'mutateInput'), { batch: 1, rng });
  assert.deepEqual(mutates.problems, ['the pass wrote into its input x']);

  const short = gradcheckLayer(squareLayer(2, 'shortDx'), { batch: 2, rng });
  assert.deepEqual(short.problems, ['d/dinput has 3 entries, expected 4']);
});

test('assertGradcheck reports the offending entries', () => {
  const report = gradcheckLayer(squareLayer(1, 'scale'), {
    batch: 1,
    rng: new Rng(3),
    x: new Float64Array([2]),
    params: new Float64Array([1]),
  });
  assert.throws(() => assertGradcheck(report, 'square'), (e: Error) => {
    assert.match(e.message, /^gradcheck square: 1 of 2 entries off\n {2}d\/dparams\[0\]: analytic /);
    assert.match(e.message, /relative error 9\.99e-4/);
    return true;
  });
});

test('samples at most maxEntries entries per array, and checks only the arrays asked for', () => {
  const r = gradcheckLayer(squareLayer(50, 'none'), { batch: 4, rng: new Rng(4), maxEntries: 10 });
  assert.equal(r.checked, 20);
  assert.ok(r.ok);
  const paramsOnly = gradcheckLayer(squareLayer(3, 'none'), { batch: 2, rng: new Rng(4), wrt: ['params'] });
  assert.equal(paramsOnly.checked, 3);
});

test('catches a wrong loss gradient', () => {
  const sumSquares: LossFn<null> = (o) => ({ loss: o.reduce((s, v) => s + v * v, 0), grad: o.map((v) => v) });
  const r = gradcheckLoss(sumSquares, new Float64Array([1, -2, 3]), null, 1);
  assert.equal(r.failures.length, 3);
});
