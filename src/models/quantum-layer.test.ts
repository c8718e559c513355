import assert from 'node:assert/strict';
import test from 'node:test';
import { vjp } from '../quantum/adjoint.js';
import { CircuitBuilder, input } from '../quantum/circuit.js';
import { TOL, assertClose } from '../quantum/testing.js';
import { parsePauliWord, Z } from '../quantum/measure.js';
import { angleEmbedding, hardwareEfficient, iqpEmbedding } from '../quantum/templates.js';
import { Rng } from '../util/random.js';
import { assertGradcheck, gradcheckLayer, gradcheckModel } from './gradcheck.js';
import { Affine } from './layers/affine.js';
import { softmaxCrossEntropy } from './loss.js';
import { QuantumLayer } from './quantum-layer.js';
import { hybridClassifier, quantumStateClassifier, readoutWords, saginClassifier, vqcClassifier } from './quantum-zoo.js';

test('quantum layer: adjoint backward matches finite differences for weights and inputs', () => {
  const b = new CircuitBuilder(3);
  angleEmbedding(b, { features: 3, rotation: 'X', scale: 0.9 });
  iqpEmbedding(b, { features: 2, offset: 1 });
  hardwareEfficient(b, { layers: 2 });
  const layer = new QuantumLayer({ circuit: b.build(), observables: [Z(0), parsePauliWord('X1 Y2'), parsePauliWord('Z0 Z2')] });
  assertGradcheck(gradcheckLayer(layer, { batch: 4, rng: new Rng(3) }), 'quantum layer');
});

test('quantum layer: amplitude embedding inputs are differentiated through the normalization', () => {
  const model = vqcClassifier({ nQubits: 3, layers: 2, classes: 2, embedding: 'amplitude', features: 6 });
  const rng = new Rng(5);
  model.init(rng);
  const x = Float64Array.from({ length: 4 * 6 }, () => rng.normal());
  assertGradcheck(gradcheckModel(model, x, [0, 1, 1, 0], 4, softmaxCrossEntropy, { rng }), 'vqc amplitude');
});

test('affine layer gradients', () => {
  assertGradcheck(gradcheckLayer(new Affine(5, 2), { batch: 3, rng: new Rng(1) }), 'affine');
});

test('zoo models: whole-model gradients for params and inputs', () => {
  const rng = new Rng(11);
  const cases = [
    { name: 'hybrid', model: hybridClassifier({ inputSize: 6, hidden: 5, nQubits: 3, layers: 1, classes: 3 }), f: 6 },
    { name: 'sagin', model: saginClassifier({ layers: 1, classes: 10 }), f: 16 },
  ];
  for (const { name, model, f } of cases) {
    model.init(rng);
    // Keep hidden ReLU pre-activations away from their kink.
    const x = Float64Array.from({ length: 3 * f }, () => 0.2 + rng.uniform());
    const labels = [0, 2, 1];
    assertGradcheck(gradcheckModel(model, x, labels, 3, softmaxCrossEntropy, { rng, maxEntries: 64 }), name);
  }
});

test('quantum-state classifier reads prepared states and differentiates them', () => {
  const model = quantumStateClassifier({ nQubits: 2, layers: 2, classes: 2 });
  const rng = new Rng(2);
  model.init(rng);
  assert.equal(model.inSize, 8);
  // A normalized random 2-qubit state per sample.
  const x = new Float64Array(2 * 8);
  for (let s = 0; s < 2; s++) {
    let n = 0;
    for (let i = 0; i < 8; i++) n += (x[s * 8 + i] = rng.normal()) ** 2;
    for (let i = 0; i < 8; i++) x[s * 8 + i]! /= Math.sqrt(n);
  }
  assertGradcheck(gradcheckModel(model, x, [0, 1], 2, softmaxCrossEntropy, { rng }), 'state classifier');
});

