/**
 * Test helpers for the simulator: a tiny dense complex linear algebra to
 * write textbook matrices with, a way to read any operation's matrix back out
 * of the simulator, random circuits (seeded `Rng` and fast-check arbitraries),
 * and the one helper that checks the gradient methods against each other.
 * Used by the `*.test.ts` files beside it; not part of the public API.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QflError } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import { vjp } from './adjoint.js';
import { CircuitBuilder, type Circuit, type Operation, type Param, type StatePrep } from './circuit.js';
import { GATE_NAMES, GATES, type GateName } from './gates.js';
import { finiteDifferences, parameterShift } from './gradients.js';
import { expval, type PauliWord } from './measure.js';
import { simulate, type RunArgs, type StateBatch } from './statevector.js';

/** Named tolerances, shared by every simulator test. */
export const TOL = {
  /** Exact linear algebra in doubles: matrices, states, norms. */
  exact: 1e-12,
  /** One analytic gradient against another (adjoint vs parameter shift). */
  analytic: 1e-10,
  /** Analytic gradients against central finite differences with h = 1e-6. */
  finiteDiff: 1e-7,
} as const;

// ---------------------------------------------------------------- complex

/** A complex number [re, im]. */
export type C = readonly [number, number];
/** A dense complex matrix, row-major. */
export type Mat = readonly (readonly C[])[];

export const cx = (re: number, im = 0): C => [re, im];
/** e^{i phi}. */
export const cis = (phi: number): C => [Math.cos(phi), Math.sin(phi)];
export const cmul = (a: C, b: C): C => [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
export const cadd = (a: C, b: C): C => [a[0] + b[0], a[1] + b[1]];
export const cconj = (a: C): C => [a[0], -a[1]];
export const cscale = (a: C, s: number): C => [a[0] * s, a[1] * s];
const ZERO: C = [0, 0];
const ONE: C = [1, 0];

export function identity(dim: number): Mat {
  return Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (i === j ? ONE : ZERO)));
}

export function matmul(a: Mat, b: Mat): Mat {
  const m = b[0]!.length;
  return a.map((row) => Array.from({ length: m }, (_, j) => row.reduce<C>((acc, aik, k) => cadd(acc, cmul(aik, b[k]![j]!)), ZERO)));
}

export function kron(a: Mat, b: Mat): Mat {
  const out: C[][] = [];
  for (const ar of a) {
    for (const br of b) out.push(ar.flatMap((x) => br.map((y) => cmul(x, y))));
  }
  return out;
}

export function dagger(a: Mat): Mat {
  return a[0]!.map((_, j) => a.map((row) => cconj(row[j]!)));
}

export function matVec(a: Mat, v: readonly C[]): C[] {
  return a.map((row) => row.reduce<C>((acc, x, k) => cadd(acc, cmul(x, v[k]!)), ZERO));
}

/** <u|v>. */
export function inner(u: readonly C[], v: readonly C[]): C {
  return u.reduce<C>((acc, x, k) => cadd(acc, cmul(cconj(x), v[k]!)), ZERO);
}

/** Block-diagonal diag(I, ..., I, U): U controlled on `nControls` leading qubits, all |1>. */
export function controlled(u: Mat, nControls = 1): Mat {
  const d = u.length;
  const dim = d << nControls;
  const off = dim - d;
  return Array.from({ length: dim }, (_, i) =>
    Array.from({ length: dim }, (_, j) => (i >= off && j >= off ? u[i - off]![j - off]! : i === j ? ONE : ZERO)),
  );
}

/**
 * The 2^n matrix of a k-qubit matrix acting on `wires` (the first listed wire
 * is the most significant bit of the local index; wire 0 is the most
 * significant bit of the global index).
 */
export function embed(u: Mat, wires: readonly number[], n: number): Mat {
  const dim = 1 << n;
  const k = wires.length;
  const mask = wires.reduce((m, w) => m | (1 << (n - 1 - w)), 0);
  const local = (i: number) => wires.reduce((acc, w) => (acc << 1) | ((i >> (n - 1 - w)) & 1), 0);
  assert.equal(u.length, 1 << k);
  return Array.from({ length: dim }, (_, i) =>
    Array.from({ length: dim }, (_, j) => ((i & ~mask) === (j & ~mask) ? u[local(i)]![local(j)]! : ZERO)),
  );
}

/** Dense matrix of a Pauli word (identity on the wires it does not name). */
export function pauliMatrix(word: PauliWord, n: number): Mat {
  const P: Record<'I' | 'X' | 'Y' | 'Z', Mat> = {
    I: [[ONE, ZERO], [ZERO, ONE]],
    X: [[ZERO, ONE], [ONE, ZERO]],
    Y: [[ZERO, cx(0, -1)], [cx(0, 1), ZERO]],
    Z: [[ONE, ZERO], [ZERO, cx(-1)]],
  };
  let m: Mat = [[ONE]];
  for (let w = 0; w < n; w++) m = kron(m, P[word.terms.find((t) => t.wire === w)?.pauli ?? 'I']);
  return m;
}

