import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../util/random.js';
import { vjp, type GradientMethod, type Gradients } from './adjoint.js';
import { amplitudeDamping, depolarizing, generalizedAmplitudeDamping, phaseDamping, thermalRelaxation } from './channels.js';
import { CircuitBuilder, input, weight, type Circuit } from './circuit.js';
import { densityFiniteDifferences, densityParameterShift, densityVjp, withNoise } from './density-gradients.js';
import { expvalDensity } from './density-measure.js';
import { simulateDensity } from './density.js';
import { randomArgs, randomCircuit } from './density-testing.js';
import { parsePauliWord, Z, type PauliWord } from './measure.js';
import { bitReadout, NoiseModel, readoutError } from './noise.js';
import type { RunArgs } from './statevector.js';
import { args, assertClose, TOL } from './testing.js';

const words = (...ws: string[]): PauliWord[] => ws.map((w) => parsePauliWord(w));

/** A noise model with every kind of placement: all-qubit, 2-qubit, local, and readout errors. */
function richNoise(): NoiseModel {
  return new NoiseModel()
    .addAllQubitQuantumError(depolarizing(0.04), 'all')
    .addAllQubitQuantumError(depolarizing(0.08, 2), ['CNOT', 'CRY', 'RZZ', 'CU3', 'SWAP'])
    .addQuantumError(amplitudeDamping(0.15), 'all', [0])
    .addQuantumError(generalizedAmplitudeDamping(0.1, 0.8), ['RX', 'RY', 'RZ'], [2])
    .addAllQubitQuantumError(thermalRelaxation(30, 40, 2), ['H', 'Rot'])
    .addAllQubitReadoutError(bitReadout(0.02, 0.06))
    .addReadoutError(
      readoutError([
        [0.9, 0.05, 0.05, 0],
        [0.02, 0.95, 0, 0.03],
        [0.05, 0, 0.9, 0.05],
        [0, 0.02, 0.08, 0.9],
      ]),
      [1, 2],
    );
}

/**
 * densityVjp against densityParameterShift (TOL.analytic) and central finite
 * differences (TOL.finiteDiff); vjp's outputs against a forward run.
 */
function checkNoisy(a: RunArgs, obs: readonly PauliWord[], g: Float64Array, noise: NoiseModel | undefined, prepInputs = false): Gradients {
  const adj = densityVjp(a, obs, g, noise);
  assertClose(adj.outputs, expvalDensity(simulateDensity(a, noise ? { noise } : {}), obs, noise), TOL.exact, 'outputs');
  const ps = densityParameterShift(a, obs, g, noise);
  assertClose(adj.gradWeights, ps.gradWeights, TOL.analytic, 'adjoint vs parameter shift: weights');
  if (!prepInputs) assertClose(adj.gradInputs, ps.gradInputs, TOL.analytic, 'adjoint vs parameter shift: inputs');
  const fd = densityFiniteDifferences(a, obs, g, noise);
  assertClose(adj.gradWeights, fd.gradWeights, TOL.finiteDiff, 'adjoint vs finite differences: weights');
  assertClose(adj.gradInputs, fd.gradInputs, TOL.finiteDiff, 'adjoint vs finite differences: inputs');
  return adj;
}

