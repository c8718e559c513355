import { CircuitBuilder, type Circuit } from '../quantum/circuit.js';
import { vjpFromState } from '../quantum/adjoint.js';
import { expval, Z, type PauliWord } from '../quantum/measure.js';
import { allocState, applyTapeOp, releaseState, simulate, TrigScratch, type RunArgs } from '../quantum/statevector.js';
import { compile } from '../quantum/tape.js';
import { depolarizing } from '../quantum/channels.js';
import { simulateDensity } from '../quantum/density.js';
import { NoiseModel, noisyProgram } from '../quantum/noise.js';
import { angleEmbedding, hardwareEfficient } from '../quantum/templates.js';
import { kernelBackend, setKernelBackend, wasmKernelsAvailable, type KernelBackend } from '../quantum/wasm/runtime.js';
import { Rng } from '../util/random.js';
import { fmt, medianMs, printTable } from './timing.js';

/**
 * Simulator benchmark (issue 18). Every ratio printed is measured in this run:
 * 1. one gate on a 2^n statevector against the memory floor, the time to copy
 *    a buffer of the state's own size (re and im: 2 x 8 x 2^n bytes read and
 *    written, what a gate over the whole state must move), for the WASM and
 *    the JS kernels;
 * 2. samples per second of the classifier circuit, forward and forward + VJP
 *    (the backward pass starting from the forward's final state, as the
 *    quantum layer runs it), and their ratio, for both kernels.
 * Nothing here is quoted as if measured: TorchQuantum's figures are printed
 * as quotes, apart from the measured table.
 */

type GateKind = 'RY' | 'RZ' | 'CNOT' | 'CZ';

/** What share of the state a gate must read and write: CNOT the control-set half, CZ only the |11> quarter. */
const TOUCHED: Record<GateKind, number> = { RY: 1, RZ: 1, CNOT: 0.5, CZ: 0.25 };

function oneGateCircuit(n: number, gate: GateKind): Circuit {
  const b = new CircuitBuilder(n);
  const mid = Math.floor(n / 2);
  if (gate === 'RY') b.ry(mid, 0.3);
  else if (gate === 'RZ') b.rz(mid, 0.3);
  else if (gate === 'CNOT') b.cnot(mid, mid + 1);
  else b.cz(mid, mid + 1);
  return b.build();
}

function withBackend<T>(kind: KernelBackend, fn: () => T): T {
  const before = kernelBackend();
  setKernelBackend(kind);
  try {
    return fn();
  } finally {
    setKernelBackend(before);
  }
}

function backends(): KernelBackend[] {
  return wasmKernelsAvailable() ? ['wasm', 'js'] : ['js'];
}

/** Median ms to copy a state-sized buffer (re and im of 2^n amplitudes) into another one. */
function copyMs(n: number, reps: number): number {
  const len = 2 * 2 ** n;
  const src = new Float64Array(len).fill(1);
  const dst = new Float64Array(len);
  return medianMs(() => dst.set(src), reps, 2);
}

export function benchGates(sizes: readonly number[] = [16, 20, 22, 24, 26]): void {
  console.log('\none gate vs the memory floor: floor = time to copy a buffer the size of the state (re + im), measured before each size; one thread');
  const rows: (string | number)[][] = [];
  for (const n of sizes) {
    const reps = n >= 26 ? 3 : n >= 24 ? 5 : n >= 20 ? 9 : 31;
    const copy = copyMs(n, reps);
    const cells = new Map<string, number>();
    for (const kind of backends()) {
      withBackend(kind, () => {
        const state = allocState(n, 1);
        state.re.fill(1 / Math.sqrt(2 ** n));
        for (const gate of Object.keys(TOUCHED) as GateKind[]) {
          const circuit = oneGateCircuit(n, gate);
          const args: RunArgs = { circuit, inputs: new Float64Array(0), weights: new Float64Array(0), batch: 1 };
          const op = compile(circuit).ops[0]!;
          const trig = new TrigScratch(1);
          cells.set(`${kind} ${gate}`, medianMs(() => applyTapeOp(state, op, args, trig, false), reps, 2));
        }
        releaseState(state);
      });
    }
    for (const gate of Object.keys(TOUCHED) as GateKind[]) {
      const floor = copy * TOUCHED[gate];
      const w = cells.get(`wasm ${gate}`);
      const j = cells.get(`js ${gate}`)!;
      rows.push([n, gate, fmt(copy), fmt(floor), w === undefined ? '-' : fmt(w), fmt(j), w === undefined ? '-' : fmt(w / floor, 2), fmt(j / floor, 2), w === undefined ? '-' : fmt(j / w, 2)]);
    }
  }
  printTable(['qubits', 'gate', 'copy ms', 'floor ms', 'wasm ms', 'js ms', 'wasm/floor', 'js/floor', 'js/wasm'], rows);
}

export function classifierCircuit(nQubits: number, layers: number): Circuit {
  const b = new CircuitBuilder(nQubits);
  angleEmbedding(b, { features: nQubits, rotation: 'Y' });
  hardwareEfficient(b, { layers });
  return b.build();
}

/** The issue's workload: n qubits, L layers, batch B. */
const CLASSIFIER_CASES = [
  { n: 4, layers: 3, batch: 256 },
  { n: 8, layers: 3, batch: 256 },
  { n: 12, layers: 2, batch: 32 },
  { n: 16, layers: 2, batch: 1 },
  { n: 20, layers: 2, batch: 1 },
] as const;

