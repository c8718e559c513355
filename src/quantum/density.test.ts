import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../util/random.js';
import { amplitudeDamping, depolarizing, kraus, phaseDamping } from './channels.js';
import { CircuitBuilder, weight, type StatePrep } from './circuit.js';
import { randomArgs, randomCircuit } from './density-testing.js';
import { expvalDensity, probsDensity, purity, traceDensity } from './density-measure.js';
import { allocDensity, densityFromStates, simulateDensity, type DensityBatch } from './density.js';
import { GATE_NAMES, GATES } from './gates.js';
import { expval, parsePauliWord, probs, Z, type PauliWord } from './measure.js';
import { NoiseModel } from './noise.js';
import { simulate } from './statevector.js';
import { args, assertClose, circuitOf, randomState, stateRows, throwsExactly, TOL } from './testing.js';

const allWords = (n: number, rng: Rng, count: number): PauliWord[] =>
  Array.from({ length: count }, () => ({
    terms: Array.from({ length: n }, (_, wire) => ({ wire, pauli: (['I', 'X', 'Y', 'Z'] as const)[rng.int(4)]! })).flatMap((t) =>
      t.pauli === 'I' ? [] : [{ wire: t.wire, pauli: t.pauli }],
    ),
  }));

describe('without noise, the density matrix is |psi><psi| of the statevector', () => {
  const preps: (StatePrep | undefined)[] = [undefined, { kind: 'amplitude', offset: 1, length: 5 }, { kind: 'state' }];
  for (const prep of preps) {
    test(`random circuits over every gate, per-sample angles (prep ${prep?.kind ?? 'zero'})`, () => {
      const rng = new Rng(prep === undefined ? 1 : prep.kind === 'state' ? 2 : 3);
      for (let trial = 0; trial < 12; trial++) {
        const n = 1 + (trial % 4);
        if (prep?.kind === 'amplitude' && n < 3) continue;
        const nInputs = prep?.kind === 'state' ? 2 << n : 6;
        const c = randomCircuit(rng, n, 25, prep, nInputs);
        const a = randomArgs(rng, c, 3);
        const rho = simulateDensity(a);
        const want = densityFromStates(simulate(a));
        assertClose(rho.re, want.re, TOL.exact, `trial ${trial} re`);
        assertClose(rho.im, want.im, TOL.exact, `trial ${trial} im`);
        const words = allWords(n, rng, 6);
        assertClose(expvalDensity(rho, words), expval(simulate(a), words), TOL.exact, `trial ${trial} expval`);
        assertClose(probsDensity(rho), probs(simulate(a)), TOL.exact, `trial ${trial} probs`);
        if (n >= 3) assertClose(probsDensity(rho, [2, 0]), probs(simulate(a), [2, 0]), TOL.exact, `trial ${trial} marginal`);
      }
    });
  }

  test('every gate of the table, alone, with and without an extra control', () => {
    const rng = new Rng(4);
    for (const gate of GATE_NAMES) {
      for (const controls of [[], [3]]) {
        const b = new CircuitBuilder(4).setPrep({ kind: 'state' });
        const { nWires, nParams } = GATES[gate];
        b.add(gate, [2, 0, 1].slice(0, nWires), Array.from({ length: nParams }, () => rng.normal(0, 2)), controls);
        const c = b.build();
        const a = randomArgs(rng, c, 2);
        const rho = simulateDensity(a);
        const want = densityFromStates(simulate(a));
        assertClose(rho.re, want.re, TOL.exact, `${gate} re`);
        assertClose(rho.im, want.im, TOL.exact, `${gate} im`);
      }
    }
  });
});

describe('channel placement and bit order', () => {
  /** The d x d permutation matrix of `perm` (basis index -> image), as a Kraus operator. */
  const permMatrix = (perm: number[]) => perm.map((_, row) => perm.map((to) => (to === row ? 1 : 0)));

  test('a unitary channel on (wires in order) acts like the gate: CNOT matrix on [2, 0], Toffoli matrix on [1, 2, 0]', () => {
    const rng = new Rng(40);
    const cnot = kraus([permMatrix([0, 1, 3, 2])]);
    const toffoli = kraus([permMatrix([0, 1, 2, 3, 4, 5, 7, 6])]);
    const noisy = new CircuitBuilder(3).setPrep({ kind: 'state' }).add('CZ', [2, 0]).add('CSWAP', [1, 2, 0]).build();
    const noise = new NoiseModel().addQuantumError(cnot, ['CZ'], [2, 0]).addQuantumError(toffoli, ['CSWAP'], [1, 2, 0]);
    const ideal = new CircuitBuilder(3)
      .setPrep({ kind: 'state' })
      .add('CZ', [2, 0])
      .add('CNOT', [2, 0])
      .add('CSWAP', [1, 2, 0])
      .add('Toffoli', [1, 2, 0])
      .build();
    const inputs = stateRows([randomState(rng, 3), randomState(rng, 3)]);
    const rho = simulateDensity(args(noisy, { inputs, batch: 2 }), { noise });
    const want = densityFromStates(simulate(args(ideal, { inputs, batch: 2 })));
    assertClose(rho.re, want.re, TOL.exact, 're');
    assertClose(rho.im, want.im, TOL.exact, 'im');
  });
});

