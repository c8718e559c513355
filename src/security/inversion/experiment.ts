import { loadMnist } from '../../data/mnist.js';
import { downsample, selectClasses } from '../../data/preprocess.js';
import type { Dataset } from '../../data/dataset.js';
import { mlp } from '../../models/classical-zoo.js';
import type { ActivationKind } from '../../models/layers/activation.js';
import { hybridClassifier, vqcClassifier } from '../../models/quantum-zoo.js';
import type { Sequential } from '../../models/sequential.js';
import { fail } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/random.js';
import { invertGradients, type GradientMethod } from './attack.js';
import { applyClientDefenses, checkDefense, formatDefense, secaggStep, type DefensePipeline } from './defenses.js';
import type { Distance } from './matching.js';
import { mse, scoreReconstruction } from './metrics.js';
import { checkUpdateRule, clientUpdate, formatUpdateRule, type UpdateRule } from './update.js';

/**
 * A seeded grid of gradient-inversion attacks: models × batch sizes × update
 * rules × defenses × trials, one row per attack with its reconstruction
 * quality. Same spec, same rows (no clocks, no unseeded randomness).
 *
 * Pairing: a trial's model initialization depends only on (seed, model,
 * trial) and its private samples only on (seed, model, batch, trial), so rows
 * that differ only in the update rule or the defense attack the same model
 * and the same private data (client 0 keeps the same samples when secure
 * aggregation adds clients 1..K−1).
 *
 * @example
 * const rows = inversionExperiment({
 *   seed: 1,
 *   models: vqcGrid([2, 4, 6], [1, 4]),
 *   defenses: [[], [{ kind: 'secagg', clients: 4 }], [{ kind: 'dp', clip: 1, noiseMultiplier: 0.1 }]],
 * });
 */

export type InversionModelSpec =
  /** `angle`: nQubits features (pixels scaled to [0, π]); `amplitude`: 2^nQubits features, scored up to scale. */
  | { readonly kind: 'vqc'; readonly nQubits: number; readonly layers: number; readonly embedding?: 'angle' | 'amplitude' }
  /** Dense(features → nQubits) → tanh → VQC → Dense(nQubits → classes); features default 16 (4x4). */
  | { readonly kind: 'hybrid'; readonly nQubits: number; readonly layers: number; readonly features?: number; readonly hidden?: number }
  /** features default 16 (4x4); activation default `sigmoid` (DLG's choice: smooth, twice differentiable). */
  | { readonly kind: 'mlp'; readonly hidden: readonly number[]; readonly features?: number; readonly activation?: ActivationKind };

export interface InversionAttackSettings {
  /** Default 200. */
  readonly iterations?: number;
  /** Default 0.1. */
  readonly lr?: number;
  /** Default 2. */
  readonly restarts?: number;
  /** Default `cosine`. */
  readonly distance?: Distance;
  /** TV prior weight; default 0. */
  readonly tv?: number;
  /** Default `idlg` (falls back to soft labels for more than one sample). */
  readonly labels?: 'known' | 'idlg' | 'soft';
  /** Default `hvp`. */
  readonly gradient?: GradientMethod;
  readonly schedule?: 'constant' | 'multistep';
  /** Where the dummy starts (uniform); default [0, 1], the pixel box. */
  readonly initRange?: readonly [number, number];
}

export interface InversionExperimentSpec {
  readonly seed: number;
  readonly models: readonly InversionModelSpec[];
  /** Private samples per client; default [1]. */
  readonly batchSizes?: readonly number[];
  /** Default [{ kind: 'gradient' }]. */
  readonly updates?: readonly UpdateRule[];
  /** Default [[]] (no defense). */
  readonly defenses?: readonly DefensePipeline[];
  /** Repetitions with fresh models and data; default 1. */
  readonly trials?: number;
  /**
   * Private data: MNIST test images of digits 0..classes−1 (area-downsampled
   * to the model's input, see `imageShape`), or uniform noise in [0, 1].
   * Default `{ source: 'mnist', classes: 2 }`.
   */
  readonly data?: { readonly source: 'mnist' | 'synthetic'; readonly classes?: number; readonly limit?: number; readonly dir?: string };
  readonly attack?: InversionAttackSettings;
  /** Called after every row (long sweeps show progress). */
  readonly onRow?: (row: InversionRow, done: number, total: number) => void;
}

