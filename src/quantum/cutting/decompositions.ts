import { fail } from '../../util/errors.js';
import type { Operation } from '../circuit.js';
import type { GateName } from '../gates.js';

/**
 * The quasi-probability decompositions behind circuit cutting: a channel that
 * cannot be run across two devices is written as sum_t c_t Phi_t where each
 * Phi_t is a product of local operations. The sampling overhead of one cut is
 * gamma^2 with gamma = sum_t |c_t| (each term's estimator is bounded by 1):
 * an estimate to precision delta needs about gamma^2 / delta^2 shots instead
 * of 1 / delta^2. Derivations: README.md beside this file.
 */

/** Pauli measurement basis on the upstream side of a wire cut ('I' ignores the outcome). */
export type Basis = 'I' | 'X' | 'Y' | 'Z';
/** Single-qubit states prepared on the downstream side of a wire cut. */
export type PrepState = '0' | '1' | '+' | '-' | '+i' | '-i';
export const PREP_STATES = ['0', '1', '+', '-', '+i', '-i'] as const satisfies readonly PrepState[];

/** One term of a wire cut: measure `measure` upstream, prepare `prepare` downstream, weight `coef`. */
export interface WireTerm {
  readonly coef: number;
  readonly measure: Basis;
  readonly prepare: PrepState;
}

/**
 * Identity channel as measure-and-prepare (Peng, Harrow, Ozols, Wu, PRL 125,
 * 150504 (2020)):
 *
 *   rho = 1/2 sum_{P in I,X,Y,Z} Tr(P rho) P,  P = |P+><P+| - |P-><P-|,
 *   I = |0><0| + |1><1|,
 *
 * 8 terms, each with |c| = 1/2: gamma = 4, overhead 16 per wire cut.
 */
export const WIRE_CUT_TERMS: readonly WireTerm[] = [
  { coef: 0.5, measure: 'I', prepare: '0' },
  { coef: 0.5, measure: 'I', prepare: '1' },
  { coef: 0.5, measure: 'Z', prepare: '0' },
  { coef: -0.5, measure: 'Z', prepare: '1' },
  { coef: 0.5, measure: 'X', prepare: '+' },
  { coef: -0.5, measure: 'X', prepare: '-' },
  { coef: 0.5, measure: 'Y', prepare: '+i' },
  { coef: -0.5, measure: 'Y', prepare: '-i' },
];
export const WIRE_CUT_GAMMA = 4;

/** Gates, applied to |0>, that prepare each state (in order). */
export const PREP_GATES: Readonly<Record<PrepState, readonly GateName[]>> = {
  '0': [],
  '1': ['X'],
  '+': ['H'],
  '-': ['X', 'H'],
  '+i': ['H', 'S'],
  '-i': ['X', 'H', 'S'],
};

/**
 * The local action on one side of a cut RZZ(alpha), in the frame where the
 * gate is RZZ: nothing, Z, a Z measurement whose outcome sign multiplies the
 * estimate (realized by deferred measurement: CNOT onto a fresh ancilla that
 * is measured in Z at the end), or RZ(+-pi/2).
 */
export type GateSideAction = 'id' | 'z' | 'measure' | 'rzPlus' | 'rzMinus';
export const GATE_SIDE_ACTIONS = ['id', 'z', 'measure', 'rzPlus', 'rzMinus'] as const satisfies readonly GateSideAction[];

export interface GateTerm {
  readonly coef: number;
  readonly a: GateSideAction;
  readonly b: GateSideAction;
}

/**
 * Mitarai & Fujii, "Constructing a virtual two-qubit gate by sampling
 * single-qubit operations", New J. Phys. 23, 023021 (2021): for
 * U = RZZ(alpha) = exp(-i alpha/2 Z(x)Z),
 *
 *   U rho U^dag = cos^2(alpha/2) rho + sin^2(alpha/2) ZZ rho ZZ
 *     + sin(alpha)/2 sum_{s=+-} s [ M_Z (x) R_s + R_s (x) M_Z ](rho),
 *
 * with M_Z(rho) = sum_a (-1)^a P_a rho P_a (Z measurement, outcome sign kept)
 * and R_s(rho) = RZ(s pi/2) rho RZ(s pi/2)^dag. Six terms,
 * gamma = 1 + 2 |sin(alpha)|.
 */
