import type { Layer } from './layer.js';
import type { LossFn } from './loss.js';
import type { Sequential } from './sequential.js';
import type { Rng } from '../util/random.js';

/**
 * Checks backward passes against central finite differences,
 *
 *   ∂f/∂θ_i ≈ (f(θ + h e_i) − f(θ − h e_i)) / 2h,
 *
 * for a layer (f = Σ r·y with a fixed random r, so one backward with dy = r
 * gives the whole gradient), a loss, or a whole model (f = its loss), with
 * respect to both the parameters and the inputs. Used by every layer's test.
 *
 * An entry passes when `|analytic − numeric| <= absolute + relative ·
 * max(|analytic|, |numeric|)`. With float64 and h = 1e-5 the truncation error
 * is O(h²) ≈ 1e-10 and the rounding error O(ε·|f|/h) ≈ 1e-11·|f|, so 1e-6
 * relative leaves a wide margin for a right gradient and none for a wrong one.
 * Kinks (ReLU at 0, ties in max pooling) break the comparison: tests keep
 * inputs away from them.
 */
export const GRADCHECK_TOLERANCE = {
  step: 1e-5,
  relative: 1e-6,
  /** Floor for entries near zero, where a relative error means nothing. */
  absolute: 1e-8,
} as const;

export interface GradcheckOptions {
  readonly step?: number;
  readonly relative?: number;
  readonly absolute?: number;
  /** Check at most this many entries of each array (a random subset beyond). Default 256. */
  readonly maxEntries?: number;
  /**
   * What to differentiate by; default both. Leave out `input` where a step of
   * h would leave the input domain (a prepared state must stay normalised).
   */
  readonly wrt?: readonly GradcheckEntry['wrt'][];
}

export interface GradcheckEntry {
  readonly wrt: 'params' | 'input';
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
  /** `|analytic − numeric| / max(|analytic|, |numeric|)`, 0 when both are 0. */
  readonly relError: number;
}

export interface GradcheckReport {
  readonly ok: boolean;
  /** Entries compared, params and inputs together. */
  readonly checked: number;
  readonly failures: readonly GradcheckEntry[];
  /** The entry furthest over (or closest to) its tolerance. */
  readonly worst: GradcheckEntry | undefined;
  /** Other contract breaches: wrong gradient lengths, inputs mutated. */
  readonly problems: readonly string[];
}

interface Tolerance {
  readonly step: number;
  readonly relative: number;
  readonly absolute: number;
  readonly maxEntries: number;
  readonly wrt: readonly GradcheckEntry['wrt'][];
}

function tolerance(o: GradcheckOptions): Tolerance {
  return {
    step: o.step ?? GRADCHECK_TOLERANCE.step,
    relative: o.relative ?? GRADCHECK_TOLERANCE.relative,
    absolute: o.absolute ?? GRADCHECK_TOLERANCE.absolute,
    maxEntries: o.maxEntries ?? 256,
    wrt: o.wrt ?? ['params', 'input'],
  };
}

/** Accumulates comparisons into a report. */
class Collector {
  checked = 0;
  readonly failures: GradcheckEntry[] = [];
  readonly problems: string[] = [];
  worst: GradcheckEntry | undefined;
  private worstRatio = -1;

  constructor(
    private readonly tol: Tolerance,
    private readonly rng: Rng | undefined,
  ) {}

  /**
   * Compares `analytic` with central differences of `f` in each checked entry
   * of `theta`, which is perturbed in place and restored exactly.
   */
  compare(wrt: GradcheckEntry['wrt'], theta: Float64Array, analytic: Float64Array, f: () => number): void {
    if (!this.tol.wrt.includes(wrt)) return;
    if (analytic.length !== theta.length) {
      this.problems.push(`d/d${wrt} has ${analytic.length} entries, expected ${theta.length}`);
      return;
    }
    const { step: h, relative, absolute } = this.tol;
    for (const i of this.indices(theta.length)) {
      const saved = theta[i];
      theta[i] = saved + h;
      const fPlus = f();
      theta[i] = saved - h;
      const fMinus = f();
      theta[i] = saved;
      const numeric = (fPlus - fMinus) / (2 * h);
      const a = analytic[i];
      const scale = Math.max(Math.abs(a), Math.abs(numeric));
      const diff = Math.abs(a - numeric);
      const entry: GradcheckEntry = { wrt, index: i, analytic: a, numeric, relError: scale === 0 ? 0 : diff / scale };
      const ratio = diff / (absolute + relative * scale);
      this.checked++;
      if (!(ratio <= 1)) this.failures.push(entry);
      if (!(ratio <= this.worstRatio)) {
        this.worstRatio = ratio;
        this.worst = entry;
      }
    }
  }

