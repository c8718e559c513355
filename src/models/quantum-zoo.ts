import { CircuitBuilder, type Circuit } from '../quantum/circuit.js';
import type { PauliWord } from '../quantum/measure.js';
import type { NoiseModel } from '../quantum/noise.js';
import { amplitudeEmbedding, angleEmbedding, hardwareEfficient, saginAnsatz, type Axis } from '../quantum/templates.js';
import { fail } from '../util/errors.js';
import type { Layer } from './layer.js';
import { Activation } from './layers/activation.js';
import { Affine } from './layers/affine.js';
import { SignLogits } from './layers/sign-logits.js';
import { Dense } from './layers/dense.js';
import { QuantumLayer } from './quantum-layer.js';
import { Sequential } from './sequential.js';

/**
 * The quantum and hybrid models of the four papers, as `Sequential` chains
 * ending in class scores for `softmaxCrossEntropy`.
 */

/**
 * Readout words for `count` outputs on n qubits: Z_i first, then Z_i Z_j
 * pairs, then triples (4 qubits give 4 + 6 = 10 words: one per MNIST class).
 */
export function readoutWords(nQubits: number, count: number): PauliWord[] {
  const words: PauliWord[] = [];
  const subsets = (size: number, start: number, acc: number[]): void => {
    if (words.length >= count) return;
    if (acc.length === size) {
      words.push({ terms: acc.map((wire) => ({ wire, pauli: 'Z' as const })) });
      return;
    }
    for (let w = start; w < nQubits; w++) subsets(size, w + 1, [...acc, w]);
  };
  for (let size = 1; size <= nQubits && words.length < count; size++) subsets(size, 0, []);
  if (words.length < count) fail('classes', `${nQubits} qubits give only ${words.length} distinct Z readouts, need ${count}`);
  return words;
}

/** A quantum layer reading `classes` Z words, then a per-class affine map to logits. */
function classifierHead(circuit: Circuit, classes: number, noise?: NoiseModel): Layer[] {
  const observables = readoutWords(circuit.nQubits, classes);
  return [new QuantumLayer({ circuit, observables, ...(noise ? { noise } : {}) }), new Affine(classes, 3)];
}

export interface VqcOptions {
  readonly nQubits: number;
  readonly layers: number;
  readonly classes: number;
  /** `amplitude`: 2^n features (fewer are zero-padded); `angle`: n features, each scaled by `angleScale`. */
  readonly embedding: 'amplitude' | 'angle';
  readonly features: number;
  readonly rotation?: Axis;
  readonly angleScale?: number;
  /** Run the circuit with this noise model (density matrices). */
  readonly noise?: NoiseModel;
  /** Global depolarizing of the input state (see QuantumLayer.inputDepolarizing). */
  readonly inputDepolarizing?: number;
  /** `z0` (2 classes only): classify by the more likely outcome of qubit 0, no trainable readout. */
  readonly readout?: 'words' | 'z0';
}

/** (1) VQC classifier: embedding + hardware-efficient ansatz + Z readout (paper 002's 4-qubit, 3-layer model). */
export function vqcClassifier(o: VqcOptions): Sequential {
  const b = new CircuitBuilder(o.nQubits);
  if (o.embedding === 'amplitude') amplitudeEmbedding(b, { features: o.features });
  else angleEmbedding(b, { features: o.features, rotation: o.rotation ?? 'Y', scale: o.angleScale ?? Math.PI });
  hardwareEfficient(b, { layers: o.layers });
  const circuit = b.build();
  if (o.readout === 'z0') {
    if (o.classes !== 2) fail('model.readout', `'z0' classifies 2 classes, the data has ${o.classes}`);
    const q = new QuantumLayer({
      circuit,
      observables: readoutWords(o.nQubits, 1),
      ...(o.noise ? { noise: o.noise } : {}),
      ...(o.inputDepolarizing ? { inputDepolarizing: o.inputDepolarizing } : {}),
    });
    return new Sequential([q, new SignLogits()]);
  }
  if (o.inputDepolarizing) {
    const observables = readoutWords(circuit.nQubits, o.classes);
    return new Sequential([new QuantumLayer({ circuit, observables, inputDepolarizing: o.inputDepolarizing, ...(o.noise ? { noise: o.noise } : {}) }), new Affine(o.classes, 3)]);
  }
  return new Sequential(classifierHead(circuit, o.classes, o.noise));
}

