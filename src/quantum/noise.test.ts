import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { amplitudeDamping, bitFlip, depolarizing, phaseDamping, phaseFlip, thermalRelaxation } from './channels.js';
import { CircuitBuilder, weight, type Operation } from './circuit.js';
import { expvalDensity, probsDensity } from './density-measure.js';
import { simulateDensity } from './density.js';
import { parsePauliWord, Z } from './measure.js';
import {
  bitReadout,
  channelFromSpec,
  measuredDiagonal,
  NoiseModel,
  noiseModelFromSpec,
  noisyProgram,
  readoutError,
  type ChannelSpec,
} from './noise.js';
import { args, assertClose, makeOp, throwsExactly, TOL } from './testing.js';

const op = (gate: Operation['gate'], wires: number[], controls: number[] = []): Operation => makeOp(gate, wires, [], controls);
/** Channel placements after an operation, as 'name@wires'. */
const placed = (model: NoiseModel, o: Operation, n = 4) => model.channelsAfter(o, n).map((p) => `${p.channel.name}@${p.wires.join(',')}`);

describe('where channels go', () => {
  test('a 1-qubit all-qubit error follows every qubit a listed gate touches, extra controls included', () => {
    const m = new NoiseModel().addAllQubitQuantumError(bitFlip(0.1), ['CNOT', 'H']);
    assert.deepEqual(placed(m, op('CNOT', [2, 0])), ['bitFlip(0.1)@2', 'bitFlip(0.1)@0']);
    assert.deepEqual(placed(m, op('H', [1], [3])), ['bitFlip(0.1)@3', 'bitFlip(0.1)@1']);
    assert.deepEqual(placed(m, op('X', [1])), []);
  });

  test('a 2-qubit error follows 2-wire gates on their wires in order; "all" skips other sizes', () => {
    const m = new NoiseModel().addAllQubitQuantumError(depolarizing(0.1, 2), 'all');
    assert.deepEqual(placed(m, op('CNOT', [3, 1])), ['depolarizing(0.1, 2)@3,1']);
    assert.deepEqual(placed(m, op('X', [1])), []);
    assert.deepEqual(placed(m, op('Toffoli', [0, 1, 2])), []);
  });

  test('local errors: only on their wires; they replace all-qubit errors of the same gate and qubits', () => {
    const m = new NoiseModel()
      .addAllQubitQuantumError(depolarizing(0.01), ['X', 'CNOT'])
      .addQuantumError(amplitudeDamping(0.2), ['X', 'CNOT'], [1])
      .addQuantumError(depolarizing(0.3, 2), ['CNOT'], [0, 1]);
    assert.deepEqual(placed(m, op('X', [1])), ['amplitudeDamping(0.2)@1']);
    assert.deepEqual(placed(m, op('X', [2])), ['depolarizing(0.01)@2']);
    assert.deepEqual(placed(m, op('CNOT', [0, 1])), ['depolarizing(0.01)@0', 'amplitudeDamping(0.2)@1', 'depolarizing(0.3, 2)@0,1']);
    assert.deepEqual(placed(m, op('CNOT', [1, 0])), ['depolarizing(0.01)@0', 'amplitudeDamping(0.2)@1']);
    // A local error on a wire the circuit lacks never matches.
    const big = new NoiseModel().addQuantumError(bitFlip(0.5), 'all', [7]);
    assert.deepEqual(placed(big, op('X', [1]), 4), []);
  });

  test('errors of the same scope compose in the order added', () => {
    const m = new NoiseModel().addAllQubitQuantumError(amplitudeDamping(0.1), ['RX']).addAllQubitQuantumError(phaseFlip(0.2), ['RX']);
    assert.deepEqual(placed(m, makeOp('RX', [0], [weight(0)])), ['amplitudeDamping(0.1)@0', 'phaseFlip(0.2)@0']);
  });

  test('the noisy program puts channels after all primitives of an operation, and after I (idle noise)', () => {
    const b = new CircuitBuilder(2);
    b.add('U3', [0], [0.1, 0.2, 0.3]).add('I', [1]).cnot(0, 1);
    const m = new NoiseModel().addAllQubitQuantumError(phaseDamping(0.1), ['U3', 'I']);
    const steps = noisyProgram(b.build(), m).map((s) => (s.kind === 'gate' ? `gate${s.tapeIndex}` : `${s.channel.name}@${s.wires.join(',')}`));
    assert.deepEqual(steps, ['gate0', 'gate1', 'gate2', 'phaseDamping(0.1)@0', 'phaseDamping(0.1)@1', 'gate3']);
    assert.deepEqual(
      noisyProgram(b.build()).map((s) => s.kind),
      ['gate', 'gate', 'gate', 'gate'],
    );
  });

  test('idle noise on I changes the result; the same circuit without the model is unchanged', () => {
    const b = new CircuitBuilder(1);
    b.x(0).add('I', [0]).add('I', [0]);
    const c = b.build();
    const g = 0.3;
    const m = new NoiseModel().addAllQubitQuantumError(amplitudeDamping(g), ['I']);
    assertClose(expvalDensity(simulateDensity(args(c), { noise: m }), [Z(0)]), [1 - 2 * (1 - g) ** 2], TOL.exact);
    assertClose(expvalDensity(simulateDensity(args(c)), [Z(0)]), [-1], TOL.exact);
  });

  test('bad placements are refused when added', () => {
    throwsExactly(
      () => new NoiseModel().addAllQubitQuantumError(depolarizing(0.1, 2), ['CNOT', 'RX']),
      'gates: a 2-qubit channel (depolarizing(0.1, 2)) cannot follow RX, which acts on 1 wire(s)',
    );
    throwsExactly(() => new NoiseModel().addQuantumError(bitFlip(0.1), ['X'], [0, 1]), 'addQuantumError.wires: needs 1 wire(s), got [0, 1]');
    throwsExactly(() => new NoiseModel().addQuantumError(depolarizing(0.1, 2), ['CZ'], [1, 1]), 'addQuantumError.wires: wires must be distinct, got [1, 1]');
    throwsExactly(() => new NoiseModel().addAllQubitQuantumError(bitFlip(0.1), []), 'gates: must name at least one gate, or be "all"');
    throwsExactly(() => new NoiseModel().addAllQubitQuantumError(bitFlip(0.1), ['CX' as 'CNOT']), "gates: unknown gate 'CX'");
  });
});

