import { fail } from '../util/errors.js';
import { GATES, type GateName, isGateName } from './gates.js';

/**
 * Circuits are data. A parameter is a constant, a trainable weight (by index
 * into the weight vector) or an input feature (by index into a sample's
 * feature row), each with an optional scale; `inputProduct` is the product of
 * two features (IQP embeddings use it).
 */
export type Param =
  | { readonly kind: 'const'; readonly value: number }
  | { readonly kind: 'weight'; readonly index: number; readonly scale?: number }
  | { readonly kind: 'input'; readonly index: number; readonly scale?: number }
  | { readonly kind: 'inputProduct'; readonly indices: readonly [number, number]; readonly scale?: number };

/** One gate application: `{ gate: 'RX', wires: [0], params: [w(3)] }`. */
export interface Operation {
  readonly gate: GateName;
  readonly wires: readonly number[];
  readonly params: readonly Param[];
  /** Extra control wires (all must be |1>): makes any gate a controlled gate. */
  readonly controls?: readonly number[];
}

/**
 * How the state is prepared before the first operation:
 * - `zero`: |0...0>;
 * - `amplitude`: features [offset, offset + length) of each input row, padded
 *   with zeros to 2^n and L2-normalized (amplitude embedding);
 * - `state`: each input row is a full state, 2^n real parts then 2^n imaginary
 *   parts, L2-normalized like amplitude embedding (quantum data sets feed
 *   prepared states this way).
 */
export type StatePrep =
  | { readonly kind: 'zero' }
  | { readonly kind: 'amplitude'; readonly offset: number; readonly length: number }
  | { readonly kind: 'state' };

export interface Circuit {
  readonly nQubits: number;
  readonly prep: StatePrep;
  readonly ops: readonly Operation[];
  /** Length of the weight vector the circuit reads. */
  readonly nWeights: number;
  /** Length of one input row the circuit reads. */
  readonly nInputs: number;
}

export const constant = (value: number): Param => ({ kind: 'const', value });
export const weight = (index: number, scale?: number): Param =>
  scale === undefined ? { kind: 'weight', index } : { kind: 'weight', index, scale };
export const input = (index: number, scale?: number): Param =>
  scale === undefined ? { kind: 'input', index } : { kind: 'input', index, scale };

export type ParamLike = Param | number;
const toParam = (p: ParamLike): Param => (typeof p === 'number' ? constant(p) : p);

/**
 * A small builder. Weight and input counts grow to cover every index used;
 * `newWeight()` hands out the next unused weight index (templates use it).
 *
 * ```ts
 * const b = new CircuitBuilder(2);
 * b.h(0).cnot(0, 1).ry(1, b.newWeight());
 * const c = b.build();
 * ```
 */
export class CircuitBuilder {
  private readonly ops: Operation[] = [];
  private prep: StatePrep = { kind: 'zero' };
  private weights = 0;
  private inputs = 0;

  constructor(readonly nQubits: number) {
    if (!Number.isInteger(nQubits) || nQubits < 1 || nQubits > 30) {
      fail('nQubits', `must be an integer in [1, 30], got ${nQubits}`);
    }
  }

  get nWeights(): number {
    return this.weights;
  }

  get nInputs(): number {
    return this.inputs;
  }

  /** The next unused weight index, as a parameter. */
  newWeight(scale?: number): Param {
    return weight(this.weights++, scale);
  }

  /** Reserve input features [0, count) even if no gate reads them all. */
  reserveInputs(count: number): this {
    this.inputs = Math.max(this.inputs, count);
    return this;
  }

  setPrep(prep: StatePrep): this {
    if (this.ops.length > 0) fail('prep', 'state preparation must come before the first operation');
    if (prep.kind === 'amplitude') {
      if (prep.length < 1 || prep.length > 2 ** this.nQubits) {
        fail('prep.length', `amplitude embedding of ${prep.length} features needs 1..${2 ** this.nQubits} (2^nQubits)`);
      }
      this.inputs = Math.max(this.inputs, prep.offset + prep.length);
    }
    if (prep.kind === 'state') this.inputs = Math.max(this.inputs, 2 * 2 ** this.nQubits);
    this.prep = prep;
    return this;
  }

  add(gate: GateName, wires: readonly number[], params: readonly ParamLike[] = [], controls?: readonly number[]): this {
    const op: Operation =
      controls && controls.length > 0
        ? { gate, wires: [...wires], params: params.map(toParam), controls: [...controls] }
        : { gate, wires: [...wires], params: params.map(toParam) };
    validateOperation(op, this.nQubits, `ops[${this.ops.length}]`);
    for (const p of op.params) this.track(p);
    this.ops.push(op);
    return this;
  }

