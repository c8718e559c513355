import { fail } from '../../util/errors.js';
import type { Circuit } from '../circuit.js';
import { GATES } from '../gates.js';
import { expval, type PauliWord } from '../measure.js';
import { simulate } from '../statevector.js';
import { cutCircuit, type CutCircuits } from './experiments.js';
import type { WireCut } from './partition.js';
import { fragmentTasks, type FragmentTask } from './subcircuit.js';

/**
 * A cut model: a parameterized circuit cut once (weights and inputs stay
 * unbound), whose fragments run as sub-circuit tasks wherever a
 * `FragmentRunner` sends them (in-process, or nodes of a deployment), with
 * outputs reconstructed per sample and gradients by parameter shift through
 * the cut.
 *
 * Parameter shift through the cut: the reconstruction is multilinear in the
 * fragments' expectation values, and a weight read by one gate of fragment f
 * changes only E_f, so
 *
 *   d<O>/dtheta_j = c_j (R(E_f(theta + s_j e_j), E_rest) - R(E_f(theta - s_j e_j), E_rest)) / 2,
 *
 * with R the reconstruction, s_j = pi / (2 a_j) and c_j = a_j for a gate
 * exp(-i a_j theta_j P / 2) (a_j the parameter's scale). Only fragment f
 * reruns for weight j: its task carries 1 + 2 (weights it reads) rows.
 */

/** Runs one fragment's task for W weight rows and B input rows; values [W, B, E_f, K]. */
export type FragmentRunner = (ft: FragmentTask, weights: Float64Array, W: number, inputs: Float64Array, B: number) => Promise<Float64Array>;

/** How to differentiate by one weight: the fragment reading it, the shift and the factor. */
export interface ShiftRule {
  readonly weight: number;
  /** Fragment whose task reads the weight; -1 if no gate reads it (gradient 0). */
  readonly fragment: number;
  readonly shift: number;
  readonly factor: number;
}

export interface CutModel {
  readonly circuit: Circuit;
  readonly cut: CutCircuits;
  readonly tasks: readonly FragmentTask[];
  readonly rules: readonly ShiftRule[];
}

export interface CutModelOptions {
  /** One label per wire: the node (fragment) that runs it. */
  readonly labels: readonly string[];
  readonly wireCuts?: readonly WireCut[];
}

/**
 * Two-term shift rules for every weight: each weight must be the parameter
 * of exactly one single-rotation gate (RX, RY, RZ, PhaseShift, RXX, RYY,
 * RZZ) without controls; otherwise a QflError says which weight and why.
 */
export function shiftRules(circuit: Circuit, fragmentOfOp: (opIndex: number) => number): ShiftRule[] {
  const uses: { op: number; scale: number }[][] = Array.from({ length: circuit.nWeights }, () => []);
  circuit.ops.forEach((op, i) =>
    op.params.forEach((p, k) => {
      if (p.kind !== 'weight') return;
      const def = GATES[op.gate];
      const prims = def.lower.filter((pr) => pr.kind === 'rot' && pr.param === k);
      const ok = def.lower.length === 1 && prims.length === 1 && prims[0]!.kind === 'rot' && prims[0]!.controls.length === 0 && !(op.controls && op.controls.length > 0);
      if (!ok) fail(`ops[${i}]`, `weight ${p.index} drives a ${op.gate}; parameter shift through a cut needs each weight in a single uncontrolled rotation (RX, RY, RZ, PhaseShift, RXX, RYY, RZZ)`);
      uses[p.index]!.push({ op: i, scale: p.scale ?? 1 });
    }),
  );
  return uses.map((u, weight) => {
    if (u.length > 1) fail(`weights[${weight}]`, `is read by ${u.length} gates (ops ${u.map((x) => x.op).join(', ')}); parameter shift through a cut needs one gate per weight`);
    if (u.length === 0) return { weight, fragment: -1, shift: 0, factor: 0 };
    const { op, scale } = u[0]!;
    if (scale === 0) return { weight, fragment: -1, shift: 0, factor: 0 };
    return { weight, fragment: fragmentOfOp(op), shift: Math.PI / (2 * scale), factor: scale / 2 };
  });
}

