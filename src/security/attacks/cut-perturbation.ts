import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import type { Circuit, Operation } from '../../quantum/circuit.js';
import type { Pauli } from '../../quantum/measure.js';
import { settingsKey, type CutCircuits, type SubExperiment } from '../../quantum/cutting/experiments.js';
import { exactExecutor, executeCut, experimentsByNode, runCut, uncutExpval, type Executor } from '../../quantum/cutting/execute.js';
import { exampleClassifierCut } from '../../quantum/cutting/example.js';
import { normalQuantile, ShotSampler, shotVariance } from '../../quantum/cutting/stats.js';

/**
 * The attack of the review (arXiv:2508.11848, Sec. 4, mechanism 1): one node
 * of a cut circuit applies V = exp(-i eps P) to the input states it prepares.
 * Because sum_t c_t Tr(P_t rho) V rho_t V^dag = V rho V^dag, the
 * reconstruction then equals the uncut circuit with V inserted where the
 * prepared wire enters the node — an adversarial gate in an intermediate
 * layer, which no one running the uncut circuit would see at its input.
 */

export type PerturbationMode = 'uniform' | 'selective';

export interface Perturbation {
  /** The node (fragment label) that perturbs its inputs. */
  readonly node: string;
  /** Generator: V = exp(-i eps P) = R_P(2 eps). */
  readonly pauli: Pauli;
  readonly eps: number;
  /**
   * Which qubits: 'prepared' (default) the qubits that receive a wire cut's
   * prepared state; 'inputs' also the node's own wires at the circuit start.
   */
  readonly target?: 'prepared' | 'inputs';
  /**
   * 'uniform' (default): V after every prepared state; 'selective': only
   * after the +1 eigenstates |0>, |+>, |+i> (a state-dependent attack, which
   * has no unitary equivalent in the uncut circuit).
   */
  readonly mode?: PerturbationMode;
}

const ROTATION = { X: 'RX', Y: 'RY', Z: 'RZ' } as const;
const rotation = (p: Perturbation, wire: number): Operation => ({
  gate: ROTATION[p.pauli],
  wires: [wire],
  params: [{ kind: 'const', value: 2 * p.eps }],
});

function fragmentOf(cut: CutCircuits, node: string): number {
  const f = cut.nodes.indexOf(node);
  if (f < 0) fail('node', `unknown node '${node}'; nodes are ${cut.nodes.map((n) => `'${n}'`).join(', ')}`);
  return f;
}

/** The experiment as the perturbing node runs it (unchanged for other nodes). */
export function perturbExperiment(cut: CutCircuits, e: SubExperiment, p: Perturbation): SubExperiment {
  if (e.node !== p.node || p.eps === 0) return e;
  const qubits: number[] = [];
  for (const s of e.settings) {
    if (s.kind !== 'wirePrepare') continue;
    if ((p.mode ?? 'uniform') === 'selective' && !(s.state === '0' || s.state === '+' || s.state === '+i')) continue;
    qubits.push(s.qubit);
  }
  if (p.target === 'inputs') {
    for (const s of cut.partition.segments) if (s.fragment === e.fragment && s.start === 0) qubits.push(s.qubit);
  }
  if (qubits.length === 0) return e;
  const ops = [...e.circuit.ops.slice(0, e.nPrepOps), ...qubits.map((q) => rotation(p, q)), ...e.circuit.ops.slice(e.nPrepOps)];
  const circuit: Circuit = { ...e.circuit, ops };
  return { ...e, circuit };
}

/** An executor for a federation where node `p.node` perturbs its inputs. */
export function tamperedExecutor(cut: CutCircuits, base: Executor, p: Perturbation): Executor {
  return (batch, node) => base(node === p.node ? batch.map((e) => perturbExperiment(cut, e, p)) : batch, node);
}

/**
 * The uncut circuit with V on the perturbed wires: `at: 'cut'` where each
 * prepared wire enters the node (the equivalent of a uniform perturbation),
 * `at: 'input'` at the start of the circuit on the same wires.
 */
export function perturbedUncut(cut: CutCircuits, p: Perturbation, at: 'cut' | 'input'): Circuit {
  const f = fragmentOf(cut, p.node);
  const part = cut.partition;
  const spots: { wire: number; before: number }[] = [];
  for (const c of part.cuts) if (c.kind === 'wire' && c.to.fragment === f) spots.push({ wire: c.wire, before: at === 'cut' ? c.before : 0 });
  if (p.target === 'inputs') for (const s of part.segments) if (s.fragment === f && s.start === 0) spots.push({ wire: s.wire, before: 0 });
  const ops = [...part.circuit.ops];
  spots.sort((a, b) => b.before - a.before);
  for (const s of spots) ops.splice(s.before, 0, rotation(p, s.wire));
  return { ...part.circuit, ops };
}

