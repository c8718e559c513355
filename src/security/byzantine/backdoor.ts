import { featureCount, type Dataset } from '../../data/dataset.js';
import { argmax } from '../../models/loss.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';

/**
 * Backdoor (trojan) poisoning (Gu, Dolan-Gavitt & Garg 2017, "BadNets";
 * in FL, Bagdasaryan et al. 2020): a small pixel pattern stamped on an image
 * makes the model answer a target class, while clean accuracy stays high.
 *
 * Images are read with their per-sample shape: `[H, W]`, `[C, H, W]` (the
 * pattern goes on every channel), or a flat `[F]` treated as one row of F
 * pixels. After PCA the features are no longer pixels: stamp before the
 * projection for a true pixel trigger, or accept a feature-space trigger.
 */
export const TRIGGER_PATTERNS = ['square', 'cross', 'checker'] as const;
export type TriggerPattern = (typeof TRIGGER_PATTERNS)[number];
export const TRIGGER_CORNERS = ['bottom_right', 'bottom_left', 'top_right', 'top_left'] as const;
export type TriggerCorner = (typeof TRIGGER_CORNERS)[number];

export interface Trigger {
  /** `square` fills a size x size block; `cross` its middle row and column; `checker` alternating pixels. Default `square`. */
  readonly pattern?: TriggerPattern;
  /** Side of the block in pixels; default 3 (clamped to the image). */
  readonly size?: number;
  /** Value written to the trigger pixels; default the largest feature of the data being stamped. */
  readonly value?: number;
  /** Where the block sits; default `bottom_right`. */
  readonly corner?: TriggerCorner;
  /** Pixels between the block and the image border; default 1 (0 when the image is too small). */
  readonly margin?: number;
}

/** The flat feature indices (within one sample) the trigger writes, ascending. */
export function triggerPixels(shape: readonly number[], trigger: Trigger = {}): number[] {
  let c: number;
  let h: number;
  let w: number;
  if (shape.length === 1) [c, h, w] = [1, 1, shape[0]!];
  else if (shape.length === 2) [c, h, w] = [1, shape[0]!, shape[1]!];
  else if (shape.length === 3) [c, h, w] = shape as [number, number, number];
  else return fail('shape', `a trigger needs a sample shape [F], [H, W] or [C, H, W], got [${shape.join(', ')}]`);
  const size = trigger.size ?? 3;
  if (!Number.isInteger(size) || size < 1) fail('attack.trigger.size', `must be an integer >= 1, got ${size}`);
  const pattern = trigger.pattern ?? 'square';
  if (!TRIGGER_PATTERNS.includes(pattern)) {
    fail('attack.trigger.pattern', `must be one of ${TRIGGER_PATTERNS.join(', ')}, got ${String(pattern)}`);
  }
  const corner = trigger.corner ?? 'bottom_right';
  if (!TRIGGER_CORNERS.includes(corner)) {
    fail('attack.trigger.corner', `must be one of ${TRIGGER_CORNERS.join(', ')}, got ${String(corner)}`);
  }
  const sh = Math.min(size, h);
  const sw = Math.min(size, w);
  const wanted = trigger.margin ?? 1;
  if (!Number.isInteger(wanted) || wanted < 0) fail('attack.trigger.margin', `must be an integer >= 0, got ${wanted}`);
  const mh = Math.max(0, Math.min(wanted, h - sh));
  const mw = Math.max(0, Math.min(wanted, w - sw));
  const top = corner.startsWith('top') ? mh : h - sh - mh;
  const left = corner.endsWith('left') ? mw : w - sw - mw;
  const out: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < sh; r++) {
      for (let q = 0; q < sw; q++) {
        const on =
          pattern === 'square' ||
          (pattern === 'cross' && (r === sh >> 1 || q === sw >> 1)) ||
          (pattern === 'checker' && (r + q) % 2 === 0);
        if (on) out.push(ch * h * w + (top + r) * w + (left + q));
      }
    }
  }
  return out;
}

function maxFeature(ds: Dataset): number {
  let m = -Infinity;
  for (let i = 0; i < ds.x.length; i++) if (ds.x[i]! > m) m = ds.x[i]!;
  return m === -Infinity ? 1 : m;
}

