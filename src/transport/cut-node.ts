import { runSubCircuit, type InsertionHook } from '../quantum/cutting/subcircuit.js';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { WireError, failureResult } from './codec.js';
import { cutResult, decodeCutTask } from './cut-codec.js';
import type { Instruction, Result } from './gen/qfl/fleet/v1/fleet_pb.js';

/**
 * A node's side of sub-circuit tasks: decode, refuse what does not fit (a
 * sub-circuit wider than the qubits this node simulates, an unknown basis or
 * action label, a malformed circuit) with a failure that names the field,
 * run the rest on the statevector simulator, answer with the values. Shot
 * noise is seeded by the task (a simulation, not a secret).
 */
export interface CutNodeOptions {
  readonly qubits: number;
  /** What a perturbing node inserts (security/attacks/cut-node.ts); none when honest. */
  readonly insert?: InsertionHook;
  /** What it inserts by round (a node obeying the config's `attack:` entry); `insert` wins. */
  readonly schedule?: (round: number) => InsertionHook | undefined;
  readonly log: (line: string) => void;
}

/** Most sub-experiment evaluations one task may ask for (a training step of the example asks for about 31,000). */
export const MAX_TASK_EVALUATIONS = 5_000_000;

export function cutTaskRunner(o: CutNodeOptions): (i: Instruction) => Promise<Result> {
  return async (i) => {
    try {
      const d = decodeCutTask(i);
      if (d.task.nQubits > o.qubits) {
        throw new QflError(`instruction ${i.id}.cut.num_qubits`, `the sub-circuit is ${d.task.nQubits} qubits wide; this node simulates ${o.qubits} (--qubits)`);
      }
      const evaluations = d.W * d.B * d.task.experiments.length;
      if (evaluations > MAX_TASK_EVALUATIONS) {
        throw new QflError(`instruction ${i.id}.cut`, `asks for ${evaluations} sub-experiment evaluations (weights rows x inputs rows x experiments); this node takes at most ${MAX_TASK_EVALUATIONS} per task`);
      }
      const insert = o.insert ?? o.schedule?.(i.round);
      const values = runSubCircuit(d.task, d.weights, d.W, d.inputs, d.B, {
        shots: d.shots,
        ...(d.shots > 0 ? { rng: new Rng(d.seed) } : {}),
        ...(insert ? { insert } : {}),
      });
      return cutResult(i.id, i.round, values, [d.W, d.B, d.task.experiments.length, d.task.observables.length], d.shots);
    } catch (e) {
      if (!(e instanceof WireError || e instanceof QflError)) throw e;
      o.log(`refused sub-circuit task ${i.id}: ${e.message}`);
      return failureResult(i.id, i.clientId, i.round, e.message);
    }
  };
}
