import type { Operation, Param } from './circuit.js';

/**
 * The gate table: one record per gate, no class per gate. Every gate lowers to
 * a few simulator primitives (see `Prim`): fixed single-qubit matrices, SWAP,
 * and one-parameter rotations whose generator is known, which is what makes
 * the adjoint and parameter-shift gradients uniform. Control wires are a field
 * on the primitive, so CNOT is X with one control and Toffoli is X with two.
 */

/** A fixed 2x2 complex matrix, row-major, [re00, im00, re01, im01, re10, im10, re11, im11]. */
export type Mat2 = readonly [number, number, number, number, number, number, number, number];

export type RotationKind = 'RX' | 'RY' | 'RZ' | 'Phase' | 'RXX' | 'RYY' | 'RZZ';

/**
 * A primitive on op-local wire positions. Rotations are exp(-i theta G) with
 * G = P/2 for the Pauli rotations (P = X, Y, Z, XX, YY, ZZ) and G = -|1><1| for
 * Phase, so dU/dtheta = -i G U for all of them. `paramScale` multiplies the
 * parameter (e.g. U3's angles map 1:1).
 */
export type Prim =
  | { readonly kind: 'fixed'; readonly wire: number; readonly matrix: Mat2; readonly controls: readonly number[] }
  | { readonly kind: 'swap'; readonly wires: readonly [number, number]; readonly controls: readonly number[] }
  | {
      readonly kind: 'rot';
      readonly rot: RotationKind;
      readonly wires: readonly number[];
      readonly param: number;
      readonly controls: readonly number[];
    };

const r = Math.SQRT1_2;
export const MATRICES = {
  I: [1, 0, 0, 0, 0, 0, 1, 0],
  X: [0, 0, 1, 0, 1, 0, 0, 0],
  Y: [0, 0, 0, -1, 0, 1, 0, 0],
  Z: [1, 0, 0, 0, 0, 0, -1, 0],
  H: [r, 0, r, 0, r, 0, -r, 0],
  S: [1, 0, 0, 0, 0, 0, 0, 1],
  Sdg: [1, 0, 0, 0, 0, 0, 0, -1],
  T: [1, 0, 0, 0, 0, 0, r, r],
  Tdg: [1, 0, 0, 0, 0, 0, r, -r],
  SX: [0.5, 0.5, 0.5, -0.5, 0.5, -0.5, 0.5, 0.5],
  SXdg: [0.5, -0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5],
} as const satisfies Record<string, Mat2>;

export interface GateDef {
  readonly nWires: number;
  readonly nParams: number;
  /** Name in OpenQASM 2.0 (qelib1.inc), if the gate has one. */
  readonly qasm?: string;
  /** Primitives in the order they are applied, on op-local wire positions. */
  readonly lower: readonly Prim[];
  /** The inverse as an operation with the same wires. */
  inverse(op: Operation): Operation;
}

const fixed = (matrix: Mat2, controls: number[] = [], wire = 0): Prim => ({ kind: 'fixed', wire, matrix, controls });
const rot = (k: RotationKind, wires: number[], param = 0, controls: number[] = []): Prim => ({
  kind: 'rot',
  rot: k,
  wires,
  param,
  controls,
});

/** -p for a parameter (used to invert rotations). */
export function negate(p: Param): Param {
  return p.kind === 'const' ? { kind: 'const', value: -p.value } : { ...p, scale: -(p.scale ?? 1) };
}

const selfInverse = (op: Operation): Operation => op;
const negateAll = (op: Operation): Operation => ({ ...op, params: op.params.map(negate) });
const renamed =
  (gate: GateName) =>
  (op: Operation): Operation => ({ ...op, gate });

function def(
  nWires: number,
  nParams: number,
  lower: Prim[],
  inverse: (op: Operation) => Operation,
  qasm?: string,
): GateDef {
  return qasm === undefined ? { nWires, nParams, lower, inverse } : { nWires, nParams, lower, inverse, qasm };
}

/** Every gate the simulator knows, as a literal union. */
export const GATE_NAMES = [
  'I', 'X', 'Y', 'Z', 'H', 'S', 'Sdg', 'T', 'Tdg', 'SX', 'SXdg', 'RX', 'RY', 'RZ', 'PhaseShift', 'U3', 'Rot',
  'CNOT', 'CY', 'CZ', 'CH', 'SWAP', 'CRX', 'CRY', 'CRZ', 'CPhase', 'CU3', 'RXX', 'RYY', 'RZZ', 'Toffoli', 'CSWAP',
] as const;
export type GateName = (typeof GATE_NAMES)[number];

