import type { Layer } from '../layer.js';
import type { Rng } from '../../util/random.js';
import { fail } from '../../util/errors.js';
import { gemmNN, gemmNT, gemmTN } from '../matmul.js';
import { checkInitScheme, initWeights, type InitScheme } from './init.js';
import { checkBackward, checkInput, checkInt, checkParams, NO_INPUT_GRAD, type InputGradOptionalPass } from './common.js';

/** Most numbers of kept batch columns per layer: 4 Mi float64 = 32 MiB. */
export const COLS_CACHE_LIMIT = 1 << 22;

export interface Conv2dOptions {
  readonly inChannels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  /** Square kernel side. */
  readonly kernel: number;
  /** Default 1. */
  readonly stride?: number;
  /** Zero padding on every side; default 0. */
  readonly padding?: number;
  /** Weight initialisation; default `glorot`. */
  readonly init?: InitScheme;
}

/**
 * 2-D convolution (cross-correlation, as in every deep-learning library) over
 * NCHW batches, with square kernel, stride and zero padding:
 *
 *   y[n,o,i,j] = b[o] + Σ_{c,u,v} W[o,c,u,v] · x[n, c, i·s − p + u, j·s − p + v]
 *
 * with `OH = ⌊(H + 2p − k) / s⌋ + 1` (likewise OW).
 *
 * Parameters, in order: `W` as `[out, in, k, k]`, then `b` as `[out]`.
 *
 * Method (im2col): per sample, the receptive fields are unrolled into a
 * column matrix `cols[K, P]` with `K = in·k·k` and `P = OH·OW`, and the
 * convolution becomes one matrix product `Y[out, P] = W[out, K] · cols`.
 * Backward for a sample with upstream `G[out, P]`:
 * `dW += G · cols^T`, `db += row sums of G`, `dcols = W^T · G`, and
 * `dx` gathers `dcols` back onto the image (col2im, the adjoint of im2col).
 *
 * Backward takes an optional third argument `wantInputGrad` (default true;
 * see `InputGradOptionalPass`): false skips `dcols` and col2im, a third of
 * the work, for a first layer whose input gradient nobody reads.
 *
 * Buffers are owned by the layer and reused, never allocated per sample. The
 * last forward's columns for the whole batch are kept (up to
 * `COLS_CACHE_LIMIT` numbers) and its backward reuses them; if another forward
 * has run in between, backward rebuilds them from the input it kept, so
 * passes may still be interleaved freely.
 *
 * @example
 * const conv = new Conv2d({ inChannels: 1, height: 28, width: 28, outChannels: 6, kernel: 5, padding: 2 });
 * conv.outShape; // [6, 28, 28]
 */
export class Conv2d implements Layer {
  readonly kind = 'conv2d';
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount: number;
  readonly inChannels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly initScheme: InitScheme;
  private cols: Float64Array | undefined;
  private dcols: Float64Array | undefined;
  private batchCols: Float64Array | undefined;
  /** The forward pass whose columns `batchCols` holds (identity token). */
  private batchColsOwner: object | undefined;

  constructor(options: Conv2dOptions) {
    this.inChannels = checkInt('conv2d.inChannels', options.inChannels);
    this.height = checkInt('conv2d.height', options.height);
    this.width = checkInt('conv2d.width', options.width);
    this.outChannels = checkInt('conv2d.outChannels', options.outChannels);
    this.kernel = checkInt('conv2d.kernel', options.kernel);
    this.stride = checkInt('conv2d.stride', options.stride ?? 1);
    this.padding = checkInt('conv2d.padding', options.padding ?? 0, 0);
    this.initScheme = checkInitScheme('conv2d.init', options.init ?? 'glorot');
    const { kernel: k, stride: s, padding: p } = this;
    if (k > this.height + 2 * p || k > this.width + 2 * p) {
      fail(
        'conv2d.kernel',
        `must fit the padded input ${this.height + 2 * p}x${this.width + 2 * p}, got ${k}`,
      );
    }
    this.outHeight = Math.floor((this.height + 2 * p - k) / s) + 1;
    this.outWidth = Math.floor((this.width + 2 * p - k) / s) + 1;
    this.inShape = [this.inChannels, this.height, this.width];
    this.outShape = [this.outChannels, this.outHeight, this.outWidth];
    this.paramCount = this.outChannels * this.inChannels * k * k + this.outChannels;
  }

  init(params: Float64Array, rng: Rng): void {
    checkParams(this.kind, params, this.paramCount);
    const kk = this.kernel * this.kernel;
    const nw = this.outChannels * this.inChannels * kk;
    initWeights(params.subarray(0, nw), this.inChannels * kk, this.outChannels * kk, this.initScheme, rng);
    params.fill(0, nw);
  }