export interface PerturbationRow {
  readonly eps: number;
  /** Reconstructed with every node honest (= the uncut circuit). */
  readonly clean: readonly number[];
  /** Reconstructed with the node perturbing its inputs. */
  readonly reconstructed: readonly number[];
  /** Uncut circuit with V inserted where the prepared wires enter the node (uniform mode only). */
  readonly uncutAtCut?: readonly number[];
  /** Uncut circuit with the same V on the same wires at the circuit input. */
  readonly uncutAtInput: readonly number[];
  /** max over observables of |reconstructed - clean|. */
  readonly shift: number;
  /** max over observables of |uncutAtInput - clean|: the same perturbation on the uncut circuit's input. */
  readonly shiftAtInput: number;
  /** max over observables of |reconstructed - uncutAtCut| (about 1e-15: the attack is an inserted gate). */
  readonly mismatchAtCut?: number;
}

export interface PerturbationStudyOptions {
  readonly node: string;
  readonly pauli: Pauli;
  readonly eps: readonly number[];
  readonly target?: 'prepared' | 'inputs';
  readonly mode?: PerturbationMode;
  /** How honest experiments run (default exact). */
  readonly executor?: Executor;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** How far a node's input perturbation moves the reconstructed output, against the uncut circuit. */
export function perturbationStudy(cut: CutCircuits, options: PerturbationStudyOptions): PerturbationRow[] {
  fragmentOf(cut, options.node);
  const base = options.executor ?? exactExecutor;
  const clean = runCut(cut, base);
  return options.eps.map((eps) => {
    const p: Perturbation = {
      node: options.node,
      pauli: options.pauli,
      eps,
      ...(options.target === undefined ? {} : { target: options.target }),
      ...(options.mode === undefined ? {} : { mode: options.mode }),
    };
    const reconstructed = runCut(cut, tamperedExecutor(cut, base, p));
    const uncutAtInput = uncutExpval(cut, perturbedUncut(cut, p, 'input'));
    const row = {
      eps,
      clean: Array.from(clean),
      reconstructed: Array.from(reconstructed),
      uncutAtInput: Array.from(uncutAtInput),
      shift: maxAbsDiff(reconstructed, clean),
      shiftAtInput: maxAbsDiff(uncutAtInput, clean),
    };
    if ((options.mode ?? 'uniform') === 'selective') return row;
    const uncutAtCut = uncutExpval(cut, perturbedUncut(cut, p, 'cut'));
    return { ...row, uncutAtCut: Array.from(uncutAtCut), mismatchAtCut: maxAbsDiff(reconstructed, uncutAtCut) };
  });
}

// ------------------------------------------------------------- detection

/**
 * A linear identity an honest node's values satisfy exactly:
 * v[plus0] + v[plus1] - v[minus0] - v[minus1] = 0 for observable `observable`.
 * - 'prepareX', 'prepareY': |0><0| + |1><1| = |+><+| + |-><-| = |+i><+i| + |-i><-i| (= I),
 *   so the node's output with a maximally mixed cut input is the same computed
 *   from Z-, X- or Y-basis preparations;
 * - 'rotation': R+ rho R+^dag + R- rho R-^dag = rho + Z rho Z on a gate-cut side.
 * A unitary applied the same way to every prepared state keeps all of them
 * (V I V^dag = I): only a state-dependent perturbation breaks them.
 */
export interface ConsistencyCheck {
  readonly kind: 'prepareX' | 'prepareY' | 'rotation';
  readonly plus: readonly [number, number];
  readonly minus: readonly [number, number];
  readonly observable: number;
}

/** The consistency checks among one node's experiments. */
export function consistencyChecks(cut: CutCircuits, node: string): ConsistencyCheck[] {
  fragmentOf(cut, node);
  const mine = cut.experiments.filter((e) => e.node === node);
  const groups = new Map<string, Map<string, number>>();
  for (const e of mine) {
    e.settings.forEach((s, i) => {
      if (s.kind === 'wireMeasure') return;
      const key = `${i}#${settingsKey(e.settings, i)}`;
      const g = groups.get(key) ?? new Map<string, number>();
      g.set(s.kind === 'wirePrepare' ? s.state : s.action, e.index);
      groups.set(key, g);
    });
  }
  const checks: ConsistencyCheck[] = [];
  const K = cut.nObservables;
  for (const g of groups.values()) {
    const at = (k: string): number | undefined => g.get(k);
    const add = (kind: ConsistencyCheck['kind'], a: string, b: string, c: string, d: string): void => {
      const [p0, p1, m0, m1] = [at(a), at(b), at(c), at(d)];
      if (p0 === undefined || p1 === undefined || m0 === undefined || m1 === undefined) return;
      for (let j = 0; j < K; j++) checks.push({ kind, plus: [p0, p1], minus: [m0, m1], observable: j });
    };
    add('prepareX', '0', '1', '+', '-');
    add('prepareY', '0', '1', '+i', '-i');
    add('rotation', 'rzPlus', 'rzMinus', 'id', 'z');
  }
  return checks;
}

/** The residual of each check for values (experiments.length x K). */
export function consistencyResiduals(cut: CutCircuits, checks: readonly ConsistencyCheck[], values: Float64Array): Float64Array {
  const K = cut.nObservables;
  const v = (e: number, j: number): number => values[e * K + j]!;
  return Float64Array.from(checks, (c) => v(c.plus[0], c.observable) + v(c.plus[1], c.observable) - v(c.minus[0], c.observable) - v(c.minus[1], c.observable));
}

export interface DetectionOptions {
  readonly node: string;
  readonly eps: readonly number[];
  /** Generator of the perturbation (default 'Y'). */
  readonly pauli?: Pauli;
  readonly target?: 'prepared' | 'inputs';
  readonly mode?: PerturbationMode;
  /** Shots per experiment and observable, on the node and on the replica. */
  readonly shots: number;
  readonly trials: number;
  /** Family-wise false-alarm rate of each detector (Bonferroni over its checks); default 0.01. */
  readonly falseAlarm?: number;
  readonly rng: Rng;
}

export interface DetectionRow {
  readonly eps: number;
  readonly mode: PerturbationMode;
  /** max over observables of the exact shift of the reconstructed output. */
  readonly shift: number;
  /** Fraction of trials flagged by comparing the node's values with an honest replica's. */
  readonly redundancyRate: number;
  /** Fraction of trials flagged by the node's consistency checks alone. */
  readonly identityRate: number;
  /** max |exact residual| of the consistency checks (0 when the perturbation is uniform). */
  readonly identityResidual: number;
  readonly nRedundancyChecks: number;
  readonly nIdentityChecks: number;
}

/**
 * Detection rate against perturbation strength, with shot noise. Two
 * detectors, each a Bonferroni-corrected z-test at family-wise level
 * `falseAlarm` with plug-in variances:
 * - redundancy: every experiment of the node is also run by an honest replica
 *   (another node given the same circuit); flag if any pair differs;
 * - identities: flag if any consistency check of the node's own values fails.
 * Each trial draws fresh shot estimates from the exact expectation values.
 */
export function detectionStudy(cut: CutCircuits, options: DetectionOptions): DetectionRow[] {
  const { node, shots, trials, rng } = options;
  fragmentOf(cut, node);
  if (!Number.isInteger(shots) || shots < 1) fail('shots', `must be a positive integer, got ${shots}`);
  if (!Number.isInteger(trials) || trials < 1) fail('trials', `must be a positive integer, got ${trials}`);
  const alpha = options.falseAlarm ?? 0.01;
  if (!(alpha > 0 && alpha < 1)) fail('falseAlarm', `must be in (0, 1), got ${alpha}`);
  const mode = options.mode ?? 'uniform';
  const K = cut.nObservables;
  const mine = experimentsByNode(cut).get(node)!;
  const checks = consistencyChecks(cut, node);
  const nRed = mine.length * K;
  const zRed = normalQuantile(1 - alpha / (2 * nRed));
  const zId = checks.length > 0 ? normalQuantile(1 - alpha / (2 * checks.length)) : Infinity;
  const honest = executeCut(cut, exactExecutor);
  const clean = cut.postprocess(honest);

  return options.eps.map((eps) => {
    const p: Perturbation = {
      node,
      pauli: options.pauli ?? 'Y',
      eps,
      mode,
      ...(options.target === undefined ? {} : { target: options.target }),
    };
    const tampered = executeCut(cut, tamperedExecutor(cut, exactExecutor, p));
    const shift = maxAbsDiff(cut.postprocess(tampered), clean);
    const exactResiduals = consistencyResiduals(cut, checks, tampered);
    const identityResidual = exactResiduals.reduce((m, r) => Math.max(m, Math.abs(r)), 0);
    const est = new Float64Array(tampered.length);
    const indices = mine.flatMap((e) => Array.from({ length: K }, (_, j) => e.index * K + j));
    const nodeSamplers = indices.map((i) => new ShotSampler(tampered[i]!, shots));
    const replicaSamplers = indices.map((i) => new ShotSampler(honest[i]!, shots));
    let redundancyHits = 0;
    let identityHits = 0;
    for (let trial = 0; trial < trials; trial++) {
      let redundancy = false;
      indices.forEach((i, k) => {
        est[i] = nodeSamplers[k]!.draw(rng);
        const replica = replicaSamplers[k]!.draw(rng);
        const z = Math.abs(est[i]! - replica) / Math.sqrt(shotVariance(est[i]!, shots) + shotVariance(replica, shots));
        if (z > zRed) redundancy = true;
      });
      let identity = false;
      const res = consistencyResiduals(cut, checks, est);
      checks.forEach((c, k) => {
        const j = c.observable;
        const v = [...c.plus, ...c.minus].reduce((a, e) => a + shotVariance(est[e * K + j]!, shots), 0);
        if (Math.abs(res[k]!) / Math.sqrt(v) > zId) identity = true;
      });
      if (redundancy) redundancyHits++;
      if (identity) identityHits++;
    }
    return {
      eps,
      mode,
      shift,
      redundancyRate: redundancyHits / trials,
      identityRate: identityHits / trials,
      identityResidual,
      nRedundancyChecks: nRed,
      nIdentityChecks: checks.length,
    };
  });
}

export interface AttackReport {
  readonly perturbation: readonly PerturbationRow[];
  readonly detection: readonly DetectionRow[];
}

/**
 * The numbers quoted in README.md: node B perturbs its prepared inputs by
 * exp(-i eps Y); exact shifts, and detection rates with 1000 shots per
 * experiment, 400 trials, 5% family-wise false alarms.
 */
export function exampleAttackReport(rng: Rng, trials = 400): AttackReport {
  const cut = exampleClassifierCut();
  const eps = [0, 0.05, 0.1, 0.2, 0.3, 0.6];
  const perturbation = perturbationStudy(cut, { node: 'B', pauli: 'Y', eps });
  const common = { node: 'B', eps, shots: 1000, trials, falseAlarm: 0.05, rng } as const;
  const detection = [...detectionStudy(cut, common), ...detectionStudy(cut, { ...common, mode: 'selective' })];
  return { perturbation, detection };
}

/** The report as a Markdown table. */
export function formatAttackReport(r: AttackReport): string {
  const f = (x: number) => x.toFixed(4);
  const lines = [
    '| eps | shift of reconstruction | same V at uncut input | mismatch vs V inserted at cut |',
    '|---|---|---|---|',
    ...r.perturbation.map((p) => `| ${p.eps} | ${f(p.shift)} | ${f(p.shiftAtInput)} | ${(p.mismatchAtCut ?? NaN).toExponential(1)} |`),
    '',
    '| mode | eps | shift | redundancy detection | identity detection | max identity residual |',
    '|---|---|---|---|---|---|',
    ...r.detection.map((d) => `| ${d.mode} | ${d.eps} | ${f(d.shift)} | ${d.redundancyRate.toFixed(3)} | ${d.identityRate.toFixed(3)} | ${d.identityResidual.toExponential(1)} |`),
  ];
  return lines.join('\n');
}

// ------------------------------------------------------- replica test, shared

/**
 * The replica detector's statistic for two runs of the same experiments:
 * max_i |a_i - b_i| / sqrt(var a_i + var b_i) with plug-in shot variances;
 * with `shots = 0` (exact values) max_i |a_i - b_i|.
 */
export function replicaStatistic(a: ArrayLike<number>, b: ArrayLike<number>, shots: number): number {
  let stat = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    stat = Math.max(stat, shots > 0 ? d / Math.sqrt(shotVariance(a[i]!, shots) + shotVariance(b[i]!, shots)) : d);
  }
  return stat;
}

