import type { Param } from './circuit.js';
import type { RunArgs } from './statevector.js';

/**
 * The value of a parameter for every sample. Returns true and fills `out`
 * (length batch) when it depends on the input, else fills out[0] only.
 */
export function paramValues(p: Param, args: RunArgs, out: Float64Array): boolean {
  const { inputs, weights, batch } = args;
  const nIn = args.circuit.nInputs;
  switch (p.kind) {
    case 'const':
      out[0] = p.value;
      return false;
    case 'weight':
      out[0] = weights[p.index]! * (p.scale ?? 1);
      return false;
    case 'input': {
      const s = p.scale ?? 1;
      for (let b = 0; b < batch; b++) out[b] = inputs[b * nIn + p.index]! * s;
      return true;
    }
    case 'inputProduct': {
      const s = p.scale ?? 1;
      const [i, j] = p.indices;
      for (let b = 0; b < batch; b++) out[b] = inputs[b * nIn + i]! * inputs[b * nIn + j]! * s;
      return true;
    }
  }
}

