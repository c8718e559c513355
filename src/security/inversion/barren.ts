import { vjp } from '../../quantum/adjoint.js';
import { CircuitBuilder, type Circuit } from '../../quantum/circuit.js';
import type { PauliWord } from '../../quantum/measure.js';
import { hardwareEfficient } from '../../quantum/templates.js';
import { fail } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/random.js';

/**
 * Barren-plateau diagnostic (McClean, Boixo, Smelyanskiy, Babbush & Neven
 * 2018, "Barren plateaus in quantum neural network training landscapes"):
 * the variance, over random initializations θ ~ U[0, 2π)^P, of one partial
 * derivative ∂_k E(θ) of a cost E = ⟨ψ(θ)|O|ψ(θ)⟩. For random circuits deep
 * enough to form a 2-design it decays exponentially with the number of qubits
 * (Var ∝ 2^(−n) for McClean's Z1 Z2 cost), so a gradient estimated from a
 * polynomial number of shots carries no signal.
 *
 * It is the other side of the trade-off the QFL review (arXiv 2508.11848,
 * section 3.3.2) points out: the over-parameterized circuits said to resist
 * gradient inversion are the ones whose gradients vanish.
 *
 * Ansätze:
 * - `mcclean`: RY(π/4) on every qubit, then per layer a rotation about a
 *   random axis (X, Y or Z, drawn per gate and per sample) on every qubit and
 *   CZ between neighbours 0-1, 1-2, …, n−2 − n−1 (their Fig. 2).
 * - `hardware-efficient`: the model zoo's ansatz (RY, RZ on every wire, CNOT ring).
 *
 * Costs: `zz` = Z0 Z1 (McClean's; Z0 on one qubit), `local` = Z0, `global` = Z on every qubit.
 * Gradients are exact (adjoint method); one sample is one circuit.
 *
 * @example
 * barrenPlateau({ seed: 1, qubits: [2, 4, 6], layers: [20] }); // variance falls about 2x per qubit
 */

export const BP_ANSATZE = ['mcclean', 'hardware-efficient'] as const;
export type BpAnsatz = (typeof BP_ANSATZE)[number];
export const BP_COSTS = ['zz', 'local', 'global'] as const;
export type BpCost = (typeof BP_COSTS)[number];

export interface BarrenPlateauSpec {
  readonly seed: number;
  readonly qubits: readonly number[];
  readonly layers: readonly number[];
  /** Random initializations per (qubits, layers); default 200. */
  readonly samples?: number;
  /** Default `mcclean`. */
  readonly ansatz?: BpAnsatz;
  /** Default `zz`. */
  readonly cost?: BpCost;
  /** Which parameter's derivative: `first` (default, McClean's θ1), `middle`, `last`, or an index. */
  readonly param?: 'first' | 'middle' | 'last' | number;
  readonly onRow?: (row: BarrenPlateauRow, done: number, total: number) => void;
}

export interface BarrenPlateauRow {
  readonly ansatz: BpAnsatz;
  readonly cost: BpCost;
  readonly nQubits: number;
  readonly layers: number;
  /** Trainable parameters of the circuit. */
  readonly params: number;
  readonly paramIndex: number;
  readonly samples: number;
  /** Sample mean of ∂_k E (≈ 0). */
  readonly mean: number;
  /** Sample variance (1/(N−1)) of ∂_k E. */
  readonly variance: number;
  /** Standard error of `variance`, √((m4 − s⁴)/N) with m4 the fourth central moment. */
  readonly varianceStdErr: number;
  /** Mean |∂_k E|. */
  readonly meanAbs: number;
}

/** The cost observable as a Pauli word. */
export function bpObservable(cost: BpCost, nQubits: number): PauliWord {
  switch (cost) {
    case 'zz':
      return { terms: nQubits >= 2 ? [{ wire: 0, pauli: 'Z' }, { wire: 1, pauli: 'Z' }] : [{ wire: 0, pauli: 'Z' }] };
    case 'local':
      return { terms: [{ wire: 0, pauli: 'Z' }] };
    case 'global':
      return { terms: Array.from({ length: nQubits }, (_, wire) => ({ wire, pauli: 'Z' as const })) };
    default:
      return fail('cost', `must be one of ${BP_COSTS.join(', ')}, got '${String(cost)}'`);
  }
}

