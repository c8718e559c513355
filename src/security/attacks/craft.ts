import { featureCount, type Dataset } from '../../data/dataset.js';
import type { Sequential } from '../../models/sequential.js';
import type { Axis } from '../../quantum/templates.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { checkEps, checkNorm, checkRange, checkStepSize, checkSteps, fgsm, pgd, type Norm, type ValueRange } from './adversarial.js';
import { stateAngleCount, stateFgsm, statePgd } from './state-attack.js';

/**
 * One record that names an attack, for the callers that pick it from a
 * config (robust accuracy, transfer, adversarial training): which method,
 * its radius, and in which space. `craft` dispatches it.
 */

export const ATTACKS = ['fgsm', 'pgd'] as const;
export type AttackKind = (typeof ATTACKS)[number];

/**
 * `input`: perturb the feature vector (eps in data units, `norm`, `range`);
 * `state`: rotate a prepared quantum state (eps in radians per angle, `axes`, `wires`).
 */
export const ATTACK_SPACES = ['input', 'state'] as const;
export type AttackSpace = (typeof ATTACK_SPACES)[number];

/** PGD's defaults when a spec leaves them out: 10 steps of 2.5 eps / steps (Madry et al.), random start. */
export const PGD_DEFAULTS = { steps: 10, stepFactor: 2.5, randomStart: true } as const;

export interface AttackSpec {
  readonly attack: AttackKind;
  readonly eps: number;
  /** Default `input`. */
  readonly space?: AttackSpace;
  /** Input space: default `linf`. */
  readonly norm?: Norm;
  /** Input space: valid feature range, e.g. [0, 1] for pixels. */
  readonly range?: ValueRange;
  /** PGD: default 10. */
  readonly steps?: number;
  /** PGD: default 2.5 eps / steps. */
  readonly stepSize?: number;
  /** PGD: default true. */
  readonly randomStart?: boolean;
  /** State space: rotation axes, default X, Y, Z. */
  readonly axes?: readonly Axis[];
  /** State space: rotated wires, default all. */
  readonly wires?: readonly number[];
}

/** An attack spec without its radius: what a sweep over eps shares. */
export type AttackMethod = Omit<AttackSpec, 'eps'>;

/**
 * Checks a spec (and, given a model, that it fits the model: a state attack
 * needs state rows), naming the field at fault. `field` prefixes the names.
 */
export function checkAttackSpec(spec: AttackSpec, model?: Sequential, field = 'attack'): void {
  checkAttackMethod(spec, model, field);
  checkEps(spec.eps, `${field}.eps`);
}

export function checkAttackMethod(m: AttackMethod, model?: Sequential, field = 'attack'): void {
  if (!(ATTACKS as readonly string[]).includes(m.attack)) {
    fail(`${field}.attack`, `must be one of ${ATTACKS.join(', ')}, got '${m.attack}'`);
  }
  const space = m.space ?? 'input';
  if (!(ATTACK_SPACES as readonly string[]).includes(space)) {
    fail(`${field}.space`, `must be one of ${ATTACK_SPACES.join(', ')}, got '${space}'`);
  }
  if (m.steps !== undefined) checkSteps(m.steps, `${field}.steps`);
  if (m.stepSize !== undefined) checkStepSize(m.stepSize, `${field}.stepSize`);
  if (space === 'input') {
    if (m.norm !== undefined) checkNorm(m.norm, `${field}.norm`);
    if (m.range !== undefined) checkRange(m.range, undefined, 1, `${field}.range`);
    if (m.axes !== undefined || m.wires !== undefined) {
      fail(`${field}.space`, "axes and wires describe state-space attacks; set space: 'state' or leave them out");
    }
  } else {
    if (m.norm !== undefined || m.range !== undefined) {
      fail(`${field}.space`, "a state-space attack keeps states normalized: norm and range apply to space 'input' only");
    }
    if (model) stateAngleCount(model.inSize, m);
  }
}

/** PGD's step count and size for a spec, defaults filled in. */
export function pgdSchedule(spec: AttackSpec): { steps: number; stepSize: number; randomStart: boolean } {
  const steps = spec.steps ?? PGD_DEFAULTS.steps;
  return {
    steps,
    stepSize: spec.stepSize ?? (PGD_DEFAULTS.stepFactor * spec.eps) / steps,
    randomStart: spec.randomStart ?? PGD_DEFAULTS.randomStart,
  };
}

/**
 * Adversarial examples for one batch against `model`, as the spec says;
 * `rng` feeds PGD's random start (FGSM draws nothing). Returns a new batch.
 *
 * @example
 * craft(model, x, y, batch, { attack: 'pgd', eps: 0.1, range: [0, 1] }, rng);
 * craft(stateModel, states, y, batch, { attack: 'fgsm', eps: 0.05, space: 'state' }, rng);
 */
export function craft(
  model: Sequential,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  spec: AttackSpec,
  rng: Rng,
): Float64Array {
  checkAttackSpec(spec, model);
  if ((spec.space ?? 'input') === 'input') {
    const o = { eps: spec.eps, norm: spec.norm ?? 'linf', ...(spec.range ? { range: spec.range } : {}) } as const;
    return spec.attack === 'fgsm' ? fgsm(model, x, labels, batch, o) : pgd(model, x, labels, batch, { ...o, ...pgdSchedule(spec) }, rng);
  }
  const rot = { eps: spec.eps, ...(spec.axes ? { axes: spec.axes } : {}), ...(spec.wires ? { wires: spec.wires } : {}) };
  return spec.attack === 'fgsm'
    ? stateFgsm(model, x, labels, batch, rot).x
    : statePgd(model, x, labels, batch, { ...rot, ...pgdSchedule(spec) }, rng).x;
}

/**
 * The whole data set attacked against `model`, in batches of `batchSize`
 * (labels, shape and classes kept): examples made once, then evaluated on
 * any model (a transfer attack) or stored.
 */
export function craftDataset(model: Sequential, data: Dataset, spec: AttackSpec, rng: Rng, batchSize = 256): Dataset {
  checkFits(model, data);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail('batchSize', `must be an integer >= 1, got ${batchSize}`);
  checkAttackSpec(spec, model);
  const f = featureCount(data.shape);
  const x = new Float64Array(data.x.length);
  for (let from = 0; from < data.n; from += batchSize) {
    const to = Math.min(data.n, from + batchSize);
    const adv = craft(model, data.x.subarray(from * f, to * f), data.y.subarray(from, to), to - from, spec, rng);
    x.set(adv, from * f);
  }
  return { x, y: data.y.slice(), n: data.n, shape: [...data.shape], classes: data.classes };
}

/** Checks that the model takes the data set's rows and scores all its classes. */
export function checkFits(model: Sequential, data: Dataset, field = 'data'): void {
  const f = featureCount(data.shape);
  if (f !== model.inSize) fail(field, `samples have ${f} features but the model takes ${model.inSize}`);
  if (data.classes > model.outSize) fail(field, `${data.classes} classes but the model outputs ${model.outSize} scores`);
  if (data.n < 1) fail(field, 'holds no samples');
}