/** TorchQuantum fwd+grad per batch of 256 (PyTorch CPU, backprop, 1 thread), quoted from issue 18's earlier run; not measured here. */
const TORCHQUANTUM_QUOTED_MS: Partial<Record<number, number>> = { 4: 8.3, 8: 89.5 };

export function benchClassifier(): void {
  console.log('\nclassifier: RY angle embedding + hardware-efficient layers (RY, RZ per wire, CNOT ring), <Z> on every wire, one thread');
  console.log('fwd = simulate + expval; fwd+vjp = the same plus the adjoint from the forward\'s final state (what the quantum layer runs)');
  const rows: (string | number)[][] = [];
  const measured = new Map<number, number>();
  for (const { n, layers, batch } of CLASSIFIER_CASES) {
    const circuit = classifierCircuit(n, layers);
    const rng = new Rng(1);
    const inputs = Float64Array.from({ length: batch * n }, () => rng.uniform() * Math.PI);
    const weights = Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 2 * Math.PI);
    const args: RunArgs = { circuit, inputs, weights, batch };
    const obs: PauliWord[] = Array.from({ length: n }, (_, w) => Z(w));
    const ones = new Float64Array(batch * n).fill(1);
    // Repeats sized to about a second per case on this machine; enough warm-up for the JIT.
    const reps = n <= 8 ? 41 : n <= 16 ? 15 : 5;
    const warm = n <= 8 ? 20 : 2;
    for (const kind of backends()) {
      withBackend(kind, () => {
        const fwd = medianMs(() => {
          const s = simulate(args);
          expval(s, obs);
          releaseState(s);
        }, reps, warm);
        const both = medianMs(() => {
          const s = simulate(args);
          expval(s, obs);
          vjpFromState(args, obs, ones, s);
          releaseState(s);
        }, reps, warm);
        if (kind === 'wasm' || !wasmKernelsAvailable()) measured.set(n, both);
        rows.push([n, layers, batch, kind, fmt(fwd), fmt(both), fmt(both / fwd, 2), Math.round((batch / fwd) * 1000), Math.round((batch / both) * 1000)]);
      });
    }
  }
  printTable(['qubits', 'L', 'B', 'kernels', 'fwd ms', 'fwd+vjp ms', '(fwd+vjp)/fwd', 'samples/s fwd', 'samples/s fwd+vjp'], rows);
  const quoted = Object.entries(TORCHQUANTUM_QUOTED_MS).map(([n, ms]) => {
    const ours = measured.get(Number(n));
    return `n=${n}: ${ms} ms quoted${ours === undefined ? '' : `, ${fmt(ms! / ours, 2)}x this run's fwd+vjp`}`;
  });
  console.log(`TorchQuantum fwd+grad, batch 256, QUOTED from issue 18 (not measured in this run, no PyTorch here): ${quoted.join('; ')}`);
}

/**
 * The noisy density-matrix forward (depolarizing after every gate) against its
 * own floor: each gate is two passes over rho (row bits, then column bits),
 * each channel one, and every pass must read and write all of rho, so the
 * floor is (2 gates + channels) copies of a rho-sized buffer.
 */
export function benchDensity(): void {
  console.log('\nnoisy density-matrix forward: classifier circuit (2 layers), depolarizing(0.01) on each wire of every gate, plus depolarizing(0.01, 2) after every CNOT, batch 64');
  console.log('floor = (2 x gates + channels) x time to copy a buffer of rho\'s size (re + im), measured before each size');
  const rows: (string | number)[][] = [];
  for (const n of [6, 8]) {
    const circuit = classifierCircuit(n, 2);
    const batch = 64;
    const rng = new Rng(2);
    const args: RunArgs = {
      circuit,
      inputs: Float64Array.from({ length: batch * n }, () => rng.uniform() * Math.PI),
      weights: Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 2 * Math.PI),
      batch,
    };
    const noise = new NoiseModel().addAllQubitQuantumError(depolarizing(0.01), 'all').addAllQubitQuantumError(depolarizing(0.01, 2), 'all');
    const steps = noisyProgram(circuit, noise);
    const gates = steps.filter((s) => s.kind === 'gate').length;
    const channels = steps.length - gates;
    const reps = n >= 8 ? 3 : 9;
    const copy = copyMs(2 * n + Math.log2(batch), reps);
    const floor = (2 * gates + channels) * copy;
    for (const kind of backends()) {
      withBackend(kind, () => {
        const ms = medianMs(() => simulateDensity(args, { noise }), reps, 1);
        rows.push([n, batch, kind, gates, channels, fmt(copy), fmt(floor), fmt(ms), fmt(ms / floor, 2)]);
      });
    }
  }
  printTable(['qubits', 'B', 'kernels', 'gates', 'channels', 'copy ms', 'floor ms', 'ms', 'time/floor'], rows);
}

export function benchSim(): void {
  console.log('== qfl bench sim ==');
  console.log(`kernels: ${wasmKernelsAvailable() ? 'WebAssembly SIMD available (wasm, with js beside it)' : 'js only (no WebAssembly SIMD here)'}`);
  benchGates();
  benchClassifier();
  benchDensity();
  console.log('\nnot measured: multi-thread runs (the simulator runs on one thread).');
}
