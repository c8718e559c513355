/**
 * Seeded random circuits and arguments for the density-matrix, noise and
 * trajectory tests (beside `testing.ts`; not part of the public API).
 */
import type { Rng } from '../util/random.js';
import { constant, input, weight, type Circuit, type Param, type StatePrep } from './circuit.js';
import type { RunArgs } from './statevector.js';
import { args, circuitOf, randomOp, randomState, stateRows } from './testing.js';

/** A seeded parameter: constants, scaled weights, inputs and input products. */
export const randomParam = (nWeights: number, nInputs: number) => (rng: Rng): Param => {
  const scale = rng.normal();
  switch (rng.int(4)) {
    case 0:
      return constant(rng.normal(0, 2));
    case 1:
      return weight(rng.int(nWeights), scale);
    case 2:
      return input(rng.int(nInputs), scale);
    default:
      return { kind: 'inputProduct', indices: [rng.int(nInputs), rng.int(nInputs)], scale };
  }
};

/** A random circuit over the whole gate table, with extra controls sometimes. */
export function randomCircuit(rng: Rng, n: number, nOps: number, prep?: StatePrep, nInputs = 3): Circuit {
  const param = randomParam(4, nInputs);
  const ops = Array.from({ length: nOps }, () => randomOp(rng, n, param));
  const c = circuitOf(n, ops, prep, nInputs);
  // Keep 4 weights whatever the draw used, so that weight vectors are all one length.
  return { ...c, nWeights: 4 };
}

export function randomArgs(rng: Rng, c: Circuit, batch: number): RunArgs {
  const inputs =
    c.prep.kind === 'state'
      ? stateRows(Array.from({ length: batch }, () => randomState(rng, c.nQubits)))
      : Float64Array.from({ length: batch * c.nInputs }, () => rng.normal());
  return args(c, { weights: Array.from({ length: c.nWeights }, () => rng.normal(0, 2)), inputs, batch });
}

