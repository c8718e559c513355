import { z } from 'zod';
import { take, type Dataset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import { downsample, selectClasses } from '../data/preprocess.js';
import { Affine } from '../models/layers/affine.js';
import { softmaxCrossEntropy } from '../models/loss.js';
import { Adam } from '../models/optim.js';
import { cutModel, planLabels, runCutModel, uncutOutputs, type CutModel, type FragmentRunner } from '../quantum/cutting/distributed.js';
import { cutClassifierCircuit } from '../quantum/cutting/example.js';
import { fail } from '../util/errors.js';
import { Rng } from '../util/random.js';

/**
 * A cut model trained across nodes (`qfl server examples/cut-deploy.yaml`,
 * paper 001's second half): an 8-qubit classifier on MNIST 0 vs 1 (4x2
 * images, one pixel per qubit) whose two 4-qubit halves run on two nodes;
 * trained by parameter shift through the cut, compared with the same model
 * trained uncut; then one node perturbs its sub-circuits (the review's
 * attack) at increasing strength, and the detectors' flag rates and the
 * accuracy are measured. This file is transport-free: the runner that sends
 * fragments to nodes comes in from outside (transport/cut-server.ts).
 */
export const CutDeploySchema = z
  .object({
    name: z.string().default('cut-deploy'),
    seed: z.number().int().min(0).default(1),
    cut_model: z
      .object({
        qubits: z.number().int().min(2).max(24).default(8),
        layers: z.number().int().min(1).max(8).default(2),
      })
      .strict(),
    data: z
      .object({
        classes: z.tuple([z.number().int().min(0).max(9), z.number().int().min(0).max(9)]).default([0, 1]),
        train_limit: z.number().int().positive().default(400),
        test_limit: z.number().int().positive().default(200),
      })
      .strict()
      .default({ classes: [0, 1], train_limit: 400, test_limit: 200 }),
    train: z
      .object({
        epochs: z.number().int().positive().default(2),
        batch_size: z.number().int().positive().default(25),
        lr: z.number().positive().default(0.05),
        /** Shots per sub-experiment and observable while training; 0: exact expectation values. */
        shots: z.number().int().min(0).default(0),
      })
      .strict()
      .default({ epochs: 2, batch_size: 25, lr: 0.05, shots: 0 }),
    nodes: z
      .object({ wait_timeout_s: z.number().positive().default(300), task_timeout_s: z.number().positive().default(120) })
      .strict()
      .default({ wait_timeout_s: 300, task_timeout_s: 120 }),
    detectors: z
      .object({
        replica_fraction: z.number().min(0).max(1).default(0.1),
        trusted: z.array(z.string()).default([]),
        false_alarm: z.number().gt(0).lt(1).default(0.05),
        identity: z.boolean().default(true),
        exclude: z.boolean().default(false),
      })
      .strict()
      .default({ replica_fraction: 0.1, trusted: [], false_alarm: 0.05, identity: true, exclude: false }),
    /** After training, node `node` perturbs its sub-circuits (it obeys this entry: `qfl client --name NODE`). */
    attack: z
      .object({
        node: z.string(),
        pauli: z.enum(['X', 'Y', 'Z']).default('Y'),
        mode: z.enum(['uniform', 'selective']).default('uniform'),
        eps: z.array(z.number().min(0).max(Math.PI)).min(1).max(50),
        /** Shots per sub-experiment in the detection trials. */
        shots: z.number().int().positive().default(1000),
        /** Detection trials per eps (each: one sample's fragment, replicated on a trusted node). */
        trials: z.number().int().positive().max(10_000).default(50),
        test_limit: z.number().int().positive().default(100),
        /** Finally exclude the node at the largest eps and measure the accuracy again. */
        exclude: z.boolean().default(true),
      })
      .strict()
      .optional(),
  })
  .strict();
export type CutDeploy = z.infer<typeof CutDeploySchema>;

/** A runner of fragment tasks with its bookkeeping (transport/cut-dispatch.ts's CutDispatcher is one). */
export interface CutRunner {
  readonly runner: FragmentRunner;
  round: number;
  stats(): { readonly tasks: number; readonly replicas: number; readonly failures: number; readonly evaluations: number; readonly shots: number };
  readonly flags: ReadonlyMap<string, { readonly replica: number; readonly identity: number }>;
  readonly excludedNodes: readonly string[];
}

export interface RunnerSpec {
  readonly model: CutModel;
  readonly shots: number;
  readonly seed: number;
  /** Detectors on (with these overrides) or off. */
  readonly detectors?: { readonly replicaFraction: number; readonly trusted: readonly string[]; readonly falseAlarm: number; readonly identity: boolean; readonly exclude: boolean };
}

/** Where the fragments run: nodes of a deployment, or in-process for tests. */
export interface CutBackend {
  /** Waits for nodes holding `qubits` qubits together; their names and qubits. */
  nodes(qubits: number): Promise<readonly { readonly name: string; readonly qubits: number }[]>;
  runner(spec: RunnerSpec): CutRunner;
  log(line: string): void;
  event(e: object): void;
}

/** Round numbers of the attack phase p start here: the perturbing node reads its eps from them (security/attacks/cut-node.ts). */
export { ATTACK_ROUND_BASE, ATTACK_PHASE_ROUNDS } from '../security/attacks/cut-node.js';
import { ATTACK_PHASE_ROUNDS, ATTACK_ROUND_BASE } from '../security/attacks/cut-node.js';

/** MNIST two-class data at one pixel per qubit (2 x qubits/2 images), pixels in [0, 1]. */
export function cutDeployData(spec: CutDeploy, dir?: string): { train: Dataset; test: Dataset } {
  const q = spec.cut_model.qubits;
  const prep = (split: 'train' | 'test', limit: number) => take(downsample(selectClasses(loadMnist({ split, ...(dir ? { dir } : {}) }), [...spec.data.classes]), q / 2, 2), limit);
  return { train: prep('train', spec.data.train_limit), test: prep('test', spec.data.test_limit) };
}

/** Quantum outputs (B x K) and their Jacobian (B x K x nWeights) for a batch: cut and distributed, or uncut and local. */
export type Outputs = (weights: Float64Array, x: Float64Array, B: number, gradient: boolean) => Promise<{ values: Float64Array; jacobian?: Float64Array }>;

export interface TrainedModel {
  readonly weights: Float64Array;
  readonly head: Float64Array;
  /** Mean training loss per step. */
  readonly losses: readonly number[];
}

/**
 * Trains circuit weights and the affine head (logit_k = a_k <O_k> + b_k) by
 * Adam on softmax cross-entropy, one step per batch; the circuit's gradient
 * is (dL/d<O>) . Jacobian. The data order and initial values come from `seed`,
 * so the cut and the uncut model see the same steps.
 */
export async function trainCutClassifier(model: CutModel, data: Dataset, spec: CutDeploy, outputs: Outputs, onStep?: (step: number, loss: number) => void): Promise<TrainedModel> {
  const rng = new Rng(spec.seed);
  const nW = model.circuit.nWeights;
  const K = model.cut.nObservables;
  const head = new Affine(K, 3);
  const params = new Float64Array(nW + head.paramCount);
  for (let i = 0; i < nW; i++) params[i] = (rng.uniform() * 2 - 1) * Math.PI * 0.5;
  head.init(params.subarray(nW), rng);
  const adam = new Adam({ lr: spec.train.lr });
  const f = data.x.length / data.n;
  const losses: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < spec.train.epochs; epoch++) {
    const order = rng.shuffle(Int32Array.from({ length: data.n }, (_, i) => i));
    for (let at = 0; at < data.n; at += spec.train.batch_size) {
      const idx = order.subarray(at, Math.min(data.n, at + spec.train.batch_size));
      const B = idx.length;
      const x = new Float64Array(B * f);
      const y = new Int32Array(B);
      idx.forEach((s, b) => {
        x.set(data.x.subarray(s * f, (s + 1) * f), b * f);
        y[b] = data.y[s]! === spec.data.classes[0] ? 0 : 1;
      });
      const w = params.subarray(0, nW);
      const out = await outputs(w.slice(), x, B, true);
      const pass = head.forward(out.values, B, params.subarray(nW));
      const l = softmaxCrossEntropy(pass.y, y, B);
      const grads = new Float64Array(params.length);
      const dz = pass.backward(l.grad, grads.subarray(nW));
      const jac = out.jacobian!;
      for (let i = 0; i < B * K; i++) {
        const g = dz[i]!;
        for (let j = 0; j < nW; j++) grads[j] += g * jac[i * nW + j]!;
      }
      adam.step(params, grads);
      losses.push(l.loss);
      onStep?.(++step, l.loss);
    }
  }
  return { weights: params.slice(0, nW), head: params.slice(nW), losses };
}

