import { Adam } from '../../models/optim.js';
import { QuantumLayer } from '../../models/quantum-layer.js';
import type { Sequential } from '../../models/sequential.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { inferLabelIdlg } from './labels.js';
import { DISTANCES, totalVariation, updateDistance, UpdateSimulator, type Distance } from './matching.js';
import { oneHot, type UpdateRule } from './update.js';

/**
 * Gradient inversion: recover a client's private batch from the update it
 * sent. DLG (Zhu, Liu & Han 2019) optimizes a dummy input and dummy soft
 * label so that their gradient matches the observed one in L2; iDLG (Zhao
 * et al. 2020) reads the label off the last layer first; "Inverting
 * Gradients" (Geiping, Bauermeister, Dröge & Moeller 2020) matches in cosine
 * distance, adds a total-variation prior, keeps the dummy in the data's box,
 * unrolls several local steps of FedAvg, and keeps the best of a few restarts.
 * All of that is here, for any `Sequential` (quantum, hybrid, classical).
 *
 * The gradient of the matching objective with respect to the dummy needs a
 * second derivative; see `matching.ts` and `inversion.md`. Two ways:
 *
 * - `hvp` (default): central differences of INPUT gradients along the single
 *   parameter-space direction ∂D/∂u. Cost per iteration and per group: the
 *   forward update (1 gradient evaluation per local step) plus 2 full
 *   gradient evaluations per local step, independent of the input size.
 * - `coordinate`: central differences of the whole objective, one input
 *   coordinate (and label logit) at a time. Cost 2 (d_x + d_label) forward
 *   updates per iteration; feasible for 4x4 images, used as a check of `hvp`
 *   and for models without input gradients.
 *
 * @example
 * const observed = clientUpdate(model, params, x, [label], 1, { kind: 'gradient' });
 * const r = invertGradients({ model, params, observed, rule: { kind: 'gradient' }, batch: 1,
 *   labels: { kind: 'idlg' }, bounds: [0, 1], rng: new Rng(7) });
 * mse(r.x, x); // small on an undefended small model
 */

/** How the attack treats the private labels. */
export type LabelStrategy =
  /** The attacker knows them (a strong attacker; Geiping et al.'s default). */
  | { readonly kind: 'known'; readonly labels: ArrayLike<number> }
  /** Read the label off the last layer's bias (one sample only); soft labels otherwise. */
  | { readonly kind: 'idlg' }
  /** Optimize label logits with the input (DLG). */
  | { readonly kind: 'soft' };

export const GRADIENT_METHODS = ['hvp', 'coordinate'] as const;
export type GradientMethod = (typeof GRADIENT_METHODS)[number];

export interface InversionOptions {
  readonly model: Sequential;
  /** θ0: the parameters the client started from. */
  readonly params: Float64Array;
  /** What the attacker saw: one client's update, or the sum of `groups` clients' updates. */
  readonly observed: Float64Array;
  readonly rule: UpdateRule;
  /** Samples per client. */
  readonly batch: number;
  /** Number of clients summed into `observed` (secure aggregation); default 1. */
  readonly groups?: number;
  readonly labels: LabelStrategy;
  /** Seeds the dummy's initialization (restart after restart). */
  readonly rng: Rng;
  /** Adam steps per restart; default 200. */
  readonly iterations?: number;
  /** Adam step size on the dummy; default 0.1. */
  readonly lr?: number;
  /** `multistep` (default): lr × 0.1 at 3/8, 5/8 and 7/8 of the iterations (Geiping et al.); or `constant`. */
  readonly schedule?: 'constant' | 'multistep';
  /** Independent initializations; the one with the lowest objective wins. Default 1. */
  readonly restarts?: number;
  /** Default `cosine`. */
  readonly distance?: Distance;
  /** Weight of the total-variation prior (needs `image`); default 0. */
  readonly tv?: number;
  /** Per-sample image shape [height, width], for the TV prior. */
  readonly image?: readonly [number, number];
  /** Box for the dummy inputs (projected after every step), e.g. [0, 1] for pixels. */
  readonly bounds?: readonly [number, number];
  /** Where the dummy inputs start, uniformly; default `bounds` (standard normal without bounds). */
  readonly initRange?: readonly [number, number];
  /** Default `hvp`. */
  readonly gradient?: GradientMethod;
  /** Finite-difference step: along the unit parameter direction (`hvp`) or per coordinate; default 1e-4. */
  readonly fdStep?: number;
  /** Called every `progressEvery` iterations (default 50). */
  readonly onProgress?: (p: { readonly restart: number; readonly iteration: number; readonly loss: number }) => void;
  readonly progressEvery?: number;
}

