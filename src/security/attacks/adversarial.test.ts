import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hybridClassifier, vqcClassifier } from '../../models/quantum-zoo.js';
import { Rng } from '../../util/random.js';
import { QflError } from '../../util/errors.js';
import { fgsm, lossInputGrad, pgd } from './adversarial.js';
import { meanLoss, randomBatch, randomMlp, rowDistances } from './adversarial-testing.js';

const RANGE = [0, 1] as const;

test('an FGSM step raises the loss by eps |g|_1 to first order (linf) and eps sum |g_s|_2 (l2)', () => {
  const hybrid = hybridClassifier({ inputSize: 4, nQubits: 2, layers: 1, classes: 3 });
  hybrid.init(new Rng(2));
  const vqc = vqcClassifier({ nQubits: 2, layers: 1, classes: 3, embedding: 'angle', features: 2 });
  vqc.init(new Rng(3));
  for (const [name, model] of [['mlp', randomMlp(4, 3, 1)], ['hybrid', hybrid], ['vqc', vqc]] as const) {
    const rng = new Rng(10);
    const batch = 5;
    const x = new Float64Array(batch * model.inSize).map(() => 0.2 + 0.6 * rng.uniform());
    const y = Int32Array.from({ length: batch }, () => rng.int(3));
    const { loss, grad } = lossInputGrad(model, x, y, batch);
    const eps = 1e-5;
    const l1 = grad.reduce((s, g) => s + Math.abs(g), 0);
    const l2 = rowDistances(grad, new Float64Array(grad.length), batch).reduce((s, n) => s + n, 0);
    const upInf = meanLoss(model, fgsm(model, x, y, batch, { eps }), y, batch) - loss;
    const upL2 = meanLoss(model, fgsm(model, x, y, batch, { eps, norm: 'l2' }), y, batch) - loss;
    assert.ok(upInf > 0 && upL2 > 0, `${name}: the loss went up`);
    assert.ok(Math.abs(upInf / (eps * l1) - 1) < 1e-3, `${name} linf: ${upInf} vs ${eps * l1}`);
    assert.ok(Math.abs(upL2 / (eps * l2) - 1) < 1e-3, `${name} l2: ${upL2} vs ${eps * l2}`);
  }
});

test('perturbations stay in the eps ball (linf and l2) and in the valid range', () => {
  const model = randomMlp(6, 3, 4);
  const rng = new Rng(5);
  const batch = 8;
  const { x, y } = randomBatch(batch, 6, 3, rng);
  const eps = 0.3;
  for (const norm of ['linf', 'l2'] as const) {
    const attacks = [
      fgsm(model, x, y, batch, { eps, norm, range: RANGE }),
      pgd(model, x, y, batch, { eps, steps: 7, stepSize: 0.1, randomStart: true, norm, range: RANGE }, rng),
      pgd(model, x, y, batch, { eps, steps: 3, stepSize: 0.5, randomStart: false, norm, range: RANGE }, rng),
    ];
    for (const adv of attacks) {
      assert.ok(adv.every((v) => v >= 0 && v <= 1), `${norm}: inside [0, 1]`);
      if (norm === 'linf') {
        const worst = adv.reduce((m, v, i) => Math.max(m, Math.abs(v - x[i]!)), 0);
        assert.ok(worst <= eps + 1e-15, `linf: ${worst} <= ${eps}`);
        assert.ok(worst > eps - 1e-12, 'linf: some feature moved by eps');
      } else {
        const d = rowDistances(adv, x, batch);
        assert.ok(Math.max(...d) <= eps * (1 + 1e-12), `l2: ${Math.max(...d)} <= ${eps}`);
        assert.ok(Math.max(...d) > 0.5 * eps, 'l2: the samples moved');
      }
    }
  }
  assert.deepEqual(x, randomBatch(batch, 6, 3, new Rng(5)).x, 'the clean batch is not mutated');
});