/** Test accuracy of a trained model with the given outputs (batches of 50). */
export async function cutAccuracy(trained: TrainedModel, data: Dataset, spec: CutDeploy, outputs: Outputs): Promise<number> {
  const K = trained.head.length / 2;
  const f = data.x.length / data.n;
  let right = 0;
  for (let at = 0; at < data.n; at += 50) {
    const B = Math.min(50, data.n - at);
    const { values } = await outputs(trained.weights, data.x.subarray(at * f, (at + B) * f), B, false);
    for (let b = 0; b < B; b++) {
      const s = (k: number) => trained.head[k]! * values[b * K + k]! + trained.head[K + k]!;
      const pred = s(1) > s(0) ? 1 : 0;
      if (pred === (data.y[at + b] === spec.data.classes[0] ? 0 : 1)) right++;
    }
  }
  return right / data.n;
}

export const cutOutputs = (model: CutModel, r: CutRunner): Outputs => async (w, x, B, gradient) => {
  r.round++;
  return runCutModel(model, w, x, B, r.runner, gradient);
};

export const uncutOutputsOf = (model: CutModel): Outputs => async (w, x, B, gradient) => uncutOutputs(model.circuit, model.cut.observables, model.rules, w, x, B, gradient);

export interface AttackRow {
  readonly eps: number;
  readonly accuracy: number;
  readonly replicaRate: number;
  readonly identityRate: number;
  /** Rate the in-process study predicts for the same task, shots and test (replica detector). */
  readonly studyReplicaRate?: number;
}