  private track(p: Param): void {
    if (p.kind === 'weight') this.weights = Math.max(this.weights, p.index + 1);
    if (p.kind === 'input') this.inputs = Math.max(this.inputs, p.index + 1);
    if (p.kind === 'inputProduct') this.inputs = Math.max(this.inputs, p.indices[0] + 1, p.indices[1] + 1);
  }

  // Shorthands for the common gates.
  h = (w: number) => this.add('H', [w]);
  x = (w: number) => this.add('X', [w]);
  y = (w: number) => this.add('Y', [w]);
  z = (w: number) => this.add('Z', [w]);
  rx = (w: number, p: ParamLike) => this.add('RX', [w], [p]);
  ry = (w: number, p: ParamLike) => this.add('RY', [w], [p]);
  rz = (w: number, p: ParamLike) => this.add('RZ', [w], [p]);
  cnot = (c: number, t: number) => this.add('CNOT', [c, t]);
  cz = (c: number, t: number) => this.add('CZ', [c, t]);
  crx = (c: number, t: number, p: ParamLike) => this.add('CRX', [c, t], [p]);

  build(): Circuit {
    return { nQubits: this.nQubits, prep: this.prep, ops: [...this.ops], nWeights: this.weights, nInputs: this.inputs };
  }
}

/** Checks one operation against the gate table; throws a QflError naming `path`. */
export function validateOperation(op: Operation, nQubits: number, path: string): void {
  if (!isGateName(op.gate)) fail(`${path}.gate`, `unknown gate '${String(op.gate)}'`);
  const def = GATES[op.gate];
  if (op.wires.length !== def.nWires) {
    fail(`${path}.wires`, `${op.gate} acts on ${def.nWires} wire(s), got ${op.wires.length}`);
  }
  if (op.params.length !== def.nParams) {
    fail(`${path}.params`, `${op.gate} takes ${def.nParams} parameter(s), got ${op.params.length}`);
  }
  const all = [...op.wires, ...(op.controls ?? [])];
  for (const w of all) {
    if (!Number.isInteger(w) || w < 0 || w >= nQubits) fail(`${path}.wires`, `wire ${w} is not in [0, ${nQubits - 1}]`);
  }
  if (new Set(all).size !== all.length) fail(`${path}.wires`, `wires must be distinct, got [${all.join(', ')}]`);
  for (const p of op.params) {
    const bad =
      p.kind === 'const'
        ? !Number.isFinite(p.value)
        : p.kind === 'inputProduct'
          ? !p.indices.every((i) => Number.isInteger(i) && i >= 0)
          : !Number.isInteger(p.index) || p.index < 0;
    if (bad) fail(`${path}.params`, `invalid ${p.kind} parameter ${JSON.stringify(p)}`);
  }
}

/**
 * Checks a whole circuit (the simulator runs it once per circuit): every
 * operation, and that every weight and input index fits nWeights / nInputs.
 */
export function validateCircuit(c: Circuit): void {
  if (!Number.isInteger(c.nQubits) || c.nQubits < 1 || c.nQubits > 30) {
    fail('nQubits', `must be an integer in [1, 30], got ${c.nQubits}`);
  }
  c.ops.forEach((op, i) => {
    const path = `ops[${i}]`;
    validateOperation(op, c.nQubits, path);
    for (const p of op.params) {
      if (p.kind === 'weight' && p.index >= c.nWeights) {
        fail(`${path}.params`, `weight index ${p.index} is past the circuit's nWeights (${c.nWeights})`);
      }
      const inputs = p.kind === 'input' ? [p.index] : p.kind === 'inputProduct' ? p.indices : [];
      for (const index of inputs) {
        if (index >= c.nInputs) fail(`${path}.params`, `input index ${index} is past the circuit's nInputs (${c.nInputs})`);
      }
    }
  });
  const need =
    c.prep.kind === 'amplitude' ? c.prep.offset + c.prep.length : c.prep.kind === 'state' ? 2 * 2 ** c.nQubits : 0;
  if (need > c.nInputs) fail('prep', `${c.prep.kind} preparation reads ${need} inputs, but nInputs is ${c.nInputs}`);
}

/** The inverse circuit (reversed order, each gate inverted); prep must be zero. */
export function inverseOps(ops: readonly Operation[]): Operation[] {
  return [...ops].reverse().map((op) => GATES[op.gate].inverse(op));
}