export function gateCutTerms(alpha: number): GateTerm[] {
  const c = Math.cos(alpha / 2) ** 2;
  const s = Math.sin(alpha / 2) ** 2;
  const h = Math.sin(alpha) / 2;
  return [
    { coef: c, a: 'id', b: 'id' },
    { coef: s, a: 'z', b: 'z' },
    { coef: h, a: 'measure', b: 'rzPlus' },
    { coef: -h, a: 'measure', b: 'rzMinus' },
    { coef: h, a: 'rzPlus', b: 'measure' },
    { coef: -h, a: 'rzMinus', b: 'measure' },
  ];
}

export const gateCutGamma = (alpha: number): number => 1 + 2 * Math.abs(Math.sin(alpha));

/** A fixed single-qubit gate with constant parameters, on one side of a cut gate. */
export interface LocalGate {
  readonly gate: GateName;
  readonly params: readonly number[];
}

/**
 * A cuttable two-qubit gate on wires [a, b] as (pre_a (x) pre_b), then
 * RZZ(alpha), then (post_a (x) post_b), equal up to a global phase.
 */
export interface GateLowering {
  readonly alpha: number;
  readonly pre: readonly [readonly LocalGate[], readonly LocalGate[]];
  readonly post: readonly [readonly LocalGate[], readonly LocalGate[]];
}

/** Gates that `lowerCutGate` can cut (their wires' order is [control, target] or symmetric). */
export const CUTTABLE_GATES = ['CZ', 'CNOT', 'RZZ', 'RXX', 'RYY', 'CRZ', 'CPhase'] as const satisfies readonly GateName[];
export type CuttableGate = (typeof CUTTABLE_GATES)[number];

export const isCuttable = (g: GateName): g is CuttableGate => (CUTTABLE_GATES as readonly GateName[]).includes(g);

const rz = (angle: number): LocalGate => ({ gate: 'RZ', params: [angle] });
const g0 = (gate: GateName): LocalGate => ({ gate, params: [] });
const HALF_PI = Math.PI / 2;

/**
 * Lowers a bound (constant-parameter) cuttable operation. Identities used,
 * all up to a global phase:
 * - CZ = (RZ(pi/2) (x) RZ(pi/2)) RZZ(-pi/2), from CZ = exp(i pi |11><11|);
 * - CNOT = (I (x) H) CZ (I (x) H);
 * - RXX(t) = (H (x) H) RZZ(t) (H (x) H);
 * - RYY(t) = (V (x) V) RZZ(t) (V (x) V)^dag with V = S H (V Z V^dag = Y);
 * - CPhase(f) = (RZ(f/2) (x) RZ(f/2)) RZZ(-f/2);
 * - CRZ(t) = (I (x) RZ(t/2)) RZZ(-t/2).
 */
export function lowerCutGate(op: Operation, path: string): GateLowering {
  if (op.controls && op.controls.length > 0) fail(path, `a ${op.gate} with extra controls cannot be cut`);
  const value = (i: number): number => {
    const p = op.params[i]!;
    if (p.kind !== 'const') fail(`${path}.params`, `a cut gate needs constant parameters (the cut's coefficients depend on them): bind weights and inputs first, or keep trainable two-qubit gates inside one fragment`);
    return p.value;
  };
  const none: readonly LocalGate[] = [];
  switch (op.gate) {
    case 'RZZ':
      return { alpha: value(0), pre: [none, none], post: [none, none] };
    case 'RXX':
      return { alpha: value(0), pre: [[g0('H')], [g0('H')]], post: [[g0('H')], [g0('H')]] };
    case 'RYY': {
      const into = [g0('Sdg'), g0('H')];
      const back = [g0('H'), g0('S')];
      return { alpha: value(0), pre: [into, into], post: [back, back] };
    }
    case 'CZ':
      return { alpha: -HALF_PI, pre: [none, none], post: [[rz(HALF_PI)], [rz(HALF_PI)]] };
    case 'CNOT':
      return { alpha: -HALF_PI, pre: [none, [g0('H')]], post: [[rz(HALF_PI)], [rz(HALF_PI), g0('H')]] };
    case 'CPhase': {
      const f = value(0);
      return { alpha: -f / 2, pre: [none, none], post: [[rz(f / 2)], [rz(f / 2)]] };
    }
    case 'CRZ': {
      const t = value(0);
      return { alpha: -t / 2, pre: [none, none], post: [none, [rz(t / 2)]] };
    }
    default:
      return fail(path, `${op.gate} cannot be cut; cuttable gates are ${CUTTABLE_GATES.join(', ')}`);
  }
}
