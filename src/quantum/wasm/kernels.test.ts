import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { vjp } from '../adjoint.js';
import { CircuitBuilder, input, weight, type Circuit } from '../circuit.js';
import type { GateName } from '../gates.js';
import { expval, parsePauliWord } from '../measure.js';
import { parameterShift } from '../gradients.js';
import { simulate, type RunArgs } from '../statevector.js';
import { TOL, assertClose } from '../testing.js';
import { Rng } from '../../util/random.js';
import { kernelBackend, ownerOf, setKernelBackend, wasmKernelsAvailable, type KernelBackend } from './runtime.js';

/**
 * The WebAssembly SIMD kernels must give the JS kernels' results bit for bit
 * (Node and browser clients train the same models, with or without SIMD).
 * Random circuits over every gate kind, batches large enough for workspaces,
 * compared as raw 64-bit patterns: states, expectation values and gradients.
 */

const ONE_QUBIT: GateName[] = ['H', 'X', 'Y', 'Z', 'S', 'T', 'SX', 'RX', 'RY', 'RZ', 'PhaseShift'];
const TWO_QUBIT: GateName[] = ['CNOT', 'CZ', 'CY', 'CH', 'SWAP', 'CRX', 'CRY', 'CRZ', 'CPhase', 'RXX', 'RYY', 'RZZ'];
const ROTATIONS = new Set<GateName>(['RX', 'RY', 'RZ', 'PhaseShift', 'CRX', 'CRY', 'CRZ', 'CPhase', 'RXX', 'RYY', 'RZZ']);

function randomCircuit(rng: Rng, n: number, gates: number): Circuit {
  const b = new CircuitBuilder(n);
  b.reserveInputs(n);
  let nextInput = 0;
  for (let g = 0; g < gates; g++) {
    const two = n > 1 && rng.uniform() < 0.35;
    const names = two ? TWO_QUBIT : ONE_QUBIT;
    const gate = names[Math.floor(rng.uniform() * names.length)]!;
    const w0 = Math.floor(rng.uniform() * n);
    let w1 = Math.floor(rng.uniform() * (n - 1));
    if (w1 >= w0) w1++;
    const wires = two ? [w0, w1] : [w0];
    let params: ReturnType<typeof weight>[] = [];
    if (ROTATIONS.has(gate)) {
      // Weights, input features (per-sample angles) and the odd constant.
      const r = rng.uniform();
      params = [r < 0.6 ? b.newWeight() : r < 0.9 ? input(nextInput++ % n, 0.7) : { kind: 'const', value: 0.4 }];
    }
    b.add(gate, wires, params);
  }
  return b.build();
}

function bits(a: Float64Array): BigUint64Array {
  return new BigUint64Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function assertSameBits(a: Float64Array, b: Float64Array, label: string): void {
  assert.equal(a.length, b.length, `${label}: length`);
  const x = bits(a), y = bits(b);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) assert.fail(`${label}[${i}]: wasm ${b[i]} vs js ${a[i]}`);
  }
}

function runWith(kind: KernelBackend, args: RunArgs, obsCount: number, g: Float64Array) {
  setKernelBackend(kind);
  const state = simulate(args);
  const inWasm = ownerOf(state.re) !== undefined;
  const observables = Array.from({ length: obsCount }, (_, w) => parsePauliWord(`Z${w}`));
  const re = state.re.slice(), im = state.im.slice();
  const out = expval(state, observables);
  const grad = vjp(args, observables, g);
  return { re, im, out, grad, inWasm };
}

describe('wasm kernels against the JS kernels', { skip: !wasmKernelsAvailable() && 'no WebAssembly SIMD here' }, () => {
  const initial = kernelBackend();
  after(() => setKernelBackend(initial));

  for (const [n, batch, gates] of [
    [2, 256, 30],
    [4, 64, 60],
    [6, 16, 80],
    [9, 3, 80],
    [12, 1, 60],
  ] as const) {
    test(`random circuits, ${n} qubits, batch ${batch}: same bits`, () => {
      const rng = new Rng(1000 + n);
      for (let trial = 0; trial < 4; trial++) {
        const circuit = randomCircuit(rng, n, gates);
        const inputs = Float64Array.from({ length: batch * circuit.nInputs }, () => rng.uniform() * 3);
        const weights = Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 6);
        const args: RunArgs = { circuit, inputs, weights, batch };
        const g = Float64Array.from({ length: batch * n }, () => rng.uniform() - 0.5);
        const js = runWith('js', args, n, g);
        const wasm = runWith('wasm', args, n, g);
        assert.equal(js.inWasm, false);
        assert.equal(wasm.inWasm, true, 'the wasm run should simulate in a workspace');
        assertSameBits(js.re, wasm.re, 'state re');
        assertSameBits(js.im, wasm.im, 'state im');
        assertSameBits(js.out, wasm.out, 'expectation values');
        assertSameBits(js.grad.gradWeights, wasm.grad.gradWeights, 'gradWeights');
        assertSameBits(js.grad.gradInputs, wasm.grad.gradInputs, 'gradInputs');
      }
    });
  }

  test('the classifier circuit (fused runs, a CNOT ring as one permutation) at 8 qubits', () => {
    const n = 8;
    const batch = 32;
    const b = new CircuitBuilder(n);
    for (let w = 0; w < n; w++) b.ry(w, input(w));
    for (let l = 0; l < 3; l++) {
      for (let w = 0; w < n; w++) b.ry(w, b.newWeight()).rz(w, b.newWeight());
      for (let w = 0; w < n; w++) b.cnot(w, (w + 1) % n);
    }
    const circuit = b.build();
    const rng = new Rng(7);
    const args: RunArgs = {
      circuit,
      inputs: Float64Array.from({ length: batch * n }, () => rng.uniform() * Math.PI),
      weights: Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 6),
      batch,
    };
    const g = new Float64Array(batch * n).fill(1);
    const js = runWith('js', args, n, g);
    const wasm = runWith('wasm', args, n, g);
    assertSameBits(js.out, wasm.out, 'expectation values');
    assertSameBits(js.grad.gradWeights, wasm.grad.gradWeights, 'gradWeights');
    assertSameBits(js.grad.gradInputs, wasm.grad.gradInputs, 'gradInputs');
  });

  test('the adjoint in workspaces (un-computing the forward state) agrees with parameter shift', () => {
    setKernelBackend('wasm');
    const rng = new Rng(99);
    const n = 6;
    const batch = 16;
    const circuit = randomCircuit(rng, n, 50);
    const args: RunArgs = {
      circuit,
      inputs: Float64Array.from({ length: batch * circuit.nInputs }, () => rng.uniform() * 3),
      weights: Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 6),
      batch,
    };
    const observables = [parsePauliWord('Z0'), parsePauliWord('X1 Y2'), parsePauliWord('Z3 Z5')];
    const g = Float64Array.from({ length: batch * observables.length }, () => rng.uniform() - 0.5);
    assert.ok(ownerOf(simulate(args).re), 'runs in a workspace');
    const adjoint = vjp(args, observables, g);
    const shift = parameterShift(args, observables, g);
    assertClose(adjoint.gradWeights, shift.gradWeights, TOL.analytic, 'gradWeights');
  });

  test('asking for wasm where it is refused names the field', () => {
    assert.throws(() => setKernelBackend('gpu' as KernelBackend), /kernels: must be one of wasm, js, got gpu/);
  });
});