export interface InversionRow {
  readonly model: 'vqc' | 'hybrid' | 'mlp';
  readonly embedding: 'angle' | 'amplitude' | null;
  readonly nQubits: number | null;
  readonly layers: number | null;
  readonly hidden: string | null;
  /** The MLP's activation (null for the other models). */
  readonly activation: ActivationKind | null;
  readonly params: number;
  readonly features: number;
  /** Per-sample image shape, `HxW`. */
  readonly image: string;
  readonly batch: number;
  readonly update: string;
  readonly localSteps: number;
  readonly defense: string;
  /** Clients summed by secure aggregation (1 without it). */
  readonly clients: number;
  readonly attacker: 'union' | 'single';
  readonly trial: number;
  readonly labelSource: 'known' | 'idlg' | 'soft';
  /** Fraction of recovered samples whose label equals their matched private sample's. */
  readonly labelAccuracy: number;
  /** Mean over recovered samples of the MSE to the matched private sample. */
  readonly mse: number;
  readonly psnr: number;
  readonly ssim: number;
  /** The same scores for the attack's random initial dummy: what knowing nothing gives. */
  readonly baselineMse: number;
  readonly baselineSsim: number;
  /**
   * MSE of the matched private samples to the mean image of their class (0.5
   * everywhere for synthetic data): what knowing only the label and the data
   * set gives. On tiny downsampled images a blend of several private images
   * (what a sum of updates tends to reveal) can look close to each of them;
   * an attack has learned something about THE sample only when `mse` is well
   * below this.
   */
  readonly priorMse: number;
  /** Final matching distance of the recovered dummy. */
  readonly distance: number;
  readonly restarts: number;
  /**
   * Fraction of restarts whose dummy matched the observed update (distance
   * below 1e-4; undefended runs end either below ~1e-5 or above ~1e-3): how
   * often one run of the optimizer solves the matching problem. A match is
   * not always a recovery: for shallow circuits several inputs in the pixel
   * box can give the same update (see `mse`). Meaningful without
   * noise-adding defenses only.
   */
  readonly solvedRestarts: number;
  /** L2 norm of what the attacker saw. */
  readonly updateNorm: number;
  readonly evaluations: number;
  /** The first recovered sample and the private sample it was matched to (pixels, row-major), for pictures. */
  readonly recovered: readonly number[];
  readonly original: readonly number[];
}

/** Matching distance below which a restart counts as having solved the inversion. */
const SOLVED = 1e-4;

/** Per-sample image shape for `f` features: h = the largest divisor of f with h ≤ √f, w = f / h. */
export function imageShape(features: number): [number, number] {
  if (!Number.isInteger(features) || features < 1) fail('features', `must be an integer >= 1, got ${features}`);
  let h = Math.floor(Math.sqrt(features));
  while (features % h !== 0) h--;
  return [h, features / h];
}

/** The VQC models of a qubits × layers sweep. */
export function vqcGrid(qubits: readonly number[], layers: readonly number[], embedding: 'angle' | 'amplitude' = 'angle'): InversionModelSpec[] {
  return qubits.flatMap((nQubits) => layers.map((l) => ({ kind: 'vqc' as const, nQubits, layers: l, embedding })));
}

function featuresOf(m: InversionModelSpec): number {
  switch (m.kind) {
    case 'vqc':
      return (m.embedding ?? 'angle') === 'angle' ? m.nQubits : 2 ** m.nQubits;
    case 'hybrid':
    case 'mlp':
      return m.features ?? 16;
  }
}

function buildModel(m: InversionModelSpec, classes: number): Sequential {
  const features = featuresOf(m);
  switch (m.kind) {
    case 'vqc':
      return vqcClassifier({ nQubits: m.nQubits, layers: m.layers, classes, embedding: m.embedding ?? 'angle', features });
    case 'hybrid':
      return hybridClassifier(
        m.hidden === undefined
          ? { inputSize: features, nQubits: m.nQubits, layers: m.layers, classes }
          : { inputSize: features, nQubits: m.nQubits, layers: m.layers, classes, hidden: m.hidden },
      );
    case 'mlp':
      return mlp(features, m.hidden, classes, { activation: m.activation ?? 'sigmoid' });
    default:
      return fail('model.kind', `must be one of vqc, hybrid, mlp, got '${String((m as { kind: unknown }).kind)}'`);
  }
}

