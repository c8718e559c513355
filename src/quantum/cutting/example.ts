import { fail } from '../../util/errors.js';
import { CircuitBuilder, input, type Circuit } from '../circuit.js';
import { parsePauliWord, type PauliWord } from '../measure.js';
import { cutCircuit, type CutCircuits } from './experiments.js';

/**
 * A 4-qubit classifier run by two nodes: node A encodes features on wires 0
 * and 1 and entangles them; wire 1 is then cut and continues on node B,
 * which also holds wires 2 and 3 (joined to A by one CZ, a gate cut) and
 * reads out Z3 and Z2 Z3. Node B prepares wire 1's state for every term.
 * Overhead: gamma = 3 (CZ) * 4 (wire) = 12, sampling overhead 144.
 */
export function exampleClassifierCut(features: readonly number[] = [0.3, 1.1, -0.7, 2.0]): CutCircuits {
  const b = new CircuitBuilder(4);
  const w = [0.4, -1.2, 0.9, 0.3, 1.7, -0.6, 0.8, -0.2];
  b.ry(0, input(0)).ry(1, input(1)).ry(2, input(2)).ry(3, input(3));
  b.rx(0, w[0]!).cnot(0, 1).ry(1, w[1]!).cz(0, 2); // ops 4..7; op 7 (CZ) is the gate cut
  b.ry(2, w[2]!).cnot(2, 3).rx(3, w[3]!); // ops 8..10
  // wire 1 moves to node B before op 11
  b.add('CRX', [1, 2], [w[4]!]).add('RYY', [1, 3], [w[5]!]).ry(3, w[6]!).cnot(1, 3).rz(3, w[7]!);
  return cutCircuit(b.build(), [parsePauliWord('Z3'), parsePauliWord('Z2 Z3')], {
    labels: ['A', 'A', 'B', 'B'],
    wireCuts: [{ wire: 1, before: 11, label: 'B' }],
    inputs: features,
  });
}

/**
 * The classifier of `examples/cut-deploy.yaml`: `qubits` wires split into two
 * halves (wires 0..h-1 and h..n-1), features angle-encoded by RY(pi x_i);
 * each layer is RY(w) on every wire, a CNOT chain inside each half and one CZ
 * joining the halves (a gate cut); a last RY layer; readout Z on the two
 * wires beside the cut. With the halves on two nodes, every CZ is a gate cut
 * (gamma 3 each) and no node needs more than h qubits.
 */
export function cutClassifierCircuit(qubits = 8, layers = 2): { circuit: Circuit; observables: PauliWord[]; labels: string[] } {
  if (!Number.isInteger(qubits) || qubits < 2 || qubits % 2 !== 0 || qubits > 24) fail('qubits', `must be an even integer in [2, 24], got ${qubits}`);
  if (!Number.isInteger(layers) || layers < 1 || layers > 8) fail('layers', `must be an integer in [1, 8], got ${layers}`);
  const h = qubits / 2;
  const b = new CircuitBuilder(qubits);
  for (let i = 0; i < qubits; i++) b.ry(i, input(i, Math.PI));
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < qubits; i++) b.ry(i, b.newWeight());
    for (let i = 0; i + 1 < h; i++) b.cnot(i, i + 1);
    for (let i = h; i + 1 < qubits; i++) b.cnot(i, i + 1);
    b.cz(h - 1, h);
  }
  for (let i = 0; i < qubits; i++) b.ry(i, b.newWeight());
  const labels = Array.from({ length: qubits }, (_, i) => (i < h ? 'A' : 'B'));
  return { circuit: b.build(), observables: [parsePauliWord(`Z${h - 1}`), parsePauliWord(`Z${h}`)], labels };
}
