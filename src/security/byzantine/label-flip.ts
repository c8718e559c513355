import type { Dataset } from '../../data/dataset.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';

/**
 * Label flipping (Biggio et al. 2012; Tolpegin et al. 2020, "Data Poisoning
 * Attacks Against Federated Learning Systems"): a malicious client trains on
 * its own data with wrong labels.
 */
export interface LabelFlipOptions {
  /**
   * How every label changes when no `source` is given: `reverse` maps
   * y to C - 1 - y (default), `rotate` maps y to (y + 1) mod C.
   */
  readonly mapping?: 'reverse' | 'rotate';
  /** Targeted flip: only samples of this class change, to `target`. */
  readonly source?: number;
  readonly target?: number;
  /** Fraction of the eligible samples flipped, chosen with the generator; default 1. */
  readonly fraction?: number;
}

function checkClass(field: string, c: number | undefined, classes: number): void {
  if (c !== undefined && !(Number.isInteger(c) && c >= 0 && c < classes)) fail(field, `must be a class in 0..${classes - 1}, got ${c}`);
}

/**
 * A copy of `ds` with flipped labels. Returns the dataset and how many
 * labels changed.
 *
 * @example labelFlip(ds, { source: 3, target: 8 }, rng) // every 3 labelled 8
 */
export function labelFlip(ds: Dataset, options: LabelFlipOptions, rng: Rng): { readonly data: Dataset; readonly flipped: number } {
  const { source, target } = options;
  const fraction = options.fraction ?? 1;
  if (!(fraction >= 0 && fraction <= 1)) fail('attack.fraction', `must be in [0, 1], got ${fraction}`);
  checkClass('attack.source', source, ds.classes);
  checkClass('attack.target', target, ds.classes);
  if ((source === undefined) !== (target === undefined)) fail('attack.target', 'a targeted flip needs both source and target');
  const mapping = options.mapping ?? 'reverse';
  const C = ds.classes;
  const map = (y: number): number => {
    if (source !== undefined) return y === source ? target! : y;
    return mapping === 'reverse' ? C - 1 - y : (y + 1) % C;
  };
  const eligible: number[] = [];
  for (let i = 0; i < ds.n; i++) if (map(ds.y[i]!) !== ds.y[i]!) eligible.push(i);
  const k = Math.round(fraction * eligible.length);
  const chosen = k === eligible.length ? eligible : Array.from(rng.permutation(eligible.length).subarray(0, k), (p) => eligible[p]!);
  const y = ds.y.slice();
  for (const i of chosen) y[i] = map(ds.y[i]!);
  return { data: { x: ds.x.slice(), y, n: ds.n, shape: [...ds.shape], classes: ds.classes }, flipped: chosen.length };
}