/** Runs the grid; see `InversionExperimentSpec`. */
export function inversionExperiment(spec: InversionExperimentSpec): InversionRow[] {
  const batchSizes = spec.batchSizes ?? [1];
  const updates = spec.updates ?? [{ kind: 'gradient' }];
  const defenses = spec.defenses ?? [[]];
  const trials = spec.trials ?? 1;
  const data = spec.data ?? { source: 'mnist' };
  const classes = data.classes ?? 2;
  const a = spec.attack ?? {};
  if (!Number.isFinite(spec.seed)) fail('seed', `must be a finite number, got ${spec.seed}`);
  if (spec.models.length === 0) fail('models', 'must list at least one model');
  batchSizes.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 1) fail(`batchSizes[${i}]`, `must be an integer >= 1, got ${b}`);
  });
  updates.forEach((u, i) => checkUpdateRule(u, `updates[${i}]`));
  defenses.forEach((d, i) => checkDefense(d, `defenses[${i}]`));
  if (!Number.isInteger(trials) || trials < 1) fail('trials', `must be an integer >= 1, got ${trials}`);
  if (data.source !== 'mnist' && data.source !== 'synthetic') fail('data.source', `must be 'mnist' or 'synthetic', got '${String(data.source)}'`);
  if (!Number.isInteger(classes) || classes < 2 || classes > 10) fail('data.classes', `must be an integer in [2, 10], got ${classes}`);

  let mnist: Dataset | undefined;
  const shrunk = new Map<string, Dataset>();
  const imagesFor = (h: number, w: number): Dataset => {
    const key = `${h}x${w}`;
    let ds = shrunk.get(key);
    if (ds === undefined) {
      mnist ??= selectClasses(
        loadMnist(data.dir === undefined ? { split: 'test', limit: data.limit ?? 2000 } : { split: 'test', limit: data.limit ?? 2000, dir: data.dir }),
        Array.from({ length: classes }, (_, c) => c),
      );
      ds = downsample(mnist, h, w);
      shrunk.set(key, ds);
    }
    return ds;
  };

  const total = spec.models.length * batchSizes.length * updates.length * defenses.length * trials;
  const rows: InversionRow[] = [];
  spec.models.forEach((m, mi) => {
    const model = buildModel(m, classes);
    const features = model.inSize;
    const [h, w] = imageShape(features);
    for (let trial = 0; trial < trials; trial++) {
      model.init(new Rng(deriveSeed(spec.seed, mi, trial, 0)));
      const params = model.getParams();
      batchSizes.forEach((batch, bi) => {
        const maxClients = Math.max(1, ...defenses.map((d) => secaggStep(d)?.clients ?? 1));
        const pool = privatePool(data.source, imagesFor, h, w, features, classes, maxClients * batch, deriveSeed(spec.seed, mi, trial, 1, bi));
        updates.forEach((rule, ui) => {
          defenses.forEach((pipeline, di) => {
            const sec = secaggStep(pipeline);
            const clients = sec?.clients ?? 1;
            const attacker = sec?.attacker ?? 'union';
            const noise = new Rng(deriveSeed(spec.seed, mi, trial, 2, bi, ui, di));
            const seen = new Float64Array(model.paramCount);
            for (let c = 0; c < clients; c++) {
              const xc = pool.x.subarray(c * batch * features, (c + 1) * batch * features);
              const yc = pool.y.subarray(c * batch, (c + 1) * batch);
              const u = applyClientDefenses(clientUpdate(model, params, xc, yc, batch, rule), pipeline, noise);
              for (let i = 0; i < u.length; i++) seen[i] += u[i]!;
            }
            const groups = attacker === 'union' ? clients : 1;
            const rowsX = groups * batch;
            const labelKind = a.labels ?? 'idlg';
            const result = invertGradients({
              model,
              params,
              observed: seen,
              rule,
              batch,
              groups,
              labels: labelKind === 'known' ? { kind: 'known', labels: pool.y.subarray(0, rowsX) } : { kind: labelKind },
              rng: new Rng(deriveSeed(spec.seed, mi, trial, 3, bi, ui, di)),
              iterations: a.iterations ?? 200,
              lr: a.lr ?? 0.1,
              restarts: a.restarts ?? 2,
              distance: a.distance ?? 'cosine',
              tv: a.tv ?? 0,
              image: [h, w],
              bounds: [0, 1],
              initRange: a.initRange ?? [0, 1],
              gradient: a.gradient ?? 'hvp',
              schedule: a.schedule ?? 'multistep',
            });
            const truth = pool.x.subarray(0, clients * batch * features);
            const scaleInvariant = m.kind === 'vqc' && m.embedding === 'amplitude';
            const score = scoreReconstruction(result.x, truth, features, { image: [h, w], scaleInvariant });
            const base = scoreReconstruction(result.initial, truth, features, { image: [h, w], scaleInvariant });
            let hits = 0;
            let prior = 0;
            score.match.forEach((t, r) => {
              if (result.labels[r] === pool.y[t]) hits++;
              const c = pool.y[t]!;
              prior += mse(pool.x.subarray(t * features, (t + 1) * features), pool.classMeans.subarray(c * features, (c + 1) * features));
            });
            let n2 = 0;
            for (let i = 0; i < seen.length; i++) n2 += seen[i]! * seen[i]!;
            const row: InversionRow = {
              model: m.kind,
              embedding: m.kind === 'vqc' ? (m.embedding ?? 'angle') : null,
              nQubits: m.kind === 'mlp' ? null : m.nQubits,
              layers: m.kind === 'mlp' ? null : m.layers,
              hidden: m.kind === 'mlp' ? m.hidden.join('-') : m.kind === 'hybrid' && m.hidden !== undefined ? String(m.hidden) : null,
              activation: m.kind === 'mlp' ? (m.activation ?? 'sigmoid') : null,
              params: model.paramCount,
              features,
              image: `${h}x${w}`,
              batch,
              update: formatUpdateRule(rule),
              localSteps: rule.kind === 'gradient' ? 0 : rule.steps,
              defense: formatDefense(pipeline),
              clients,
              attacker,
              trial,
              labelSource: result.labelSource,
              labelAccuracy: hits / score.match.length,
              mse: score.mse,
              psnr: score.psnr,
              ssim: score.ssim,
              baselineMse: base.mse,
              baselineSsim: base.ssim,
              priorMse: prior / score.match.length,
              distance: result.distance,
              restarts: result.restartDistances.length,
              solvedRestarts: result.restartDistances.filter((d) => d < SOLVED).length / result.restartDistances.length,
              updateNorm: Math.sqrt(n2),
              evaluations: result.evaluations,
              recovered: Array.from(result.x.subarray(0, features)),
              original: Array.from(truth.subarray(score.match[0]! * features, (score.match[0]! + 1) * features)),
            };
            rows.push(row);
            spec.onRow?.(row, rows.length, total);
          });
        });
      });
    }
  });
  return rows;
}

