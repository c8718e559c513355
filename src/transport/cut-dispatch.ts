import { randomInt } from 'node:crypto';
import type { FragmentRunner } from '../quantum/cutting/distributed.js';
import type { CutCircuits } from '../quantum/cutting/experiments.js';
import { normalQuantile, shotVariance } from '../quantum/cutting/stats.js';
import type { FragmentTask } from '../quantum/cutting/subcircuit.js';
import { consistencyChecks, consistencyResiduals, EXACT_TOLERANCE, replicaStatistic, replicaThreshold, type ConsistencyCheck } from '../security/attacks/cut-perturbation.js';
import { QflError } from '../util/errors.js';
import { deriveSeed } from '../util/random.js';
import { cutInstruction, decodeCutResult, type SegmentEncoding } from './cut-codec.js';
import type { Fleet, NodeInfo } from './fleet.js';

/**
 * The server's side of a cut model in a deployment: sends each fragment's
 * sub-circuit task to a node that simulates enough qubits, checks what comes
 * back, and runs the two detectors of the review's attack (arXiv:2508.11848,
 * Sec. 4) on the live results:
 *
 * - replica: a random share of the tasks (chosen by the OS CSPRNG, so a node
 *   cannot tell which) is also sent to another node; each pair of values is
 *   compared (a z-test per value with the shot variances, Bonferroni at the
 *   family-wise `falseAlarm`; exact mode: |difference| > 1e-9). A node whose
 *   values disagree with a trusted replica's is flagged.
 * - identity: the quasi-probability identities an honest fragment satisfies
 *   exactly (f(0) + f(1) = f(+) + f(-) = f(+i) + f(-i) for a prepared wire,
 *   f(R+) + f(R-) = f(id) + f(Z) on a gate-cut side) are tested on every
 *   result, for free; they see state-dependent perturbations only.
 *
 * A flag is an event (`onEvent`); with `exclude` the node gets no more tasks
 * and its fragment moves to another node with enough qubits (the replica's
 * values stand in for the flagged result).
 */
export interface CutDetectors {
  /** Share of tasks also run on a replica node, in [0, 1]. */
  readonly replicaFraction: number;
  /** Node names whose results count as the truth; empty: any other node. */
  readonly trusted: readonly string[];
  /** Family-wise false-alarm rate of each detector per task. */
  readonly falseAlarm: number;
  readonly identity: boolean;
  /** Stop sending tasks to a flagged node. */
  readonly exclude: boolean;
}

export interface CutFlag {
  readonly type: 'cut_flag';
  readonly round: number;
  readonly detector: 'replica' | 'identity';
  /** Node name flagged. */
  readonly node: string;
  readonly fragment: string;
  /** The replica node (replica detector). */
  readonly witness?: string;
  /** Largest |z| (or |difference| in exact mode) seen, and the threshold. */
  readonly statistic: number;
  readonly threshold: number;
  readonly excluded: boolean;
}

export interface CutTaskStats {
  readonly tasks: number;
  readonly replicas: number;
  readonly failures: number;
  /** Sub-experiment evaluations requested (experiments x rows), replicas included. */
  readonly evaluations: number;
  readonly shots: number;
}

export interface CutDispatcherOptions {
  readonly fleet: Fleet;
  readonly cut: CutCircuits;
  /** Measurements per experiment and observable; 0: exact. */
  readonly shots: number;
  /** Seeds the simulated shot noise of the tasks. */
  readonly seed: number;
  readonly encoding?: SegmentEncoding;
  readonly timeoutMs?: number;
  readonly detectors?: CutDetectors;
  readonly onEvent?: (e: CutFlag) => void;
  readonly log: (line: string) => void;
}

export class CutDispatcher {
  /** Fragment -> node name. */
  private readonly assignment: string[];
  private readonly excluded = new Set<string>();
  private readonly checks: ConsistencyCheck[][];
  private readonly counts = { tasks: 0, replicas: 0, failures: 0, evaluations: 0, shots: 0 };
  /** Flags per node name and detector. */
  readonly flags = new Map<string, { replica: number; identity: number }>();
  round = 0;

  constructor(private readonly o: CutDispatcherOptions) {
    this.assignment = [...o.cut.nodes];
    this.checks = o.cut.nodes.map((label) => consistencyChecks(o.cut, label));
  }

  /** Node names that are excluded. */
  get excludedNodes(): readonly string[] {
    return [...this.excluded];
  }

  stats(): CutTaskStats {
    return { ...this.counts };
  }

  /** The runner for `runCutModel`: each fragment's task on its node, replicas and checks as configured. */
  readonly runner: FragmentRunner = async (ft, weights, W, inputs, B) => {
    const round = this.round;
    const node = this.nodeFor(ft, undefined);
    const main = this.send(ft, node, weights, W, inputs, B);
    const d = this.o.detectors;
    const replicaNode = d && d.replicaFraction > 0 && randomInt(1_000_000) < d.replicaFraction * 1_000_000 ? this.replicaFor(ft, node.name) : undefined;
    const replica = replicaNode ? this.send(ft, replicaNode, weights, W, inputs, B, true) : undefined;
    const [values, twin] = await Promise.all([main, replica]);
    let result = values;
    if (d?.identity) this.identityCheck(ft, node.name, values, W * B, round);
    if (twin && replicaNode) {
      const flagged = this.replicaCheck(ft, node.name, replicaNode.name, values, twin, round);
      if (flagged && d?.exclude) result = twin;
    }
    return result;
  };