describe('readout errors', () => {
  test('a known distribution through a 1-bit confusion matrix', () => {
    // RY(theta)|0>: P(1) = sin^2(theta/2) = q; reported P(1) = q (1 - p10) + (1 - q) p01.
    const b = new CircuitBuilder(1);
    b.ry(0, weight(0));
    const theta = 1.1;
    const q = Math.sin(theta / 2) ** 2;
    const [p01, p10] = [0.05, 0.2];
    const m = new NoiseModel().addReadoutError(bitReadout(p01, p10));
    const rho = simulateDensity(args(b.build(), { weights: [theta] }), { noise: m });
    const p1 = q * (1 - p10) + (1 - q) * p01;
    assertClose(probsDensity(rho, undefined, m), [1 - p1, p1], TOL.exact);
    assertClose(expvalDensity(rho, [Z(0)], m), [1 - 2 * p1], TOL.exact);
    // <Z> reported = (1 - p01 - p10) <Z> + (p10 - p01)
    assertClose(expvalDensity(rho, [Z(0)], m), [(1 - p01 - p10) * Math.cos(theta) + p10 - p01], TOL.exact);
  });

  test('Bell state with per-wire readout errors: the reported two-bit distribution by hand', () => {
    const b = new CircuitBuilder(2);
    b.h(0).cnot(0, 1);
    const m = new NoiseModel().addAllQubitReadoutError(bitReadout(0.1)).addReadoutError(bitReadout(0.2, 0), [1]);
    const rho = simulateDensity(args(b.build()), { noise: m });
    // True 00 or 11 with 1/2 each. Wire 0 flips with 0.1 either way; wire 1: 0 -> 1 with 0.2, 1 stays.
    const P = (t: string, r: string) => {
      const w0 = t[0] === r[0] ? 0.9 : 0.1;
      const w1 = t[1] === '0' ? (r[1] === '0' ? 0.8 : 0.2) : r[1] === '1' ? 1 : 0;
      return w0 * w1;
    };
    const want = ['00', '01', '10', '11'].map((r) => 0.5 * P('00', r) + 0.5 * P('11', r));
    assertClose(probsDensity(rho, undefined, m), want, TOL.exact);
    assertClose(probsDensity(rho, [1], m), [want[0]! + want[2]!, want[1]! + want[3]!], TOL.exact, 'marginal');
    // <Z0 Z1> reported = sum of parity-signed reported probabilities.
    assertClose(expvalDensity(rho, [parsePauliWord('Z0 Z1')], m), [want[0]! - want[1]! - want[2]! + want[3]!], TOL.exact);
    // X0 X1 = 1 on the Bell state; measured in the X basis, the same confusion matrices apply.
    const d = measuredDiagonal(parsePauliWord('X0 X1'), 2, m.readoutMaps(2));
    // d[t] = E[(-1)^{r0 + r1} | t]: wire 0 gives +-0.8, wire 1 gives 0.6 for t1 = 0, -1 for t1 = 1.
    assertClose(d, [0.8 * 0.6, 0.8 * -1, -0.8 * 0.6, -0.8 * -1], TOL.exact);
    // In the X basis the Bell state reads 00 or 11: (0.48 + 0.8) / 2.
    assertClose(expvalDensity(rho, [parsePauliWord('X0 X1')], m), [0.64], TOL.exact);
  });

  test('a correlated 2-bit readout error (swaps the reported bits with probability 0.3)', () => {
    const s = 0.3;
    const err = readoutError([
      [1, 0, 0, 0],
      [0, 1 - s, s, 0],
      [0, s, 1 - s, 0],
      [0, 0, 0, 1],
    ]);
    const b = new CircuitBuilder(3);
    b.x(2);
    const m = new NoiseModel().addReadoutError(err, [1, 2]);
    const rho = simulateDensity(args(b.build()), { noise: m });
    // True 001: reported 001 with 0.7, 010 with 0.3.
    assertClose(probsDensity(rho, undefined, m), [0, 1 - s, s, 0, 0, 0, 0, 0], TOL.exact);
    assertClose(expvalDensity(rho, [Z(1), Z(2)], m), [1 - 2 * s, -1 + 2 * s], TOL.exact);
  });

  test('readout error matrices are validated', () => {
    throwsExactly(() => readoutError([[0.9, 0.2], [0, 1]]), 'readoutError[0]: must sum to 1 (a distribution of reported outcomes), sums to 1.1');
    throwsExactly(() => readoutError([[1.2, -0.2], [0, 1]]), 'readoutError[0][0]: must be a probability in [0, 1], got 1.2');
    throwsExactly(() => readoutError([[1, 0, 0], [0, 1, 0], [0, 0, 1]]), 'readoutError: must be 2 x 2, 4 x 4 or 8 x 8, got 3 rows');
    throwsExactly(
      () => new NoiseModel().addAllQubitReadoutError(readoutError([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])),
      'addAllQubitReadoutError: needs a 1-qubit readout error, got 2 qubits; use addReadoutError with wires',
    );
  });
});

