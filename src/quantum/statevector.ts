import { fail } from '../util/errors.js';
import type { Circuit } from './circuit.js';
import { applyMatrix1, applyPermutation, BlockMatrices, fuse, type FusedItem } from './fusion.js';
import type { Mat2 } from './gates.js';
import {
  applyFixed,
  applyPhase,
  applyRPP,
  applyRX,
  applyRY,
  applyRZ,
  applyRZZ,
  applySwap,
  type Trig,
} from './kernels.js';
import { paramValues } from './params.js';
import { compile, type TapeOp } from './tape.js';
import { cos, sin } from '../util/detmath.js';
import { acquireWorkspace, ownerOf, releaseWorkspace } from './wasm/runtime.js';

/** B states of n qubits: real and imaginary parts, B * 2^n each, sample after sample. */
export interface StateBatch {
  readonly nQubits: number;
  readonly batch: number;
  readonly re: Float64Array;
  readonly im: Float64Array;
}

/** Inputs to one simulation: `inputs` is batch x circuit.nInputs, row-major. */
export interface RunArgs {
  readonly circuit: Circuit;
  readonly inputs: Float64Array;
  readonly weights: Float64Array;
  readonly batch: number;
}

/**
 * A zeroed batch of states. Where the WebAssembly kernels run, it lives in a
 * workspace (wasm/runtime.ts) with room for a second state beside it (see
 * `companionState`); otherwise re and im are two halves of one buffer, not
 * two allocations (two separate large arrays alias in the cache and run at
 * half the speed).
 */
export function allocState(nQubits: number, batch: number): StateBatch {
  const size = batch * 2 ** nQubits;
  if (size > 2 ** 31) {
    fail('batch', `${batch} states of ${nQubits} qubits need ${(size * 16) / 2 ** 30} GiB; reduce the batch or qubits`);
  }
  const w = acquireWorkspace(nQubits, batch);
  if (w) return { nQubits, batch, re: w.arrays[0]!, im: w.arrays[1]! };
  const buffer = new ArrayBuffer(size * 16);
  return { nQubits, batch, re: new Float64Array(buffer, 0, size), im: new Float64Array(buffer, size * 8, size) };
}

/**
 * A zeroed second state of the same shape, in the same workspace as `s`
 * when it has one (the adjoint's lam beside psi, so one wasm pass reads both).
 */
export function companionState(s: StateBatch): StateBatch {
  const w = ownerOf(s.re);
  if (w && w.arrays.length === 4 && w.arrays[0] === s.re && w.nQubits === s.nQubits && w.batch === s.batch) {
    const re = w.arrays[2]!, im = w.arrays[3]!;
    re.fill(0);
    im.fill(0);
    return { nQubits: s.nQubits, batch: s.batch, re, im };
  }
  return allocState(s.nQubits, s.batch);
}

/**
 * Returns a state from `allocState` (and its companion) for reuse by the next
 * allocation of the same shape. Only for a state nothing will read again.
 */
export function releaseState(s: StateBatch): void {
  const w = ownerOf(s.re);
  if (w && w.arrays[0] === s.re) releaseWorkspace(w);
}

/** A copy in plain arrays (one buffer): copies are short-lived, a workspace each would cost more than it saves. */
export function cloneState(s: StateBatch): StateBatch {
  const size = s.re.length;
  const buffer = new ArrayBuffer(size * 16);
  const c = { nQubits: s.nQubits, batch: s.batch, re: new Float64Array(buffer, 0, size), im: new Float64Array(buffer, size * 8, size) };
  c.re.set(s.re);
  c.im.set(s.im);
  return c;
}