describe('noisy runs', () => {
  test('RX(theta) then depolarizing(p): <Z> = (1 - p) cos theta, <Y> = -(1 - p) sin theta', () => {
    const b = new CircuitBuilder(1);
    b.rx(0, weight(0));
    const c = b.build();
    const p = 0.3;
    const noise = new NoiseModel().addAllQubitQuantumError(depolarizing(p), ['RX']);
    for (const t of [0.4, 2.2]) {
      const rho = simulateDensity(args(c, { weights: [t] }), { noise });
      assertClose(expvalDensity(rho, [Z(0), parsePauliWord('Y0')]), [(1 - p) * Math.cos(t), -(1 - p) * Math.sin(t)], TOL.exact);
    }
  });

  test('X then amplitude damping(gamma): <Z> = 2 gamma - 1; phase damping leaves it', () => {
    const c = circuitOf(1, [{ gate: 'X', wires: [0], params: [] }]);
    const g = 0.15;
    const noise = new NoiseModel().addAllQubitQuantumError(amplitudeDamping(g), ['X']).addAllQubitQuantumError(phaseDamping(0.5), ['X']);
    assertClose(expvalDensity(simulateDensity(args(c), { noise }), [Z(0)]), [2 * g - 1], TOL.exact);
  });

  test('Bell state with 2-qubit depolarizing after CNOT: <ZZ> = <XX> = 1 - p, <Z0> = 0, trace 1, purity drops', () => {
    const b = new CircuitBuilder(2);
    b.h(0).cnot(0, 1);
    const p = 0.2;
    const noise = new NoiseModel().addAllQubitQuantumError(depolarizing(p, 2), ['CNOT']);
    const rho = simulateDensity(args(b.build()), { noise });
    const words = ['Z0 Z1', 'X0 X1', 'Z0', 'Y0 Y1'].map((w) => parsePauliWord(w));
    assertClose(expvalDensity(rho, words), [1 - p, 1 - p, 0, -(1 - p)], TOL.exact);
    assertClose(traceDensity(rho), [1], TOL.exact);
    // purity = (1-p)^2 + (2p(1-p) + p^2)/4 for rho = (1-p)|B><B| + p I/4
    assertClose(purity(rho), [(1 - p) ** 2 + (2 * p * (1 - p) + p * p) / 4], TOL.exact);
  });

  test('noisy random circuits stay Hermitian with unit trace; per-sample inputs match one-sample runs', () => {
    const rng = new Rng(7);
    const noise = new NoiseModel()
      .addAllQubitQuantumError(depolarizing(0.05), 'all')
      .addAllQubitQuantumError(depolarizing(0.1, 2), ['CNOT', 'CZ', 'RXX', 'CRY'])
      .addQuantumError(amplitudeDamping(0.2), 'all', [1]);
    for (let trial = 0; trial < 4; trial++) {
      const c = randomCircuit(rng, 3, 20);
      const a = randomArgs(rng, c, 3);
      const rho = simulateDensity(a, { noise });
      assertClose(traceDensity(rho), [1, 1, 1], TOL.exact, 'trace');
      const dim = 8;
      for (let b = 0; b < 3; b++) {
        for (let i = 0; i < dim; i++) {
          for (let j = 0; j < dim; j++) {
            const x = (b * dim + i) * dim + j;
            const y = (b * dim + j) * dim + i;
            assert.ok(Math.abs(rho.re[x]! - rho.re[y]!) <= TOL.exact && Math.abs(rho.im[x]! + rho.im[y]!) <= TOL.exact, 'Hermitian');
          }
        }
        const one = simulateDensity({ ...a, batch: 1, inputs: a.inputs.slice(b * c.nInputs, (b + 1) * c.nInputs) }, { noise });
        assertClose(one.re, rho.re.subarray(b * 64, (b + 1) * 64), TOL.exact, `sample ${b}`);
      }
      for (const v of purity(rho)) assert.ok(v < 1 && v >= 1 / dim - TOL.exact, `purity ${v}`);
    }
  });

  test('10 qubits: GHZ with dephasing after every CNOT keeps <Z0 Z9> = 1 and damps <X...X>', () => {
    const n = 10;
    const b = new CircuitBuilder(n);
    b.h(0);
    for (let w = 0; w < n - 1; w++) b.cnot(w, w + 1);
    const lambda = 0.1;
    const noise = new NoiseModel().addAllQubitQuantumError(phaseDamping(lambda), ['CNOT']);
    const rho = simulateDensity(args(b.build()), { noise });
    const xs = parsePauliWord(Array.from({ length: n }, (_, w) => `X${w}`).join(' '));
    // Each phase damping multiplies the GHZ coherence by sqrt(1 - lambda); 2 per CNOT.
    const coherence = Math.sqrt(1 - lambda) ** (2 * (n - 1));
    assertClose(expvalDensity(rho, [parsePauliWord(`Z0 Z${n - 1}`), xs]), [1, coherence], TOL.exact);
  });
});

describe('errors', () => {
  test('oversized batches and mismatched buffers are refused with the sizes', () => {
    throwsExactly(() => allocDensity(16, 1), 'batch: 1 density matrices of 16 qubits need 64 GiB; reduce the batch or qubits, or use trajectories');
    const c = new CircuitBuilder(2).build();
    const into: DensityBatch = allocDensity(3, 1);
    throwsExactly(() => simulateDensity(args(c), { into }), 'into: density buffer holds 1 x 3 qubits, the run needs 1 x 2');
    throwsExactly(() => probsDensity(allocDensity(2, 1), [2]), 'wires: wire 2 is not in [0, 1]');
  });

  test('the run checks its arguments like the statevector', () => {
    const b = new CircuitBuilder(1);
    b.rx(0, weight(0));
    throwsExactly(() => simulateDensity(args(b.build(), { weights: [] })), 'weights: circuit reads 1 weights, got 0');
  });
});