/** Cuts a parameterized circuit for remote execution; weights and inputs are bound on the nodes. */
export function cutModel(circuit: Circuit, observables: readonly PauliWord[], o: CutModelOptions): CutModel {
  const cut = cutCircuit(circuit, observables, { labels: o.labels, keepParams: true, ...(o.wireCuts ? { wireCuts: o.wireCuts } : {}) });
  const tasks = fragmentTasks(cut);
  const segs = cut.partition.segments;
  const fragmentOfOp = (i: number): number => {
    const w = circuit.ops[i]!.wires[0]!;
    let s = segs.find((x) => x.wire === w)!;
    for (const t of segs) if (t.wire === w && t.start <= i) s = t;
    return s.fragment;
  };
  return { circuit, cut, tasks, rules: shiftRules(circuit, fragmentOfOp) };
}

export interface CutRunStats {
  /** Sub-experiment evaluations (experiment x weights row x input row), all fragments. */
  readonly evaluations: number;
  /** Weight rows sent per fragment. */
  readonly rows: readonly number[];
}

export interface CutOutputs {
  /** Reconstructed expectation values, B x K. */
  readonly values: Float64Array;
  /** d values / d weights, B x K x nWeights (with `gradient`). */
  readonly jacobian?: Float64Array;
  readonly stats: CutRunStats;
}

/**
 * Reconstructs the model's outputs for B input rows, and with `gradient`
 * their Jacobian by parameter shift through the cut; every fragment's task
 * goes to `run` once, concurrently.
 */
export async function runCutModel(model: CutModel, weights: Float64Array, inputs: Float64Array, B: number, run: FragmentRunner, gradient = false): Promise<CutOutputs> {
  const { cut, tasks, rules } = model;
  const nW = model.circuit.nWeights;
  if (weights.length !== nW) fail('weights', `the circuit reads ${nW} weights, got ${weights.length}`);
  const K = cut.nObservables;
  // Rows per fragment: theta, then theta +- s_j e_j for each weight it reads.
  const rowsOf = tasks.map((ft) => {
    const own = gradient ? rules.filter((r) => r.fragment === ft.fragment) : [];
    const rows = new Float64Array((1 + 2 * own.length) * nW);
    rows.set(weights, 0);
    own.forEach((r, i) => {
      rows.set(weights, (1 + 2 * i) * nW);
      rows.set(weights, (2 + 2 * i) * nW);
      rows[(1 + 2 * i) * nW + r.weight] += r.shift;
      rows[(2 + 2 * i) * nW + r.weight] -= r.shift;
    });
    return { own, rows, W: 1 + 2 * own.length };
  });
  const results = await Promise.all(tasks.map((ft, f) => run(ft, rowsOf[f]!.rows, rowsOf[f]!.W, inputs, B)));
  results.forEach((v, f) => {
    const want = rowsOf[f]!.W * B * tasks[f]!.experimentIndex.length * K;
    if (v.length !== want) fail(`fragment ${tasks[f]!.node}`, `returned ${v.length} values, expected ${want}`);
  });
  const values = new Float64Array(B * K);
  const jacobian = gradient ? new Float64Array(B * K * nW) : undefined;
  const all = new Float64Array(cut.experiments.length * K);
  /** Writes fragment f's values for weights row w and sample b into `all`. */
  const place = (f: number, w: number, b: number) => {
    const ft = tasks[f]!;
    const E = ft.experimentIndex.length;
    const from = results[f]!;
    ft.experimentIndex.forEach((g, e) => {
      for (let k = 0; k < K; k++) all[g * K + k] = from[((w * B + b) * E + e) * K + k]!;
    });
  };
  for (let b = 0; b < B; b++) {
    tasks.forEach((_, f) => place(f, 0, b));
    values.set(cut.postprocess(all), b * K);
    if (!jacobian) continue;
    tasks.forEach((_, f) => {
      rowsOf[f]!.own.forEach((r, i) => {
        place(f, 1 + 2 * i, b);
        const plus = cut.postprocess(all);
        place(f, 2 + 2 * i, b);
        const minus = cut.postprocess(all);
        for (let k = 0; k < K; k++) jacobian[(b * K + k) * nW + r.weight] = r.factor * (plus[k]! - minus[k]!);
      });
      place(f, 0, b);
    });
  }
  const rows = rowsOf.map((r) => r.W);
  const evaluations = tasks.reduce((a, ft, f) => a + rows[f]! * B * ft.experimentIndex.length, 0);
  return { values, ...(jacobian ? { jacobian } : {}), stats: { evaluations, rows } };
}