export interface InversionResult {
  /** Recovered inputs, (groups × batch) rows. */
  readonly x: Float64Array;
  /** Recovered label distributions, one row per sample. */
  readonly probs: Float64Array;
  /** Arg-max of `probs`. */
  readonly labels: Int32Array;
  /** Where the labels came from (`idlg` falls back to `soft` for more than one sample). */
  readonly labelSource: 'known' | 'idlg' | 'soft';
  /** Final objective: distance + tv · TV. */
  readonly loss: number;
  /** The distance term alone, of the returned dummy. */
  readonly distance: number;
  /** The distance term of each restart's best dummy, in restart order. */
  readonly restartDistances: readonly number[];
  /** The first restart's initial dummy: a no-information baseline to score against. */
  readonly initial: Float64Array;
  /** Model gradient evaluations spent (one forward + one backward pass each). */
  readonly evaluations: number;
}

interface Objective {
  readonly loss: number;
  readonly distance: number;
  readonly dx: Float64Array;
  readonly dLogits: Float64Array;
}

export function invertGradients(o: InversionOptions): InversionResult {
  const { model, params, observed, rule, batch, rng } = o;
  const groups = o.groups ?? 1;
  const iterations = o.iterations ?? 200;
  const lr = o.lr ?? 0.1;
  const restarts = o.restarts ?? 1;
  const distance = o.distance ?? 'cosine';
  const tv = o.tv ?? 0;
  const method = o.gradient ?? 'hvp';
  const fdStep = o.fdStep ?? 1e-4;
  const every = o.progressEvery ?? 50;
  if (observed.length !== model.paramCount) fail('observed', `must hold the model's ${model.paramCount} parameters, got ${observed.length}`);
  for (let i = 0; i < observed.length; i++) if (!Number.isFinite(observed[i])) fail(`observed[${i}]`, `must be finite, got ${observed[i]}`);
  if (!Number.isInteger(iterations) || iterations < 0) fail('iterations', `must be an integer >= 0, got ${iterations}`);
  if (!Number.isInteger(restarts) || restarts < 1) fail('restarts', `must be an integer >= 1, got ${restarts}`);
  if (!(lr > 0)) fail('lr', `must be > 0, got ${lr}`);
  if (!DISTANCES.includes(distance)) fail('distance', `must be one of ${DISTANCES.join(', ')}, got '${String(distance)}'`);
  if (!GRADIENT_METHODS.includes(method)) fail('gradient', `must be one of ${GRADIENT_METHODS.join(', ')}, got '${String(method)}'`);
  if (!(tv >= 0)) fail('tv', `must be >= 0, got ${tv}`);
  if (tv > 0 && o.image === undefined) fail('image', 'the TV prior needs the per-sample image shape [height, width]');
  if (o.image && o.image[0] * o.image[1] !== model.inSize) {
    fail('image', `[${o.image.join(', ')}] does not hold the model's ${model.inSize} input features`);
  }
  if (o.bounds && !(o.bounds[0] < o.bounds[1])) fail('bounds', `must be [lo, hi] with lo < hi, got [${o.bounds.join(', ')}]`);
  if (o.initRange && !(o.initRange[0] <= o.initRange[1])) fail('initRange', `must be [lo, hi] with lo <= hi, got [${o.initRange.join(', ')}]`);

  const saved = model.getParams();
  try {
    const sim = new UpdateSimulator(model, params, rule, batch, groups, fdStep);
    const rows = sim.rows;
    const classes = model.outSize;
    const inSize = model.inSize;

    // Labels: fixed one-hot rows, or logits to optimize.
    let fixedProbs: Float64Array | undefined;
    let labelSource: InversionResult['labelSource'] = 'soft';
    if (o.labels.kind === 'known') {
      if (o.labels.labels.length !== rows) fail('labels.labels', `must hold ${rows} labels (groups x batch), got ${o.labels.labels.length}`);
      fixedProbs = oneHot(o.labels.labels, classes);
      labelSource = 'known';
    } else if (o.labels.kind === 'idlg') {
      const y = inferLabelIdlg(model, observed, rule, rows);
      if (y !== undefined) {
        fixedProbs = oneHot([y], classes);
        labelSource = 'idlg';
      }
    }

    // Amplitude embedding and prepared states cannot take an all-zero row.
    const first = model.layers[0];
    const needsNonZero = first instanceof QuantumLayer && first.options.circuit.prep.kind !== 'zero';

    const project = (x: Float64Array): void => {
      if (o.bounds) {
        const [lo, hi] = o.bounds;
        for (let i = 0; i < x.length; i++) x[i] = Math.min(hi, Math.max(lo, x[i]!));
      }
      if (needsNonZero) {
        for (let s = 0; s < rows; s++) {
          let n2 = 0;
          for (let j = 0; j < inSize; j++) n2 += x[s * inSize + j]! ** 2;
          if (n2 === 0) for (let j = 0; j < inSize; j++) x[s * inSize + j] = 1e-3;
        }
      }
    };

    const probsOf = (logits: Float64Array): Float64Array => fixedProbs ?? softmaxRowsOf(logits, rows);

    const objectiveValue = (x: Float64Array, logits: Float64Array): { loss: number; distance: number } => {
      const u = sim.forward(x, probsOf(logits));
      const d = updateDistance(u, observed, distance).loss;
      const t = tv > 0 ? totalVariation(x, rows, o.image![0], o.image![1]).loss : 0;
      return { loss: d + tv * t, distance: d };
    };

    const objective = (x: Float64Array, logits: Float64Array): Objective => {
      if (method === 'coordinate') return coordinateObjective(x, logits, objectiveValue, fixedProbs === undefined, fdStep);
      const probs = probsOf(logits);
      const u = sim.forward(x, probs);
      const d = updateDistance(u, observed, distance);
      const { dx, dProbs } = sim.backward(d.grad);
      let loss = d.loss;
      if (tv > 0) {
        const t = totalVariation(x, rows, o.image![0], o.image![1]);
        loss += tv * t.loss;
        for (let i = 0; i < dx.length; i++) dx[i] += tv * t.grad[i]!;
      }
      const dLogits = fixedProbs ? new Float64Array(0) : softmaxBackward(probs, dProbs, rows);
      return { loss, distance: d.loss, dx, dLogits };
    };

    let best: { x: Float64Array; logits: Float64Array; loss: number; distance: number } | undefined;
    let initial = new Float64Array(0);
    const restartDistances: number[] = [];
    for (let r = 0; r < restarts; r++) {
      const x = new Float64Array(rows * inSize);
      const range = o.initRange ?? o.bounds;
      for (let i = 0; i < x.length; i++) x[i] = range ? range[0] + (range[1] - range[0]) * rng.uniform() : rng.normal();
      project(x);
      const logits = new Float64Array(fixedProbs ? 0 : rows * classes);
      for (let i = 0; i < logits.length; i++) logits[i] = rng.normal();
      if (r === 0) initial = x.slice();
      const optX = new Adam({ lr });
      const optL = new Adam({ lr });
      let runBest = { x: x.slice(), logits: logits.slice(), loss: Infinity, distance: Infinity };
      for (let it = 0; it < iterations; it++) {
        const f = objective(x, logits);
        if (f.loss < runBest.loss) runBest = { x: x.slice(), logits: logits.slice(), loss: f.loss, distance: f.distance };
        if (o.onProgress && it % every === 0) o.onProgress({ restart: r, iteration: it, loss: f.loss });
        const rate = (o.schedule ?? 'multistep') === 'multistep' ? lr * multistepFactor(it, iterations) : lr;
        optX.lr = rate;
        optL.lr = rate;
        optX.step(x, f.dx);
        if (logits.length > 0) optL.step(logits, f.dLogits);
        project(x);
      }
      const last = objectiveValue(x, logits);
      if (last.loss < runBest.loss) runBest = { x: x.slice(), logits: logits.slice(), loss: last.loss, distance: last.distance };
      restartDistances.push(runBest.distance);
      if (best === undefined || runBest.loss < best.loss) best = runBest;
    }
    const probs = probsOf(best!.logits).slice();
    const labels = new Int32Array(rows);
    for (let s = 0; s < rows; s++) {
      let arg = 0;
      for (let c = 1; c < classes; c++) if (probs[s * classes + c]! > probs[s * classes + arg]!) arg = c;
      labels[s] = arg;
    }
    return {
      x: best!.x,
      probs,
      labels,
      labelSource,
      loss: best!.loss,
      distance: best!.distance,
      restartDistances,
      initial,
      evaluations: sim.evaluations,
    };
  } finally {
    model.params.set(saved);
  }
}

