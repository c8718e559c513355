import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { validateCircuit, type Circuit, type Operation } from '../circuit.js';
import { pauliMasks, type Pauli, type PauliWord } from '../measure.js';
import { simulate, type StateBatch } from '../statevector.js';
import { GATE_SIDE_ACTIONS, PREP_GATES, PREP_STATES, type Basis, type GateSideAction, type PrepState } from './decompositions.js';
import type { CutCircuits } from './experiments.js';
import { drawShotMean } from './stats.js';

/**
 * Sub-circuit tasks: one fragment's sub-experiments in the form a remote node
 * runs them (`CutTask` in proto/qfl/fleet/v1/fleet.proto). The fragment is
 * sent once, split at its gate-cut slots, with its weight and input
 * parameters unbound; each sub-experiment is a list of labels (states
 * prepared on wire-cut qubits, measurement bases, one action per slot). The
 * node runs every experiment for every (weights row, inputs row) pair, so a
 * training step's shifted weight vectors and a whole batch of samples travel
 * in one task.
 *
 * A gate cut's `measure` action is a mid-circuit Z measurement whose +-1
 * outcome multiplies the result. The node needs no ancilla for it: since
 * M_Z(rho) = P0 rho P0 - P1 rho P1 = (Z rho + rho Z) / 2, a pure state run
 * through U_m M_Z ... M_Z U_0 gives
 *
 *   Tr(O rho_out) = 2^-m sum_{S subset of the m measurements} Re <psi_{S^c}| O |psi_S>,
 *
 * where psi_S is the circuit with a Z gate inserted at the measurements in S.
 * So a 4-qubit node simulates 4 qubits (2^m statevectors of them), as a
 * device with mid-circuit measurement would run it.
 */

/** One sub-experiment: the local cut settings of the fragment. */
export interface SubCircuitExperiment {
  readonly prepare: readonly { readonly qubit: number; readonly state: PrepState }[];
  readonly measure: readonly { readonly qubit: number; readonly basis: Basis }[];
  /** One action per slot, in slot order. */
  readonly slots: readonly GateSideAction[];
}

export interface SubCircuitTask {
  readonly nQubits: number;
  /** The fragment between its slots: segments[0], slot 0, segments[1], ...; each nQubits wide, zero prep. */
  readonly segments: readonly Circuit[];
  readonly slotQubits: readonly number[];
  readonly experiments: readonly SubCircuitExperiment[];
  /** Pauli words on the fragment's qubits (the wire-cut bases are added per experiment). */
  readonly observables: readonly PauliWord[];
  readonly nWeights: number;
  readonly nInputs: number;
}

/** A fragment's task and where its experiments sit in `CutCircuits.experiments`. */
export interface FragmentTask {
  readonly fragment: number;
  readonly node: string;
  readonly task: SubCircuitTask;
  /** Global experiment index of each task experiment. */
  readonly experimentIndex: readonly number[];
}