/**
 * The same outputs and Jacobian from the uncut circuit on the local
 * statevector simulator, by the same shift rules: the reference a cut run is
 * compared with (equal to about 1e-12 in exact mode).
 */
export function uncutOutputs(circuit: Circuit, observables: readonly PauliWord[], rules: readonly ShiftRule[], weights: Float64Array, inputs: Float64Array, B: number, gradient = false): { values: Float64Array; jacobian?: Float64Array } {
  const K = observables.length;
  const nW = circuit.nWeights;
  const at = (w: Float64Array) => expval(simulate({ circuit, inputs, weights: w, batch: B }), observables);
  const values = at(weights);
  if (!gradient) return { values };
  const jacobian = new Float64Array(B * K * nW);
  for (const r of rules) {
    if (r.fragment < 0) continue;
    const wp = weights.slice();
    wp[r.weight] += r.shift;
    const wm = weights.slice();
    wm[r.weight] -= r.shift;
    const plus = at(wp);
    const minus = at(wm);
    for (let i = 0; i < B * K; i++) jacobian[i * nW + r.weight] = r.factor * (plus[i]! - minus[i]!);
  }
  return { values, jacobian };
}

/**
 * Labels for a circuit over the nodes at hand: contiguous blocks of wires,
 * the largest node first, each block as wide as its node's qubits (the last
 * one what is left). Two-qubit gates between blocks become gate cuts, which
 * need no extra qubits (their measurements are mid-circuit). Fails with the
 * qubits needed and available when the nodes cannot hold the circuit.
 */
export function planLabels(nQubits: number, nodes: readonly { readonly name: string; readonly qubits: number }[]): string[] {
  const byQubits = [...nodes].filter((n) => n.qubits > 0).sort((a, b) => b.qubits - a.qubits || a.name.localeCompare(b.name));
  const total = byQubits.reduce((a, n) => a + n.qubits, 0);
  if (total < nQubits) {
    fail('nodes', `the circuit has ${nQubits} qubits, the nodes simulate ${total} together (${byQubits.map((n) => `${n.name}: ${n.qubits}`).join(', ') || 'no nodes with qubits'})`);
  }
  const labels: string[] = [];
  for (const n of byQubits) {
    for (let q = 0; q < n.qubits && labels.length < nQubits; q++) labels.push(n.name);
    if (labels.length === nQubits) break;
  }
  return labels;
}

/**
 * Standard error of each reconstructed value when every experiment value is
 * the mean of `shots` +-1 outcomes: the reconstruction is linear in each
 * fragment's values and fragments are independent, so (delta method, exact
 * to first order) var <O>_k = sum_e (d<O>_k / dE_{e,k})^2 (1 - E_{e,k}^2) / shots,
 * the derivative being the reconstruction with E_e replaced by 1 and the rest
 * of its fragment by 0. `values` are the exact (or estimated) experiment values.
 */
export function reconstructionStdErrors(cut: CutCircuits, values: Float64Array, shots: number): Float64Array {
  const K = cut.nObservables;
  const out = new Float64Array(K);
  const probe = values.slice();
  for (const e of cut.experiments) {
    const f = e.fragment;
    for (const o of cut.experiments) if (o.fragment === f) for (let k = 0; k < K; k++) probe[o.index * K + k] = o.index === e.index ? 1 : 0;
    const d = cut.postprocess(probe);
    for (let k = 0; k < K; k++) out[k] += d[k]! ** 2 * (1 - values[e.index * K + k]! ** 2) / shots;
    for (const o of cut.experiments) if (o.fragment === f) for (let k = 0; k < K; k++) probe[o.index * K + k] = values[o.index * K + k]!;
  }
  return out.map(Math.sqrt);
}
