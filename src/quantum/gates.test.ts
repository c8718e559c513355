import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../util/random.js';
import { constant, inverseOps, weight, type Operation } from './circuit.js';
import { GATE_NAMES, GATES, MATRICES, type GateName, type Mat2 } from './gates.js';
import {
  TOL,
  assertMatClose,
  circuitMatrix,
  cis,
  controlled,
  cscale,
  cx,
  dagger,
  embed,
  identity,
  makeOp,
  matmul,
  type C,
  type Mat,
} from './testing.js';

// Textbook (PennyLane / Qiskit) matrices, written out by hand. Rows are
// outputs; the first wire of an op is the most significant bit of the local index.
const O = cx(0);
const l = cx(1);
const i = cx(0, 1);
const mi = cx(0, -1);
const m1 = cx(-1);
const h = Math.SQRT1_2;

const diag = (...d: C[]): Mat => d.map((z, r) => d.map((_, c) => (r === c ? z : O)));
/** A permutation matrix: out[perm[j]] = in[j]. */
const perm = (p: readonly number[]): Mat => p.map((_, r) => p.map((pc) => (pc === r ? l : O)));

const X: Mat = [[O, l], [l, O]];
const Y: Mat = [[O, mi], [i, O]];
const Z: Mat = diag(l, m1);
const H: Mat = [[cx(h), cx(h)], [cx(h), cx(-h)]];

const RX = (t: number): Mat => [[cx(Math.cos(t / 2)), cx(0, -Math.sin(t / 2))], [cx(0, -Math.sin(t / 2)), cx(Math.cos(t / 2))]];
const RY = (t: number): Mat => [[cx(Math.cos(t / 2)), cx(-Math.sin(t / 2))], [cx(Math.sin(t / 2)), cx(Math.cos(t / 2))]];
const RZ = (t: number): Mat => diag(cis(-t / 2), cis(t / 2));
const Phase = (p: number): Mat => diag(l, cis(p));
/** Qiskit's U3(theta, phi, lambda). */
const U3 = (t: number, p: number, lam: number): Mat => {
  const c = Math.cos(t / 2);
  const s = Math.sin(t / 2);
  return [
    [cx(c), cscale(cis(lam), -s)],
    [cscale(cis(p), s), cscale(cis(p + lam), c)],
  ];
};
/** PennyLane's Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi), written out. */
const Rot = (p: number, t: number, w: number): Mat => {
  const c = Math.cos(t / 2);
  const s = Math.sin(t / 2);
  return [
    [cscale(cis(-(p + w) / 2), c), cscale(cis((p - w) / 2), -s)],
    [cscale(cis(-(p - w) / 2), s), cscale(cis((p + w) / 2), c)],
  ];
};
/** exp(-i t/2 P (x) P), written out. */
const RXX = (t: number): Mat => {
  const c = cx(Math.cos(t / 2));
  const s = cx(0, -Math.sin(t / 2));
  return [[c, O, O, s], [O, c, s, O], [O, s, c, O], [s, O, O, c]];
};
const RYY = (t: number): Mat => {
  const c = cx(Math.cos(t / 2));
  const s = cx(0, -Math.sin(t / 2));
  const ps = cx(0, Math.sin(t / 2));
  return [[c, O, O, ps], [O, c, s, O], [O, s, c, O], [ps, O, O, c]];
};
const RZZ = (t: number): Mat => diag(cis(-t / 2), cis(t / 2), cis(t / 2), cis(-t / 2));

/** Expected matrix of each gate from its parameter values; the Record type makes the table exhaustive. */
const EXPECTED: Record<GateName, (p: readonly number[]) => Mat> = {
  I: () => identity(2),
  X: () => X,
  Y: () => Y,
  Z: () => Z,
  H: () => H,
  S: () => diag(l, i),
  Sdg: () => diag(l, mi),
  T: () => diag(l, cis(Math.PI / 4)),
  Tdg: () => diag(l, cis(-Math.PI / 4)),
  SX: () => [[cx(0.5, 0.5), cx(0.5, -0.5)], [cx(0.5, -0.5), cx(0.5, 0.5)]],
  SXdg: () => [[cx(0.5, -0.5), cx(0.5, 0.5)], [cx(0.5, 0.5), cx(0.5, -0.5)]],
  RX: ([t]) => RX(t!),
  RY: ([t]) => RY(t!),
  RZ: ([t]) => RZ(t!),
  PhaseShift: ([p]) => Phase(p!),
  U3: ([t, p, lam]) => U3(t!, p!, lam!),
  Rot: ([p, t, w]) => Rot(p!, t!, w!),
  CNOT: () => perm([0, 1, 3, 2]),
  CY: () => [[l, O, O, O], [O, l, O, O], [O, O, O, mi], [O, O, i, O]],
  CZ: () => diag(l, l, l, m1),
  CH: () => controlled(H),
  SWAP: () => perm([0, 2, 1, 3]),
  CRX: ([t]) => controlled(RX(t!)),
  CRY: ([t]) => controlled(RY(t!)),
  CRZ: ([t]) => diag(l, l, cis(-t! / 2), cis(t! / 2)),
  CPhase: ([p]) => diag(l, l, l, cis(p!)),
  CU3: ([t, p, lam]) => controlled(U3(t!, p!, lam!)),
  RXX: ([t]) => RXX(t!),
  RYY: ([t]) => RYY(t!),
  RZZ: ([t]) => RZZ(t!),
  Toffoli: () => perm([0, 1, 2, 3, 4, 5, 7, 6]),
  CSWAP: () => perm([0, 1, 2, 3, 4, 6, 5, 7]),
};

