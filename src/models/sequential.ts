import type { Layer, LayerPass } from './layer.js';
import { shapeSize } from './layer.js';
import type { Rng } from '../util/random.js';
import { fail } from '../util/errors.js';
import type { LossFn } from './loss.js';
import { formatShape, type InputGradOptionalPass } from './layers/common.js';

export type { InputGradOptionalPass } from './layers/common.js';

export interface LossAndGrad {
  /** Mean loss over the batch. */
  readonly loss: number;
  /** dL/dparams, flat, laid out like `params`. */
  readonly grad: Float64Array;
  readonly logits: Float64Array;
}

export interface InputGrad {
  readonly loss: number;
  /** dL/dx, laid out like the input batch. */
  readonly inputGrad: Float64Array;
  readonly logits: Float64Array;
}

export interface Vjp {
  readonly output: Float64Array;
  readonly grad: Float64Array;
  readonly inputGrad: Float64Array;
}

/**
 * A model that is a chain of layers, `f = f_L ∘ … ∘ f_1`, over ONE flat
 * parameter vector: layer i reads the slice `params[offsets[i], offsets[i] +
 * layers[i].paramCount)`. The flat vector is all the federation exchanges, so
 * classical, quantum and hybrid chains look alike to it; any object with the
 * `Layer` interface can join the chain.
 *
 * Backward is reverse-mode through the chain: from dL/d(output) each layer's
 * pass adds its parameter gradient into its slice of one flat gradient and
 * hands dL/d(its input) to the layer before it.
 *
 * @example
 * const model = new Sequential([new Dense(4, 8, { init: 'he' }), relu([8]), new Dense(8, 3)]);
 * model.init(new Rng(1));
 * const { loss, grad } = model.lossAndGrad(x, labels, batch, softmaxCrossEntropy);
 * new Adam({ lr: 1e-3 }).step(model.params, grad);
 */
export class Sequential {
  readonly layers: readonly Layer[];
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount: number;
  /** Start of each layer's slice in `params`. */
  readonly offsets: readonly number[];
  /**
   * The live parameter vector. Optimizers update it in place; `setParams`
   * copies into it, so the array (and the layer views into it) never changes.
   */
  readonly params: Float64Array;
  private readonly views: readonly Float64Array[];
  /** Index of the first layer with parameters (layers.length if none). */
  private readonly firstTrainable: number;

  constructor(layers: readonly Layer[]) {
    if (layers.length === 0) fail('layers', 'must hold at least one layer');
    for (let i = 1; i < layers.length; i++) {
      const prev = layers[i - 1]!;
      const cur = layers[i]!;
      if (!sameShape(prev.outShape, cur.inShape)) {
        const hint =
          shapeSize(prev.outShape) === shapeSize(cur.inShape) ? ' (same size: insert a flatten layer?)' : '';
        fail(
          `layers[${i}]`,
          `${cur.kind} expects input shape ${formatShape(cur.inShape)} but layers[${i - 1}] (${prev.kind}) ` +
            `outputs ${formatShape(prev.outShape)}${hint}`,
        );
      }
    }
    const offsets: number[] = [];
    let total = 0;
    layers.forEach((layer, i) => {
      if (!Number.isInteger(layer.paramCount) || layer.paramCount < 0) {
        fail(`layers[${i}].paramCount`, `must be an integer >= 0, got ${layer.paramCount}`);
      }
      offsets.push(total);
      total += layer.paramCount;
    });
    this.layers = [...layers];
    this.inShape = layers[0]!.inShape;
    this.outShape = layers[layers.length - 1]!.outShape;
    this.paramCount = total;
    this.offsets = offsets;
    this.params = new Float64Array(total);
    const first = layers.findIndex((l) => l.paramCount > 0);
    this.firstTrainable = first === -1 ? layers.length : first;
    this.views = layers.map((l, i) => this.params.subarray(offsets[i]!, offsets[i]! + l.paramCount));
  }

  /** Numbers per input sample. */
  get inSize(): number {
    return shapeSize(this.inShape);
  }

  /** Numbers per output sample (classes, for a classifier). */
  get outSize(): number {
    return shapeSize(this.outShape);
  }

