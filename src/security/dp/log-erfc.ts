/**
 * log(erfc(x)) for every real x, without underflow: the RDP of the sampled
 * Gaussian mechanism at fractional orders (`sgm-fractional.ts`) needs
 * erfc at arguments up to a few hundred, where erfc itself is 0 in float64.
 *
 *   - |x| < 2.5: erfc(x) = 1 - erf(x) with the Maclaurin series
 *     erf(x) = 2/√π Σ_n (-1)^n x^(2n+1) / (n! (2n+1)) (relative error below
 *     1e-13 there: the alternating terms grow at most to e^(x²) ≈ 520).
 *   - x >= 2.5: Laplace's continued fraction of the scaled complement
 *     e^(x²) erfc(x) √π = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 *     evaluated bottom-up, so log erfc(x) = -x² - log √π - log(denominator).
 *   - x <= -2.5: erfc(x) = 2 - erfc(-x).
 */
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** Depth of the continued fraction: at x = 2.5 it has converged to 1e-16 well before 120 levels. */
const CF_DEPTH = 120;

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x; // (-1)^n x^(2n+1) / n!
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * sum;
}

/** log of the continued fraction's denominator x + (1/2)/(x + 1/(x + ...)) for x >= 2.5. */
function logCfDenominator(x: number): number {
  let d = x;
  for (let n = CF_DEPTH; n >= 1; n--) d = x + n / 2 / d;
  return Math.log(d);
}

export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.log(2);
  if (x >= 2.5) return -x * x - LOG_SQRT_PI - logCfDenominator(x);
  if (x <= -2.5) return Math.log(2 - Math.exp(-x * x - LOG_SQRT_PI - logCfDenominator(-x)));
  return Math.log1p(-erfSeries(x));
}
