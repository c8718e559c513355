import { fail } from '../util/errors.js';
import { powInt } from '../util/detmath.js';

/**
 * First-order optimizers that update a model's flat parameter vector in place
 * from a flat gradient of the same length.
 *
 * Their state (momentum, moment estimates, step count) is what a federated
 * checkpoint must store to resume a client exactly, so `getState` returns plain
 * JSON-ready arrays and `setState` takes them back, checking kind and lengths.
 * Buffers are sized on the first step (or by `setState`), so one optimizer
 * follows whatever model it is first stepped with. Hyperparameters are not
 * part of the state: they come from the config.
 */
export const OPTIMIZERS = ['sgd', 'adam'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

export interface SgdOptions {
  readonly lr: number;
  /** Heavy-ball momentum μ in [0, 1); default 0 (plain SGD). */
  readonly momentum?: number;
  /** L2 penalty λ added to the gradient as λ·θ; default 0. */
  readonly weightDecay?: number;
  /** Nesterov momentum (Sutskever et al. 2013); default false. */
  readonly nesterov?: boolean;
}

export interface AdamOptions {
  /** Default 1e-3. */
  readonly lr?: number;
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-8. */
  readonly eps?: number;
  /** L2 penalty added to the gradient (not decoupled AdamW); default 0. */
  readonly weightDecay?: number;
}

export type OptimizerSpec = ({ readonly kind: 'sgd' } & SgdOptions) | ({ readonly kind: 'adam' } & AdamOptions);

export type OptimizerState =
  | { readonly kind: 'sgd'; readonly velocity: number[] }
  | { readonly kind: 'adam'; readonly step: number; readonly m: number[]; readonly v: number[] };

export interface Optimizer {
  readonly kind: OptimizerKind;
  /** Learning rate; writable so that a schedule can change it between steps. */
  lr: number;
  /** `params -= update(grads)`, in place. */
  step(params: Float64Array, grads: Float64Array): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  /** Forget all state, as if never stepped. */
  reset(): void;
}

function checkRange(field: string, value: number, lo: number, hi: number, hiOpen: boolean): number {
  if (!Number.isFinite(value) || value < lo || (hiOpen ? value >= hi : value > hi)) {
    const range = hi === Infinity ? `a finite number >= ${lo}` : `in [${lo}, ${hi}${hiOpen ? ')' : ']'}`;
    fail(field, `must be ${range}, got ${value}`);
  }
  return value;
}

function checkStep(kind: string, params: Float64Array, grads: Float64Array, stateLength: number): void {
  if (grads.length !== params.length) {
    fail(`${kind}.grads`, `must match the ${params.length} parameters, got ${grads.length}`);
  }
  if (stateLength !== 0 && stateLength !== params.length) {
    fail(`${kind}.params`, `state was built for ${stateLength} parameters, got ${params.length}`);
  }
}

function checkArray(field: string, a: unknown): number[] {
  if (!Array.isArray(a) || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    fail(field, 'must be an array of finite numbers');
  }
  return a as number[];
}

/**
 * Stochastic gradient descent with optional momentum and weight decay, in
 * PyTorch's form: `g = ∇ + λθ`, `v = μv + g`, `θ -= lr · (nesterov ? g + μv : v)`
 * (with μ = 0, simply `θ -= lr · g`).
 */
export class Sgd implements Optimizer {
  readonly kind = 'sgd';
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private velocity = new Float64Array(0);

  constructor(options: SgdOptions) {
    this.lr = checkRange('sgd.lr', options.lr, 0, Infinity, true);
    this.momentum = checkRange('sgd.momentum', options.momentum ?? 0, 0, 1, true);
    this.weightDecay = checkRange('sgd.weightDecay', options.weightDecay ?? 0, 0, Infinity, true);
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && this.momentum === 0) fail('sgd.nesterov', 'needs momentum > 0');
  }

  step(params: Float64Array, grads: Float64Array): void {
    checkStep(this.kind, params, grads, this.velocity.length);
    const { lr, momentum: mu, weightDecay: wd, nesterov } = this;
    const n = params.length;
    if (mu === 0) {
      for (let i = 0; i < n; i++) params[i] -= lr * (grads[i] + wd * params[i]);
      return;
    }
    if (this.velocity.length === 0) this.velocity = new Float64Array(n);
    const v = this.velocity;
    for (let i = 0; i < n; i++) {
      const g = grads[i] + wd * params[i];
      const vi = mu * v[i] + g;
      v[i] = vi;
      params[i] -= lr * (nesterov ? g + mu * vi : vi);
    }
  }

  getState(): OptimizerState {
    return { kind: 'sgd', velocity: Array.from(this.velocity) };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== 'sgd') fail('sgd.state.kind', `must be 'sgd', got '${String(state.kind)}'`);
    this.velocity = Float64Array.from(checkArray('sgd.state.velocity', state.velocity));
  }

  reset(): void {
    this.velocity = new Float64Array(0);
  }
}