  forward(x: Float64Array, batch: number, params: Float64Array): InputGradOptionalPass {
    const { kind, paramCount } = this;
    const inSize = this.inChannels * this.height * this.width;
    checkInput(kind, x, batch, inSize);
    checkParams(kind, params, paramCount);
    const M = this.outChannels;
    const K = this.inChannels * this.kernel * this.kernel;
    const P = this.outHeight * this.outWidth;
    const nw = M * K;
    const KP = K * P;
    // Keep the whole batch's columns for backward when they fit the cache.
    const keep = batch * KP <= COLS_CACHE_LIMIT;
    let cols: Float64Array;
    if (keep) {
      if (this.batchCols === undefined || this.batchCols.length < batch * KP) {
        this.batchCols = new Float64Array(batch * KP);
      }
      cols = this.batchCols;
    } else {
      cols = this.scratchCols();
    }
    const token = {};
    this.batchColsOwner = keep ? token : undefined;
    const y = new Float64Array(batch * M * P);
    for (let s = 0; s < batch; s++) {
      const cOff = keep ? s * KP : 0;
      this.im2col(x, s * inSize, cols, cOff);
      const yOff = s * M * P;
      for (let o = 0; o < M; o++) y.fill(params[nw + o], yOff + o * P, yOff + (o + 1) * P);
      gemmNN(M, P, K, params, cols, y, 0, cOff, yOff);
    }
    return {
      y,
      backward: (dy: Float64Array, dParams: Float64Array, wantInputGrad = true): Float64Array => {
        checkBackward(kind, dy, y.length, dParams, paramCount);
        // The kept columns are valid only if no other forward has run since.
        const kept = this.batchColsOwner === token ? this.batchCols : undefined;
        const colsB = kept ?? this.scratchCols();
        const dcols = (this.dcols ??= new Float64Array(KP));
        const dx = wantInputGrad ? new Float64Array(batch * inSize) : NO_INPUT_GRAD;
        for (let s = 0; s < batch; s++) {
          const yOff = s * M * P;
          const cOff = kept === undefined ? 0 : s * KP;
          if (kept === undefined) this.im2col(x, s * inSize, colsB, 0);
          gemmNT(M, K, P, dy, colsB, dParams, yOff, cOff, 0);
          for (let o = 0; o < M; o++) {
            let sum = 0;
            const row = yOff + o * P;
            for (let q = 0; q < P; q++) sum += dy[row + q];
            dParams[nw + o] += sum;
          }
          if (!wantInputGrad) continue;
          dcols.fill(0);
          gemmTN(K, P, M, params, dy, dcols, 0, yOff, 0);
          this.col2im(dcols, dx, s * inSize);
        }
        return dx;
      },
    };
  }

  private scratchCols(): Float64Array {
    return (this.cols ??= new Float64Array(this.inChannels * this.kernel * this.kernel * this.outHeight * this.outWidth));
  }

  /** Unrolls the sample at `xOff` into `cols[K, P]`, zeros where the field leaves the image. */
  private im2col(x: Float64Array, xOff: number, cols: Float64Array, colsOff: number): void {
    const { inChannels: C, height: H, width: W, kernel: k, stride: st, padding: pad } = this;
    const OH = this.outHeight;
    const OW = this.outWidth;
    const P = OH * OW;
    let row = colsOff;
    for (let c = 0; c < C; c++) {
      const plane = xOff + c * H * W;
      for (let u = 0; u < k; u++) {
        for (let v = 0; v < k; v++) {
          // Output columns whose input column ox*st - pad + v lies inside [0, W).
          const j0 = Math.min(OW, Math.max(0, Math.ceil((pad - v) / st)));
          const j1 = Math.max(j0, Math.min(OW, Math.floor((W - 1 + pad - v) / st) + 1));
          for (let i = 0; i < OH; i++) {
            const dst = row + i * OW;
            const iy = i * st - pad + u;
            if (iy < 0 || iy >= H) {
              cols.fill(0, dst, dst + OW);
              continue;
            }
            for (let j = 0; j < j0; j++) cols[dst + j] = 0;
            let src = plane + iy * W + j0 * st - pad + v;
            for (let j = j0; j < j1; j++) {
              cols[dst + j] = x[src];
              src += st;
            }
            for (let j = j1; j < OW; j++) cols[dst + j] = 0;
          }
          row += P;
        }
      }
    }
  }

  /** Adjoint of `im2col`: adds `cols[K, P]` onto the image at `dxOff`. */
  private col2im(cols: Float64Array, dx: Float64Array, dxOff: number): void {
    const { inChannels: C, height: H, width: W, kernel: k, stride: st, padding: pad } = this;
    const OH = this.outHeight;
    const OW = this.outWidth;
    const P = OH * OW;
    let row = 0;
    for (let c = 0; c < C; c++) {
      const plane = dxOff + c * H * W;
      for (let u = 0; u < k; u++) {
        for (let v = 0; v < k; v++) {
          const j0 = Math.min(OW, Math.max(0, Math.ceil((pad - v) / st)));
          const j1 = Math.max(j0, Math.min(OW, Math.floor((W - 1 + pad - v) / st) + 1));
          for (let i = 0; i < OH; i++) {
            const iy = i * st - pad + u;
            if (iy < 0 || iy >= H) continue;
            const src = row + i * OW;
            let dst = plane + iy * W + j0 * st - pad + v;
            for (let j = j0; j < j1; j++) {
              dx[dst] += cols[src + j];
              dst += st;
            }
          }
          row += P;
        }
      }
    }
  }
}
