import { validateCircuit, type Circuit, type Param } from './circuit.js';
import { GATES, type Mat2, type RotationKind } from './gates.js';

/**
 * A circuit lowered to simulator primitives with wires turned into bit masks.
 * Compiled once per circuit (cached) and shared by forward, adjoint and
 * parameter-shift passes. `opIndex` points back to the circuit operation.
 */
export type TapeOp =
  | { readonly kind: 'fixed'; readonly bit: number; readonly ctrl: number; readonly matrix: Mat2; readonly opIndex: number }
  | { readonly kind: 'swap'; readonly bits: readonly [number, number]; readonly ctrl: number; readonly opIndex: number }
  | {
      readonly kind: 'rot';
      readonly rot: RotationKind;
      readonly bits: readonly number[];
      readonly ctrl: number;
      readonly param: Param;
      readonly opIndex: number;
    };

export interface Tape {
  readonly nQubits: number;
  readonly ops: readonly TapeOp[];
}

const cache = new WeakMap<Circuit, Tape>();

export const wireBit = (nQubits: number, wire: number): number => 1 << (nQubits - 1 - wire);

export function compile(circuit: Circuit): Tape {
  const hit = cache.get(circuit);
  if (hit) return hit;
  validateCircuit(circuit);
  const n = circuit.nQubits;
  const ops: TapeOp[] = [];
  circuit.ops.forEach((op, opIndex) => {
    const extra = (op.controls ?? []).reduce((m, w) => m | wireBit(n, w), 0);
    for (const prim of GATES[op.gate].lower) {
      const ctrl = prim.controls.reduce((m, local) => m | wireBit(n, op.wires[local]!), extra);
      switch (prim.kind) {
        case 'fixed':
          ops.push({ kind: 'fixed', bit: wireBit(n, op.wires[prim.wire]!), ctrl, matrix: prim.matrix, opIndex });
          break;
        case 'swap':
          ops.push({
            kind: 'swap',
            bits: [wireBit(n, op.wires[prim.wires[0]]!), wireBit(n, op.wires[prim.wires[1]]!)],
            ctrl,
            opIndex,
          });
          break;
        case 'rot':
          ops.push({
            kind: 'rot',
            rot: prim.rot,
            bits: prim.wires.map((local) => wireBit(n, op.wires[local]!)),
            ctrl,
            param: op.params[prim.param]!,
            opIndex,
          });
          break;
      }
    }
  });
  const tape = { nQubits: n, ops };
  cache.set(circuit, tape);
  return tape;
}
