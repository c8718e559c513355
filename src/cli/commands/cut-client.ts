import { fail } from '../../util/errors.js';
import { parsePerturbation, perturbationHook } from '../../security/attacks/cut-node.js';
import type { InsertionHook } from '../../quantum/cutting/subcircuit.js';
import { numberFlag } from '../flags.js';

/** `qfl client` flags of a node that simulates sub-circuits of a cut model (circuit cutting). */
export const CUT_NODE_HELP = `  --qubits N           simulate sub-circuits of cut models on up to N qubits
                       (a node with --qubits needs no --partition)
  --perturb P:EPS[:MODE[:TARGET]]  attack (paper 001): apply exp(-i EPS P) to the states
                       entering this node's sub-circuits through the cuts; MODE uniform
                       (default) or selective, TARGET cuts (default) or inputs`;

export function cutNodeFlags(values: { qubits?: string | undefined; perturb?: string | undefined }): { qubits?: number; insert?: InsertionHook } {
  const qubits = values.qubits === undefined ? undefined : numberFlag('--qubits', values.qubits, 0, { min: 1, max: 30, integer: true });
  if (values.perturb !== undefined && qubits === undefined) fail('--perturb', 'needs --qubits (only a node that runs sub-circuits can perturb them)');
  const insert = values.perturb === undefined ? undefined : perturbationHook(parsePerturbation(values.perturb));
  return { ...(qubits !== undefined ? { qubits } : {}), ...(insert ? { insert } : {}) };
}
