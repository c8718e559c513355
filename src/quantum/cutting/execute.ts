import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import type { Circuit } from '../circuit.js';
import { expval, expvalShots } from '../measure.js';
import { simulate } from '../statevector.js';
import type { CutCircuits, SubExperiment } from './experiments.js';

/**
 * Running sub-experiments. An executor gets one node's experiments and
 * returns their expectation values (experiments.length x K, row-major, K =
 * observables per experiment); it can run them locally, on a worker or on a
 * remote client. `runCut` calls it once per node, `runCutAsync` calls all
 * nodes concurrently.
 */
export type Executor = (experiments: readonly SubExperiment[], node: string) => Float64Array;
export type AsyncExecutor = (experiments: readonly SubExperiment[], node: string) => Promise<Float64Array>;

const NONE = new Float64Array(0);

function simulateOne(e: SubExperiment) {
  return simulate({ circuit: e.circuit, inputs: NONE, weights: NONE, batch: 1 });
}

/** Exact expectation values on the statevector simulator (infinite shots). */
export const exactExecutor: Executor = (experiments) => {
  const K = experiments[0]?.observables.length ?? 0;
  const out = new Float64Array(experiments.length * K);
  experiments.forEach((e, i) => out.set(expval(simulateOne(e), e.observables), i * K));
  return out;
};

/** Estimates from `shots` measurements per experiment and observable, seeded. */
export function shotExecutor(shots: number, rng: Rng): Executor {
  if (!Number.isInteger(shots) || shots < 1) fail('shots', `must be a positive integer, got ${shots}`);
  return (experiments) => {
    const K = experiments[0]?.observables.length ?? 0;
    const out = new Float64Array(experiments.length * K);
    experiments.forEach((e, i) => out.set(expvalShots(simulateOne(e), e.observables, shots, rng), i * K));
    return out;
  };
}

/** Exact expectation values of the cut's observables on an uncut circuit over the original wires. */
export function uncutExpval(cut: CutCircuits, circuit: Circuit): Float64Array {
  return expval(simulate({ circuit, inputs: NONE, weights: NONE, batch: 1 }), cut.observables);
}

/** Experiments of each node, in node order. */
export function experimentsByNode(cut: CutCircuits): Map<string, SubExperiment[]> {
  const m = new Map<string, SubExperiment[]>(cut.nodes.map((n) => [n, []]));
  for (const e of cut.experiments) m.get(e.node)!.push(e);
  return m;
}

function scatter(cut: CutCircuits, node: string, batch: readonly SubExperiment[], got: Float64Array, into: Float64Array): void {
  const K = cut.nObservables;
  if (!(got instanceof Float64Array) || got.length !== batch.length * K) {
    fail(`executor(${node})`, `must return ${batch.length} x ${K} = ${batch.length * K} values, got ${got?.length}`);
  }
  batch.forEach((e, i) => {
    for (let j = 0; j < K; j++) {
      const v = got[i * K + j]!;
      if (!Number.isFinite(v)) fail(`executor(${node})`, `returned ${v} for experiment ${e.index}, observable ${j}`);
      into[e.index * K + j] = v;
    }
  });
}

/** Runs every node's experiments; returns all values (experiments.length x K). */
export function executeCut(cut: CutCircuits, executor: Executor): Float64Array {
  const values = new Float64Array(cut.experiments.length * cut.nObservables);
  for (const [node, batch] of experimentsByNode(cut)) scatter(cut, node, batch, executor(batch, node), values);
  return values;
}

export async function executeCutAsync(cut: CutCircuits, executor: AsyncExecutor): Promise<Float64Array> {
  const values = new Float64Array(cut.experiments.length * cut.nObservables);
  const byNode = [...experimentsByNode(cut)];
  const results = await Promise.all(byNode.map(([node, batch]) => executor(batch, node)));
  byNode.forEach(([node, batch], i) => scatter(cut, node, batch, results[i]!, values));
  return values;
}

/** Executes and reconstructs: one value per observable. */
export function runCut(cut: CutCircuits, executor: Executor = exactExecutor): Float64Array {
  return cut.postprocess(executeCut(cut, executor));
}

export async function runCutAsync(cut: CutCircuits, executor: AsyncExecutor): Promise<Float64Array> {
  return cut.postprocess(await executeCutAsync(cut, executor));
}

export interface QuasiProbabilityEstimate {
  readonly estimates: Float64Array;
  /** Estimated standard error of each estimate: gamma sqrt((1 - m^2) / shots), m the mean signed outcome. */
  readonly stdErrors: Float64Array;
  readonly shots: number;
  readonly gamma: number;
}

/**
 * Quasi-probability sampling with a total budget of `shots`: each shot draws
 * one term per cut with probability |c| / gamma_k, runs every fragment's
 * experiment for that term once (a single +-1 outcome drawn from its exact
 * expectation `values`, which is how one measurement of a Pauli word is
 * distributed), and scores gamma * sign(c) * prod_f outcome_f. The estimator
 * is unbiased and each score lies in [-gamma, gamma], so its standard
 * deviation is at most gamma / sqrt(shots): the sampling overhead gamma^2.
 */
export function sampleQuasiProbability(cut: CutCircuits, values: Float64Array, shots: number, rng: Rng): QuasiProbabilityEstimate {
  if (!Number.isInteger(shots) || shots < 1) fail('shots', `must be a positive integer, got ${shots}`);
  const K = cut.nObservables;
  if (values.length !== cut.experiments.length * K) fail('values', `expected ${cut.experiments.length * K} values, got ${values.length}`);
  const cdfs = cut.coefficients.map((c) => {
    const cdf = new Float64Array(c.length);
    let acc = 0;
    c.forEach((x, i) => (cdf[i] = acc += Math.abs(x)));
    return cdf;
  });
  const nCuts = cdfs.length;
  const nF = cut.nodes.length;
  const t = new Int32Array(nCuts);
  const rows = new Int32Array(nF);
  const sums = new Float64Array(K);
  for (let s = 0; s < shots; s++) {
    let sign = 1;
    for (let k = 0; k < nCuts; k++) {
      const cdf = cdfs[k]!;
      const u = rng.uniform() * cdf[cdf.length - 1]!;
      let i = 0;
      while (i < cdf.length - 1 && cdf[i]! <= u) i++;
      t[k] = i;
      if (cut.coefficients[k]![i]! < 0) sign = -sign;
    }
    for (let f = 0; f < nF; f++) rows[f] = cut.experimentFor(f, t) * K;
    for (let j = 0; j < K; j++) {
      let x = sign;
      for (let f = 0; f < nF; f++) if (rng.uniform() >= (1 + values[rows[f]! + j]!) / 2) x = -x;
      sums[j] += x;
    }
  }
  const { gamma } = cut.overhead;
  const estimates = new Float64Array(K);
  const stdErrors = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    const m = sums[j]! / shots;
    estimates[j] = gamma * m;
    stdErrors[j] = gamma * Math.sqrt(Math.max(0, 1 - m * m) / shots);
  }
  return { estimates, stdErrors, shots, gamma };
}
