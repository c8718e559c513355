import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageShape, inversionExperiment, vqcGrid, type InversionExperimentSpec } from './experiment.js';

const spec: InversionExperimentSpec = {
  seed: 4,
  models: [{ kind: 'mlp', hidden: [8], features: 4 }, ...vqcGrid([4], [4])],
  defenses: [[], [{ kind: 'secagg', clients: 4 }], [{ kind: 'quantize', bits: 1 }]],
  data: { source: 'synthetic' },
  attack: { iterations: 120, restarts: 2 },
};

test('inversionExperiment: one row per cell, deterministic, defenses hurt the attack', () => {
  const rows = inversionExperiment(spec);
  assert.equal(rows.length, 2 * 3);
  assert.deepEqual(inversionExperiment(spec), rows);
  for (const model of ['mlp', 'vqc'] as const) {
    const [none, secagg, q1] = rows.filter((r) => r.model === model);
    assert.equal(none!.defense, 'none');
    assert.ok(none!.mse < 1e-4, `${model} undefended mse ${none!.mse}`);
    assert.equal(none!.labelSource, 'idlg');
    assert.equal(none!.labelAccuracy, 1);
    assert.ok(none!.ssim > 0.99);
    // Uniform pixels against the constant 0.5: about 1/12.
    assert.ok(none!.priorMse > 0.02 && none!.priorMse < 0.2, `prior ${none!.priorMse}`);
    assert.equal(secagg!.clients, 4);
    assert.equal(secagg!.labelSource, 'soft');
    assert.ok(secagg!.mse > 100 * none!.mse, `${model} secagg mse ${secagg!.mse}`);
    assert.ok(q1!.mse > 10 * none!.mse, `${model} 1-bit mse ${q1!.mse}`);
    assert.equal(none!.image, '2x2');
  }
});

test('imageShape and spec validation', () => {
  assert.deepEqual(imageShape(16), [4, 4]);
  assert.deepEqual(imageShape(10), [2, 5]);
  assert.deepEqual(imageShape(7), [1, 7]);
  assert.throws(() => inversionExperiment({ ...spec, batchSizes: [0] }), /batchSizes\[0\]/);
  assert.throws(() => inversionExperiment({ ...spec, updates: [{ kind: 'delta', steps: 1, lr: -1 }] }), /updates\[0\]\.lr/);
  assert.throws(() => inversionExperiment({ ...spec, defenses: [[{ kind: 'quantize', bits: 40 }]] }), /defenses\[0\]\[0\]\.bits/);
});

test('inversionExperiment on MNIST: downsampled digits, class-mean prior, scale-invariant amplitude scoring', () => {
  const rows = inversionExperiment({
    seed: 2,
    models: [
      { kind: 'vqc', nQubits: 4, layers: 4 },
      { kind: 'vqc', nQubits: 2, layers: 4, embedding: 'amplitude' },
    ],
    data: { source: 'mnist', classes: 2, limit: 300 },
    attack: { iterations: 150, restarts: 3 },
  });
  for (const r of rows) {
    assert.equal(r.image, '2x2');
    assert.equal(r.features, 4);
    assert.ok(r.priorMse > 0 && r.priorMse < 0.05, `prior ${r.priorMse}`);
    assert.ok(r.mse < r.priorMse / 10, `${r.embedding}: mse ${r.mse} vs prior ${r.priorMse}`);
  }
});