export const GATES: Readonly<Record<GateName, GateDef>> = {
  I: def(1, 0, [], selfInverse, 'id'),
  X: def(1, 0, [fixed(MATRICES.X)], selfInverse, 'x'),
  Y: def(1, 0, [fixed(MATRICES.Y)], selfInverse, 'y'),
  Z: def(1, 0, [fixed(MATRICES.Z)], selfInverse, 'z'),
  H: def(1, 0, [fixed(MATRICES.H)], selfInverse, 'h'),
  S: def(1, 0, [fixed(MATRICES.S)], renamed('Sdg'), 's'),
  Sdg: def(1, 0, [fixed(MATRICES.Sdg)], renamed('S'), 'sdg'),
  T: def(1, 0, [fixed(MATRICES.T)], renamed('Tdg'), 't'),
  Tdg: def(1, 0, [fixed(MATRICES.Tdg)], renamed('T'), 'tdg'),
  SX: def(1, 0, [fixed(MATRICES.SX)], renamed('SXdg'), 'sx'),
  SXdg: def(1, 0, [fixed(MATRICES.SXdg)], renamed('SX'), 'sxdg'),
  RX: def(1, 1, [rot('RX', [0])], negateAll, 'rx'),
  RY: def(1, 1, [rot('RY', [0])], negateAll, 'ry'),
  RZ: def(1, 1, [rot('RZ', [0])], negateAll, 'rz'),
  PhaseShift: def(1, 1, [rot('Phase', [0])], negateAll, 'u1'),
  /** U3(theta, phi, lambda) = Phase(phi) RY(theta) Phase(lambda), exactly (no global phase). */
  U3: def(
    1,
    3,
    [rot('Phase', [0], 2), rot('RY', [0], 0), rot('Phase', [0], 1)],
    (op) => ({ ...op, params: [negate(op.params[0]!), negate(op.params[2]!), negate(op.params[1]!)] }),
    'u3',
  ),
  /** PennyLane's Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi). */
  Rot: def(
    1,
    3,
    [rot('RZ', [0], 0), rot('RY', [0], 1), rot('RZ', [0], 2)],
    (op) => ({ ...op, params: [negate(op.params[2]!), negate(op.params[1]!), negate(op.params[0]!)] }),
  ),
  CNOT: def(2, 0, [fixed(MATRICES.X, [0], 1)], selfInverse, 'cx'),
  CY: def(2, 0, [fixed(MATRICES.Y, [0], 1)], selfInverse, 'cy'),
  CZ: def(2, 0, [fixed(MATRICES.Z, [0], 1)], selfInverse, 'cz'),
  CH: def(2, 0, [fixed(MATRICES.H, [0], 1)], selfInverse, 'ch'),
  SWAP: def(2, 0, [{ kind: 'swap', wires: [0, 1], controls: [] }], selfInverse, 'swap'),
  CRX: def(2, 1, [rot('RX', [1], 0, [0])], negateAll, 'crx'),
  CRY: def(2, 1, [rot('RY', [1], 0, [0])], negateAll, 'cry'),
  CRZ: def(2, 1, [rot('RZ', [1], 0, [0])], negateAll, 'crz'),
  CPhase: def(2, 1, [rot('Phase', [1], 0, [0])], negateAll, 'cu1'),
  /** Controlled U3: the general controlled single-qubit gate (up to the target's global phase). */
  CU3: def(
    2,
    3,
    [rot('Phase', [1], 2, [0]), rot('RY', [1], 0, [0]), rot('Phase', [1], 1, [0])],
    (op) => ({ ...op, params: [negate(op.params[0]!), negate(op.params[2]!), negate(op.params[1]!)] }),
    'cu3',
  ),
  RXX: def(2, 1, [rot('RXX', [0, 1])], negateAll, 'rxx'),
  RYY: def(2, 1, [rot('RYY', [0, 1])], negateAll, 'ryy'),
  RZZ: def(2, 1, [rot('RZZ', [0, 1])], negateAll, 'rzz'),
  Toffoli: def(3, 0, [fixed(MATRICES.X, [0, 1], 2)], selfInverse, 'ccx'),
  CSWAP: def(3, 0, [{ kind: 'swap', wires: [1, 2], controls: [0] }], selfInverse, 'cswap'),
};

export function isGateName(name: string): name is GateName {
  return Object.prototype.hasOwnProperty.call(GATES, name);
}
