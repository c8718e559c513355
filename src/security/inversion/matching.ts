import type { Sequential } from '../../models/sequential.js';
import { fail } from '../../util/errors.js';
import { checkUpdateRule, logSoftmaxRows, softCrossEntropy, type UpdateRule } from './update.js';

/**
 * The gradient-matching objective of a gradient-inversion attack and its
 * gradient with respect to the dummy batch. See `inversion.md` beside this
 * file for the derivation; in short:
 *
 * The attacker's simulated update u(x, P) is the client's update rule run on a
 * dummy batch (inputs x, soft labels P). The objective D(u, o) compares it
 * with the observed update o. Its gradient is dD/dx = J_x(u)^T a with
 * a = ∂D/∂u. No double backprop is available here (the simulator's adjoint
 * pass is first-order), but every product we need is a MIXED second
 * derivative, and by the symmetry of mixed partials
 *
 *   J_x(∇_θ L)^T a = ∇_x ⟨a, ∇_θ L(θ, x)⟩ = ∇_x (d/dε) L(θ + ε a, x)|₀
 *                  ≈ [∇_x L(θ + h â) − ∇_x L(θ − h â)] · |a| / (2h),   â = a/|a|,
 *
 * a central difference of two INPUT gradients along one direction in
 * parameter space (O(h²) error), whatever the input size. The same two
 * evaluations give H_θθ a (needed to unroll several local steps) and the
 * label part (∂L/∂P = −log softmax(z)/B is read off the logits).
 */

/** How far the simulated update is from the observed one. */
export const DISTANCES = ['cosine', 'l2'] as const;
export type Distance = (typeof DISTANCES)[number];

export interface Scored {
  readonly loss: number;
  readonly grad: Float64Array;
}

/**
 * Distance between the simulated update u and the observed one o, and ∂/∂u:
 *
 * - `cosine` (Geiping et al. 2020): D = 1 − ⟨u, o⟩ / (|u| |o|),
 *   ∂D/∂u = −o / (|u||o|) + ⟨u, o⟩ u / (|u|³ |o|). Blind to scale, so a
 *   learning-rate or norm mismatch does not matter.
 * - `l2` (Zhu et al. 2019, DLG), relative: D = |u − o|² / |o|², ∂D/∂u = 2 (u − o) / |o|².
 */
export function updateDistance(u: Float64Array, o: Float64Array, distance: Distance): Scored {
  if (u.length !== o.length) fail('updateDistance', `updates must have equal lengths, got ${u.length} and ${o.length}`);
  const n = u.length;
  const grad = new Float64Array(n);
  let uo = 0;
  let uu = 0;
  let oo = 0;
  for (let i = 0; i < n; i++) {
    uo += u[i]! * o[i]!;
    uu += u[i]! * u[i]!;
    oo += o[i]! * o[i]!;
  }
  if (!(oo > 0)) fail('observed', 'the observed update is zero: there is nothing to match');
  switch (distance) {
    case 'cosine': {
      const nu = Math.sqrt(uu) + 1e-300;
      const no = Math.sqrt(oo);
      const cos = uo / (nu * no);
      for (let i = 0; i < n; i++) grad[i] = -o[i]! / (nu * no) + (cos * u[i]!) / (nu * nu);
      return { loss: 1 - cos, grad };
    }
    case 'l2': {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const d = u[i]! - o[i]!;
        s += d * d;
        grad[i] = (2 * d) / oo;
      }
      return { loss: s / oo, grad };
    }
    default:
      return fail('distance', `must be one of ${DISTANCES.join(', ')}, got '${String(distance)}'`);
  }
}

const TV_DELTA2 = 1e-6;

/**
 * Total variation of a batch of `height × width` images, smoothed so it is
 * differentiable: TV = (1/B) Σ_s mean over neighbour pairs (i, j) of
 * √((x_i − x_j)² + δ²), δ = 1e-3; with its gradient.
 */
export function totalVariation(x: Float64Array, batch: number, height: number, width: number): Scored {
  const n = height * width;
  if (x.length !== batch * n) fail('totalVariation', `expected ${batch} images of ${height} x ${width}, got ${x.length} numbers`);
  const pairs = height * (width - 1) + (height - 1) * width;
  const grad = new Float64Array(x.length);
  if (pairs === 0) return { loss: 0, grad };
  const scale = 1 / (batch * pairs);
  let total = 0;
  const add = (i: number, j: number): void => {
    const d = x[i]! - x[j]!;
    const r = Math.sqrt(d * d + TV_DELTA2);
    total += r;
    const g = (d / r) * scale;
    grad[i] += g;
    grad[j] -= g;
  };
  for (let s = 0; s < batch; s++) {
    const at = s * n;
    for (let r = 0; r < height; r++) {
      for (let q = 0; q < width; q++) {
        const i = at + r * width + q;
        if (q + 1 < width) add(i, i + 1);
        if (r + 1 < height) add(i, i + width);
      }
    }
  }
  return { loss: total * scale, grad };
}

