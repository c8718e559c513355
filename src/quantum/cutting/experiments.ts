import { fail } from '../../util/errors.js';
import type { Circuit, Operation } from '../circuit.js';
import type { Pauli, PauliWord } from '../measure.js';
import {
  gateCutTerms,
  PREP_GATES,
  WIRE_CUT_TERMS,
  type Basis,
  type GateSideAction,
  type PrepState,
} from './decompositions.js';
import { partition, type Partition, type PartitionOptions } from './partition.js';

/**
 * Sub-experiments and reconstruction (qiskit-addon-cutting's
 * `generate_cutting_experiments` and `reconstruct_expectation_values`, as one
 * transform that returns `{ circuits, postprocess }`).
 *
 * For cuts k = 1..K with terms t_k, coefficients c_{k,t} and a Pauli
 * observable O = (x)_f O_f (one factor per fragment f):
 *
 *   <O> = sum_{t_1..t_K} prod_k c_{k,t_k} prod_f E_f(t|f),
 *
 * where E_f(t|f) is the expectation of fragment f's sub-experiment for the
 * local settings that t fixes on f: the fragment's circuit with the cut
 * actions in place, measuring O_f times the Pauli of every wire-cut
 * measurement and Z on every gate-cut measurement ancilla. Terms factorize
 * because every term is a product of local operations on a product input.
 */

/** The local setting of one cut on a fragment. */
export type CutSetting =
  | { readonly kind: 'wireMeasure'; readonly cut: number; readonly basis: Basis; readonly qubit: number }
  | { readonly kind: 'wirePrepare'; readonly cut: number; readonly state: PrepState; readonly qubit: number }
  | { readonly kind: 'gateSide'; readonly cut: number; readonly side: 0 | 1; readonly action: GateSideAction; readonly qubit: number };

/** One circuit a node runs, with what it measures. */
export interface SubExperiment {
  /** Index into `CutCircuits.experiments`. */
  readonly index: number;
  /** Node (fragment label) that runs it. */
  readonly node: string;
  readonly fragment: number;
  /** Constant-parameter, zero-prep circuit: fragment qubits, then measurement ancillas. */
  readonly circuit: Circuit;
  /** One Pauli word per requested observable. */
  readonly observables: readonly PauliWord[];
  readonly settings: readonly CutSetting[];
  /** The first `nPrepOps` operations prepare the wire-cut input states. */
  readonly nPrepOps: number;
}

export interface CutOverhead {
  readonly nWireCuts: number;
  readonly nGateCuts: number;
  /** gamma of each cut, in `partition.cuts` order. */
  readonly perCut: readonly number[];
  /** prod_k gamma_k: the estimator's range, so its standard deviation is at most gamma / sqrt(shots). */
  readonly gamma: number;
  /** gamma^2: the factor on the number of shots for a given precision. */
  readonly samplingOverhead: number;
  /** Number of quasi-probability terms, prod_k (terms of cut k). */
  readonly nTerms: number;
  readonly nExperiments: number;
}

/** Terms of one cut: coefficients, and per fragment side the local setting. */
interface CutTerms {
  readonly coefs: Float64Array;
}

export interface CutCircuits {
  readonly partition: Partition;
  readonly experiments: readonly SubExperiment[];
  /** The experiments' circuits, in order (what an executor runs). */
  readonly circuits: readonly Circuit[];
  /** Node labels, in fragment order. */
  readonly nodes: readonly string[];
  /** The observables on the original wires. */
  readonly observables: readonly PauliWord[];
  readonly nObservables: number;
  readonly overhead: CutOverhead;
  /** Per cut, the coefficients of its terms. */
  readonly coefficients: readonly Float64Array[];
  /**
   * The experiment that term tuple `terms` (one term index per cut) uses on
   * fragment f.
   */
  experimentFor(f: number, terms: ArrayLike<number>): number;
  /**
   * Reconstructs the K observables from the experiments' values
   * (experiments.length x K, row-major): sum over terms as above.
   */
  postprocess(values: Float64Array): Float64Array;
}

export interface CutOptions extends PartitionOptions {
  /** One label per wire: the node that runs it. */
  readonly labels: readonly string[];
}

/** Partitions and generates the sub-experiments in one call. */
export function cutCircuit(circuit: Circuit, observables: readonly PauliWord[], options: CutOptions): CutCircuits {
  return generateExperiments(partition(circuit, options.labels, options), observables);
}