const N = 4;
/** Wires for a k-qubit gate on 4 qubits: reversed and non-adjacent, to catch ordering bugs. */
const WIRES: Record<number, number[]> = { 1: [2], 2: [3, 1], 3: [2, 0, 3] };
const ANGLES = [0.7345, -1.9112, 2.4781];

const opFor = (g: GateName, values: readonly number[] = ANGLES, controls: number[] = []): Operation =>
  makeOp(g, WIRES[GATES[g].nWires]!, values.slice(0, GATES[g].nParams).map(constant), controls);

describe('gate table', () => {
  test('GATE_NAMES and GATES list the same gates', () => {
    assert.deepEqual([...GATE_NAMES].sort(), Object.keys(GATES).sort());
  });

  test('MATRICES are unitary', () => {
    for (const [name, m] of Object.entries(MATRICES)) {
      const u: Mat = [[cx(m[0], m[1]), cx(m[2], m[3])], [cx(m[4], m[5]), cx(m[6], m[7])]];
      assertMatClose(matmul(dagger(u), u), identity(2), TOL.exact, `${name}^dagger ${name}`);
    }
  });

  test('S^2 = Z, T^2 = S, SX^2 = X (fixed matrices agree with each other)', () => {
    const m = (x: Mat2): Mat => [[cx(x[0], x[1]), cx(x[2], x[3])], [cx(x[4], x[5]), cx(x[6], x[7])]];
    assertMatClose(matmul(m(MATRICES.S), m(MATRICES.S)), Z, TOL.exact, 'S^2');
    assertMatClose(matmul(m(MATRICES.T), m(MATRICES.T)), m(MATRICES.S), TOL.exact, 'T^2');
    assertMatClose(matmul(m(MATRICES.SX), m(MATRICES.SX)), X, TOL.exact, 'SX^2');
  });
});

describe('every gate against its hand-written matrix', () => {
  for (const g of GATE_NAMES) {
    test(`${g} on wires ${WIRES[GATES[g].nWires]!.join(',')} of ${N}`, () => {
      const op = opFor(g);
      const expected = embed(EXPECTED[g](ANGLES), op.wires, N);
      assertMatClose(circuitMatrix(N, [op]), expected, TOL.exact, g);
    });
  }

  test('parameterized gates at several angles, including 0, pi and 2 pi', () => {
    const rng = new Rng(11);
    const special = [0, Math.PI, -Math.PI, 2 * Math.PI, Math.PI / 2];
    for (const g of GATE_NAMES.filter((name) => GATES[name].nParams > 0)) {
      for (let trial = 0; trial < 4; trial++) {
        const values = Array.from({ length: 3 }, () => (trial === 0 ? special[rng.int(special.length)]! : rng.normal(0, 3)));
        const op = opFor(g, values);
        assertMatClose(circuitMatrix(N, [op]), embed(EXPECTED[g](values), op.wires, N), TOL.exact, `${g}(${values.join(', ')})`);
      }
    }
  });

  test('the two-qubit gates on adjacent wires in natural order (wire 0 is the most significant bit)', () => {
    // CNOT on [0, 1] of 2 qubits is exactly the textbook 4x4 matrix.
    assertMatClose(circuitMatrix(2, [makeOp('CNOT', [0, 1], [])]), perm([0, 1, 3, 2]), TOL.exact, 'CNOT(0,1)');
    // CNOT on [1, 0]: control is the low bit.
    assertMatClose(circuitMatrix(2, [makeOp('CNOT', [1, 0], [])]), perm([0, 3, 2, 1]), TOL.exact, 'CNOT(1,0)');
  });

  test('weights with a scale drive the angle: RY(w(0, scale=-2)) = RY(-2 w0)', () => {
    const op: Operation = { gate: 'RY', wires: [1], params: [weight(0, -2)] };
    assertMatClose(circuitMatrix(2, [op], [0.4]), embed(RY(-0.8), [1], 2), TOL.exact, 'RY scaled');
  });
});

