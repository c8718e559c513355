import { CircuitBuilder, type Circuit } from '../quantum/circuit.js';
import { vjp } from '../quantum/adjoint.js';
import { expval, Z, type PauliWord } from '../quantum/measure.js';
import { allocState, applyTapeOp, simulate, TrigScratch, type RunArgs } from '../quantum/statevector.js';
import { compile } from '../quantum/tape.js';
import { angleEmbedding, hardwareEfficient } from '../quantum/templates.js';
import { Rng } from '../util/random.js';
import { fmt, medianMs, printTable } from './timing.js';

/**
 * Simulator benchmark (issue: foundation). Two parts, measured in one run:
 * 1. one gate on a 2^n statevector vs the memory-bandwidth floor (bytes the
 *    gate must read and write / copy bandwidth measured now);
 * 2. samples per second of a hardware-efficient classifier circuit, forward
 *    and forward + adjoint VJP, beside TorchQuantum's published-by-us numbers.
 */

/** Copy bandwidth in bytes per ms: a large Float64Array copy reads and writes every byte. */
function copyBandwidth(): number {
  const n = 1 << 24;
  const src = new Float64Array(n).fill(1);
  const dst = new Float64Array(n);
  const ms = medianMs(() => dst.set(src), 7);
  return (2 * n * 8) / ms;
}

function oneGateCircuit(n: number, gate: 'RY' | 'CNOT' | 'RXX'): Circuit {
  const b = new CircuitBuilder(n);
  const mid = Math.floor(n / 2);
  if (gate === 'RY') b.ry(mid, 0.3);
  else if (gate === 'CNOT') b.cnot(mid, mid + 1);
  else b.add('RXX', [mid, mid + 1], [0.3]);
  return b.build();
}

export function benchGates(sizes: readonly number[] = [16, 20, 24]): void {
  const bw = copyBandwidth();
  console.log(`memory: copy bandwidth ${fmt(bw / 1e6)} GB/s (Float64Array.set of 128 MiB)`);
  const rows: (string | number)[][] = [];
  for (const n of sizes) {
    const state = allocState(n, 1);
    state.re.fill(1 / Math.sqrt(2 ** n));
    for (const gate of ['RY', 'CNOT', 'RXX'] as const) {
      const circuit = oneGateCircuit(n, gate);
      const args: RunArgs = { circuit, inputs: new Float64Array(0), weights: new Float64Array(0), batch: 1 };
      const op = compile(circuit).ops[0]!;
      const trig = new TrigScratch(1);
      const ms = medianMs(() => applyTapeOp(state, op, args, trig, false), n >= 24 ? 5 : 15);
      // Re and im arrays, read once and written once; CNOT touches only the controlled half.
      const touched = gate === 'CNOT' ? 0.5 : 1;
      const bytes = 2 * 2 * 8 * 2 ** n * touched;
      const floorMs = bytes / bw;
      rows.push([n, gate, fmt(ms), fmt(floorMs), fmt(floorMs / ms, 2)]);
    }
  }
  printTable(['qubits', 'gate', 'ms', 'floor ms', 'floor/time'], rows);
}

/** TorchQuantum (PyTorch 1.13 CPU, backprop) on a 2-core machine like ours, batch 256, from the issue. */
const TORCHQUANTUM = { 4: { forwardMs: 4.0, gradMs: 8.3 }, 8: { forwardMs: 36.5, gradMs: 89.5 } } as const;

export function classifierCircuit(nQubits: number, layers: number): Circuit {
  const b = new CircuitBuilder(nQubits);
  angleEmbedding(b, { features: nQubits, rotation: 'Y' });
  hardwareEfficient(b, { layers });
  return b.build();
}

export function benchClassifier(batch = 256, layers = 3): void {
  const rows: (string | number)[][] = [];
  for (const n of [4, 8] as const) {
    const circuit = classifierCircuit(n, layers);
    const rng = new Rng(1);
    const inputs = Float64Array.from({ length: batch * n }, () => rng.uniform() * Math.PI);
    const weights = Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 2 * Math.PI);
    const args: RunArgs = { circuit, inputs, weights, batch };
    const obs: PauliWord[] = Array.from({ length: n }, (_, w) => Z(w));
    const ones = new Float64Array(batch * n).fill(1);
    const state = allocState(n, batch);
    // Enough warm-up for the JIT to settle; repeats sized to ~1-3 s per case.
    const reps = n === 4 ? 301 : 61;
    const fwd = medianMs(() => expval(simulate(args, undefined, state), obs), reps, 50);
    const grad = medianMs(() => vjp(args, obs, ones), reps, 50);
    const tq = TORCHQUANTUM[n];
    rows.push([
      n,
      fmt(fwd),
      fmt(grad),
      fmt(grad / fwd, 2),
      Math.round((batch / grad) * 1000),
      Math.round((batch / tq.gradMs) * 1000),
      fmt(tq.gradMs / grad, 2),
    ]);
  }
  console.log(`\nclassifier: angle embedding (RY) + ${layers}-layer hardware-efficient ansatz, <Z> on every wire, batch ${batch}, one thread`);
  printTable(['qubits', 'fwd ms', 'fwd+vjp ms', 'vjp/fwd', 'samples/s (fwd+vjp)', 'TorchQuantum samples/s*', 'x TorchQuantum'], rows);
  console.log('* TorchQuantum figures are the issue\'s measurements on a 2-core machine like this one, not measured in this run.');
}

export function benchSim(): void {
  console.log('== qfl bench sim ==');
  benchGates();
  benchClassifier();
}