const settingKey = (s: CutSetting): string => {
  switch (s.kind) {
    case 'wireMeasure':
      return `m${s.cut}:${s.basis}`;
    case 'wirePrepare':
      return `p${s.cut}:${s.state}`;
    case 'gateSide':
      return `g${s.cut}.${s.side}:${s.action}`;
  }
};

/** Key of a setting list, optionally with one position wildcarded (for consistency checks). */
export const settingsKey = (settings: readonly CutSetting[], skip = -1): string =>
  settings.map((s, i) => (i === skip ? '*' : settingKey(s))).join('|');

function buildCircuit(part: Partition, f: number, settings: readonly CutSetting[], words: readonly PauliWord[]) {
  const frag = part.fragments[f]!;
  const ops: Operation[] = [];
  for (const s of settings) {
    if (s.kind !== 'wirePrepare') continue;
    for (const gate of PREP_GATES[s.state]) ops.push({ gate, wires: [s.qubit], params: [] });
  }
  const nPrepOps = ops.length;
  const gateSide = new Map<string, CutSetting & { kind: 'gateSide' }>();
  for (const s of settings) if (s.kind === 'gateSide') gateSide.set(`${s.cut}.${s.side}`, s);
  let nQubits = frag.nQubits;
  const extra: { wire: number; pauli: Pauli }[] = [];
  for (const s of settings) if (s.kind === 'wireMeasure' && s.basis !== 'I') extra.push({ wire: s.qubit, pauli: s.basis });
  for (const item of frag.items) {
    if (item.kind === 'op') {
      ops.push(item.op);
      continue;
    }
    const s = gateSide.get(`${item.cut}.${item.side}`)!;
    const q = item.qubit;
    switch (s.action) {
      case 'id':
        break;
      case 'z':
        ops.push({ gate: 'Z', wires: [q], params: [] });
        break;
      case 'measure': {
        // Deferred measurement: the ancilla records the Z outcome; its Z joins the observable.
        const anc = nQubits++;
        ops.push({ gate: 'CNOT', wires: [q, anc], params: [] });
        extra.push({ wire: anc, pauli: 'Z' });
        break;
      }
      case 'rzPlus':
      case 'rzMinus':
        ops.push({ gate: 'RZ', wires: [q], params: [{ kind: 'const', value: s.action === 'rzPlus' ? Math.PI / 2 : -Math.PI / 2 }] });
        break;
    }
  }
  if (nQubits > 30) fail('fragments', `fragment '${frag.label}' needs ${nQubits} qubits with its measurement ancillas (at most 30)`);
  const observables = words.map((word): PauliWord => {
    const terms: { wire: number; pauli: Pauli }[] = [];
    for (const t of word.terms) {
      const out = part.outputs[t.wire]!;
      if (out.fragment === f) terms.push({ wire: out.qubit, pauli: t.pauli });
    }
    return { terms: [...terms, ...extra] };
  });
  const circuit: Circuit = { nQubits, prep: { kind: 'zero' }, ops, nWeights: part.circuit.nWeights, nInputs: part.circuit.nInputs };
  return { circuit, observables, nPrepOps };
}

/** The local settings that term `t` of cut `k` puts on fragment `f` (none if the cut does not touch f). */
function localSettings(part: Partition, k: number, t: number, f: number): CutSetting[] {
  const cut = part.cuts[k]!;
  const out: CutSetting[] = [];
  if (cut.kind === 'wire') {
    const term = WIRE_CUT_TERMS[t]!;
    if (cut.from.fragment === f) out.push({ kind: 'wireMeasure', cut: k, basis: term.measure, qubit: cut.from.qubit });
    if (cut.to.fragment === f) out.push({ kind: 'wirePrepare', cut: k, state: term.prepare, qubit: cut.to.qubit });
  } else {
    const term = gateCutTerms(cut.alpha)[t]!;
    ([0, 1] as const).forEach((side) => {
      const end = cut.sides[side];
      if (end.fragment === f) out.push({ kind: 'gateSide', cut: k, side, action: side === 0 ? term.a : term.b, qubit: end.qubit });
    });
  }
  return out;
}

/**
 * Generates every distinct sub-experiment of every fragment and the
 * reconstruction. Observables are Pauli words on the original wires.
 */