  /** Fills every layer's slice with its initial values, drawing from `rng` in layer order. */
  init(rng: Rng): void {
    this.layers.forEach((l, i) => l.init(this.views[i]!, rng));
  }

  /** A copy of the flat parameter vector. */
  getParams(): Float64Array {
    return this.params.slice();
  }

  /** Copies `p` into the parameters; refuses a wrong length or a non-finite entry. */
  setParams(p: ArrayLike<number>): void {
    if (p.length !== this.paramCount) fail('params', `must hold ${this.paramCount} numbers, got ${p.length}`);
    for (let i = 0; i < p.length; i++) {
      if (!Number.isFinite(p[i])) fail(`params[${i}]`, `must be finite, got ${p[i]}`);
    }
    this.params.set(p);
  }

  /** This layer's view into `params` (shares memory). */
  layerParams(index: number): Float64Array {
    const v = this.views[index];
    if (v === undefined) fail('index', `must be a layer index in [0, ${this.layers.length}), got ${index}`);
    return v;
  }

  /** Output for a batch (logits, for a classifier): `batch × outSize` numbers. */
  forward(x: Float64Array, batch: number): Float64Array {
    return this.runForward(x, batch).output;
  }

  /**
   * Vector-Jacobian product of the whole chain: given dL/d(output) for a
   * batch, returns dL/dparams and dL/dx (and the output it came from).
   */
  vjp(x: Float64Array, batch: number, dOutput: Float64Array): Vjp {
    const { output, passes } = this.runForward(x, batch);
    if (dOutput.length !== output.length) {
      fail('dOutput', `must hold ${output.length} numbers like the output, got ${dOutput.length}`);
    }
    const grad = new Float64Array(this.paramCount);
    return { output, grad, inputGrad: this.runBackward(passes, dOutput, grad, true) };
  }

  /** Mean loss over the batch, its gradient for the flat parameters, and the logits. */
  lossAndGrad<T>(x: Float64Array, targets: T, batch: number, loss: LossFn<T>): LossAndGrad {
    const { output, passes } = this.runForward(x, batch);
    const l = loss(output, targets, batch);
    const grad = new Float64Array(this.paramCount);
    this.runBackward(passes, l.grad, grad, false);
    return { loss: l.loss, grad, logits: output };
  }

  /** dL/dx for the batch, for adversarial attacks (FGSM, PGD) and saliency. */
  inputGrad<T>(x: Float64Array, targets: T, batch: number, loss: LossFn<T>): InputGrad {
    const { output, passes } = this.runForward(x, batch);
    const l = loss(output, targets, batch);
    const scratch = new Float64Array(this.paramCount);
    return { loss: l.loss, inputGrad: this.runBackward(passes, l.grad, scratch, true), logits: output };
  }

  private runForward(x: Float64Array, batch: number): { output: Float64Array; passes: LayerPass[] } {
    if (!Number.isInteger(batch) || batch < 1) fail('batch', `must be an integer >= 1, got ${batch}`);
    const n = batch * this.inSize;
    if (x.length !== n) {
      fail('x', `must hold batch * ${formatShape(this.inShape)} = ${n} numbers, got ${x.length}`);
    }
    const passes: LayerPass[] = [];
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const pass = this.layers[i]!.forward(h, batch, this.views[i]!);
      passes.push(pass);
      h = pass.y;
    }
    return { output: h, passes };
  }

  /**
   * Runs the passes backward, adding each layer's parameter gradient into its
   * slice of `grad`. Without `wantInputGrad` it stops at the first layer that
   * has parameters and tells that layer (if it understands the flag, see
   * `InputGradOptionalPass`) to skip its dx; the return value is then
   * meaningless.
   */
  private runBackward(
    passes: readonly LayerPass[],
    dOutput: Float64Array,
    grad: Float64Array,
    wantInputGrad: boolean,
  ): Float64Array {
    const stop = wantInputGrad ? 0 : this.firstTrainable;
    let d = dOutput;
    for (let i = passes.length - 1; i >= stop; i--) {
      const off = this.offsets[i]!;
      const pass = passes[i] as InputGradOptionalPass;
      d = pass.backward(d, grad.subarray(off, off + this.layers[i]!.paramCount), wantInputGrad || i > stop);
    }
    return d;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