describe('the controls field', () => {
  const rng = new Rng(5);
  const cases: { gate: GateName; wires: number[]; controls: number[] }[] = [
    { gate: 'X', wires: [1], controls: [3] },
    { gate: 'RY', wires: [1], controls: [3, 0] },
    { gate: 'U3', wires: [0], controls: [2] },
    { gate: 'PhaseShift', wires: [3], controls: [1, 2] },
    { gate: 'H', wires: [2], controls: [0, 1, 3] },
    { gate: 'SWAP', wires: [0, 3], controls: [2] },
    { gate: 'RXX', wires: [3, 0], controls: [1] },
    { gate: 'RYY', wires: [2, 1], controls: [0] },
    { gate: 'RZZ', wires: [1, 3], controls: [2] },
    { gate: 'CRX', wires: [2, 0], controls: [3] },
    { gate: 'CNOT', wires: [1, 2], controls: [0] },
  ];
  for (const { gate, wires, controls } of cases) {
    test(`${gate} on [${wires.join(',')}] controlled by [${controls.join(',')}]`, () => {
      const values = [rng.normal(0, 2), rng.normal(0, 2), rng.normal(0, 2)];
      const op = makeOp(gate, wires, values.slice(0, GATES[gate].nParams).map(constant), controls);
      const expected = embed(controlled(EXPECTED[gate](values), controls.length), [...controls, ...wires], N);
      assertMatClose(circuitMatrix(N, [op]), expected, TOL.exact, gate);
    });
  }

  test('Toffoli is X with two controls; CSWAP is SWAP with one', () => {
    assertMatClose(
      circuitMatrix(N, [makeOp('Toffoli', [3, 1, 0], [])]),
      circuitMatrix(N, [makeOp('X', [0], [], [3, 1])]),
      TOL.exact,
      'Toffoli',
    );
    assertMatClose(
      circuitMatrix(N, [makeOp('CSWAP', [2, 0, 1], [])]),
      circuitMatrix(N, [makeOp('SWAP', [0, 1], [], [2])]),
      TOL.exact,
      'CSWAP',
    );
  });
});

describe('inverses', () => {
  const rng = new Rng(23);
  for (const g of GATE_NAMES) {
    test(`${g} then GATES.${g}.inverse(op) is the identity, and inverse(op) is the adjoint`, () => {
      const values = [rng.normal(0, 2), rng.normal(0, 2), rng.normal(0, 2)];
      const op = opFor(g, values);
      const inv = GATES[g].inverse(op);
      assert.deepEqual(inv.wires, op.wires);
      assertMatClose(circuitMatrix(N, [op, inv]), identity(1 << N), TOL.exact, `${g} inverse`);
      assertMatClose(circuitMatrix(N, [inv]), dagger(circuitMatrix(N, [op])), TOL.exact, `${g} inverse matrix`);
    });
  }

  test('inverses keep the controls field and invert weight parameters through their scale', () => {
    const op = makeOp('Rot', [1], [weight(0, 0.5), weight(1), constant(0.3)], [2, 0]);
    const inv = GATES.Rot.inverse(op);
    assert.deepEqual(inv.controls, [2, 0]);
    const w = [1.3, -0.4];
    assertMatClose(circuitMatrix(N, [op, inv], w), identity(1 << N), TOL.exact, 'controlled Rot inverse');
  });

  test('inverseOps undoes a random circuit', () => {
    const ops: Operation[] = [];
    const names = GATE_NAMES.filter((g) => GATES[g].nWires <= N);
    for (let k = 0; k < 30; k++) {
      const g = names[rng.int(names.length)]!;
      const p = Array.from(rng.permutation(N));
      const nw = GATES[g].nWires;
      const ctrl = rng.uniform() < 0.3 && nw < N ? [p[nw]!] : [];
      ops.push(makeOp(g, p.slice(0, nw), Array.from({ length: GATES[g].nParams }, () => constant(rng.normal(0, 2))), ctrl));
    }
    assertMatClose(circuitMatrix(N, [...ops, ...inverseOps(ops)]), identity(1 << N), TOL.exact, 'U^-1 U');
  });
});
