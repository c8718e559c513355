import { fail } from '../../util/errors.js';
import type { Circuit, Operation, Param } from '../circuit.js';
import { validateCircuit } from '../circuit.js';
import { isCuttable, lowerCutGate, WIRE_CUT_GAMMA, gateCutGamma, type LocalGate } from './decompositions.js';

/**
 * Partitioning a circuit into fragments (one per label, i.e. one per node that
 * will run it), in the spirit of qiskit-addon-cutting's `partition_problem`:
 * every wire carries a label; a wire cut starts a new segment of that wire,
 * with its own label, before a given operation; a two-qubit operation whose
 * wires have different labels becomes a gate cut. Each segment is one qubit
 * of its fragment (no qubit reuse).
 *
 * ```ts
 * // wires 0,1 on node A, 2,3 on node B; wire 1 moves to B before op 5:
 * const p = partition(circuit, ['A', 'A', 'B', 'B'], { wireCuts: [{ wire: 1, before: 5, label: 'B' }] });
 * ```
 */

/** Cut `wire` just before `ops[before]`; the rest of the wire runs on `label` (default: unchanged). */
export interface WireCut {
  readonly wire: number;
  readonly before: number;
  readonly label?: string;
}

export interface PartitionOptions {
  readonly wireCuts?: readonly WireCut[];
  /** Weight vector, when the circuit reads weights (parameters are bound to constants). */
  readonly weights?: ArrayLike<number>;
  /** One input row, when the circuit reads input features. */
  readonly inputs?: ArrayLike<number>;
  /**
   * Keep weight and input parameters unbound: sub-circuit tasks bind them per
   * row on the node (a batch and shifted weights in one task). The cut gates'
   * parameters must then be constants, since the cut's coefficients depend on them.
   */
  readonly keepParams?: boolean;
}

/** A piece of one wire between cuts: one qubit of one fragment. */
export interface Segment {
  readonly wire: number;
  /** Index of the first operation this segment sees. */
  readonly start: number;
  readonly fragment: number;
  /** Qubit index inside the fragment. */
  readonly qubit: number;
}

/** Where one side of a cut lives. */
export interface CutEnd {
  readonly fragment: number;
  readonly qubit: number;
}

export type Cut =
  | {
      readonly kind: 'wire';
      readonly wire: number;
      readonly before: number;
      /** The segment that ends here (measured) and the one that starts (prepared). */
      readonly from: CutEnd;
      readonly to: CutEnd;
      readonly gamma: number;
    }
  | {
      readonly kind: 'gate';
      readonly opIndex: number;
      readonly gate: Operation['gate'];
      /** The gate is RZZ(alpha) between local basis changes. */
      readonly alpha: number;
      readonly sides: readonly [CutEnd, CutEnd];
      readonly gamma: number;
    };

/** An operation on fragment-local qubits, or the slot where one side of a gate cut acts. */
export type TemplateItem =
  | { readonly kind: 'op'; readonly op: Operation }
  | { readonly kind: 'gateSide'; readonly cut: number; readonly side: 0 | 1; readonly qubit: number };

export interface Fragment {
  /** The node label. */
  readonly label: string;
  /** One qubit per segment (ancillas for measurements are added per experiment). */
  readonly nQubits: number;
  readonly items: readonly TemplateItem[];
}

export interface Partition {
  /** The circuit with every parameter bound to a constant (unless `keepParams`). */
  readonly circuit: Circuit;
  readonly fragments: readonly Fragment[];
  readonly cuts: readonly Cut[];
  readonly segments: readonly Segment[];
  /** Per wire: the segment that holds the wire's output (observables are read there). */
  readonly outputs: readonly CutEnd[];
}

const paramValue = (p: Param, weights: ArrayLike<number> | undefined, inputs: ArrayLike<number> | undefined, path: string): number => {
  const need = (arr: ArrayLike<number> | undefined, i: number, what: 'weights' | 'inputs'): number => {
    if (arr === undefined) fail(what, `the circuit reads ${what} (${path}); pass them to bind its parameters`);
    const v = arr[i];
    if (v === undefined || !Number.isFinite(v)) fail(what, `${what}[${i}] is ${v === undefined ? 'missing' : v} (${path})`);
    return v;
  };
  switch (p.kind) {
    case 'const':
      return p.value;
    case 'weight':
      return need(weights, p.index, 'weights') * (p.scale ?? 1);
    case 'input':
      return need(inputs, p.index, 'inputs') * (p.scale ?? 1);
    case 'inputProduct':
      return need(inputs, p.indices[0], 'inputs') * need(inputs, p.indices[1], 'inputs') * (p.scale ?? 1);
  }
};

/** The circuit with every weight and input parameter replaced by its constant value. */
export function bindParams(circuit: Circuit, weights?: ArrayLike<number>, inputs?: ArrayLike<number>): Circuit {
  const ops = circuit.ops.map((op, i) =>
    op.params.every((p) => p.kind === 'const')
      ? op
      : { ...op, params: op.params.map((p): Param => ({ kind: 'const', value: paramValue(p, weights, inputs, `ops[${i}]`) })) },
  );
  return { ...circuit, ops, nWeights: 0, nInputs: 0 };
}

const localOps = (gates: readonly LocalGate[], qubit: number): TemplateItem[] =>
  gates.map((g) => ({ kind: 'op', op: { gate: g.gate, wires: [qubit], params: g.params.map((value) => ({ kind: 'const', value })) } }));

/**
 * Splits a zero-prep circuit into fragments by wire labels and wire cuts.
 * Throws a QflError naming the field when an operation spans fragments and
 * cannot be cut (see CUTTABLE_GATES), or the labels or cuts are malformed.
 */