/** Splits every fragment of a cut into a sub-circuit task. */
export function fragmentTasks(cut: CutCircuits): FragmentTask[] {
  const part = cut.partition;
  const { nWeights, nInputs } = part.circuit;
  return part.fragments.map((frag, f) => {
    const segments: Circuit[] = [];
    const slotQubits: number[] = [];
    const slotOf = new Map<string, number>();
    let ops: Operation[] = [];
    const close = () => segments.push({ nQubits: frag.nQubits, prep: { kind: 'zero' }, ops, nWeights, nInputs });
    for (const item of frag.items) {
      if (item.kind === 'op') {
        ops.push(item.op);
        continue;
      }
      close();
      ops = [];
      slotOf.set(`${item.cut}.${item.side}`, slotQubits.length);
      slotQubits.push(item.qubit);
    }
    close();
    const mine = cut.experiments.filter((e) => e.fragment === f);
    const experiments = mine.map((e): SubCircuitExperiment => {
      const slots = new Array<GateSideAction>(slotQubits.length).fill('id');
      const prepare: { qubit: number; state: PrepState }[] = [];
      const measure: { qubit: number; basis: Basis }[] = [];
      for (const s of e.settings) {
        if (s.kind === 'wirePrepare') prepare.push({ qubit: s.qubit, state: s.state });
        else if (s.kind === 'wireMeasure') measure.push({ qubit: s.qubit, basis: s.basis });
        else slots[slotOf.get(`${s.cut}.${s.side}`)!] = s.action;
      }
      return { prepare, measure, slots };
    });
    const observables = cut.observables.map((word): PauliWord => ({
      terms: word.terms.flatMap((t) => {
        const out = part.outputs[t.wire]!;
        return out.fragment === f ? [{ wire: out.qubit, pauli: t.pauli }] : [];
      }),
    }));
    const task: SubCircuitTask = { nQubits: frag.nQubits, segments, slotQubits, experiments, observables, nWeights, nInputs };
    return { fragment: f, node: frag.label, task, experimentIndex: mine.map((e) => e.index) };
  });
}

/** Where a node may insert operations into a sub-experiment (the attack of security/attacks/cut-node.ts). */
export type InsertionPoint =
  | { readonly kind: 'prepared'; readonly qubit: number; readonly state: PrepState }
  | { readonly kind: 'slot'; readonly qubit: number; readonly action: GateSideAction }
  | { readonly kind: 'input'; readonly qubit: number };

/** Operations a node inserts at a point; an honest node inserts none. */
export type InsertionHook = (at: InsertionPoint) => readonly Operation[];

export interface RunSubCircuitOptions {
  /** Measurements per experiment and observable; 0 or absent: exact expectation values. */
  readonly shots?: number;
  /** Shot noise; required with shots. */
  readonly rng?: Rng;
  readonly insert?: InsertionHook;
}

/** Largest number of mid-circuit measurements in one sub-experiment (2^m statevectors each). */
export const MAX_MID_MEASUREMENTS = 6;

/** Checks a task's structure (what a remote node received); throws a QflError naming the field. */
export function checkSubCircuitTask(t: SubCircuitTask): void {
  if (!Number.isInteger(t.nQubits) || t.nQubits < 1 || t.nQubits > 30) fail('num_qubits', `must be an integer in [1, 30], got ${t.nQubits}`);
  if (t.segments.length !== t.slotQubits.length + 1) fail('segments', `need one more segment than slots (${t.slotQubits.length}), got ${t.segments.length}`);
  t.segments.forEach((c, i) => {
    if (c.nQubits !== t.nQubits) fail(`segments[${i}]`, `is ${c.nQubits} qubits wide, the sub-circuit ${t.nQubits}`);
    if (c.prep.kind !== 'zero') fail(`segments[${i}].prep`, `must be the zero state, got '${c.prep.kind}'`);
    validateCircuit({ ...c, nWeights: t.nWeights, nInputs: t.nInputs });
  });
  const qubit = (q: number, field: string) => {
    if (!Number.isInteger(q) || q < 0 || q >= t.nQubits) fail(field, `qubit ${q} is not in [0, ${t.nQubits - 1}]`);
  };
  t.slotQubits.forEach((q, i) => qubit(q, `slot_qubits[${i}]`));
  if (t.experiments.length === 0) fail('experiments', 'is empty');
  t.experiments.forEach((e, i) => {
    const at = `experiments[${i}]`;
    e.prepare.forEach((p, k) => {
      qubit(p.qubit, `${at}.prepare[${k}].qubit`);
      if (!(PREP_STATES as readonly string[]).includes(p.state)) fail(`${at}.prepare[${k}].label`, `'${p.state}' is not a state to prepare; use one of ${PREP_STATES.join(', ')}`);
    });
    e.measure.forEach((m, k) => {
      qubit(m.qubit, `${at}.measure[${k}].qubit`);
      if (!['I', 'X', 'Y', 'Z'].includes(m.basis)) fail(`${at}.measure[${k}].label`, `'${m.basis}' is not a measurement basis; use one of I, X, Y, Z`);
    });
    if (new Set(e.prepare.map((p) => p.qubit)).size !== e.prepare.length) fail(`${at}.prepare`, 'prepares a qubit twice');
    if (new Set(e.measure.map((p) => p.qubit)).size !== e.measure.length) fail(`${at}.measure`, 'measures a qubit twice');
    if (e.slots.length !== t.slotQubits.length) fail(`${at}.slots`, `needs one action per slot (${t.slotQubits.length}), got ${e.slots.length}`);
    e.slots.forEach((a, k) => {
      if (!(GATE_SIDE_ACTIONS as readonly string[]).includes(a)) fail(`${at}.slots[${k}]`, `'${a}' is not a gate-cut action; use one of ${GATE_SIDE_ACTIONS.join(', ')}`);
    });
    const m = e.slots.filter((a) => a === 'measure').length;
    if (m > MAX_MID_MEASUREMENTS) fail(`${at}.slots`, `has ${m} mid-circuit measurements, at most ${MAX_MID_MEASUREMENTS}`);
  });
  if (t.observables.length === 0) fail('observables', 'is empty');
  t.observables.forEach((w, i) => w.terms.forEach((term) => qubit(term.wire, `observables[${i}]`)));
}

