/**
 * Test helpers for circuit cutting: random circuits whose fragments are
 * joined by an exact number of wire and gate cuts, and the uncut reference.
 * Used by the `*.test.ts` files beside it; not part of the public API.
 */
import type { Rng } from '../../util/random.js';
import type { Circuit, Operation } from '../circuit.js';
import type { GateName } from '../gates.js';
import { expval, type Pauli, type PauliWord } from '../measure.js';
import { simulate } from '../statevector.js';
import { CUTTABLE_GATES } from './decompositions.js';
import type { WireCut } from './partition.js';

export interface CutCase {
  readonly circuit: Circuit;
  readonly labels: readonly string[];
  readonly wireCuts: readonly WireCut[];
}

const ONE_QUBIT: readonly GateName[] = ['RX', 'RY', 'RZ', 'U3', 'H', 'S', 'T', 'SX'];
const TWO_QUBIT: readonly GateName[] = ['CNOT', 'CZ', 'CRX', 'CRY', 'RXX', 'RYY', 'SWAP', 'CH'];
const N_PARAMS: Partial<Record<GateName, number>> = { RX: 1, RY: 1, RZ: 1, U3: 3, CRX: 1, CRY: 1, RXX: 1, RYY: 1, RZZ: 1, CRZ: 1, CPhase: 1 };

const angle = (rng: Rng): number => (rng.uniform() * 2 - 1) * Math.PI;
const op = (rng: Rng, gate: GateName, wires: number[]): Operation => ({
  gate,
  wires,
  params: Array.from({ length: N_PARAMS[gate] ?? 0 }, () => ({ kind: 'const' as const, value: angle(rng) })),
});

/**
 * A random constant-parameter circuit on labels' wires with exactly
 * `nWire` wire cuts and `nGate` gate cuts (cuttable gates between wires whose
 * current labels differ); everything else stays inside one fragment.
 */
export function randomCutCase(rng: Rng, labels: readonly string[], nWire: number, nGate: number): CutCase {
  const n = labels.length;
  const names = [...new Set(labels)];
  const cur = [...labels];
  const ops: Operation[] = [];
  const wireCuts: WireCut[] = [];
  const localLayer = (): void => {
    for (let w = 0; w < n; w++) ops.push(op(rng, ONE_QUBIT[rng.int(ONE_QUBIT.length)]!, [w]));
    for (let r = 0; r < 2; r++) {
      const a = rng.int(n);
      const mates = Array.from({ length: n }, (_, i) => i).filter((b) => b !== a && cur[b] === cur[a]);
      if (mates.length > 0) ops.push(op(rng, TWO_QUBIT[rng.int(TWO_QUBIT.length)]!, [a, mates[rng.int(mates.length)]!]));
    }
  };
  const events = rng.shuffle([...Array<string>(nWire).fill('w'), ...Array<string>(nGate).fill('g')]);
  localLayer();
  for (const ev of events) {
    if (ev === 'g') {
      const pairs: [number, number][] = [];
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (cur[a] !== cur[b]) pairs.push([a, b]);
      const [a, b] = pairs[rng.int(pairs.length)]!;
      ops.push(op(rng, CUTTABLE_GATES[rng.int(CUTTABLE_GATES.length)]!, [a, b]));
    } else {
      const w = rng.int(n);
      const alone = cur.filter((l) => l === cur[w]).length === 1;
      const label = alone ? cur[w]! : names[rng.int(names.length)]!;
      wireCuts.push({ wire: w, before: ops.length, label });
      cur[w] = label;
    }
    localLayer();
  }
  return { circuit: { nQubits: n, prep: { kind: 'zero' }, ops, nWeights: 0, nInputs: 0 }, labels, wireCuts };
}

/** Expectation values of the uncut circuit. */
export function uncut(circuit: Circuit, words: readonly PauliWord[], weights?: ArrayLike<number>, inputs?: ArrayLike<number>): Float64Array {
  const w = Float64Array.from(weights ?? new Float64Array(circuit.nWeights));
  const x = Float64Array.from(inputs ?? new Float64Array(circuit.nInputs));
  return expval(simulate({ circuit, weights: w, inputs: x, batch: 1 }), words);
}

/** A random Pauli word on 1..n wires of n. */
export function randomWord(rng: Rng, n: number): PauliWord {
  const k = 1 + rng.int(n);
  const wires = Array.from(rng.permutation(n)).slice(0, k).sort((a, b) => a - b);
  const P: readonly Pauli[] = ['X', 'Y', 'Z'];
  return { terms: wires.map((wire) => ({ wire, pauli: P[rng.int(3)]! })) };
}