export interface CutDeployResult {
  readonly labels: readonly string[];
  readonly overhead: CutModel['cut']['overhead'];
  readonly uncutAccuracy: number;
  readonly cutAccuracy: number;
  readonly trainSeconds: number;
  readonly steps: number;
  readonly training: ReturnType<CutRunner['stats']>;
  readonly attack?: {
    readonly node: string;
    readonly rows: readonly AttackRow[];
    /** Accuracy at the largest eps once the detectors excluded the node. */
    readonly excludedAccuracy?: number;
    readonly excluded: readonly string[];
  };
}

/**
 * Predicted replica flag rate at one eps, averaged over the samples the
 * trials use (`n` input rows in `x`): supplied by the caller (it needs the
 * attack's insertion hook).
 */
export type StudyRate = (model: CutModel, weights: Float64Array, x: Float64Array, n: number, eps: number) => number;

/** The whole experiment on a backend: plan, train cut and uncut, attack sweep. */
export async function runCutDeploy(spec: CutDeploy, backend: CutBackend, data: { train: Dataset; test: Dataset }, studyRate?: StudyRate): Promise<CutDeployResult> {
  const { circuit, observables } = cutClassifierCircuit(spec.cut_model.qubits, spec.cut_model.layers);
  const nodes = await backend.nodes(circuit.nQubits);
  const labels = planLabels(circuit.nQubits, nodes);
  const model = cutModel(circuit, observables, { labels });
  const o = model.cut.overhead;
  backend.log(`cut: ${circuit.nQubits} qubits over ${[...new Set(labels)].map((l) => `${l} (${labels.filter((x) => x === l).length} qubits)`).join(', ')}: ${o.nGateCuts} gate cuts, ${o.nWireCuts} wire cuts, gamma ${o.gamma}, sampling overhead ${o.samplingOverhead} (${o.perCut.map((g) => `${g}^2`).join(' x ')}), ${o.nExperiments} sub-experiments per sample`);
  const d = spec.detectors;
  const detectors = { replicaFraction: d.replica_fraction, trusted: d.trusted, falseAlarm: d.false_alarm, identity: d.identity, exclude: d.exclude };
  const train = backend.runner({ model, shots: spec.train.shots, seed: spec.seed, detectors });
  const steps = Math.ceil(spec.data.train_limit / spec.train.batch_size) * spec.train.epochs;
  if (steps >= ATTACK_ROUND_BASE) fail('train', `${steps} steps collide with the attack rounds (at most ${ATTACK_ROUND_BASE - 1})`);
  const t0 = Date.now();
  let before = train.stats();
  const cut = await trainCutClassifier(model, data.train, spec, cutOutputs(model, train), (step, loss) => {
    const s = train.stats();
    backend.event({ type: 'cut_round', round: step, loss, gamma: o.gamma, sampling_overhead: o.samplingOverhead, per_cut_gamma: o.perCut, tasks: s.tasks - before.tasks, replicas: s.replicas - before.replicas, evaluations: s.evaluations - before.evaluations, shots: s.shots - before.shots });
    before = s;
    if (step % 5 === 0 || step === steps) backend.log(`step ${step}/${steps}: loss ${loss.toFixed(4)}`);
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  const uncut = await trainCutClassifier(model, data.train, spec, uncutOutputsOf(model));
  const cutAcc = await cutAccuracy(cut, data.test, spec, cutOutputs(model, train));
  const uncutAcc = await cutAccuracy(uncut, data.test, spec, uncutOutputsOf(model));
  backend.log(`trained: test accuracy cut ${(100 * cutAcc).toFixed(2)} %, uncut ${(100 * uncutAcc).toFixed(2)} % (${trainSeconds.toFixed(1)} s over the nodes)`);
  const result = { labels, overhead: o, uncutAccuracy: uncutAcc, cutAccuracy: cutAcc, trainSeconds, steps, training: train.stats() };
  backend.event({ type: 'cut_trained', ...result });
  if (!spec.attack) return result;

  const a = spec.attack;
  if (!labels.includes(a.node)) fail('attack.node', `'${a.node}' runs no fragment; the fragments run on ${[...new Set(labels)].join(', ')}`);
  const test = take(data.test, a.test_limit);
  const f = circuit.nInputs;
  const rows: AttackRow[] = [];
  const trusted = d.trusted.length > 0 ? d.trusted : [...new Set(labels)].filter((l) => l !== a.node);
  for (const [p, eps] of a.eps.entries()) {
    const base = ATTACK_ROUND_BASE + p * ATTACK_PHASE_ROUNDS;
    const plain = backend.runner({ model, shots: spec.train.shots, seed: spec.seed + 1 + p });
    plain.round = base;
    const accuracy = await cutAccuracy(cut, test, spec, cutOutputs(model, plain));
    const watch = backend.runner({ model, shots: a.shots, seed: spec.seed + 101 + p, detectors: { ...detectors, replicaFraction: 1, trusted, exclude: false } });
    watch.round = base + ATTACK_PHASE_ROUNDS / 2;
    for (let t = 0; t < a.trials; t++) {
      const s = t % test.n;
      await cutOutputs(model, watch)(cut.weights, test.x.subarray(s * f, (s + 1) * f), 1, false);
    }
    const flags = watch.flags.get(a.node) ?? { replica: 0, identity: 0 };
    const row: AttackRow = {
      eps,
      accuracy,
      replicaRate: flags.replica / a.trials,
      identityRate: flags.identity / a.trials,
      ...(studyRate ? { studyReplicaRate: studyRate(model, cut.weights, test.x.subarray(0, Math.min(a.trials, test.n) * f), Math.min(a.trials, test.n), eps) } : {}),
    };
    rows.push(row);
    backend.event({ type: 'cut_attack', node: a.node, pauli: a.pauli, mode: a.mode, shots: a.shots, trials: a.trials, ...row });
    backend.log(`attack eps ${eps}: accuracy ${(100 * accuracy).toFixed(2)} %, replica detector ${(100 * row.replicaRate).toFixed(1)} %, identity detector ${(100 * row.identityRate).toFixed(1)} %`);
  }
  let excludedAccuracy: number | undefined;
  let excluded: readonly string[] = [];
  if (a.exclude) {
    // Replicas on trusted nodes only: an identity test at this false-alarm rate would exclude honest nodes now and then.
    const p = a.eps.length - 1;
    const guard = backend.runner({ model, shots: spec.train.shots, seed: spec.seed + 999, detectors: { ...detectors, replicaFraction: 1, trusted, identity: false, exclude: true } });
    guard.round = ATTACK_ROUND_BASE + p * ATTACK_PHASE_ROUNDS + ATTACK_PHASE_ROUNDS / 4;
    excludedAccuracy = await cutAccuracy(cut, test, spec, cutOutputs(model, guard));
    excluded = guard.excludedNodes;
    backend.log(`with exclusion at eps ${a.eps[p]}: excluded ${excluded.join(', ') || 'nobody'}, accuracy ${(100 * excludedAccuracy).toFixed(2)} %`);
  }
  return { ...result, attack: { node: a.node, rows, ...(excludedAccuracy !== undefined ? { excludedAccuracy } : {}), excluded } };
}