describe('noisy gradients', () => {
  test('d/dtheta of (1 - p) cos theta: RX then depolarizing, all three methods', () => {
    const b = new CircuitBuilder(1);
    b.rx(0, weight(0));
    const noise = new NoiseModel().addAllQubitQuantumError(depolarizing(0.3), ['RX']);
    const methods: Record<string, GradientMethod> = {
      vjp: withNoise(densityVjp, noise),
      parameterShift: withNoise(densityParameterShift, noise),
      finiteDifferences: withNoise(densityFiniteDifferences, noise),
    };
    for (const [name, m] of Object.entries(methods)) {
      const { gradWeights } = m(args(b.build(), { weights: [0.7] }), [Z(0)], Float64Array.of(1));
      assertClose(gradWeights, [-(1 - 0.3) * Math.sin(0.7)], name === 'finiteDifferences' ? TOL.finiteDiff : TOL.exact, name);
    }
  });

  test('random noisy circuits over every gate, per-sample inputs, readout errors', () => {
    const rng = new Rng(21);
    const noise = richNoise();
    for (let trial = 0; trial < 6; trial++) {
      const c = randomCircuit(rng, 3, 14);
      const a = randomArgs(rng, c, 2);
      const obs = words('Z0', 'X1 Y2', 'Z0 Z1 Z2');
      const g = Float64Array.from({ length: 2 * obs.length }, () => rng.normal());
      checkNoisy(a, obs, g, noise);
    }
  });

  test('state preparations: amplitude and prepared states get input gradients through rho_0', () => {
    const rng = new Rng(26);
    const noise = new NoiseModel().addAllQubitQuantumError(amplitudeDamping(0.2), 'all').addAllQubitReadoutError(bitReadout(0.05));
    for (const prep of [{ kind: 'amplitude', offset: 1, length: 6 } as const, { kind: 'state' } as const]) {
      const c = randomCircuit(rng, 3, 10, prep, prep.kind === 'state' ? 16 : 8);
      const a = randomArgs(rng, c, 2);
      const obs = words('Z1', 'X0 X2');
      const g = Float64Array.from({ length: 4 }, () => rng.normal());
      const adj = checkNoisy(a, obs, g, noise, true);
      assert.ok(adj.gradInputs.some((v) => Math.abs(v) > 1e-6), 'input gradients are not all zero');
    }
  });

  test('without noise, densityVjp equals the statevector vjp', () => {
    const rng = new Rng(23);
    for (let trial = 0; trial < 4; trial++) {
      const c = randomCircuit(rng, 3, 16, trial % 2 ? { kind: 'amplitude', offset: 0, length: 8 } : undefined, 8);
      const a = randomArgs(rng, c, 3);
      const obs = words('Z0', 'Y1 X2');
      const g = Float64Array.from({ length: 6 }, () => rng.normal());
      const d = densityVjp(a, obs, g);
      const s = vjp(a, obs, g);
      assertClose(d.outputs, s.outputs, TOL.exact, 'outputs');
      assertClose(d.gradWeights, s.gradWeights, TOL.analytic, 'weights');
      assertClose(d.gradInputs, s.gradInputs, TOL.analytic, 'inputs');
    }
  });

  test('checkpointed backward pass (small snapshot budget) gives the same gradients', () => {
    const rng = new Rng(24);
    const noise = richNoise();
    const c: Circuit = randomCircuit(rng, 3, 30);
    const a = randomArgs(rng, c, 2);
    const obs = words('Z2', 'X0');
    const g = Float64Array.from({ length: 4 }, () => rng.normal());
    const all = densityVjp(a, obs, g, noise);
    // One 3-qubit batch of 2 is 2 KiB: room for 3 states forces sqrt-sized segments.
    for (const snapshotBytes of [3 * 2048, 0]) {
      const few = densityVjp(a, obs, g, noise, { snapshotBytes });
      assertClose(few.gradWeights, all.gradWeights, TOL.exact, `weights, ${snapshotBytes} bytes`);
      assertClose(few.gradInputs, all.gradInputs, TOL.exact, `inputs, ${snapshotBytes} bytes`);
    }
  });

  test('an angle-embedded classifier under noise: input gradients for adversarial attacks', () => {
    const b = new CircuitBuilder(4);
    for (let w = 0; w < 4; w++) b.ry(w, input(w, 0.8));
    for (let w = 0; w < 4; w++) b.rz(w, b.newWeight());
    for (let w = 0; w < 3; w++) b.cnot(w, w + 1);
    for (let w = 0; w < 4; w++) b.rx(w, b.newWeight());
    const c = b.build();
    const rng = new Rng(25);
    const a = randomArgs(rng, c, 3);
    const noise = new NoiseModel()
      .addAllQubitQuantumError(depolarizing(0.02), ['RY', 'RZ', 'RX'])
      .addAllQubitQuantumError(depolarizing(0.05, 2), ['CNOT'])
      .addAllQubitQuantumError(phaseDamping(0.05), ['CNOT'])
      .addAllQubitReadoutError(bitReadout(0.03));
    checkNoisy(a, [Z(3), Z(0)], Float64Array.from({ length: 6 }, () => rng.normal()), noise);
  });
});