test('a model with zero input gradient (first layer all zeros) is unaffected', () => {
  const model = randomMlp(4, 3, 6);
  model.layerParams(0).fill(0);
  const { x, y } = randomBatch(4, 4, 3, new Rng(7));
  assert.deepEqual(fgsm(model, x, y, 4, { eps: 0.2 }), x);
  assert.deepEqual(fgsm(model, x, y, 4, { eps: 0.2, norm: 'l2' }), x);
  for (const norm of ['linf', 'l2'] as const) {
    assert.deepEqual(pgd(model, x, y, 4, { eps: 0.2, steps: 5, stepSize: 0.05, randomStart: false, norm }, new Rng(1)), x);
    const started = pgd(model, x, y, 4, { eps: 0.2, steps: 5, stepSize: 0.05, randomStart: true, norm }, new Rng(1));
    assert.notDeepEqual(started, x, 'the random start moved the inputs');
    assert.deepEqual(model.forward(started, 4), model.forward(x, 4), 'but not the outputs');
  }
});

test('PGD with one step of size eps and no random start is FGSM exactly', () => {
  const model = randomMlp(5, 4, 8);
  const { x, y } = randomBatch(6, 5, 4, new Rng(9));
  for (const norm of ['linf', 'l2'] as const) {
    for (const range of [undefined, RANGE]) {
      const r = range ? { range } : {};
      const one = pgd(model, x, y, 6, { eps: 0.15, steps: 1, stepSize: 0.15, randomStart: false, norm, ...r }, new Rng(1));
      assert.deepEqual(one, fgsm(model, x, y, 6, { eps: 0.15, norm, ...r }), `${norm}, range ${String(range)}`);
    }
  }
});

test('PGD beats the clean loss, and a seed gives the same examples', () => {
  const model = randomMlp(5, 3, 11);
  const { x, y } = randomBatch(6, 5, 3, new Rng(12));
  const o = { eps: 0.1, steps: 10, stepSize: 0.025, randomStart: true, norm: 'linf', range: RANGE } as const;
  const a = pgd(model, x, y, 6, o, new Rng(3));
  assert.ok(meanLoss(model, a, y, 6) > meanLoss(model, x, y, 6));
  assert.deepEqual(pgd(model, x, y, 6, o, new Rng(3)), a);
  assert.deepEqual(fgsm(model, x, y, 6, { eps: 0 }), x, 'eps 0 is the identity');
});

test('bad options are refused with the field named', () => {
  const model = randomMlp(3, 2, 1);
  const x = new Float64Array([0.1, 0.2, 0.3]);
  const y = [1];
  assert.throws(() => fgsm(model, x, y, 1, { eps: -1 }), new QflError('eps', 'must be a finite number >= 0, got -1'));
  assert.throws(() => fgsm(model, x, y, 1, { eps: 0.1, norm: 'l1' as 'l2' }), /norm: must be one of linf, l2, got 'l1'/);
  assert.throws(
    () => fgsm(model, new Float64Array([0.1, 1.5, 0.3]), y, 1, { eps: 0.1, range: RANGE }),
    new QflError('x[0]', 'feature 1 is 1.5, outside the valid range [0, 1] (fix the data or the range)'),
  );
  assert.throws(() => fgsm(model, x, y, 1, { eps: 0.1, range: [1, 0] }), /range: must be \[lo, hi\] with finite lo <= hi/);
  assert.throws(() => fgsm(model, x, [0, 1], 1, { eps: 0.1 }), /labels: must hold one label per sample \(1\), got 2/);
  assert.throws(() => fgsm(model, x.subarray(1), y, 1, { eps: 0.1 }), /x: must hold batch \(1\) x 3 features = 3 numbers, got 2/);
  assert.throws(
    () => pgd(model, x, y, 1, { eps: 0.1, steps: 0, stepSize: 0.1, randomStart: false, norm: 'linf' }, new Rng(1)),
    /steps: must be an integer >= 1, got 0/,
  );
});