const HALF_PI = Math.PI / 2;

function actionOps(a: GateSideAction, q: number): Operation[] {
  switch (a) {
    case 'id':
    case 'measure':
      return [];
    case 'z':
      return [{ gate: 'Z', wires: [q], params: [] }];
    case 'rzPlus':
    case 'rzMinus':
      return [{ gate: 'RZ', wires: [q], params: [{ kind: 'const', value: a === 'rzPlus' ? HALF_PI : -HALF_PI }] }];
  }
}

/**
 * The 2^m circuits of one experiment (m mid-circuit measurements): variant
 * `s` has a Z at the measurements whose bit is set in s.
 */
function experimentCircuits(t: SubCircuitTask, e: SubCircuitExperiment, insert: InsertionHook | undefined): { circuits: Circuit[]; m: number } {
  const head: Operation[] = [];
  for (const p of e.prepare) for (const gate of PREP_GATES[p.state]) head.push({ gate, wires: [p.qubit], params: [] });
  if (insert) {
    const prepared = new Set(e.prepare.map((p) => p.qubit));
    for (let q = 0; q < t.nQubits; q++) if (!prepared.has(q)) head.push(...insert({ kind: 'input', qubit: q }));
    for (const p of e.prepare) head.push(...insert({ kind: 'prepared', qubit: p.qubit, state: p.state }));
  }
  const m = e.slots.filter((a) => a === 'measure').length;
  const circuits: Circuit[] = [];
  for (let s = 0; s < 1 << m; s++) {
    const ops = [...head];
    let k = 0;
    t.segments.forEach((seg, i) => {
      ops.push(...seg.ops);
      if (i === t.slotQubits.length) return;
      const a = e.slots[i]!;
      const q = t.slotQubits[i]!;
      if (a === 'measure') {
        if ((s >> k) & 1) ops.push({ gate: 'Z', wires: [q], params: [] });
        k++;
      }
      ops.push(...actionOps(a, q));
      if (insert) ops.push(...insert({ kind: 'slot', qubit: q, action: a }));
    });
    circuits.push({ nQubits: t.nQubits, prep: { kind: 'zero' }, ops, nWeights: t.nWeights, nInputs: t.nInputs });
  }
  return { circuits, m };
}

