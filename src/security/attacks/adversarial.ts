import { softmaxCrossEntropy } from '../../models/loss.js';
import type { Sequential } from '../../models/sequential.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { powPositive } from '../../util/detmath.js';

/**
 * White-box adversarial examples in input space, for any `Sequential` of the
 * zoo (classical, hybrid or quantum): the gradient is `model.inputGrad`, the
 * whole chain's dL/dx (through the simulator's adjoint pass for quantum
 * layers). Untargeted: each attack ascends the softmax cross-entropy of the
 * true labels. Pure functions over one batch; the input is never mutated.
 *
 * See README.md beside this file for what eps means for each kind of input.
 */

/** The perturbation norms: L-infinity (per-feature box) and L2 (per-sample ball). */
export const NORMS = ['linf', 'l2'] as const;
export type Norm = (typeof NORMS)[number];

/** The valid range `[lo, hi]` of every input feature (e.g. `[0, 1]` for MNIST pixels). */
export type ValueRange = readonly [lo: number, hi: number];

export interface FgsmOptions {
  /** Radius of the perturbation ball (data units); 0 returns the input. */
  readonly eps: number;
  /** `linf` (default): FGSM, x + eps sign(g); `l2`: the fast gradient method, x + eps g / |g|_2. */
  readonly norm?: Norm;
  /** Clip the result to this range; the clean batch must lie in it. */
  readonly range?: ValueRange;
}

export interface PgdOptions {
  readonly eps: number;
  /** Gradient steps, an integer >= 1. */
  readonly steps: number;
  /** Step length alpha: each step moves alpha sign(g) (linf) or alpha g / |g|_2 (l2). */
  readonly stepSize: number;
  /** Start from a uniform point of the eps ball (drawn from `rng`) instead of the clean input. */
  readonly randomStart: boolean;
  readonly norm: Norm;
  readonly range?: ValueRange;
}

// ----------------------------------------------------------------- checks

export function checkEps(eps: number, field = 'eps'): number {
  if (!(Number.isFinite(eps) && eps >= 0)) fail(field, `must be a finite number >= 0, got ${eps}`);
  return eps;
}

export function checkNorm(norm: string, field = 'norm'): Norm {
  if (!(NORMS as readonly string[]).includes(norm)) fail(field, `must be one of ${NORMS.join(', ')}, got '${norm}'`);
  return norm as Norm;
}

export function checkSteps(steps: number, field = 'steps'): number {
  if (!(Number.isInteger(steps) && steps >= 1)) fail(field, `must be an integer >= 1, got ${steps}`);
  return steps;
}

export function checkStepSize(stepSize: number, field = 'stepSize'): number {
  if (!(Number.isFinite(stepSize) && stepSize >= 0)) fail(field, `must be a finite number >= 0, got ${stepSize}`);
  return stepSize;
}

/** Checks `[lo, hi]` (finite, lo <= hi) and, when given, that every clean feature lies in it. */
export function checkRange(range: ValueRange, x?: Float64Array, width = 1, field = 'range'): ValueRange {
  const [lo, hi] = range;
  if (range.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    fail(field, `must be [lo, hi] with finite lo <= hi, got [${range.join(', ')}]`);
  }
  if (x) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (!(v >= lo && v <= hi)) {
        fail(
          `x[${Math.floor(i / width)}]`,
          `feature ${i % width} is ${v}, outside the valid range [${lo}, ${hi}] (fix the data or the range)`,
        );
      }
    }
  }
  return range;
}

/** Checks that `x` and `labels` hold one batch the model takes. */
export function checkBatch(model: Sequential, x: Float64Array, labels: ArrayLike<number>, batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) fail('batch', `must be an integer >= 1, got ${batch}`);
  if (x.length !== batch * model.inSize) {
    fail('x', `must hold batch (${batch}) x ${model.inSize} features = ${batch * model.inSize} numbers, got ${x.length}`);
  }
  if (labels.length !== batch) fail('labels', `must hold one label per sample (${batch}), got ${labels.length}`);
}

/** dL/dx of the mean cross-entropy; refuses a non-finite gradient rather than spreading NaN. */
export function lossInputGrad(
  model: Sequential,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
): { loss: number; grad: Float64Array } {
  const { loss, inputGrad } = model.inputGrad(x, labels, batch, softmaxCrossEntropy);
  for (let i = 0; i < inputGrad.length; i++) {
    if (!Number.isFinite(inputGrad[i]!)) fail('inputGrad', `entry ${i} is ${inputGrad[i]}; the model's gradient is not finite here`);
  }
  return { loss, grad: inputGrad };
}

// ------------------------------------------------------------ primitives

/**
 * One ascent step in place: `adv += alpha sign(g)` (linf) or, per sample,
 * `adv += alpha g / |g|_2` (l2; a zero gradient leaves the sample alone).
 */
export function ascend(adv: Float64Array, grad: Float64Array, alpha: number, norm: Norm, width: number): void {
  if (norm === 'linf') {
    for (let i = 0; i < adv.length; i++) adv[i] += alpha * Math.sign(grad[i]!);
    return;
  }
  for (let at = 0; at < adv.length; at += width) {
    let n2 = 0;
    for (let j = at; j < at + width; j++) n2 += grad[j]! * grad[j]!;
    if (!(n2 > 0)) continue;
    const scale = alpha / Math.sqrt(n2);
    for (let j = at; j < at + width; j++) adv[j] += grad[j]! * scale;
  }
}