describe('noise models as data', () => {
  test('noiseModelFromSpec builds the same model as the methods', () => {
    const spec = {
      quantum: [
        { channel: { kind: 'depolarizing', p: 0.02 } as ChannelSpec, gates: ['RX', 'H'] as const },
        { channel: { kind: 'depolarizing', p: 0.05, nQubits: 2 } as ChannelSpec, gates: ['CNOT'] as const },
        { channel: { kind: 'thermalRelaxation', t1: 50, t2: 40, time: 2 } as ChannelSpec, gates: 'all' as const, wires: [1] },
      ],
      readout: [{ matrix: [[0.97, 0.03], [0.08, 0.92]] }],
    };
    const a = noiseModelFromSpec(spec);
    const b = new CircuitBuilder(2);
    b.h(0).rx(1, weight(0)).cnot(0, 1).rx(0, weight(1));
    const c = b.build();
    const run = args(c, { weights: [0.4, -1.2] });
    const rhoA = simulateDensity(run, { noise: a });
    const byHand = new NoiseModel()
      .addAllQubitQuantumError(depolarizing(0.02), ['RX', 'H'])
      .addAllQubitQuantumError(depolarizing(0.05, 2), ['CNOT'])
      .addQuantumError(thermalRelaxation(50, 40, 2), 'all', [1])
      .addAllQubitReadoutError(bitReadout(0.03, 0.08));
    const rhoB = simulateDensity(run, { noise: byHand });
    assertClose(rhoA.re, rhoB.re, 0, 'same density matrix');
    assertClose(probsDensity(rhoA, undefined, a), probsDensity(rhoB, undefined, byHand), TOL.exact, 'same readout');
    // The local thermal relaxation on wire 1 replaces the all-qubit depolarizing there (RX on 1).
    assert.deepEqual(
      noisyProgram(c, a).flatMap((s) => (s.kind === 'channel' ? [`${s.channel.name.split('(')[0]}@${s.wires.join(',')}`] : [])),
      ['depolarizing@0', 'thermalRelaxation@1', 'depolarizing@0,1', 'thermalRelaxation@1', 'depolarizing@0'],
    );
    assert.ok(Math.abs(expvalDensity(rhoA, [Z(1)], a)[0]! - expvalDensity(simulateDensity(run), [Z(1)])[0]!) > 1e-3, 'noise changes the result');
  });

  test('every channel kind builds; an unknown kind names the allowed ones', () => {
    const specs: ChannelSpec[] = [
      { kind: 'depolarizing', p: 0.1 },
      { kind: 'amplitudeDamping', gamma: 0.1 },
      { kind: 'generalizedAmplitudeDamping', gamma: 0.1, p: 0.9 },
      { kind: 'phaseDamping', lambda: 0.1 },
      { kind: 'bitFlip', p: 0.1 },
      { kind: 'phaseFlip', p: 0.1 },
      { kind: 'pauli', px: 0.1, py: 0, pz: 0.2 },
      { kind: 'thermalRelaxation', t1: 10, t2: 10, time: 1 },
      { kind: 'kraus', ops: [[[0, 1], [1, 0]]] },
    ];
    for (const s of specs) assert.equal(channelFromSpec(s).nQubits, 1);
    throwsExactly(
      () => channelFromSpec({ kind: 'erasure' } as unknown as ChannelSpec),
      "channel.kind: unknown channel 'erasure'; allowed: depolarizing, amplitudeDamping, generalizedAmplitudeDamping, phaseDamping, bitFlip, phaseFlip, pauli, thermalRelaxation, kraus",
    );
  });
});