/**
 * Adam (Kingma & Ba 2015): with `g = ∇ + λθ` and step t,
 * `m = β1 m + (1 − β1) g`, `v = β2 v + (1 − β2) g²`,
 * `θ -= lr · m̂ / (√v̂ + ε)` where `m̂ = m / (1 − β1^t)`, `v̂ = v / (1 − β2^t)`.
 */
export class Adam implements Optimizer {
  readonly kind = 'adam';
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private m = new Float64Array(0);
  private v = new Float64Array(0);

  constructor(options: AdamOptions = {}) {
    this.lr = checkRange('adam.lr', options.lr ?? 1e-3, 0, Infinity, true);
    this.beta1 = checkRange('adam.beta1', options.beta1 ?? 0.9, 0, 1, true);
    this.beta2 = checkRange('adam.beta2', options.beta2 ?? 0.999, 0, 1, true);
    this.eps = checkRange('adam.eps', options.eps ?? 1e-8, 0, Infinity, true);
    this.weightDecay = checkRange('adam.weightDecay', options.weightDecay ?? 0, 0, Infinity, true);
  }

  step(params: Float64Array, grads: Float64Array): void {
    checkStep(this.kind, params, grads, this.m.length);
    const n = params.length;
    if (this.m.length === 0) {
      this.m = new Float64Array(n);
      this.v = new Float64Array(n);
    }
    const { m, v, beta1: b1, beta2: b2, eps, weightDecay: wd } = this;
    const t = ++this.t;
    // Bias corrections folded into one step size and one eps scale:
    // lr·m̂/(√v̂+ε) = (lr/c1) · m / (√v/√c2 + ε).
    const stepSize = this.lr / (1 - powInt(b1, t));
    const invSqrtC2 = 1 / Math.sqrt(1 - powInt(b2, t));
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    for (let i = 0; i < n; i++) {
      const g = grads[i] + wd * params[i];
      const mi = b1 * m[i] + c1 * g;
      const vi = b2 * v[i] + c2 * g * g;
      m[i] = mi;
      v[i] = vi;
      params[i] -= (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps);
    }
  }

  getState(): OptimizerState {
    return { kind: 'adam', step: this.t, m: Array.from(this.m), v: Array.from(this.v) };
  }

  setState(state: OptimizerState): void {
    if (state.kind !== 'adam') fail('adam.state.kind', `must be 'adam', got '${String(state.kind)}'`);
    if (!Number.isInteger(state.step) || state.step < 0) {
      fail('adam.state.step', `must be an integer >= 0, got ${String(state.step)}`);
    }
    const m = checkArray('adam.state.m', state.m);
    const v = checkArray('adam.state.v', state.v);
    if (m.length !== v.length) fail('adam.state.v', `must match m's length ${m.length}, got ${v.length}`);
    if (v.some((x) => x < 0)) fail('adam.state.v', 'must be >= 0 (it averages squared gradients)');
    this.t = state.step;
    this.m = Float64Array.from(m);
    this.v = Float64Array.from(v);
  }

  reset(): void {
    this.t = 0;
    this.m = new Float64Array(0);
    this.v = new Float64Array(0);
  }
}

/** Builds an optimizer from a config record, e.g. `{ kind: 'adam', lr: 1e-3 }`. */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  switch (spec.kind) {
    case 'sgd':
      return new Sgd(spec);
    case 'adam':
      return new Adam(spec);
    default:
      return fail('optimizer.kind', `must be one of ${OPTIMIZERS.join(', ')}, got '${String((spec as { kind: unknown }).kind)}'`);
  }
}