export function partition(circuit: Circuit, labels: readonly string[], options: PartitionOptions = {}): Partition {
  validateCircuit(circuit);
  if (circuit.prep.kind !== 'zero') {
    fail('prep', `circuit cutting needs the zero state preparation (a product state); got '${circuit.prep.kind}'`);
  }
  const n = circuit.nQubits;
  if (labels.length !== n) fail('labels', `need one label per wire (${n}), got ${labels.length}`);
  labels.forEach((l, w) => {
    if (typeof l !== 'string' || l === '') fail(`labels[${w}]`, 'must be a non-empty string');
  });
  const bound = options.keepParams ? circuit : bindParams(circuit, options.weights, options.inputs);
  const nOps = bound.ops.length;

  const wireCuts = [...(options.wireCuts ?? [])];
  wireCuts.forEach((c, i) => {
    if (!Number.isInteger(c.wire) || c.wire < 0 || c.wire >= n) fail(`wireCuts[${i}].wire`, `wire ${c.wire} is not in [0, ${n - 1}]`);
    if (!Number.isInteger(c.before) || c.before < 0 || c.before > nOps) {
      fail(`wireCuts[${i}].before`, `must be an operation index in [0, ${nOps}], got ${c.before}`);
    }
    if (c.label !== undefined && (typeof c.label !== 'string' || c.label === '')) fail(`wireCuts[${i}].label`, 'must be a non-empty string');
  });
  wireCuts.sort((a, b) => a.wire - b.wire || a.before - b.before);
  for (let i = 1; i < wireCuts.length; i++) {
    const a = wireCuts[i - 1]!;
    const b = wireCuts[i]!;
    if (a.wire === b.wire && a.before === b.before) fail('wireCuts', `wire ${a.wire} is cut twice before operation ${a.before}`);
  }

  // Segments, wire by wire; fragments in order of first appearance.
  const names: string[] = [];
  const fragmentOf = (label: string): number => {
    const at = names.indexOf(label);
    if (at >= 0) return at;
    names.push(label);
    return names.length - 1;
  };
  labels.forEach(fragmentOf);
  const qubitCount: number[] = [];
  const segments: Segment[] = [];
  const byWire: Segment[][] = [];
  const cutSegments: { cut: WireCut; from: Segment; to: Segment }[] = [];
  for (let w = 0; w < n; w++) {
    let label = labels[w]!;
    const mk = (start: number): Segment => {
      const fragment = fragmentOf(label);
      const qubit = qubitCount[fragment] ?? 0;
      qubitCount[fragment] = qubit + 1;
      const s: Segment = { wire: w, start, fragment, qubit };
      segments.push(s);
      return s;
    };
    const list = [mk(0)];
    for (const c of wireCuts.filter((c) => c.wire === w)) {
      label = c.label ?? label;
      const to = mk(c.before);
      cutSegments.push({ cut: c, from: list[list.length - 1]!, to });
      list.push(to);
    }
    byWire.push(list);
  }
  const segAt = (w: number, i: number): Segment => {
    const list = byWire[w]!;
    let s = list[0]!;
    for (const t of list) if (t.start <= i) s = t;
    return s;
  };
  const end = (s: Segment): CutEnd => ({ fragment: s.fragment, qubit: s.qubit });

  const items: TemplateItem[][] = names.map(() => []);
  const cuts: Cut[] = [];
  const addWireCuts = (i: number): void => {
    for (const { cut, from, to } of cutSegments) {
      if (cut.before === i) cuts.push({ kind: 'wire', wire: cut.wire, before: i, from: end(from), to: end(to), gamma: WIRE_CUT_GAMMA });
    }
  };
  bound.ops.forEach((op, i) => {
    addWireCuts(i);
    const all = [...op.wires, ...(op.controls ?? [])];
    const segs = all.map((w) => segAt(w, i));
    const frags = new Set(segs.map((s) => s.fragment));
    if (frags.size === 1) {
      const local = (w: number): number => segAt(w, i).qubit;
      const mapped: Operation =
        op.controls && op.controls.length > 0
          ? { gate: op.gate, wires: op.wires.map(local), params: op.params, controls: op.controls.map(local) }
          : { gate: op.gate, wires: op.wires.map(local), params: op.params };
      items[segs[0]!.fragment]!.push({ kind: 'op', op: mapped });
      return;
    }
    const where = segs.map((s, k) => `wire ${all[k]} on '${names[s.fragment]}'`).join(', ');
    if (!isCuttable(op.gate) || all.length !== 2) {
      fail(`ops[${i}]`, `${op.gate} spans fragments (${where}) and cannot be cut; cuttable gates are CZ, CNOT, RZZ, RXX, RYY, CRZ, CPhase without extra controls — relabel the wires or add a wire cut`);
    }
    const low = lowerCutGate(op, `ops[${i}]`);
    const k = cuts.length;
    const sides = [end(segs[0]!), end(segs[1]!)] as const;
    cuts.push({ kind: 'gate', opIndex: i, gate: op.gate, alpha: low.alpha, sides, gamma: gateCutGamma(low.alpha) });
    ([0, 1] as const).forEach((side) => {
      const { fragment, qubit } = sides[side];
      const list = items[fragment]!;
      list.push(...localOps(low.pre[side], qubit));
      list.push({ kind: 'gateSide', cut: k, side, qubit });
      list.push(...localOps(low.post[side], qubit));
    });
  });
  addWireCuts(nOps);

  const fragments: Fragment[] = names.map((label, f) => ({ label, nQubits: qubitCount[f] ?? 0, items: items[f]! }));
  const outputs = byWire.map((list) => end(list[list.length - 1]!));
  return { circuit: bound, fragments, cuts, segments, outputs };
}