export interface HybridOptions {
  readonly inputSize: number;
  readonly hidden?: number;
  readonly nQubits: number;
  readonly layers: number;
  readonly classes: number;
}

/**
 * (2) Hybrid: dense -> tanh -> angle embedding (angle = pi/2 * tanh) ->
 * hardware-efficient ansatz -> <Z> on every wire -> dense to class scores.
 */
export function hybridClassifier(o: HybridOptions): Sequential {
  const b = new CircuitBuilder(o.nQubits);
  angleEmbedding(b, { features: o.nQubits, rotation: 'Y', scale: Math.PI / 2 });
  hardwareEfficient(b, { layers: o.layers });
  const circuit = b.build();
  const layers: Layer[] = [];
  let width = o.inputSize;
  if (o.hidden) {
    layers.push(new Dense(width, o.hidden, { init: 'he' }), new Activation('relu', [o.hidden]));
    width = o.hidden;
  }
  layers.push(new Dense(width, o.nQubits), new Activation('tanh', [o.nQubits]));
  layers.push(new QuantumLayer({ circuit, observables: readoutWords(o.nQubits, o.nQubits) }));
  layers.push(new Dense(o.nQubits, o.classes));
  return new Sequential(layers);
}

/**
 * (3) The space-air-ground paper's model (arXiv 2411.01312): 16 features
 * (MNIST downsampled to 4x4) encoded on 4 qubits by RY, RZ, RX, RY rotations
 * (4 features each), then layers of RX, RY, RZ on every qubit and a CRX ring,
 * read out by Z words (10 for 10 classes).
 */
export function saginClassifier(o: { layers: number; classes: number }): Sequential {
  const b = new CircuitBuilder(4);
  (['Y', 'Z', 'X', 'Y'] as const).forEach((rotation, k) =>
    angleEmbedding(b, { features: 4, rotation, scale: Math.PI, offset: 4 * k }),
  );
  saginAnsatz(b, { layers: o.layers });
  return new Sequential(classifierHead(b.build(), o.classes));
}

/**
 * (4) Classifier of prepared quantum states (paper 002's quantum data sets):
 * the input row is the state itself (2^n real parts, then 2^n imaginary
 * parts), followed by a hardware-efficient ansatz and Z readout.
 */
export function quantumStateClassifier(o: {
  nQubits: number;
  layers: number;
  classes: number;
  noise?: NoiseModel;
  /** `paulis`: measure <X>, <Y>, <Z> of every wire (3n outputs) into a classical head. Default `words`. */
  readout?: 'words' | 'paulis';
  /** Hidden widths of the head (tanh), for `paulis`. */
  head?: readonly number[];
}): Sequential {
  const b = new CircuitBuilder(o.nQubits);
  b.setPrep({ kind: 'state' });
  hardwareEfficient(b, { layers: o.layers });
  const circuit = b.build();
  if (o.readout !== 'paulis') return new Sequential(classifierHead(circuit, o.classes, o.noise));
  // Purities, and so Meyer-Wallach entanglement, are quadratic in these 3n
  // expectations (Tr rho_k^2 = (1 + |r_k|^2) / 2): a nonlinear head can read them.
  const observables = Array.from({ length: o.nQubits }, (_, wire) => (['X', 'Y', 'Z'] as const).map((pauli) => ({ terms: [{ wire, pauli }] }))).flat();
  const layers: Layer[] = [new QuantumLayer({ circuit, observables, ...(o.noise ? { noise: o.noise } : {}) })];
  let width = observables.length;
  for (const h of o.head ?? []) {
    layers.push(new Dense(width, h), new Activation('tanh', [h]));
    width = h;
  }
  layers.push(new Dense(width, o.classes));
  return new Sequential(layers);
}