/** One random circuit of the chosen ansatz (McClean's axes drawn from `rng`). */
export function bpCircuit(ansatz: BpAnsatz, nQubits: number, layers: number, rng: Rng): Circuit {
  const b = new CircuitBuilder(nQubits);
  switch (ansatz) {
    case 'mcclean': {
      for (let q = 0; q < nQubits; q++) b.ry(q, Math.PI / 4);
      const gates = ['RX', 'RY', 'RZ'] as const;
      for (let l = 0; l < layers; l++) {
        for (let q = 0; q < nQubits; q++) b.add(gates[rng.int(3)]!, [q], [b.newWeight()]);
        for (let q = 0; q + 1 < nQubits; q++) b.cz(q, q + 1);
      }
      break;
    }
    case 'hardware-efficient':
      hardwareEfficient(b, { layers });
      break;
    default:
      fail('ansatz', `must be one of ${BP_ANSATZE.join(', ')}, got '${String(ansatz)}'`);
  }
  return b.build();
}

export function barrenPlateau(spec: BarrenPlateauSpec): BarrenPlateauRow[] {
  const samples = spec.samples ?? 200;
  const ansatz = spec.ansatz ?? 'mcclean';
  const cost = spec.cost ?? 'zz';
  const which = spec.param ?? 'first';
  if (!Number.isInteger(samples) || samples < 2) fail('samples', `must be an integer >= 2, got ${samples}`);
  if (!BP_ANSATZE.includes(ansatz)) fail('ansatz', `must be one of ${BP_ANSATZE.join(', ')}, got '${String(ansatz)}'`);
  if (!BP_COSTS.includes(cost)) fail('cost', `must be one of ${BP_COSTS.join(', ')}, got '${String(cost)}'`);
  spec.qubits.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1 || n > 20) fail(`qubits[${i}]`, `must be an integer in [1, 20], got ${n}`);
  });
  spec.layers.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 1) fail(`layers[${i}]`, `must be an integer >= 1, got ${l}`);
  });
  const total = spec.qubits.length * spec.layers.length;
  const rows: BarrenPlateauRow[] = [];
  spec.qubits.forEach((n, qi) => {
    spec.layers.forEach((layers, li) => {
      const rng = new Rng(deriveSeed(spec.seed, qi, li, n, layers));
      const observable = bpObservable(cost, n);
      const g = new Float64Array(samples);
      let nParams = 0;
      let k = 0;
      for (let s = 0; s < samples; s++) {
        const circuit = bpCircuit(ansatz, n, layers, rng);
        nParams = circuit.nWeights;
        k = paramIndex(which, nParams);
        const weights = new Float64Array(nParams);
        for (let i = 0; i < nParams; i++) weights[i] = 2 * Math.PI * rng.uniform();
        const r = vjp({ circuit, inputs: new Float64Array(0), weights, batch: 1 }, [observable], new Float64Array([1]));
        g[s] = r.gradWeights[k]!;
      }
      let mean = 0;
      let meanAbs = 0;
      for (const v of g) {
        mean += v;
        meanAbs += Math.abs(v);
      }
      mean /= samples;
      meanAbs /= samples;
      let m2 = 0;
      let m4 = 0;
      for (const v of g) {
        const d = v - mean;
        m2 += d * d;
        m4 += d * d * d * d;
      }
      const variance = m2 / (samples - 1);
      const pop = m2 / samples;
      const row: BarrenPlateauRow = {
        ansatz,
        cost,
        nQubits: n,
        layers,
        params: nParams,
        paramIndex: k,
        samples,
        mean,
        variance,
        varianceStdErr: Math.sqrt(Math.max(0, m4 / samples - pop * pop) / samples),
        meanAbs,
      };
      rows.push(row);
      spec.onRow?.(row, rows.length, total);
    });
  });
  return rows;
}

function paramIndex(which: 'first' | 'middle' | 'last' | number, count: number): number {
  if (which === 'first') return 0;
  if (which === 'middle') return Math.floor(count / 2);
  if (which === 'last') return count - 1;
  if (!Number.isInteger(which) || which < 0 || which >= count) fail('param', `must be an index in [0, ${count}), got ${which}`);
  return which;
}
