import type { Rng } from '../../util/random.js';
import { fail } from '../../util/errors.js';

/**
 * Weight initialisations that keep activations at a steady scale from layer
 * to layer, so deep stacks neither saturate nor vanish at step zero.
 *
 * - `glorot` (Glorot & Bengio 2010): uniform on `[-a, a]`,
 *   `a = sqrt(6 / (fanIn + fanOut))`, variance `2 / (fanIn + fanOut)`; suits
 *   tanh and sigmoid.
 * - `he` (He et al. 2015): normal with std `sqrt(2 / fanIn)`; suits ReLU,
 *   which zeroes half its inputs and so halves the variance.
 *
 * Biases start at zero.
 */
export const INIT_SCHEMES = ['glorot', 'he'] as const;
export type InitScheme = (typeof INIT_SCHEMES)[number];

export function checkInitScheme(field: string, scheme: string): InitScheme {
  if (!(INIT_SCHEMES as readonly string[]).includes(scheme)) {
    fail(field, `must be one of ${INIT_SCHEMES.join(', ')}, got '${scheme}'`);
  }
  return scheme as InitScheme;
}

/** Fills `w` by `scheme` for a layer with the given fan-in and fan-out. */
export function initWeights(w: Float64Array, fanIn: number, fanOut: number, scheme: InitScheme, rng: Rng): void {
  switch (scheme) {
    case 'glorot': {
      const a = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * a;
      return;
    }
    case 'he': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < w.length; i++) w[i] = rng.normal(0, std);
      return;
    }
  }
}
