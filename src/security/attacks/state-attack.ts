import type { Sequential } from '../../models/sequential.js';
import { applyRX, applyRY, applyRZ, generatorInner, type Trig } from '../../quantum/kernels.js';
import { wireBit } from '../../quantum/tape.js';
import type { Axis } from '../../quantum/templates.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { checkBatch, checkEps, checkStepSize, checkSteps, lossInputGrad } from './adversarial.js';
import { cos, sin } from '../../util/detmath.js';

/**
 * Adversarial examples for models fed prepared quantum states (`state` prep
 * rows: 2^n real parts, then 2^n imaginary parts). Adding a vector to the
 * amplitudes would not give a state; the attacker here applies a small
 * unitary instead, single-qubit Pauli rotations on the wires,
 *
 *   |psi'> = Π_{w in wires} Π_{a in axes} exp(-i θ_{w,a} P_a / 2) |psi>,   |θ| <= eps,
 *
 * so the attacked input is again a normalized state, and eps is an angle in
 * radians. FGSM and PGD run in the space of the angles θ (per sample, |wires|
 * x |axes| of them), with dL/dθ by the chain rule through the state: with
 * g = dL/d(re, im) from `model.inputGrad` at psi' and lam = g / 2 (so that
 * dL = 2 Re<lam|dpsi>), an adjoint walk back through the rotations gives
 * dL/dθ_k = 2 Re<lam_k| -i P_k/2 |psi_k> = Im<lam_k|P_k|psi_k> (the
 * simulator's `generatorInner`), then psi, lam <- R_k^† psi, R_k^† lam.
 * Works for any model whose input is a state row, quantum or classical.
 */

export const ROTATION_AXES = ['X', 'Y', 'Z'] as const satisfies readonly Axis[];

/** Which rotations perturb the state: `axes` applied in order on each of `wires`. */
export interface StateRotationOptions {
  /** Rotation axes, applied in this order on every wire; default X, Y, Z (a general single-qubit unitary near I). */
  readonly axes?: readonly Axis[];
  /** Wires rotated; default every wire. */
  readonly wires?: readonly number[];
}

export interface StateAttackOptions extends StateRotationOptions {
  /** Largest |θ| of every rotation angle, radians. */
  readonly eps: number;
}

export interface StatePgdOptions extends StateAttackOptions {
  readonly steps: number;
  /** Angle step (radians): θ <- clip(θ + stepSize sign(dL/dθ), -eps, eps). */
  readonly stepSize: number;
  /** Start from θ ~ U(-eps, eps) drawn from `rng` instead of θ = 0. */
  readonly randomStart: boolean;
}

/** An attacked batch: the rotated state rows and the angles (batch x |wires| |axes|, wire-major) that made them. */
export interface StateAttack {
  readonly x: Float64Array;
  readonly angles: Float64Array;
}

/** A resolved rotation list: op k rotates `bits[k]` about `axes[k]`. */
interface Rotations {
  readonly nQubits: number;
  readonly dim: number;
  readonly axes: readonly Axis[];
  readonly bits: readonly number[];
}

/** Qubits n of a state row of `width` = 2 * 2^n numbers. */
export function stateQubits(width: number, field = 'model.inSize'): number {
  const n = Math.log2(width / 2);
  if (!Number.isInteger(n) || n < 1 || n > 30) {
    fail(field, `a prepared-state row holds 2 * 2^n numbers (n = 1..30), got ${width}; state attacks need a model fed states`);
  }
  return n;
}

function resolve(width: number, o: StateRotationOptions): Rotations {
  const n = stateQubits(width);
  const axes = o.axes ?? ROTATION_AXES;
  if (axes.length === 0) fail('axes', `must name at least one of ${ROTATION_AXES.join(', ')}`);
  axes.forEach((a, i) => {
    if (!(ROTATION_AXES as readonly string[]).includes(a)) fail(`axes[${i}]`, `must be one of ${ROTATION_AXES.join(', ')}, got '${a}'`);
  });
  const wires = o.wires ?? Array.from({ length: n }, (_, w) => w);
  if (wires.length === 0) fail('wires', 'must name at least one wire');
  wires.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 0 || w >= n) fail(`wires[${i}]`, `must be a wire in [0, ${n - 1}], got ${w}`);
  });
  if (new Set(wires).size !== wires.length) fail('wires', `must be distinct, got [${wires.join(', ')}]`);
  const opAxes: Axis[] = [];
  const bits: number[] = [];
  for (const w of wires) {
    for (const a of axes) {
      opAxes.push(a);
      bits.push(wireBit(n, w));
    }
  }
  return { nQubits: n, dim: 1 << n, axes: opAxes, bits };
}

