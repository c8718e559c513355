import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mlp } from '../../models/classical-zoo.js';
import { softmaxCrossEntropy } from '../../models/loss.js';
import { hybridClassifier, vqcClassifier } from '../../models/quantum-zoo.js';
import type { Sequential } from '../../models/sequential.js';
import { Rng } from '../../util/random.js';
import { totalVariation, updateDistance, UpdateSimulator, type Distance } from './matching.js';
import { clientUpdate, oneHot, softCrossEntropy, type UpdateRule } from './update.js';

/** Central differences of a scalar function over every entry of `v`. */
function numericGrad(f: () => number, v: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const v0 = v[i]!;
    v[i] = v0 + h;
    const plus = f();
    v[i] = v0 - h;
    const minus = f();
    v[i] = v0;
    g[i] = (plus - minus) / (2 * h);
  }
  return g;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * The simulator's backward pass (central differences of input gradients
 * along one parameter direction) against per-coordinate central differences
 * of the whole matching loss.
 */
function checkBackward(model: Sequential, rule: UpdateRule, batch: number, groups: number, distance: Distance, seed: number): void {
  const rng = new Rng(seed);
  model.init(rng);
  const params = model.getParams();
  const rows = batch * groups;
  const x = Float64Array.from({ length: batch * model.inSize }, () => rng.uniform());
  const y = Array.from({ length: batch }, () => rng.int(model.outSize));
  const observed = clientUpdate(model, params, x, y, batch, rule);
  const sim = new UpdateSimulator(model, params, rule, batch, groups);
  const dx = Float64Array.from({ length: rows * model.inSize }, () => 0.1 + 0.8 * rng.uniform());
  const dp = Float64Array.from({ length: rows * model.outSize }, () => rng.uniform());
  const f = (): number => updateDistance(sim.forward(dx, dp), observed, distance).loss;
  const d = updateDistance(sim.forward(dx, dp), observed, distance);
  const got = sim.backward(d.grad);
  const wantX = numericGrad(f, dx);
  const wantP = numericGrad(f, dp);
  const scale = Math.max(1e-3, ...wantX.map(Math.abs), ...wantP.map(Math.abs));
  const tag = `${model.layers.map((l) => l.kind).join('>')} ${rule.kind} B=${batch} G=${groups} ${distance}`;
  assert.ok(maxAbsDiff(got.dx, wantX) < 1e-6 * scale, `${tag}: dx off by ${maxAbsDiff(got.dx, wantX)}`);
  assert.ok(maxAbsDiff(got.dProbs, wantP) < 1e-6 * scale, `${tag}: dP off by ${maxAbsDiff(got.dProbs, wantP)}`);
  assert.ok(model.params.every((v, i) => v === model.params[i]), 'params are finite');
}

const models = {
  mlp: () => mlp(4, [6], 3, { activation: 'sigmoid' }),
  vqcAngle: () => vqcClassifier({ nQubits: 3, layers: 2, classes: 3, embedding: 'angle', features: 3 }),
  vqcAmplitude: () => vqcClassifier({ nQubits: 2, layers: 2, classes: 3, embedding: 'amplitude', features: 4 }),
  hybrid: () => hybridClassifier({ inputSize: 5, nQubits: 2, layers: 2, classes: 2 }),
};

test('backward matches per-coordinate differences: gradient rule, every model kind', () => {
  let seed = 1;
  for (const make of Object.values(models)) checkBackward(make(), { kind: 'gradient' }, 1, 1, 'cosine', seed++);
});

test('backward matches per-coordinate differences: several local steps, batches, summed groups, l2', () => {
  checkBackward(models.mlp(), { kind: 'delta', steps: 3, lr: 0.5 }, 2, 1, 'cosine', 11);
  checkBackward(models.vqcAngle(), { kind: 'delta', steps: 2, lr: 0.3 }, 1, 2, 'l2', 12);
  checkBackward(models.hybrid(), { kind: 'gradient' }, 2, 3, 'l2', 13);
});

test('softCrossEntropy with one-hot targets equals softmaxCrossEntropy', () => {
  const logits = new Float64Array([2, -1, 0.5, 0, 3, -2]);
  const a = softCrossEntropy(logits, oneHot([0, 1], 3), 2);
  const b = softmaxCrossEntropy(logits, [0, 1], 2);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-15);
  assert.ok(maxAbsDiff(a.grad, b.grad) < 1e-15);
});

test('updateDistance and totalVariation gradients match central differences', () => {
  const rng = new Rng(5);
  const o = Float64Array.from({ length: 7 }, () => rng.normal());
  const u = Float64Array.from({ length: 7 }, () => rng.normal());
  for (const d of ['cosine', 'l2'] as const) {
    const g = updateDistance(u, o, d).grad;
    assert.ok(maxAbsDiff(g, numericGrad(() => updateDistance(u, o, d).loss, u)) < 1e-8, d);
  }
  assert.ok(Math.abs(updateDistance(o.map((v) => 3 * v), o, 'cosine').loss) < 1e-15);
  assert.throws(() => updateDistance(u, new Float64Array(7), 'cosine'), /zero/);
  const x = Float64Array.from({ length: 2 * 6 }, () => rng.uniform());
  const tv = totalVariation(x, 2, 2, 3);
  assert.ok(maxAbsDiff(tv.grad, numericGrad(() => totalVariation(x, 2, 2, 3).loss, x)) < 1e-7);
});

test('clientUpdate: one delta step is −lr × gradient; the model keeps its parameters', () => {
  const model = models.mlp();
  model.init(new Rng(2));
  const before = model.getParams();
  const x = new Float64Array([0.1, 0.2, 0.3, 0.4]);
  const g = clientUpdate(model, before, x, [2], 1, { kind: 'gradient' });
  const d = clientUpdate(model, before, x, [2], 1, { kind: 'delta', steps: 1, lr: 0.25 });
  assert.ok(maxAbsDiff(d, g.map((v) => -0.25 * v)) < 1e-15);
  assert.deepEqual(model.getParams(), before);
  assert.throws(() => clientUpdate(model, before, x, [2], 1, { kind: 'delta', steps: 0, lr: 1 }), /update\.steps/);
});