/** Exact values agree to rounding; this is far above it and far below any perturbation worth the name. */
export const EXACT_TOLERANCE = 1e-9;

/** Threshold of the replica test over `n` values at family-wise false-alarm rate `alpha` (Bonferroni). */
export const replicaThreshold = (n: number, alpha: number, shots: number): number => (shots > 0 ? normalQuantile(1 - alpha / (2 * n)) : EXACT_TOLERANCE);

/**
 * The replica detector's flag rate, simulated: the node's exact values
 * `tampered` and an honest replica's `honest`, each estimated from `shots`
 * outcomes (exact binomial draws), `trials` times. What a deployment with the
 * same task, shots and false-alarm rate should measure.
 */
export function replicaFlagRate(tampered: Float64Array, honest: Float64Array, shots: number, trials: number, falseAlarm: number, rng: Rng): number {
  if (!Number.isInteger(shots) || shots < 1) fail('shots', `must be a positive integer, got ${shots}`);
  const a = Array.from(tampered, (v) => new ShotSampler(Math.max(-1, Math.min(1, v)), shots));
  const b = Array.from(honest, (v) => new ShotSampler(Math.max(-1, Math.min(1, v)), shots));
  const threshold = replicaThreshold(tampered.length, falseAlarm, shots);
  const x = new Float64Array(a.length);
  const y = new Float64Array(b.length);
  let hits = 0;
  for (let t = 0; t < trials; t++) {
    for (let i = 0; i < a.length; i++) {
      x[i] = a[i]!.draw(rng);
      y[i] = b[i]!.draw(rng);
    }
    if (replicaStatistic(x, y, shots) > threshold) hits++;
  }
  return hits / trials;
}