/** A copy of `ds` with the trigger stamped on the samples at `indices` (all by default); labels unchanged. */
export function stampTrigger(ds: Dataset, trigger: Trigger = {}, indices?: ArrayLike<number>): Dataset {
  const f = featureCount(ds.shape);
  const pixels = triggerPixels(ds.shape, trigger);
  const value = trigger.value ?? maxFeature(ds);
  if (!Number.isFinite(value)) fail('attack.trigger.value', `must be a finite number, got ${value}`);
  const x = ds.x.slice();
  const rows = indices ?? Array.from({ length: ds.n }, (_, i) => i);
  for (let k = 0; k < rows.length; k++) {
    const base = rows[k]! * f;
    for (const p of pixels) x[base + p] = value;
  }
  return { x, y: ds.y.slice(), n: ds.n, shape: [...ds.shape], classes: ds.classes };
}

export interface BackdoorOptions {
  readonly trigger?: Trigger;
  /** The class a stamped input should be given. */
  readonly target: number;
  /** Fraction of the non-target samples stamped and relabelled; default 0.5. */
  readonly fraction?: number;
}

/**
 * The poisoned local data: a `fraction` of the samples whose label is not
 * `target` (chosen with the generator) get the trigger and the label
 * `target`; the rest stay clean, so the model keeps its main-task accuracy.
 * The trigger value is resolved on `ds` (its largest feature unless given),
 * and returned so that the test set can be stamped alike.
 */
export function backdoorPoison(
  ds: Dataset,
  options: BackdoorOptions,
  rng: Rng,
): { readonly data: Dataset; readonly poisoned: number; readonly trigger: Trigger } {
  const { target } = options;
  if (!(Number.isInteger(target) && target >= 0 && target < ds.classes)) {
    fail('attack.target', `must be a class in 0..${ds.classes - 1}, got ${target}`);
  }
  const fraction = options.fraction ?? 0.5;
  if (!(fraction >= 0 && fraction <= 1)) fail('attack.fraction', `must be in [0, 1], got ${fraction}`);
  const trigger: Trigger = { ...options.trigger, value: options.trigger?.value ?? maxFeature(ds) };
  const eligible: number[] = [];
  for (let i = 0; i < ds.n; i++) if (ds.y[i] !== target) eligible.push(i);
  const k = Math.round(fraction * eligible.length);
  const chosen = Array.from(rng.permutation(eligible.length).subarray(0, k), (p) => eligible[p]!).sort((a, b) => a - b);
  const stamped = stampTrigger(ds, trigger, chosen);
  for (const i of chosen) stamped.y[i] = target;
  return { data: stamped, poisoned: chosen.length, trigger };
}

/** A model as the attack sees it: logits (batch x classes) for a batch of inputs. */
export type Classifier = (x: Float64Array, batch: number) => Float64Array;

/**
 * Backdoor success rate (attack success rate, Bagdasaryan et al. 2020):
 * among test samples whose true label is not `target`, the fraction the
 * model classifies as `target` once the trigger is stamped. Also returns the
 * rate on the same samples without the trigger, the baseline to compare to.
 *
 * @example backdoorSuccessRate((x, b) => model.forward(x, b), test, trigger, 0).rate
 */
export function backdoorSuccessRate(
  classify: Classifier,
  test: Dataset,
  trigger: Trigger,
  target: number,
  batchSize = 256,
): { readonly rate: number; readonly cleanRate: number; readonly samples: number } {
  if (!(Number.isInteger(target) && target >= 0 && target < test.classes)) {
    fail('target', `must be a class in 0..${test.classes - 1}, got ${target}`);
  }
  const f = featureCount(test.shape);
  const rows: number[] = [];
  for (let i = 0; i < test.n; i++) if (test.y[i] !== target) rows.push(i);
  if (rows.length === 0) fail('test', `holds no sample outside the target class ${target}`);
  const stamped = stampTrigger(test, trigger, rows);
  let hits = 0;
  let cleanHits = 0;
  for (let start = 0; start < rows.length; start += batchSize) {
    const b = Math.min(batchSize, rows.length - start);
    const xs = new Float64Array(b * f);
    const xc = new Float64Array(b * f);
    for (let k = 0; k < b; k++) {
      const i = rows[start + k]!;
      xs.set(stamped.x.subarray(i * f, (i + 1) * f), k * f);
      xc.set(test.x.subarray(i * f, (i + 1) * f), k * f);
    }
    const ps = argmax(classify(xs, b), b);
    const pc = argmax(classify(xc, b), b);
    for (let k = 0; k < b; k++) {
      if (ps[k] === target) hits++;
      if (pc[k] === target) cleanHits++;
    }
  }
  return { rate: hits / rows.length, cleanRate: cleanHits / rows.length, samples: rows.length };
}
