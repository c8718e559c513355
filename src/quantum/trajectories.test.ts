import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../util/random.js';
import { amplitudeDamping, bitFlip, depolarizing, phaseFlip } from './channels.js';
import { CircuitBuilder, weight } from './circuit.js';
import { expvalDensity, probsDensity } from './density-measure.js';
import { simulateDensity } from './density.js';
import { randomArgs, randomCircuit } from './density-testing.js';
import { expval, parsePauliWord, Z } from './measure.js';
import { bitReadout, NoiseModel } from './noise.js';
import { simulate } from './statevector.js';
import { trajectoryExpval, trajectoryProbs } from './trajectories.js';
import { args, assertClose, throwsExactly, TOL } from './testing.js';

const words = (...ws: string[]) => ws.map((w) => parsePauliWord(w));

function noisyModel(): NoiseModel {
  return new NoiseModel()
    .addAllQubitQuantumError(depolarizing(0.08), 'all')
    .addAllQubitQuantumError(depolarizing(0.15, 2), ['CNOT', 'CZ', 'RXX', 'CRY', 'SWAP'])
    .addQuantumError(amplitudeDamping(0.25), 'all', [1]);
}

describe('trajectories', () => {
  test('without quantum noise every trajectory is the statevector: exact mean, zero spread', () => {
    const rng = new Rng(31);
    const c = randomCircuit(rng, 3, 15);
    const a = randomArgs(rng, c, 2);
    const obs = words('Z0', 'X1 Y2');
    const r = trajectoryExpval(a, obs, { noise: new NoiseModel(), trajectories: 5, rng: new Rng(1) });
    assertClose(r.mean, expval(simulate(a), obs), TOL.exact);
    assertClose(r.stderr, new Float64Array(4), 1e-7);
  });

  test('readout errors alone are applied exactly (they are not sampled)', () => {
    const rng = new Rng(32);
    const c = randomCircuit(rng, 3, 15);
    const a = randomArgs(rng, c, 2);
    const noise = new NoiseModel().addAllQubitReadoutError(bitReadout(0.05, 0.1));
    const obs = words('Z0 Z2', 'Y1');
    const rho = simulateDensity(a, { noise });
    assertClose(trajectoryExpval(a, obs, { noise, trajectories: 3, rng: new Rng(2) }).mean, expvalDensity(rho, obs, noise), TOL.exact);
    assertClose(trajectoryProbs(a, { noise, trajectories: 3, rng: new Rng(2), wires: [2, 1] }).mean, probsDensity(rho, [2, 1], noise), TOL.exact);
  });

  test('converge to the density matrix with error ~ 1/sqrt(trajectories)', () => {
    const rng = new Rng(33);
    const c = randomCircuit(rng, 3, 16);
    const a = randomArgs(rng, c, 2);
    const noise = noisyModel().addAllQubitReadoutError(bitReadout(0.03, 0.07));
    const obs = words('Z0', 'Z1', 'Z2', 'X0 X1', 'Y1 Z2', 'Z0 Z1 Z2');
    const exact = expvalDensity(simulateDensity(a, { noise }), obs, noise);
    const rms = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    const results = [100, 400, 1600, 6400].map((T) => {
      const r = trajectoryExpval(a, obs, { noise, trajectories: T, rng: new Rng(T) });
      const err = r.mean.map((m, i) => m - exact[i]!);
      err.forEach((e, i) => assert.ok(Math.abs(e) <= 5 * r.stderr[i]! + 1e-12, `T=${T}, value ${i}: error ${e} vs stderr ${r.stderr[i]}`));
      return { T, err: rms(err), se: rms(r.stderr) };
    });
    for (let k = 1; k < results.length; k++) {
      const ratio = results[k]!.se / results[k - 1]!.se;
      assert.ok(ratio > 0.4 && ratio < 0.6, `stderr ratio for 4x trajectories is ${ratio}, expected ~0.5`);
    }
    assert.ok(results[3]!.err < results[0]!.err / 3, `error ${results[3]!.err} at 6400 vs ${results[0]!.err} at 100`);
    assert.ok(results[3]!.err < 0.03, `error at 6400 trajectories ${results[3]!.err}`);
  });

  test('probabilities converge too, and a bit flip fires at its rate', () => {
    const b = new CircuitBuilder(2);
    b.x(0).rx(1, weight(0));
    const c = b.build();
    const a = args(c, { weights: [0.8] });
    const noise = new NoiseModel().addAllQubitQuantumError(bitFlip(0.3), ['X']).addAllQubitQuantumError(amplitudeDamping(0.4), ['RX']);
    const exact = probsDensity(simulateDensity(a, { noise }), undefined, noise);
    const r = trajectoryProbs(a, { noise, trajectories: 4000, rng: new Rng(3) });
    r.mean.forEach((m, i) => assert.ok(Math.abs(m - exact[i]!) <= 5 * r.stderr[i]!, `P(${i}) = ${m} vs ${exact[i]}`));
    const p0 = trajectoryProbs(a, { noise, trajectories: 4000, rng: new Rng(4), wires: [0] });
    assert.ok(Math.abs(p0.mean[0]! - 0.3) <= 5 * p0.stderr[0]!, `flip rate ${p0.mean[0]}`);
  });

  test('the numbers depend on the seed only, not on the chunk size', () => {
    const rng = new Rng(34);
    const c = randomCircuit(rng, 3, 12);
    const a = randomArgs(rng, c, 3);
    const obs = words('Z0', 'X2');
    const run = (chunk?: number) =>
      trajectoryExpval(a, obs, { noise: noisyModel(), trajectories: 50, rng: new Rng(9), ...(chunk === undefined ? {} : { chunk }) });
    const all = run();
    for (const chunk of [1, 7, 64]) assert.deepEqual(run(chunk).mean, all.mean);
    assert.notDeepEqual(trajectoryExpval(a, obs, { noise: noisyModel(), trajectories: 50, rng: new Rng(10) }).mean, all.mean);
    const progress: [number, number][] = [];
    trajectoryExpval(a, obs, { noise: noisyModel(), trajectories: 50, rng: new Rng(9), chunk: 64, onProgress: (d, t) => progress.push([d, t]) });
    assert.deepEqual(progress, [[64, 150], [128, 150], [150, 150]]);
  });

  test('16 qubits, beyond the density matrix: GHZ with phase flips keeps <Z0 Z15> = 1 and damps <X...X>', () => {
    const n = 16;
    const b = new CircuitBuilder(n);
    b.h(0);
    for (let w = 0; w < n - 1; w++) b.cnot(w, w + 1);
    const p = 0.02;
    const noise = new NoiseModel().addAllQubitQuantumError(phaseFlip(p), ['CNOT']);
    const xs = parsePauliWord(Array.from({ length: n }, (_, w) => `X${w}`).join(' '));
    const r = trajectoryExpval(args(b.build()), [parsePauliWord(`Z0 Z${n - 1}`), xs, Z(3)], { noise, trajectories: 24, rng: new Rng(5) });
    // Each phase flip multiplies the GHZ coherence by (1 - 2p); two per CNOT.
    const want = (1 - 2 * p) ** (2 * (n - 1));
    assertClose([r.mean[0]!, r.mean[2]!], [1, 0], TOL.exact);
    assert.ok(Math.abs(r.mean[1]! - want) <= 5 * r.stderr[1]!, `<X...X> = ${r.mean[1]} +- ${r.stderr[1]}, expected ${want}`);
  });

  test('bad options are refused', () => {
    const a = args(new CircuitBuilder(1).build());
    throwsExactly(() => trajectoryExpval(a, [Z(0)], { noise: new NoiseModel(), trajectories: 0, rng: new Rng(1) }), 'trajectories: must be a positive integer, got 0');
    throwsExactly(() => trajectoryExpval(a, [Z(0)], { noise: new NoiseModel(), trajectories: 2, rng: new Rng(1), chunk: 1.5 }), 'chunk: must be a positive integer, got 1.5');
    throwsExactly(() => trajectoryProbs(a, { noise: new NoiseModel(), trajectories: 2, rng: new Rng(1), wires: [1] }), 'wires: wire 1 is not in [0, 0]');
    const one = trajectoryExpval(a, [Z(0)], { noise: new NoiseModel(), trajectories: 1, rng: new Rng(1) });
    assert.ok(Number.isNaN(one.stderr[0]!), 'one trajectory has no standard error');
  });
});