  private indices(n: number): number[] {
    const all = Array.from({ length: n }, (_, i) => i);
    if (n <= this.tol.maxEntries) return all;
    if (this.rng === undefined) return all.filter((i) => i % Math.ceil(n / this.tol.maxEntries) === 0);
    return Array.from(this.rng.permutation(n).subarray(0, this.tol.maxEntries)).sort((a, b) => a - b);
  }

  report(): GradcheckReport {
    return {
      ok: this.failures.length === 0 && this.problems.length === 0,
      checked: this.checked,
      failures: this.failures,
      worst: this.worst,
      problems: this.problems,
    };
  }
}

function randn(n: number, rng: Rng, std = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal(0, std);
  return a;
}

function sameArray(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

export interface GradcheckLayerOptions extends GradcheckOptions {
  readonly batch: number;
  readonly rng: Rng;
  /** Input batch; default standard normal. */
  readonly x?: Float64Array;
  /** Parameters; default standard normal · 0.5 (biases included, unlike an init). */
  readonly params?: Float64Array;
}

/**
 * Checks a layer's backward for its parameters and its input. Also checks
 * that backward ADDS into dParams (it is handed a gradient prefilled with
 * ones) and that neither pass writes into x, params or dy.
 */
export function gradcheckLayer(layer: Layer, options: GradcheckLayerOptions): GradcheckReport {
  const { batch, rng } = options;
  const inSize = layer.inShape.reduce((a, b) => a * b, 1);
  const x = options.x ? options.x.slice() : randn(batch * inSize, rng);
  const params = options.params ? options.params.slice() : randn(layer.paramCount, rng, 0.5);
  const c = new Collector(tolerance(options), rng);
  const x0 = x.slice();
  const p0 = params.slice();
  const pass = layer.forward(x, batch, params);
  const r = randn(pass.y.length, rng);
  const r0 = r.slice();
  const dParams = new Float64Array(layer.paramCount).fill(1);
  const dx = pass.backward(r, dParams);
  for (let i = 0; i < dParams.length; i++) dParams[i] -= 1;
  if (!sameArray(x, x0)) c.problems.push('the pass wrote into its input x');
  if (!sameArray(params, p0)) c.problems.push('the pass wrote into its params');
  if (!sameArray(r, r0)) c.problems.push('backward wrote into dy');
  const f = (): number => {
    const y = layer.forward(x, batch, params).y;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += r[i] * y[i];
    return s;
  };
  c.compare('params', params, dParams, f);
  c.compare('input', x, dx, f);
  return c.report();
}

/** Checks a loss's gradient with respect to the outputs it scores. */
export function gradcheckLoss<T>(
  loss: LossFn<T>,
  output: Float64Array,
  targets: T,
  batch: number,
  options: GradcheckOptions & { readonly rng?: Rng } = {},
): GradcheckReport {
  const out = output.slice();
  const c = new Collector(tolerance(options), options.rng);
  const { grad } = loss(out, targets, batch);
  c.compare('input', out, grad, () => loss(out, targets, batch).loss);
  return c.report();
}

/**
 * Checks a whole model: `lossAndGrad` against differences of the loss in
 * every (sampled) parameter, and `inputGrad` in every (sampled) input entry.
 * The model's parameters are perturbed in place and restored.
 */
export function gradcheckModel<T>(
  model: Pick<Sequential, 'params' | 'forward' | 'lossAndGrad' | 'inputGrad'>,
  x: Float64Array,
  targets: T,
  batch: number,
  loss: LossFn<T>,
  options: GradcheckOptions & { readonly rng?: Rng } = {},
): GradcheckReport {
  const xs = x.slice();
  const c = new Collector(tolerance(options), options.rng);
  const { grad } = model.lossAndGrad(xs, targets, batch, loss);
  const { inputGrad } = model.inputGrad(xs, targets, batch, loss);
  const f = (): number => loss(model.forward(xs, batch), targets, batch).loss;
  c.compare('params', model.params, grad, f);
  c.compare('input', xs, inputGrad, f);
  return c.report();
}

/** Throws an Error listing what failed, for use in tests: `assertGradcheck(gradcheckLayer(...), 'conv')`. */
export function assertGradcheck(report: GradcheckReport, label: string): void {
  if (report.ok) return;
  const lines = [...report.problems];
  for (const e of report.failures.slice(0, 5)) {
    lines.push(
      `d/d${e.wrt}[${e.index}]: analytic ${e.analytic.toExponential(6)} vs numeric ` +
        `${e.numeric.toExponential(6)} (relative error ${e.relError.toExponential(2)})`,
    );
  }
  if (report.failures.length > 5) lines.push(`... and ${report.failures.length - 5} more`);
  throw new Error(`gradcheck ${label}: ${report.failures.length} of ${report.checked} entries off\n  ${lines.join('\n  ')}`);
}