/** lr factor of Geiping et al.'s schedule: 0.1 after 3/8, 0.01 after 5/8, 0.001 after 7/8 of the run. */
export function multistepFactor(iteration: number, total: number): number {
  let f = 1;
  for (const m of [3 / 8, 5 / 8, 7 / 8]) if (iteration >= Math.floor(m * total)) f *= 0.1;
  return f;
}

function softmaxRowsOf(logits: Float64Array, rows: number): Float64Array {
  const width = logits.length / rows;
  const p = new Float64Array(logits.length);
  for (let s = 0; s < rows; s++) {
    let max = -Infinity;
    for (let c = 0; c < width; c++) max = Math.max(max, logits[s * width + c]!);
    let sum = 0;
    for (let c = 0; c < width; c++) sum += p[s * width + c] = Math.exp(logits[s * width + c]! - max);
    for (let c = 0; c < width; c++) p[s * width + c] /= sum;
  }
  return p;
}

/** Chain rule through P = softmax(ℓ) per row: ∂/∂ℓ = P ⊙ (g − ⟨P, g⟩). */
function softmaxBackward(probs: Float64Array, g: Float64Array, rows: number): Float64Array {
  const width = probs.length / rows;
  const out = new Float64Array(probs.length);
  for (let s = 0; s < rows; s++) {
    let dot = 0;
    for (let c = 0; c < width; c++) dot += probs[s * width + c]! * g[s * width + c]!;
    for (let c = 0; c < width; c++) out[s * width + c] = probs[s * width + c]! * (g[s * width + c]! - dot);
  }
  return out;
}

/** Per-coordinate central differences of the whole objective (reference method). */
function coordinateObjective(
  x: Float64Array,
  logits: Float64Array,
  value: (x: Float64Array, logits: Float64Array) => { loss: number; distance: number },
  softLabels: boolean,
  h: number,
): Objective {
  const base = value(x, logits);
  const diff = (v: Float64Array): Float64Array => {
    const g = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const v0 = v[i]!;
      v[i] = v0 + h;
      const plus = value(x, logits).loss;
      v[i] = v0 - h;
      const minus = value(x, logits).loss;
      v[i] = v0;
      g[i] = (plus - minus) / (2 * h);
    }
    return g;
  };
  const dx = diff(x);
  const dLogits = softLabels ? diff(logits) : new Float64Array(0);
  return { loss: base.loss, distance: base.distance, dx, dLogits };
}