/** ∂D/∂(dummy inputs) and ∂D/∂(soft labels), laid out like the dummy batch. */
export interface DummyGrad {
  readonly dx: Float64Array;
  readonly dProbs: Float64Array;
}

/**
 * Re-computes a client's update for a dummy batch and back-propagates a
 * matching loss to the dummy. The dummy batch holds `groups × batch` rows:
 * the simulated update is the SUM of the updates of `groups` groups of
 * `batch` rows (one group per client whose updates a secure aggregator adds
 * up; `groups = 1` is a single client).
 *
 * `forward` remembers the parameter trajectory; `backward` must follow the
 * `forward` of the same dummy. `evaluations` counts model gradient
 * evaluations (one forward and one backward pass each) for cost reports.
 */
export class UpdateSimulator {
  evaluations = 0;
  private readonly inSize: number;
  private readonly classes: number;
  /** Per group: θ_t before each local step (one entry for `gradient`). */
  private trajectories: Float64Array[][] = [];
  private lastX: Float64Array = new Float64Array(0);
  private lastProbs: Float64Array = new Float64Array(0);
  /** θ0, copied. */
  readonly params: Float64Array;

  constructor(
    readonly model: Sequential,
    params: Float64Array,
    readonly rule: UpdateRule,
    readonly batch: number,
    readonly groups = 1,
    readonly fdStep = 1e-4,
  ) {
    checkUpdateRule(rule);
    if (params.length !== model.paramCount) fail('params', `must hold the model's ${model.paramCount} parameters, got ${params.length}`);
    if (!Number.isInteger(batch) || batch < 1) fail('batch', `must be an integer >= 1, got ${batch}`);
    if (!Number.isInteger(groups) || groups < 1) fail('groups', `must be an integer >= 1, got ${groups}`);
    if (!(fdStep > 0)) fail('fdStep', `must be > 0, got ${fdStep}`);
    this.params = params.slice();
    this.inSize = model.inSize;
    this.classes = model.outSize;
  }

  /** Rows in the dummy batch: groups × batch. */
  get rows(): number {
    return this.groups * this.batch;
  }

  /** The simulated (summed) update of the dummy batch. */
  forward(x: Float64Array, probs: Float64Array): Float64Array {
    this.checkDummy(x, probs);
    const p = this.params.length;
    const u = new Float64Array(p);
    this.trajectories = [];
    this.lastX = x;
    this.lastProbs = probs;
    for (let g = 0; g < this.groups; g++) {
      const { xg, pg } = this.group(x, probs, g);
      const traj: Float64Array[] = [];
      if (this.rule.kind === 'gradient') {
        traj.push(this.params);
        const grad = this.paramGrad(this.params, xg, pg);
        for (let i = 0; i < p; i++) u[i] += grad[i]!;
      } else {
        const theta = this.params.slice();
        for (let t = 0; t < this.rule.steps; t++) {
          traj.push(theta.slice());
          const grad = this.paramGrad(theta, xg, pg);
          for (let i = 0; i < p; i++) theta[i] -= this.rule.lr * grad[i]!;
        }
        for (let i = 0; i < p; i++) u[i] += theta[i]! - this.params[i]!;
      }
      this.trajectories.push(traj);
    }
    return u;
  }

