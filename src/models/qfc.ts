import { CircuitBuilder, input, type Circuit } from '../quantum/circuit.js';
import { fail } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { Layer, LayerPass } from './layer.js';
import { QuantumLayer } from './quantum-layer.js';
import { Sequential } from './sequential.js';

/**
 * TorchQuantum's canonical MNIST model `QFCModel` (mit-han-lab/torchquantum,
 * examples/simple_mnist/mnist_example.py, the version with the `4x4_ryzxy`
 * encoder), which paper 003's description (4 qubits; RX, RY, RZ and CRX;
 * Adam; MNIST) matches. Written from that description, not translated:
 *
 * 1. input: 16 features (28x28 MNIST average-pooled by 6 to 4x4, the
 *    torchvision-normalized pixels; `data.pool: 6, data.normalize: [0.1307, 0.3081]`);
 * 2. encoder `4x4_ryzxy`: feature k drives, unscaled, RY on wire k (k < 4),
 *    RZ on wire k - 4, RX on wire k - 8, RY on wire k - 12;
 * 3. `RandomLayer(n_ops=50, wires=0..3)`: 50 gates drawn uniformly from
 *    {RX, RY, RZ, CNOT} on uniformly drawn distinct wires, each rotation
 *    trainable; TorchQuantum draws them with numpy's global generator, we
 *    with our own seeded one (`randomSeed`), so the gate sequence differs but
 *    is drawn from the same distribution and is the same on every client;
 * 4. trainable RX(0), RY(1), RZ(3), CRX(0 -> 2);
 * 5. fixed H(3), SX(2), CNOT(3 -> 0) and RX(0.1) on wire 1;
 * 6. <Z> on every wire; 2 classes: [<Z0> + <Z1>, <Z2> + <Z3>]
 *    (`reshape(bsz, 2, 2).sum(-1)`), 4 classes: the four <Z> as they are;
 *    these are the logits of log-softmax + NLL (softmaxCrossEntropy), with
 *    no trainable head.
 * Weights start U(-pi, pi), TorchQuantum's reset for trainable gates.
 */

export const QFC_WIRES = 4;
export const QFC_RANDOM_OPS = 50;
const RANDOM_GATES = ['RX', 'RY', 'RZ', 'CNOT'] as const;

/** The QFCModel circuit: encoder, seeded random layer, trainable and fixed gates (see the module comment). */
export function qfcCircuit(o: { randomOps?: number; randomSeed?: number } = {}): Circuit {
  const ops = o.randomOps ?? QFC_RANDOM_OPS;
  if (!Number.isInteger(ops) || ops < 0) fail('model.random_ops', `must be a non-negative integer, got ${ops}`);
  const b = new CircuitBuilder(QFC_WIRES);
  (['RY', 'RZ', 'RX', 'RY'] as const).forEach((gate, block) => {
    for (let w = 0; w < QFC_WIRES; w++) b.add(gate, [w], [input(4 * block + w)]);
  });
  const rng = new Rng(o.randomSeed ?? 0);
  for (let k = 0; k < ops; k++) {
    const gate = RANDOM_GATES[rng.int(RANDOM_GATES.length)]!;
    if (gate === 'CNOT') {
      const c = rng.int(QFC_WIRES);
      let t = rng.int(QFC_WIRES - 1);
      if (t >= c) t++; // distinct wires, uniformly (numpy's choice without replacement)
      b.cnot(c, t);
    } else {
      b.add(gate, [rng.int(QFC_WIRES)], [b.newWeight()]);
    }
  }
  b.rx(0, b.newWeight());
  b.ry(1, b.newWeight());
  b.rz(3, b.newWeight());
  b.crx(0, 2, b.newWeight());
  b.h(3);
  b.add('SX', [2]);
  b.cnot(3, 0);
  b.rx(1, 0.1);
  return b.build();
}

/** Sums adjacent pairs of inputs: [a, b, c, d] -> [a + b, c + d] (TorchQuantum's 2-class readout). No parameters. */
export class PairSum implements Layer {
  readonly kind = 'pair-sum';
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount = 0;

  constructor(readonly inputs: number) {
    if (!(Number.isInteger(inputs) && inputs >= 2 && inputs % 2 === 0)) fail('inputs', `must be an even integer >= 2, got ${inputs}`);
    this.inShape = [inputs];
    this.outShape = [inputs / 2];
  }

  init(): void {}

  forward(x: Float64Array, batch: number): LayerPass {
    const n = this.inputs;
    const h = n / 2;
    const y = new Float64Array(batch * h);
    for (let b = 0; b < batch; b++) for (let j = 0; j < h; j++) y[b * h + j] = x[b * n + 2 * j]! + x[b * n + 2 * j + 1]!;
    return {
      y,
      backward: (dy: Float64Array): Float64Array => {
        const dx = new Float64Array(batch * n);
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < h; j++) {
            dx[b * n + 2 * j] = dy[b * h + j]!;
            dx[b * n + 2 * j + 1] = dy[b * h + j]!;
          }
        }
        return dx;
      },
    };
  }
}

/** QFCModel for 2 classes (digits 3 vs 6 in TorchQuantum's example) or 4 (digits 0-3). */
export function qfcClassifier(o: { classes: number; randomOps?: number; randomSeed?: number }): Sequential {
  if (o.classes !== 2 && o.classes !== 4) fail('data.classes', `QFCModel reads out 2 or 4 classes from its 4 wires, the data has ${o.classes}`);
  const circuit = qfcCircuit(o);
  const observables = Array.from({ length: QFC_WIRES }, (_, wire) => ({ terms: [{ wire, pauli: 'Z' as const }] }));
  const q = new QuantumLayer({ circuit, observables });
  return new Sequential(o.classes === 2 ? [q, new PairSum(QFC_WIRES)] : [q]);
}