/** Angles per sample for these options on a model (or row) of `width` numbers. */
export function stateAngleCount(width: number, o: StateRotationOptions = {}): number {
  return resolve(width, o).axes.length;
}

/** Rows to split, L2-normalized, re/im amplitudes (a zero or non-finite row is refused). */
function toStates(x: Float64Array, batch: number, dim: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(batch * dim);
  const im = new Float64Array(batch * dim);
  for (let b = 0; b < batch; b++) {
    const row = b * 2 * dim;
    let n2 = 0;
    for (let k = 0; k < 2 * dim; k++) n2 += x[row + k]! ** 2;
    if (!(n2 > 0) || !Number.isFinite(n2)) fail(`x[${b}]`, `a state needs finite, non-zero amplitudes (its norm is ${Math.sqrt(n2)})`);
    const inv = 1 / Math.sqrt(n2);
    for (let k = 0; k < dim; k++) {
      re[b * dim + k] = x[row + k]! * inv;
      im[b * dim + k] = x[row + dim + k]! * inv;
    }
  }
  return { re, im };
}

function toRows(re: Float64Array, im: Float64Array, batch: number, dim: number): Float64Array {
  const x = new Float64Array(batch * 2 * dim);
  for (let b = 0; b < batch; b++) {
    x.set(re.subarray(b * dim, (b + 1) * dim), b * 2 * dim);
    x.set(im.subarray(b * dim, (b + 1) * dim), b * 2 * dim + dim);
  }
  return x;
}

/** Applies rotation k (or its inverse) with per-sample angles `angles[b * K + k]`. */
function applyRotation(
  re: Float64Array,
  im: Float64Array,
  rot: Rotations,
  k: number,
  angles: Float64Array,
  trig: Trig,
  inverse: boolean,
): void {
  const K = rot.axes.length;
  const sign = inverse ? -1 : 1;
  for (let b = 0; b < trig.cos.length; b++) {
    const half = (sign * angles[b * K + k]!) / 2;
    trig.cos[b] = cos(half);
    trig.sin[b] = sin(half);
  }
  const bit = rot.bits[k]!;
  switch (rot.axes[k]!) {
    case 'X':
      return applyRX(re, im, rot.nQubits, bit, 0, trig);
    case 'Y':
      return applyRY(re, im, rot.nQubits, bit, 0, trig);
    case 'Z':
      return applyRZ(re, im, rot.nQubits, bit, 0, trig);
  }
}

function checkAngles(angles: Float64Array, batch: number, K: number): void {
  if (angles.length !== batch * K) fail('angles', `must hold batch (${batch}) x ${K} rotation angles, got ${angles.length}`);
  for (let i = 0; i < angles.length; i++) if (!Number.isFinite(angles[i]!)) fail(`angles[${i}]`, `must be finite, got ${angles[i]}`);
}

function newTrig(batch: number): Trig {
  return { cos: new Float64Array(batch), sin: new Float64Array(batch), perSample: true };
}

/**
 * The rotated states as rows: each row normalized, then the rotations
 * `angles` (batch x K, K = stateAngleCount) applied. Angles of 0 give the
 * normalized input back.
 */
export function rotateStates(
  x: Float64Array,
  batch: number,
  angles: Float64Array,
  o: StateRotationOptions = {},
): Float64Array {
  if (!Number.isInteger(batch) || batch < 1) fail('batch', `must be an integer >= 1, got ${batch}`);
  const rot = resolve(x.length / batch, o);
  checkAngles(angles, batch, rot.axes.length);
  const { re, im } = toStates(x, batch, rot.dim);
  const trig = newTrig(batch);
  for (let k = 0; k < rot.axes.length; k++) applyRotation(re, im, rot, k, angles, trig, false);
  return toRows(re, im, batch, rot.dim);
}