/**
 * Projects `adv` in place onto the eps ball around `x0` (the box
 * `[x0 - eps, x0 + eps]` for linf; for l2, per sample, `delta * eps / |delta|`
 * when `|delta| > eps`), then clips it to `range`. With `x0` inside the range
 * the clip only shrinks each |delta_i|, so the result stays in the ball.
 */
export function project(
  adv: Float64Array,
  x0: Float64Array,
  eps: number,
  norm: Norm,
  width: number,
  range?: ValueRange,
): void {
  if (norm === 'linf') {
    for (let i = 0; i < adv.length; i++) {
      const lo = x0[i]! - eps;
      const hi = x0[i]! + eps;
      const v = adv[i]!;
      adv[i] = v < lo ? lo : v > hi ? hi : v;
    }
  } else {
    for (let at = 0; at < adv.length; at += width) {
      let n2 = 0;
      for (let j = at; j < at + width; j++) n2 += (adv[j]! - x0[j]!) ** 2;
      if (n2 <= eps * eps) continue;
      const scale = eps / Math.sqrt(n2);
      for (let j = at; j < at + width; j++) adv[j] = x0[j]! + (adv[j]! - x0[j]!) * scale;
    }
  }
  if (range) {
    const [lo, hi] = range;
    for (let i = 0; i < adv.length; i++) {
      const v = adv[i]!;
      adv[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

/** Adds a uniform draw from the eps ball in place: U(-eps, eps)^d (linf), or uniform in the L2 ball per sample. */
function randomStart(adv: Float64Array, eps: number, norm: Norm, width: number, rng: Rng): void {
  if (norm === 'linf') {
    for (let i = 0; i < adv.length; i++) adv[i] += eps * (2 * rng.uniform() - 1);
    return;
  }
  const dir = new Float64Array(width);
  for (let at = 0; at < adv.length; at += width) {
    let n2 = 0;
    for (let j = 0; j < width; j++) n2 += (dir[j] = rng.normal()) ** 2;
    // Radius eps u^(1/d) makes the point uniform in the ball's volume.
    const scale = n2 > 0 ? (eps * powPositive(rng.uniform() || Number.MIN_VALUE, 1 / width)) / Math.sqrt(n2) : 0;
    for (let j = 0; j < width; j++) adv[at + j] += dir[j]! * scale;
  }
}

// ---------------------------------------------------------------- attacks

/**
 * Fast Gradient Sign Method (Goodfellow et al. 2015, arXiv:1412.6572):
 *
 *   x_adv = clip_range( x + eps sign(dL/dx) )
 *
 * and with `norm: 'l2'` the fast gradient method `x + eps g / |g|_2` per
 * sample. One gradient of the whole model; returns a new batch.
 *
 * @example
 * const xAdv = fgsm(model, x, labels, batch, { eps: 0.1, range: [0, 1] });
 */
export function fgsm(
  model: Sequential,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  o: FgsmOptions,
): Float64Array {
  const eps = checkEps(o.eps);
  const norm = checkNorm(o.norm ?? 'linf');
  checkBatch(model, x, labels, batch);
  const width = model.inSize;
  const range = o.range ? checkRange(o.range, x, width) : undefined;
  const adv = x.slice();
  if (eps === 0) return adv;
  const { grad } = lossInputGrad(model, adv, labels, batch);
  ascend(adv, grad, eps, norm, width);
  project(adv, x, eps, norm, width, range);
  return adv;
}

/**
 * Projected Gradient Descent (Madry et al. 2018, arXiv:1706.06083): from x
 * (or a uniform point of the ball, `randomStart`), `steps` times
 *
 *   x_adv <- Proj_{B(x, eps) ∩ range}( x_adv + stepSize d(g) ),
 *
 * with d(g) = sign(g) (linf) or g / |g|_2 (l2). One step of size eps without
 * a random start is exactly `fgsm` (same operations, same rounding).
 *
 * @example
 * const xAdv = pgd(model, x, labels, batch, { eps: 0.1, steps: 10, stepSize: 0.025, randomStart: true, norm: 'linf', range: [0, 1] }, new Rng(7));
 */
export function pgd(
  model: Sequential,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  o: PgdOptions,
  rng: Rng,
): Float64Array {
  const eps = checkEps(o.eps);
  const norm = checkNorm(o.norm);
  const steps = checkSteps(o.steps);
  const alpha = checkStepSize(o.stepSize);
  checkBatch(model, x, labels, batch);
  const width = model.inSize;
  const range = o.range ? checkRange(o.range, x, width) : undefined;
  const adv = x.slice();
  if (eps === 0) return adv;
  if (o.randomStart) {
    randomStart(adv, eps, norm, width, rng);
    project(adv, x, eps, norm, width, range);
  }
  for (let t = 0; t < steps; t++) {
    const { grad } = lossInputGrad(model, adv, labels, batch);
    ascend(adv, grad, alpha, norm, width);
    project(adv, x, eps, norm, width, range);
  }
  return adv;
}