/** Checks the shapes of a run's arguments; throws a QflError naming the field. */
export function checkArgs(args: RunArgs): void {
  const { circuit, inputs, weights, batch } = args;
  if (!Number.isInteger(batch) || batch < 1) fail('batch', `must be a positive integer, got ${batch}`);
  if (weights.length < circuit.nWeights) {
    fail('weights', `circuit reads ${circuit.nWeights} weights, got ${weights.length}`);
  }
  if (inputs.length !== batch * circuit.nInputs) {
    fail('inputs', `expected batch (${batch}) x nInputs (${circuit.nInputs}) = ${batch * circuit.nInputs} values, got ${inputs.length}`);
  }
}

/** Writes the prepared initial states (|0>, amplitude embedding or given states). */
export function prepare(args: RunArgs, state: StateBatch): void {
  const { circuit, inputs, batch } = args;
  const dim = 1 << circuit.nQubits;
  const nIn = circuit.nInputs;
  const { re, im } = state;
  re.fill(0);
  im.fill(0);
  const prep = circuit.prep;
  for (let b = 0; b < batch; b++) {
    const at = b * dim;
    const row = b * nIn;
    switch (prep.kind) {
      case 'zero':
        re[at] = 1;
        break;
      case 'amplitude': {
        let norm2 = 0;
        for (let k = 0; k < prep.length; k++) norm2 += inputs[row + prep.offset + k]! ** 2;
        if (!(norm2 > 0) || !Number.isFinite(norm2)) {
          fail(`inputs[${b}]`, `amplitude embedding needs a finite, non-zero feature vector (its norm is ${Math.sqrt(norm2)})`);
        }
        const inv = 1 / Math.sqrt(norm2);
        for (let k = 0; k < prep.length; k++) re[at + k] = inputs[row + prep.offset + k]! * inv;
        break;
      }
      case 'state': {
        let norm2 = 0;
        for (let k = 0; k < 2 * dim; k++) norm2 += inputs[row + k]! ** 2;
        if (!(norm2 > 0) || !Number.isFinite(norm2)) {
          fail(`inputs[${b}]`, `a prepared state needs finite, non-zero amplitudes (its norm is ${Math.sqrt(norm2)})`);
        }
        // Normalized here, so that a perturbed state (an attack) is still a state.
        const inv = 1 / Math.sqrt(norm2);
        for (let k = 0; k < dim; k++) {
          re[at + k] = inputs[row + k]! * inv;
          im[at + k] = inputs[row + dim + k]! * inv;
        }
        break;
      }
    }
  }
}

/** Scratch for per-sample angles, reused across the operations of a pass. */
export class TrigScratch implements Trig {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly angle: Float64Array;
  perSample = false;
  constructor(batch: number) {
    this.cos = new Float64Array(batch);
    this.sin = new Float64Array(batch);
    this.angle = new Float64Array(batch);
  }
}

/** The conjugate transpose of a 2x2 matrix. */
function dagger(m: Mat2): Mat2 {
  return [m[0], -m[1], m[4], -m[5], m[2], -m[3], m[6], -m[7]];
}

/**
 * Applies one tape operation (or its inverse when `inverse`), with an optional
 * extra angle `shift` added to a rotation (parameter-shift rules use it).
 */