  /**
   * J^T a for a = ∂D/∂u: ∂D/∂x and ∂D/∂P of the last `forward`'s dummy.
   * For `delta` it runs back through the local steps,
   * b_k = a; for t = k−1 … 0: ∂D/∂x −= lr J_x(g_t)^T b_{t+1}; b_t = b_{t+1} − lr H_t b_{t+1},
   * every product from one central difference (see the file's comment).
   */
  backward(a: Float64Array): DummyGrad {
    if (this.trajectories.length !== this.groups) fail('backward', 'call forward first');
    const dx = new Float64Array(this.lastX.length);
    const dProbs = new Float64Array(this.lastProbs.length);
    const rowsX = this.batch * this.inSize;
    const rowsP = this.batch * this.classes;
    for (let g = 0; g < this.groups; g++) {
      const { xg, pg } = this.group(this.lastX, this.lastProbs, g);
      const traj = this.trajectories[g]!;
      const dxg = dx.subarray(g * rowsX, (g + 1) * rowsX);
      const dpg = dProbs.subarray(g * rowsP, (g + 1) * rowsP);
      if (this.rule.kind === 'gradient') {
        const m = this.mixed(traj[0]!, a, xg, pg, false);
        dxg.set(m.dx);
        dpg.set(m.dProbs);
        continue;
      }
      const lr = this.rule.lr;
      let b = a.slice();
      for (let t = traj.length - 1; t >= 0; t--) {
        const m = this.mixed(traj[t]!, b, xg, pg, t > 0);
        for (let i = 0; i < dxg.length; i++) dxg[i] -= lr * m.dx[i]!;
        for (let i = 0; i < dpg.length; i++) dpg[i] -= lr * m.dProbs[i]!;
        if (t > 0) {
          const next = new Float64Array(b.length);
          for (let i = 0; i < b.length; i++) next[i] = b[i]! - lr * m.hv[i]!;
          b = next;
        }
      }
    }
    return { dx, dProbs };
  }

  private checkDummy(x: Float64Array, probs: Float64Array): void {
    if (x.length !== this.rows * this.inSize) fail('dummy.x', `must hold ${this.rows} x ${this.inSize} numbers, got ${x.length}`);
    if (probs.length !== this.rows * this.classes) {
      fail('dummy.probs', `must hold ${this.rows} x ${this.classes} numbers, got ${probs.length}`);
    }
  }

  private group(x: Float64Array, probs: Float64Array, g: number): { xg: Float64Array; pg: Float64Array } {
    const rx = this.batch * this.inSize;
    const rp = this.batch * this.classes;
    return { xg: x.subarray(g * rx, (g + 1) * rx), pg: probs.subarray(g * rp, (g + 1) * rp) };
  }

  private paramGrad(theta: Float64Array, xg: Float64Array, pg: Float64Array): Float64Array {
    this.model.params.set(theta);
    this.evaluations++;
    return this.model.lossAndGrad(xg, pg, this.batch, softCrossEntropy).grad;
  }

  /** ∇_x L, ∇_θ L and log softmax(z) at θ: one forward for the logits, one VJP. */
  private fullGrad(theta: Float64Array, xg: Float64Array, pg: Float64Array): { gx: Float64Array; gt: Float64Array; lsm: Float64Array } {
    this.model.params.set(theta);
    this.evaluations++;
    const logits = this.model.forward(xg, this.batch);
    const l = softCrossEntropy(logits, pg, this.batch);
    const v = this.model.vjp(xg, this.batch, l.grad);
    return { gx: v.inputGrad, gt: v.grad, lsm: logSoftmaxRows(logits, this.batch) };
  }

  /**
   * Mixed products along v at θ: J_x(∇_θ L)^T v, J_P(∇_θ L)^T v and (when
   * `wantHv`) H_θθ v, by one central difference of full gradients at θ ± h v/|v|.
   */
  private mixed(
    theta: Float64Array,
    v: Float64Array,
    xg: Float64Array,
    pg: Float64Array,
    wantHv: boolean,
  ): { dx: Float64Array; dProbs: Float64Array; hv: Float64Array } {
    let norm2 = 0;
    for (let i = 0; i < v.length; i++) norm2 += v[i]! * v[i]!;
    const norm = Math.sqrt(norm2);
    const dx = new Float64Array(xg.length);
    const dProbs = new Float64Array(pg.length);
    const hv = new Float64Array(wantHv ? v.length : 0);
    if (norm === 0) return { dx, dProbs, hv };
    const h = this.fdStep;
    const step = h / norm;
    const plus = theta.slice();
    const minus = theta.slice();
    for (let i = 0; i < v.length; i++) {
      plus[i] += step * v[i]!;
      minus[i] -= step * v[i]!;
    }
    const fp = this.fullGrad(plus, xg, pg);
    const fm = this.fullGrad(minus, xg, pg);
    const scale = norm / (2 * h);
    for (let i = 0; i < dx.length; i++) dx[i] = (fp.gx[i]! - fm.gx[i]!) * scale;
    // L = −(1/B) Σ P log softmax(z): ∂L/∂P = −log softmax(z) / B.
    for (let i = 0; i < dProbs.length; i++) dProbs[i] = (-(fp.lsm[i]! - fm.lsm[i]!) / this.batch) * scale;
    for (let i = 0; i < hv.length; i++) hv[i] = (fp.gt[i]! - fm.gt[i]!) * scale;
    return { dx, dProbs, hv };
  }
}