// ------------------------------------------------------------- assertions

/** Every entry of `actual` within `tol` of `expected` (absolute), with a message naming the first miss. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  label = 'value',
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol)) {
      assert.fail(`${label}[${i}] = ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${tol})`);
    }
  }
}

const flat = (m: Mat): number[] => m.flatMap((row) => row.flatMap((z) => [z[0], z[1]]));

export function assertMatClose(actual: Mat, expected: Mat, tol: number, label = 'matrix'): void {
  assert.equal(actual.length, expected.length, `${label}: rows`);
  assertClose(flat(actual), flat(expected), tol, `${label} (re/im interleaved, row-major)`);
}

export function assertStateClose(actual: readonly C[], expected: readonly C[], tol: number, label = 'state'): void {
  assertClose(
    actual.flatMap((z) => [z[0], z[1]]),
    expected.flatMap((z) => [z[0], z[1]]),
    tol,
    `${label} (re/im interleaved)`,
  );
}

/** The error `fn` throws must be a QflError with exactly this message. */
export function throwsExactly(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected a QflError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

// ------------------------------------------------------------ simulation

/** A circuit from operations, through the validating builder. */
export function circuitOf(nQubits: number, ops: readonly Operation[], prep?: StatePrep, nInputs = 0): Circuit {
  const b = new CircuitBuilder(nQubits);
  if (prep) b.setPrep(prep);
  b.reserveInputs(nInputs);
  for (const op of ops) b.add(op.gate, op.wires, op.params, op.controls);
  return b.build();
}

/** Sample b of a state batch as complex amplitudes. */
export function amplitudes(s: StateBatch, b = 0): C[] {
  const dim = 1 << s.nQubits;
  return Array.from({ length: dim }, (_, i) => cx(s.re[b * dim + i]!, s.im[b * dim + i]!));
}

/** Runs a circuit; weights default to zeros and the batch to 1 with no inputs. */
export function run(
  circuit: Circuit,
  opts: { weights?: ArrayLike<number>; inputs?: ArrayLike<number>; batch?: number } = {},
): StateBatch {
  return simulate(args(circuit, opts));
}

export function args(
  circuit: Circuit,
  opts: { weights?: ArrayLike<number>; inputs?: ArrayLike<number>; batch?: number } = {},
): RunArgs {
  const weights = Float64Array.from(opts.weights ?? new Float64Array(circuit.nWeights));
  const inputs = Float64Array.from(opts.inputs ?? new Float64Array(circuit.nInputs * (opts.batch ?? 1)));
  return { circuit, weights, inputs, batch: opts.batch ?? 1 };
}

/** The state of a zero-prep circuit built from `ops`. */
export function stateOf(nQubits: number, ops: readonly Operation[], weights?: ArrayLike<number>): C[] {
  const c = circuitOf(nQubits, ops);
  return amplitudes(run(c, weights === undefined ? {} : { weights }));
}

/** Rows for the `state` prep: re parts then im parts of each state. */
export function stateRows(states: readonly (readonly C[])[]): Float64Array {
  const dim = states[0]!.length;
  const out = new Float64Array(states.length * 2 * dim);
  states.forEach((s, b) => {
    s.forEach((z, j) => {
      out[b * 2 * dim + j] = z[0];
      out[b * 2 * dim + dim + j] = z[1];
    });
  });
  return out;
}

/**
 * The 2^n matrix the simulator applies for `ops`: column j is the result on
 * basis state |j>, all 2^n columns simulated as one batch with the `state` prep.
 */
export function circuitMatrix(nQubits: number, ops: readonly Operation[], weights?: ArrayLike<number>): Mat {
  const dim = 1 << nQubits;
  const c = circuitOf(nQubits, ops, { kind: 'state' });
  const basis = Array.from({ length: dim }, (_, j) => Array.from({ length: dim }, (_, i) => (i === j ? ONE : ZERO)));
  const s = run(c, { inputs: stateRows(basis), batch: dim, ...(weights === undefined ? {} : { weights }) });
  const cols = basis.map((_, j) => amplitudes(s, j));
  return cols.map((_, i) => cols.map((col) => col[i]!));
}

/** A random normalized state of n qubits (complex Gaussian, normalized). */
export function randomState(rng: Rng, n: number): C[] {
  const v = Array.from({ length: 1 << n }, () => cx(rng.normal(), rng.normal()));
  const norm = Math.sqrt(v.reduce((a, z) => a + z[0] ** 2 + z[1] ** 2, 0));
  return v.map((z) => cscale(z, 1 / norm));
}

export const norm2 = (v: readonly C[]): number => v.reduce((a, z) => a + z[0] ** 2 + z[1] ** 2, 0);

// ------------------------------------------------------- random circuits

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Gates that fit on n qubits. */
export const gatesFor = (n: number): GateName[] => GATE_NAMES.filter((g) => GATES[g].nWires <= n);

export function makeOp(gate: GateName, wires: readonly number[], params: readonly Param[], controls: readonly number[] = []): Operation {
  return controls.length > 0 ? { gate, wires, params, controls } : { gate, wires, params };
}

const angle = fc.double({ min: -2 * Math.PI, max: 2 * Math.PI, noNaN: true });

/** Constant angles only: every sample of a batch sees the same unitary. */
export const constParam: fc.Arbitrary<Param> = angle.map((value) => ({ kind: 'const', value }));

/** Any parameter kind: constants, scaled weights, inputs and input products. */
export function anyParam(nWeights: number, nInputs: number): fc.Arbitrary<Param> {
  const scale = fc.option(fc.double({ min: -2, max: 2, noNaN: true }), { nil: undefined });
  const withScale = <T extends object>(p: T, s: number | undefined): T | (T & { scale: number }) =>
    s === undefined ? p : { ...p, scale: s };
  return fc.oneof(
    constParam,
    fc.tuple(fc.nat(nWeights - 1), scale).map(([index, s]): Param => withScale({ kind: 'weight' as const, index }, s)),
    fc.tuple(fc.nat(nInputs - 1), scale).map(([index, s]): Param => withScale({ kind: 'input' as const, index }, s)),
    fc
      .tuple(fc.nat(nInputs - 1), fc.nat(nInputs - 1), scale)
      .map(([i, j, s]): Param => withScale({ kind: 'inputProduct' as const, indices: [i, j] as const }, s)),
  );
}

/** A random operation on n qubits: any gate, wires in any order, sometimes extra controls. */
export function opArb(n: number, param: fc.Arbitrary<Param>): fc.Arbitrary<Operation> {
  return fc.constantFrom(...gatesFor(n)).chain((gate) => {
    const def = GATES[gate];
    return fc.shuffledSubarray(range(n), { minLength: def.nWires, maxLength: def.nWires }).chain((wires) => {
      const rest = range(n).filter((w) => !wires.includes(w));
      return fc
        .tuple(
          fc.oneof({ weight: 3, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: fc.shuffledSubarray(rest, { maxLength: Math.min(2, rest.length) }) }),
          fc.array(param, { minLength: def.nParams, maxLength: def.nParams }),
        )
        .map(([controls, params]) => makeOp(gate, wires, params, controls));
    });
  });
}

/** A random operation from a seeded generator (for tests that are not properties). */
export function randomOp(rng: Rng, n: number, param: (rng: Rng) => Param, controlProb = 0.2): Operation {
  const names = gatesFor(n);
  const gate = names[rng.int(names.length)]!;
  const def = GATES[gate];
  const perm = Array.from(rng.permutation(n));
  const wires = perm.slice(0, def.nWires);
  const nCtrl = rng.uniform() < controlProb ? Math.min(n - def.nWires, 1 + rng.int(2)) : 0;
  const controls = perm.slice(def.nWires, def.nWires + nCtrl);
  const params = Array.from({ length: def.nParams }, () => param(rng));
  return makeOp(gate, wires, params, controls);
}

// ------------------------------------------------------------- gradients

export interface GradientCheck {
  /** Compare parameter shift against the adjoint method (default true). */
  readonly parameterShift?: boolean;
  /** Input features read by the state preparation: parameter shift does not see them. */
  readonly prepInputs?: readonly number[];
  /** Finite-difference step (default 1e-6). */
  readonly h?: number;
}

/**
 * Adjoint (vjp) against parameter shift (TOL.analytic) and central finite
 * differences (TOL.finiteDiff), for weights and per-sample inputs; also checks
 * that vjp's forward outputs are the expectation values of the final state.
 */
export function checkGradients(
  runArgs: RunArgs,
  observables: readonly PauliWord[],
  gradOutputs: Float64Array,
  opts: GradientCheck = {},
): void {
  const adj = vjp(runArgs, observables, gradOutputs);
  assertClose(adj.outputs, expval(simulate(runArgs), observables), TOL.exact, 'vjp outputs');
  for (const g of [adj.gradWeights, adj.gradInputs]) for (const v of g) assert.ok(Number.isFinite(v), 'finite gradient');

  if (opts.parameterShift ?? true) {
    const ps = parameterShift(runArgs, observables, gradOutputs);
    assertClose(adj.gradWeights, ps.gradWeights, TOL.analytic, 'adjoint vs parameter shift: weights');
    const skip = new Set(opts.prepInputs ?? []);
    const nIn = runArgs.circuit.nInputs;
    const keep = (_: number, i: number) => !skip.has(i % nIn);
    assertClose(
      Array.from(adj.gradInputs).filter(keep),
      Array.from(ps.gradInputs).filter(keep),
      TOL.analytic,
      'adjoint vs parameter shift: inputs',
    );
  }

  const fd = finiteDifferences(runArgs, observables, gradOutputs, opts.h ?? 1e-6);
  assertClose(adj.gradWeights, fd.gradWeights, TOL.finiteDiff, 'adjoint vs finite differences: weights');
  assertClose(adj.gradInputs, fd.gradInputs, TOL.finiteDiff, 'adjoint vs finite differences: inputs');
}