/**
 * Mean cross-entropy of the model on the rotated states and its gradient for
 * the angles (batch x K), by the chain rule through the state (see the top
 * of this file). Also returns the rotated rows.
 */
export function stateAngleGrad(
  model: Sequential,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  angles: Float64Array,
  o: StateRotationOptions = {},
): { loss: number; grad: Float64Array; x: Float64Array } {
  checkBatch(model, x, labels, batch);
  const rot = resolve(model.inSize, o);
  const K = rot.axes.length;
  checkAngles(angles, batch, K);
  const { dim } = rot;
  const psi = toStates(x, batch, dim);
  const trig = newTrig(batch);
  for (let k = 0; k < K; k++) applyRotation(psi.re, psi.im, rot, k, angles, trig, false);
  const rows = toRows(psi.re, psi.im, batch, dim);
  const { loss, grad: g } = lossInputGrad(model, rows, labels, batch);
  const lamRe = new Float64Array(batch * dim);
  const lamIm = new Float64Array(batch * dim);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < dim; j++) {
      lamRe[b * dim + j] = 0.5 * g[b * 2 * dim + j]!;
      lamIm[b * dim + j] = 0.5 * g[b * 2 * dim + dim + j]!;
    }
  }
  const grad = new Float64Array(batch * K);
  const dTheta = new Float64Array(batch);
  for (let k = K - 1; k >= 0; k--) {
    generatorInner(`R${rot.axes[k]!}`, lamRe, lamIm, psi.re, psi.im, rot.nQubits, [rot.bits[k]!], 0, dTheta);
    for (let b = 0; b < batch; b++) grad[b * K + k] = dTheta[b]!;
    if (k > 0) {
      applyRotation(psi.re, psi.im, rot, k, angles, trig, true);
      applyRotation(lamRe, lamIm, rot, k, angles, trig, true);
    }
  }
  return { loss, grad, x: rows };
}

/**
 * FGSM in rotation-angle space: θ = eps sign(dL/dθ at θ = 0), every angle at
 * the edge of [-eps, eps]. The rows returned are normalized states.
 *
 * @example
 * const { x: xAdv, angles } = stateFgsm(model, states, labels, batch, { eps: 0.1 });
 */
export function stateFgsm(
  model: Sequential,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  o: StateAttackOptions,
): StateAttack {
  const eps = checkEps(o.eps);
  checkBatch(model, x, labels, batch);
  const K = stateAngleCount(model.inSize, o);
  const angles = new Float64Array(batch * K);
  if (eps > 0) {
    const { grad } = stateAngleGrad(model, x, labels, batch, angles, o);
    step(angles, grad, eps, eps);
  }
  return { x: rotateStates(x, batch, angles, o), angles };
}

/**
 * PGD in rotation-angle space: from θ = 0 (or U(-eps, eps) with
 * `randomStart`), `steps` times θ <- clip(θ + stepSize sign(dL/dθ), -eps, eps).
 * One step of size eps without a random start equals `stateFgsm`.
 */
export function statePgd(
  model: Sequential,
  x: Float64Array,
  labels: ArrayLike<number>,
  batch: number,
  o: StatePgdOptions,
  rng: Rng,
): StateAttack {
  const eps = checkEps(o.eps);
  const steps = checkSteps(o.steps);
  const alpha = checkStepSize(o.stepSize);
  checkBatch(model, x, labels, batch);
  const K = stateAngleCount(model.inSize, o);
  const angles = new Float64Array(batch * K);
  if (eps > 0) {
    if (o.randomStart) for (let i = 0; i < angles.length; i++) angles[i] = eps * (2 * rng.uniform() - 1);
    for (let t = 0; t < steps; t++) {
      const { grad } = stateAngleGrad(model, x, labels, batch, angles, o);
      step(angles, grad, alpha, eps);
    }
  }
  return { x: rotateStates(x, batch, angles, o), angles };
}

/** θ <- clip(θ + alpha sign(g), -eps, eps), in place. */
function step(angles: Float64Array, grad: Float64Array, alpha: number, eps: number): void {
  for (let i = 0; i < angles.length; i++) {
    const v = angles[i]! + alpha * Math.sign(grad[i]!);
    angles[i] = v < -eps ? -eps : v > eps ? eps : v;
  }
}