export function generateExperiments(part: Partition, observables: readonly PauliWord[]): CutCircuits {
  const n = part.circuit.nQubits;
  if (observables.length === 0) fail('observables', 'need at least one Pauli word');
  observables.forEach((w, i) => {
    for (const t of w.terms) if (!Number.isInteger(t.wire) || t.wire < 0 || t.wire >= n) fail(`observables[${i}]`, `wire ${t.wire} is not in [0, ${n - 1}]`);
    if (new Set(w.terms.map((t) => t.wire)).size !== w.terms.length) fail(`observables[${i}]`, 'wires must be distinct');
  });
  const K = observables.length;
  const cutTerms: CutTerms[] = part.cuts.map((c) => ({
    coefs: Float64Array.from(c.kind === 'wire' ? WIRE_CUT_TERMS.map((t) => t.coef) : gateCutTerms(c.alpha).map((t) => t.coef)),
  }));
  const radix = cutTerms.map((c) => c.coefs.length);

  const experiments: SubExperiment[] = [];
  // Per fragment: the cuts touching it, and a table from their term indices (mixed radix) to an experiment.
  const touching: number[][] = [];
  const tables: Int32Array[] = [];
  part.fragments.forEach((frag, f) => {
    const touch = part.cuts
      .map((c, k) => ({ c, k }))
      .filter(({ c }) => (c.kind === 'wire' ? c.from.fragment === f || c.to.fragment === f : c.sides.some((s) => s.fragment === f)))
      .map(({ k }) => k);
    touching.push(touch);
    const size = touch.reduce((a, k) => a * radix[k]!, 1);
    const table = new Int32Array(size);
    const seen = new Map<string, number>();
    const idx = new Array<number>(touch.length).fill(0);
    for (let code = 0; code < size; code++) {
      let rest = code;
      for (let j = touch.length - 1; j >= 0; j--) {
        idx[j] = rest % radix[touch[j]!]!;
        rest = Math.floor(rest / radix[touch[j]!]!);
      }
      const settings = touch.flatMap((k, j) => localSettings(part, k, idx[j]!, f));
      const key = settingsKey(settings);
      let e = seen.get(key);
      if (e === undefined) {
        e = experiments.length;
        seen.set(key, e);
        const built = buildCircuit(part, f, settings, observables);
        experiments.push({ index: e, node: frag.label, fragment: f, settings, ...built });
      }
      table[code] = e;
    }
    tables.push(table);
  });

  const experimentFor = (f: number, terms: ArrayLike<number>): number => {
    let code = 0;
    for (const k of touching[f]!) code = code * radix[k]! + terms[k]!;
    return tables[f]![code]!;
  };
  const perCut = part.cuts.map((c) => c.gamma);
  const gamma = perCut.reduce((a, g) => a * g, 1);
  const nTerms = radix.reduce((a, r) => a * r, 1);
  const nF = part.fragments.length;

  const postprocess = (values: Float64Array): Float64Array => {
    if (values.length !== experiments.length * K) {
      fail('values', `expected experiments (${experiments.length}) x observables (${K}) = ${experiments.length * K} values, got ${values.length}`);
    }
    const out = new Float64Array(K);
    const t = new Int32Array(radix.length);
    const rows = new Int32Array(nF);
    for (let term = 0; term < nTerms; term++) {
      let rest = term;
      let coef = 1;
      for (let k = radix.length - 1; k >= 0; k--) {
        t[k] = rest % radix[k]!;
        rest = Math.floor(rest / radix[k]!);
        coef *= cutTerms[k]!.coefs[t[k]!]!;
      }
      if (coef === 0) continue;
      for (let f = 0; f < nF; f++) rows[f] = experimentFor(f, t) * K;
      for (let j = 0; j < K; j++) {
        let v = coef;
        for (let f = 0; f < nF; f++) v *= values[rows[f]! + j]!;
        out[j] += v;
      }
    }
    return out;
  };

  return {
    partition: part,
    experiments,
    circuits: experiments.map((e) => e.circuit),
    nodes: part.fragments.map((f) => f.label),
    observables: [...observables],
    nObservables: K,
    overhead: {
      nWireCuts: part.cuts.filter((c) => c.kind === 'wire').length,
      nGateCuts: part.cuts.filter((c) => c.kind === 'gate').length,
      perCut,
      gamma,
      samplingOverhead: gamma * gamma,
      nTerms,
      nExperiments: experiments.length,
    },
    coefficients: cutTerms.map((c) => c.coefs),
    experimentFor,
    postprocess,
  };
}
