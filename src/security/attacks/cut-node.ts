import type { Operation } from '../../quantum/circuit.js';
import type { Pauli } from '../../quantum/measure.js';
import type { InsertionHook, InsertionPoint } from '../../quantum/cutting/subcircuit.js';
import { fail } from '../../util/errors.js';
import type { PerturbationMode } from './cut-perturbation.js';

/**
 * The review's attack (arXiv:2508.11848, Sec. 4) as a node of a deployment
 * does it (`qfl client --perturb Y:0.1`): it applies V = exp(-i eps P) to the
 * states that enter its sub-circuits through the cuts. For a wire cut that is
 * the state it prepares (the review's case): the reconstruction becomes the
 * uncut circuit with V inserted where the wire enters the node. For a gate
 * cut it is the cut qubit's state right after the node's local term of the
 * cut (id, Z, RZ(+-pi/2) or the Z measurement): by linearity the
 * reconstruction becomes the uncut circuit with V right after the cut gate's
 * RZZ core on that wire. Either way an adversarial gate sits in an
 * intermediate layer. `mode: 'selective'` perturbs only some terms (prepared
 * |0>, |+>, |+i>; gate-cut actions id and RZ(+pi/2)), which no single gate
 * explains and which breaks the cut's quasi-probability identities.
 * `target: 'inputs'` also perturbs the node's own wires at the start.
 */
export interface NodePerturbation {
  readonly pauli: Pauli;
  readonly eps: number;
  readonly mode?: PerturbationMode;
  readonly target?: 'cuts' | 'inputs';
}

const ROTATION = { X: 'RX', Y: 'RY', Z: 'RZ' } as const;
const SELECTED_STATES = new Set(['0', '+', '+i']);
const SELECTED_ACTIONS = new Set(['id', 'rzPlus']);

/** The insertion hook a perturbing node runs its sub-circuits with. */
export function perturbationHook(p: NodePerturbation): InsertionHook {
  const v = (qubit: number): Operation[] => [{ gate: ROTATION[p.pauli], wires: [qubit], params: [{ kind: 'const', value: 2 * p.eps }] }];
  const selective = (p.mode ?? 'uniform') === 'selective';
  return (at: InsertionPoint) => {
    if (p.eps === 0) return [];
    switch (at.kind) {
      case 'prepared':
        return !selective || SELECTED_STATES.has(at.state) ? v(at.qubit) : [];
      case 'slot':
        return !selective || SELECTED_ACTIONS.has(at.action) ? v(at.qubit) : [];
      case 'input':
        return p.target === 'inputs' ? v(at.qubit) : [];
    }
  };
}

/**
 * Parses `--perturb PAULI:EPS[:MODE[:TARGET]]`, e.g. `Y:0.1`, `X:0.3:selective`,
 * `Y:0.2:uniform:inputs`.
 */
export function parsePerturbation(text: string, field = '--perturb'): NodePerturbation {
  const [pauli, eps, mode, target, ...rest] = text.split(':');
  const usage = `write PAULI:EPS[:MODE[:TARGET]] with PAULI in X, Y, Z, EPS a number, MODE uniform or selective, TARGET cuts or inputs (e.g. Y:0.1), got '${text}'`;
  if (rest.length > 0 || pauli === undefined || eps === undefined) fail(field, usage);
  if (pauli !== 'X' && pauli !== 'Y' && pauli !== 'Z') fail(field, `the generator must be X, Y or Z, got '${pauli}'; ${usage}`);
  const e = Number(eps);
  if (eps.trim() === '' || !Number.isFinite(e) || Math.abs(e) > 2 * Math.PI) fail(field, `eps must be a number in [-2 pi, 2 pi], got '${eps}'`);
  if (mode !== undefined && mode !== 'uniform' && mode !== 'selective') fail(field, `mode must be uniform or selective, got '${mode}'`);
  if (target !== undefined && target !== 'cuts' && target !== 'inputs') fail(field, `target must be cuts or inputs, got '${target}'`);
  return { pauli, eps: e, ...(mode ? { mode } : {}), ...(target ? { target } : {}) };
}

/**
 * Rounds of attack phase p (in a cut deployment's sweep) are
 * ATTACK_ROUND_BASE + p * ATTACK_PHASE_ROUNDS + k: a node that obeys an
 * `attack:` entry reads its strength eps[p] from the round of each task.
 * Training rounds stay below ATTACK_ROUND_BASE.
 */
export const ATTACK_ROUND_BASE = 10_000_000;
export const ATTACK_PHASE_ROUNDS = 100_000;

/**
 * The schedule of a node that obeys the run config's `attack:` entry
 * (`{ node, pauli, mode, eps: [...] }`, examples/cut-deploy.yaml): the hook
 * for a task's round, or undefined when this node is not the attacker or the
 * round is not in an attack phase. A simulation device: a real adversary
 * needs no config to misbehave (`qfl client --perturb`).
 */
export function attackSchedule(config: unknown, nodeName: string): ((round: number) => InsertionHook | undefined) | undefined {
  const a = (config as { attack?: { node?: unknown; pauli?: unknown; mode?: unknown; eps?: unknown } } | null)?.attack;
  if (!a || a.node !== nodeName) return undefined;
  const eps = a.eps;
  if (!Array.isArray(eps) || !eps.every((e) => typeof e === 'number' && Number.isFinite(e))) fail('attack.eps', 'must be a list of numbers');
  const pauli = a.pauli ?? 'Y';
  if (pauli !== 'X' && pauli !== 'Y' && pauli !== 'Z') fail('attack.pauli', `must be X, Y or Z, got '${String(pauli)}'`);
  const mode = a.mode ?? 'uniform';
  if (mode !== 'uniform' && mode !== 'selective') fail('attack.mode', `must be uniform or selective, got '${String(mode)}'`);
  const hooks = (eps as number[]).map((e) => perturbationHook({ pauli, eps: e, mode }));
  return (round) => (round < ATTACK_ROUND_BASE ? undefined : hooks[Math.floor((round - ATTACK_ROUND_BASE) / ATTACK_PHASE_ROUNDS)]);
}