test('readout words: Z singles then pairs; too many classes is an error', () => {
  const words = readoutWords(4, 10).map((w) => w.terms.map((t) => `${t.pauli}${t.wire}`).join(' '));
  assert.deepEqual(words, ['Z0', 'Z1', 'Z2', 'Z3', 'Z0 Z1', 'Z0 Z2', 'Z0 Z3', 'Z1 Z2', 'Z1 Z3', 'Z2 Z3']);
  assert.throws(() => readoutWords(2, 4), /2 qubits give only 3 distinct Z readouts, need 4/);
});

test('a noisy quantum layer: density-matrix backward matches finite differences; depolarizing shrinks the outputs', async () => {
  const { NoiseModel } = await import('../quantum/noise.js');
  const { depolarizing } = await import('../quantum/channels.js');
  const b = new CircuitBuilder(2);
  angleEmbedding(b, { features: 2, rotation: 'Y' });
  hardwareEfficient(b, { layers: 1 });
  const circuit = b.build();
  const noise = new NoiseModel();
  noise.addAllQubitQuantumError(depolarizing(0.1), 'all');
  const noisy = new QuantumLayer({ circuit, observables: [Z(0), Z(1)], noise });
  assertGradcheck(gradcheckLayer(noisy, { batch: 3, rng: new Rng(4) }), 'noisy quantum layer');
  const clean = new QuantumLayer({ circuit, observables: [Z(0), Z(1)] });
  const x = Float64Array.of(0.3, 1.1, 2.0, 0.4);
  const w = Float64Array.from({ length: circuit.nWeights }, (_, i) => 0.2 * i + 0.1);
  const yn = noisy.forward(x, 2, w).y;
  const yc = clean.forward(x, 2, w).y;
  for (let i = 0; i < yn.length; i++) assert.ok(Math.abs(yn[i]!) < Math.abs(yc[i]!) + 1e-12);
});

test('quantum layer: the backward pass from the forward\'s state equals a fresh vjp; so does a second backward call', () => {
  const n = 5;
  const batch = 40;
  const b = new CircuitBuilder(n);
  for (let w = 0; w < n; w++) b.ry(w, input(w));
  for (let w = 0; w < n; w++) b.rx(w, b.newWeight()).rz(w, b.newWeight());
  for (let w = 0; w < n - 1; w++) b.cnot(w, w + 1);
  const circuit = b.build();
  const observables = [parsePauliWord('Z0'), parsePauliWord('Z4')];
  const layer = new QuantumLayer({ circuit, observables });
  const rng = new Rng(5);
  const params = new Float64Array(layer.paramCount);
  layer.init(params, rng);
  const x = Float64Array.from({ length: batch * n }, () => rng.uniform());
  const dy = Float64Array.from({ length: batch * 2 }, () => rng.uniform() - 0.5);
  const pass = layer.forward(x, batch, params);
  const d1 = new Float64Array(params.length);
  const dx1 = pass.backward(dy, d1);
  const d2 = new Float64Array(params.length);
  const dx2 = pass.backward(dy, d2);
  const fresh = vjp({ circuit, inputs: x, weights: params, batch }, observables, dy);
  assertClose(d1, fresh.gradWeights, TOL.exact, 'first backward');
  assertClose(d2, fresh.gradWeights, TOL.exact, 'second backward');
  assertClose(dx1, fresh.gradInputs, TOL.exact, 'dx first');
  assertClose(dx2, fresh.gradInputs, TOL.exact, 'dx second');
});

test('quantum-state classifier with a Pauli readout: 3n expectations into a tanh head, gradients agree', () => {
  const model = quantumStateClassifier({ nQubits: 2, layers: 1, classes: 2, readout: 'paulis', head: [3] });
  const rng = new Rng(4);
  model.init(rng);
  assert.equal(model.paramCount, 4 + (6 * 3 + 3) + (3 * 2 + 2)); // HEA 2 n L, dense 6 -> 3, dense 3 -> 2
  const x = Float64Array.from({ length: 2 * 8 }, () => rng.normal());
  assertGradcheck(gradcheckModel(model, x, [0, 1], 2, softmaxCrossEntropy, { rng, maxEntries: 40 }), 'qstate-paulis');
});