/** out[b * K + k] += scale * Re <a_b| P_k |c_b>. */
function addInner(a: StateBatch, c: StateBatch, words: readonly PauliWord[], scale: number, out: Float64Array): void {
  const n = a.nQubits;
  const dim = 1 << n;
  const K = words.length;
  words.forEach((word, k) => {
    const { x, z, nY } = pauliMasks(word, n);
    // P|j> = i^nY (-1)^{popcount(j & z)} |j ^ x>
    const ph = nY & 3;
    for (let b = 0; b < a.batch; b++) {
      const at = b * dim;
      let acc = 0;
      for (let j = 0; j < dim; j++) {
        const ia = at + (j ^ x);
        const ic = at + j;
        // conj(a) * c
        const sr = a.re[ia]! * c.re[ic]! + a.im[ia]! * c.im[ic]!;
        const si = a.re[ia]! * c.im[ic]! - a.im[ia]! * c.re[ic]!;
        let v = ph === 0 ? sr : ph === 1 ? -si : ph === 2 ? -sr : si;
        let par = j & z;
        par ^= par >>> 16;
        par ^= par >>> 8;
        par ^= par >>> 4;
        par ^= par >>> 2;
        par ^= par >>> 1;
        if (par & 1) v = -v;
        acc += v;
      }
      out[b * K + k] += scale * acc;
    }
  });
}

/** The experiment's observables: each word times the wire-cut measurement Paulis. */
function experimentWords(t: SubCircuitTask, e: SubCircuitExperiment): PauliWord[] {
  const extra = e.measure.filter((m) => m.basis !== 'I').map((m) => ({ wire: m.qubit, pauli: m.basis as Pauli }));
  return t.observables.map((w) => {
    const clash = w.terms.find((term) => extra.some((x) => x.wire === term.wire));
    if (clash) fail('observables', `qubit ${clash.wire} is both read out and measured for a wire cut`);
    return { terms: [...w.terms, ...extra] };
  });
}

/**
 * Runs every experiment of `t` for every weights row (W x nWeights) and
 * inputs row (B x nInputs): values[((w * B + b) * E + e) * K + k].
 */
export function runSubCircuit(t: SubCircuitTask, weights: Float64Array, W: number, inputs: Float64Array, B: number, o: RunSubCircuitOptions = {}): Float64Array {
  checkSubCircuitTask(t);
  if (!Number.isInteger(W) || W < 1 || weights.length !== W * t.nWeights) fail('weights', `expected ${W} rows x ${t.nWeights} weights, got ${weights.length} values`);
  if (!Number.isInteger(B) || B < 1 || inputs.length !== B * t.nInputs) fail('inputs', `expected ${B} rows x ${t.nInputs} inputs, got ${inputs.length} values`);
  const shots = o.shots ?? 0;
  if (!Number.isInteger(shots) || shots < 0) fail('shots', `must be an integer >= 0, got ${shots}`);
  if (shots > 0 && !o.rng) fail('rng', 'shots need a random generator');
  const E = t.experiments.length;
  const K = t.observables.length;
  const out = new Float64Array(W * B * E * K);
  const part = new Float64Array(B * K);
  t.experiments.forEach((e, ei) => {
    const { circuits, m } = experimentCircuits(t, e, o.insert);
    const words = experimentWords(t, e);
    const full = (1 << m) - 1;
    for (let w = 0; w < W; w++) {
      const wr = weights.subarray(w * t.nWeights, (w + 1) * t.nWeights);
      const states = circuits.map((circuit) => simulate({ circuit, inputs, weights: wr, batch: B }));
      part.fill(0);
      for (let s = 0; s <= full; s++) addInner(states[full ^ s]!, states[s]!, words, 1 / (1 << m), part);
      for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) out[((w * B + b) * E + ei) * K + k] = part[b * K + k]!;
    }
  });
  if (shots > 0) {
    // Each value is the mean of a product of +-1 outcomes (observable and mid-circuit signs): a +-1 variable with that mean.
    for (let i = 0; i < out.length; i++) out[i] = drawShotMean(out[i]!, shots, o.rng!);
  }
  return out;
}