export function applyTapeOp(
  state: StateBatch,
  op: TapeOp,
  args: RunArgs,
  trig: TrigScratch,
  inverse: boolean,
  shift = 0,
): void {
  const { re, im, nQubits: n } = state;
  switch (op.kind) {
    case 'fixed':
      applyFixed(re, im, op.bit, op.ctrl, inverse ? dagger(op.matrix) : op.matrix);
      return;
    case 'swap':
      applySwap(re, im, op.bits[0], op.bits[1], op.ctrl);
      return;
    case 'rot': {
      const perSample = paramValues(op.param, args, trig.angle);
      const count = perSample ? state.batch : 1;
      const sign = inverse ? -1 : 1;
      // Pauli rotations use half angles; Phase uses the full angle.
      const half = op.rot === 'Phase' ? 1 : 0.5;
      for (let k = 0; k < count; k++) {
        const a = sign * (trig.angle[k]! + shift) * half;
        trig.cos[k] = cos(a);
        trig.sin[k] = sin(a);
      }
      trig.perSample = perSample;
      const bit = op.bits[0]!;
      switch (op.rot) {
        case 'RX':
          return applyRX(re, im, n, bit, op.ctrl, trig);
        case 'RY':
          return applyRY(re, im, n, bit, op.ctrl, trig);
        case 'RZ':
          return applyRZ(re, im, n, bit, op.ctrl, trig);
        case 'Phase':
          return applyPhase(re, im, n, bit, op.ctrl, trig);
        case 'RXX':
          return applyRPP(re, im, n, bit, op.bits[1]!, op.ctrl, trig, false);
        case 'RYY':
          return applyRPP(re, im, n, bit, op.bits[1]!, op.ctrl, trig, true);
        case 'RZZ':
          return applyRZZ(re, im, n, bit, op.bits[1]!, op.ctrl, trig);
      }
    }
  }
}

/** Options for a forward pass: shift one tape operation's angle (parameter shift). */
export interface ShiftSpec {
  readonly tapeIndex: number;
  readonly shift: number;
}

/**
 * Simulates the circuit for every input row of the batch and returns the
 * final states. `into` reuses a state buffer of the right size. Runs of
 * single-qubit gates are fused (see fusion.ts) unless an operation's angle is
 * shifted (parameter shift needs them one by one).
 */
export function simulate(args: RunArgs, shiftSpec?: ShiftSpec, into?: StateBatch): StateBatch {
  checkArgs(args);
  const tape = compile(args.circuit);
  if (into && (into.nQubits !== args.circuit.nQubits || into.batch !== args.batch)) {
    fail('into', `state buffer holds ${into.batch} x ${into.nQubits} qubits, the run needs ${args.batch} x ${args.circuit.nQubits}`);
  }
  const state = into ?? allocState(args.circuit.nQubits, args.batch);
  prepare(args, state);
  const trig = new TrigScratch(args.batch);
  if (shiftSpec) {
    tape.ops.forEach((op, t) => applyTapeOp(state, op, args, trig, false, t === shiftSpec.tapeIndex ? shiftSpec.shift : 0));
    return state;
  }
  const scratch = new Float64Array(1 << args.circuit.nQubits);
  const items = fuse(tape);
  const blocks = items.map((item) => (item.kind === 'block' ? new BlockMatrices(item.ops, args) : undefined));
  items.forEach((item, t) => applyItem(state, item, args, trig, scratch, false, blocks[t]));
  forwardBlocks.set(state, { args, blocks });
  return state;
}

/**
 * The fused runs' matrices a forward pass built, by its final state: the
 * adjoint pass that starts from that state with the same arguments reuses them.
 */
const forwardBlocks = new WeakMap<StateBatch, { readonly args: RunArgs; readonly blocks: readonly (BlockMatrices | undefined)[] }>();

export function blocksOfForward(state: StateBatch, args: RunArgs): readonly (BlockMatrices | undefined)[] | undefined {
  const hit = forwardBlocks.get(state);
  return hit && hit.args === args ? hit.blocks : undefined;
}

/** Applies one fused item (see fusion.ts), or its inverse. `scratch` holds 2^n values. */
export function applyItem(
  state: StateBatch,
  item: FusedItem,
  args: RunArgs,
  trig: TrigScratch,
  scratch: Float64Array,
  inverse: boolean,
  block?: BlockMatrices,
): void {
  switch (item.kind) {
    case 'op':
      return applyTapeOp(state, item.op, args, trig, inverse);
    case 'block': {
      const m = block ?? new BlockMatrices(item.ops, args);
      return applyMatrix1(state.re, state.im, state.nQubits, item.bit, inverse ? m.daggerProduct() : m.product);
    }
    case 'perm':
      return applyPermutation(state, inverse ? item.scatter : item.gather, scratch);
  }
}