  /** The live node for a fragment: its assigned one, or (after an exclusion or a drop) another with enough qubits. */
  private nodeFor(ft: FragmentTask, avoid: string | undefined): NodeInfo {
    const nodes = this.o.fleet.list().filter((n) => n.qubits >= ft.task.nQubits && !this.excluded.has(n.name) && n.name !== avoid);
    const want = this.assignment[ft.fragment]!;
    const mine = nodes.find((n) => n.name === want);
    if (mine) return mine;
    const pick = nodes.sort((a, b) => a.qubits - b.qubits || a.name.localeCompare(b.name))[0];
    if (!pick) {
      throw new QflError('nodes', `no connected node simulates the ${ft.task.nQubits} qubits of fragment '${ft.node}'${this.excluded.size > 0 ? ` (excluded: ${[...this.excluded].join(', ')})` : ''}`);
    }
    this.o.log(`fragment '${ft.node}' moves from node ${want} to node ${pick.name}`);
    this.assignment[ft.fragment] = pick.name;
    return pick;
  }

  private replicaFor(ft: FragmentTask, primary: string): NodeInfo | undefined {
    const trusted = this.o.detectors?.trusted ?? [];
    const nodes = this.o.fleet.list().filter((n) => n.qubits >= ft.task.nQubits && n.name !== primary && !this.excluded.has(n.name) && (trusted.length === 0 || trusted.includes(n.name)));
    return nodes[randomInt(Math.max(1, nodes.length))] ?? undefined;
  }

  private async send(ft: FragmentTask, node: NodeInfo, weights: Float64Array, W: number, inputs: Float64Array, B: number, replica = false): Promise<Float64Array> {
    const { shots } = this.o;
    const E = ft.task.experiments.length;
    const K = ft.task.observables.length;
    const round = this.round;
    // Shot noise by (round, fragment, replica), so which tasks get replicas (CSPRNG) does not change the others' noise.
    const seed = deriveSeed(this.o.seed, round, ft.fragment, replica ? 1 : 0);
    this.counts[replica ? 'replicas' : 'tasks']++;
    this.counts.evaluations += W * B * E;
    this.counts.shots += W * B * E * K * shots;
    const shape = [W, B, E, K] as const;
    const r = await this.o.fleet.send(
      node.id,
      (id) => cutInstruction(id, round, { task: ft.task, weights, W, inputs, B, shots, seed }, this.o.encoding ?? 'json', (this.o.timeoutMs ?? 0) / 1000),
      (res) => decodeCutResult(res, { round, shape, shots }),
      this.o.timeoutMs,
    );
    if (r instanceof Float64Array) return r;
    this.counts.failures++;
    throw new QflError(`fragment '${ft.node}'`, `node ${node.name} failed its sub-circuit task: ${r.failed}`);
  }

  private flag(f: Omit<CutFlag, 'type' | 'excluded'>): boolean {
    const exclude = this.o.detectors?.exclude ?? false;
    const c = this.flags.get(f.node) ?? { replica: 0, identity: 0 };
    c[f.detector]++;
    this.flags.set(f.node, c);
    if (exclude) this.excluded.add(f.node);
    this.o.log(`round ${f.round}: ${f.detector} detector flags node ${f.node} (fragment '${f.fragment}'${f.witness ? `, replica on ${f.witness}` : ''}): ${f.statistic.toPrecision(3)} > ${f.threshold.toPrecision(3)}${exclude ? '; excluded' : ''}`);
    this.o.onEvent?.({ type: 'cut_flag', ...f, excluded: exclude });
    return true;
  }

  private replicaCheck(ft: FragmentTask, node: string, witness: string, a: Float64Array, b: Float64Array, round: number): boolean {
    const { shots } = this.o;
    const stat = replicaStatistic(a, b, shots);
    const threshold = replicaThreshold(a.length, this.o.detectors!.falseAlarm, shots);
    return stat > threshold && this.flag({ round, detector: 'replica', node, fragment: ft.node, witness, statistic: stat, threshold });
  }

  private identityCheck(ft: FragmentTask, node: string, values: Float64Array, rows: number, round: number): void {
    const checks = this.checks[ft.fragment]!;
    if (checks.length === 0) return;
    const { shots } = this.o;
    const cut = this.o.cut;
    const K = cut.nObservables;
    const E = ft.experimentIndex.length;
    const all = new Float64Array(cut.experiments.length * K);
    let stat = 0;
    for (let r = 0; r < rows; r++) {
      ft.experimentIndex.forEach((g, e) => {
        for (let k = 0; k < K; k++) all[g * K + k] = values[(r * E + e) * K + k]!;
      });
      const res = consistencyResiduals(cut, checks, all);
      checks.forEach((c, i) => {
        const v = [...c.plus, ...c.minus].reduce((s, e) => s + shotVariance(all[e * K + c.observable]!, shots || 1), 0);
        stat = Math.max(stat, shots > 0 ? Math.abs(res[i]!) / Math.sqrt(v) : Math.abs(res[i]!));
      });
    }
    const threshold = shots > 0 ? normalQuantile(1 - this.o.detectors!.falseAlarm / (2 * checks.length * rows)) : EXACT_TOLERANCE;
    if (stat > threshold) this.flag({ round, detector: 'identity', node, fragment: ft.node, statistic: stat, threshold });
  }
}
