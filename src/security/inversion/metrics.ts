import { fail } from '../../util/errors.js';

/**
 * Reconstruction quality of a gradient-inversion attack: mean squared error,
 * PSNR and SSIM per sample, and a matching of recovered samples to private
 * ones (a batch comes back in no particular order, so each recovered sample is
 * scored against the private sample it resembles most, each private sample
 * used once).
 */

/** Mean squared error of two equally long vectors: `(1/n) Σ (a_i − b_i)²`. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) fail('mse', `vectors must have equal lengths, got ${a.length} and ${b.length}`);
  if (a.length === 0) fail('mse', 'vectors must not be empty');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s / a.length;
}

/** Peak signal-to-noise ratio in dB, `10 log10(range² / mse)`; Infinity for identical inputs. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, dataRange = 1): number {
  const m = mse(a, b);
  return m === 0 ? Infinity : 10 * Math.log10((dataRange * dataRange) / m);
}

export interface SsimOptions {
  /** Side of the square sliding window, clipped to the image; default 7 (scikit-image's default). */
  readonly window?: number;
  /** Dynamic range L of the pixel values; default 1 (pixels in [0, 1]). */
  readonly dataRange?: number;
}

/**
 * Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) of two
 * single-channel `height × width` images, the mean over every position of a
 * uniform `w × w` window (w clipped to the image, so a 4×4 image uses one
 * 4×4 window) of
 *
 *   SSIM = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2)),
 *   C1 = (0.01 L)², C2 = (0.03 L)²,
 *
 * with population (1/N) moments inside the window. 1 for identical images,
 * near 0 for unrelated ones, negative for anti-correlated ones.
 *
 * @example
 * ssim(img, img, 4, 4); // 1
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number, options: SsimOptions = {}): number {
  const n = height * width;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    fail('ssim', `height and width must be integers >= 1, got ${height} x ${width}`);
  }
  if (a.length !== n || b.length !== n) fail('ssim', `images must hold height x width = ${n} pixels, got ${a.length} and ${b.length}`);
  const w = options.window ?? 7;
  if (!Number.isInteger(w) || w < 1) fail('ssim.window', `must be an integer >= 1, got ${w}`);
  const wh = Math.min(w, height);
  const ww = Math.min(w, width);
  const L = options.dataRange ?? 1;
  const c1 = (0.01 * L) ** 2;
  const c2 = (0.03 * L) ** 2;
  const inv = 1 / (wh * ww);
  let total = 0;
  let count = 0;
  for (let r0 = 0; r0 + wh <= height; r0++) {
    for (let q0 = 0; q0 + ww <= width; q0++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let r = r0; r < r0 + wh; r++) {
        for (let q = q0; q < q0 + ww; q++) {
          const x = a[r * width + q]!;
          const y = b[r * width + q]!;
          sx += x;
          sy += y;
          sxx += x * x;
          syy += y * y;
          sxy += x * y;
        }
      }
      const mx = sx * inv;
      const my = sy * inv;
      const vx = sxx * inv - mx * mx;
      const vy = syy * inv - my * my;
      const cxy = sxy * inv - mx * my;
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  }
  return total / count;
}

/**
 * The scale s ≥ 0 that minimizes |s·a − b|² (`s = ⟨a, b⟩ / |a|²`), for models
 * that cannot see an input's scale (amplitude embedding normalizes it away):
 * the attack can only recover the direction, so it is scored up to this scale.
 */
export function bestScale(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
  }
  return aa > 0 ? Math.max(0, ab / aa) : 0;
}

/**
 * Greedy matching of `recovered` rows to `truth` rows by lowest MSE: the
 * globally closest pair first, then the closest among the rest, each row used
 * at most once. Returns, for each recovered row r, the truth row it is scored
 * against (`match[r]`); needs recovered count ≤ truth count.
 */
export function matchRows(recovered: Float64Array, truth: Float64Array, features: number): Int32Array {
  const nr = recovered.length / features;
  const nt = truth.length / features;
  if (!Number.isInteger(nr) || !Number.isInteger(nt)) fail('matchRows', `lengths must be multiples of features (${features})`);
  if (nr > nt) fail('matchRows', `cannot match ${nr} recovered rows to only ${nt} private rows`);
  const cost: { r: number; t: number; c: number }[] = [];
  for (let r = 0; r < nr; r++) {
    for (let t = 0; t < nt; t++) {
      cost.push({ r, t, c: mse(recovered.subarray(r * features, (r + 1) * features), truth.subarray(t * features, (t + 1) * features)) });
    }
  }
  cost.sort((p, q) => p.c - q.c || p.r - q.r || p.t - q.t);
  const match = new Int32Array(nr).fill(-1);
  const used = new Uint8Array(nt);
  let left = nr;
  for (const { r, t } of cost) {
    if (left === 0) break;
    if (match[r] !== -1 || used[t]) continue;
    match[r] = t;
    used[t] = 1;
    left--;
  }
  return match;
}

export interface ReconstructionScore {
  /** Mean over recovered rows of the MSE to their matched private row. */
  readonly mse: number;
  /** Mean PSNR (dB, range 1) over recovered rows; capped at 100 dB for exact matches. */
  readonly psnr: number;
  /** Mean SSIM over recovered rows, when an image shape is given; else NaN. */
  readonly ssim: number;
  readonly match: Int32Array;
}

/**
 * Scores a recovered batch against the private rows: match (see `matchRows`),
 * optionally rescale each recovered row by `bestScale` (`scaleInvariant`),
 * then average MSE, PSNR and SSIM over the recovered rows.
 */
export function scoreReconstruction(
  recovered: Float64Array,
  truth: Float64Array,
  features: number,
  options: { readonly image?: readonly [number, number]; readonly scaleInvariant?: boolean } = {},
): ReconstructionScore {
  const match = matchRows(recovered, truth, features);
  const nr = match.length;
  let m = 0;
  let p = 0;
  let s = 0;
  for (let r = 0; r < nr; r++) {
    let rec = recovered.subarray(r * features, (r + 1) * features);
    const tru = truth.subarray(match[r]! * features, (match[r]! + 1) * features);
    if (options.scaleInvariant) {
      const k = bestScale(rec, tru);
      rec = rec.map((v) => v * k);
    }
    const e = mse(rec, tru);
    m += e;
    p += e === 0 ? 100 : Math.min(100, 10 * Math.log10(1 / e));
    if (options.image) s += ssim(rec, tru, options.image[0], options.image[1]);
  }
  return { mse: m / nr, psnr: p / nr, ssim: options.image ? s / nr : NaN, match };
}