/** `count` private samples (distinct MNIST images, or uniform noise), drawn with a seeded generator. */
function privatePool(
  source: 'mnist' | 'synthetic',
  imagesFor: (h: number, w: number) => Dataset,
  h: number,
  w: number,
  features: number,
  classes: number,
  count: number,
  seed: number,
): { x: Float64Array; y: Int32Array; classMeans: Float64Array } {
  const rng = new Rng(seed);
  const x = new Float64Array(count * features);
  const y = new Int32Array(count);
  const classMeans = new Float64Array(classes * features);
  if (source === 'synthetic') {
    classMeans.fill(0.5);
    // Sample by sample, so that the first samples do not depend on `count`.
    for (let s = 0; s < count; s++) {
      for (let j = 0; j < features; j++) x[s * features + j] = rng.uniform();
      y[s] = rng.int(classes);
    }
    return { x, y, classMeans };
  }
  const ds = imagesFor(h, w);
  const counts = new Float64Array(classes);
  for (let i = 0; i < ds.n; i++) {
    const c = ds.y[i]!;
    counts[c]++;
    for (let j = 0; j < features; j++) classMeans[c * features + j] += ds.x[i * features + j]!;
  }
  for (let c = 0; c < classes; c++) for (let j = 0; j < features; j++) classMeans[c * features + j] /= Math.max(1, counts[c]!);
  if (ds.n < count) fail('data.limit', `needs at least ${count} images of the chosen classes, found ${ds.n}`);
  const perm = rng.permutation(ds.n);
  for (let s = 0; s < count; s++) {
    const i = perm[s]!;
    x.set(ds.x.subarray(i * features, (i + 1) * features), s * features);
    y[s] = ds.y[i]!;
  }
  return { x, y, classMeans };
}
