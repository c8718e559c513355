import assert from 'node:assert/strict';
import test from 'node:test';
import { KeyPool } from './keys.js';
import { addMaskInPlace, pairSign, sumMod } from './masking.js';
import { addSelfMask, roundKeyBitsPerPair } from './protocol.js';
import { secureAggregate } from './round.js';
import { workingModulus } from './quantize.js';

/**
 * What the server sees, tested statistically. After a round the server holds
 * every survivor's masked vector y_i and its rebuilt self-mask seed, so the
 * most it can compute about client 0 alone is z = y_0 - PRG(b_0) = x_0 + k_01
 * + k_02 (mod M). Over many rounds with a fixed input, z must be uniform on
 * [0, M) (chi-square goodness of fit) and have the same distribution for two
 * different inputs (chi-square homogeneity). A dropped client's vector that
 * arrives late, minus every pair key revealed for it, is x_d + PRG(b_d): also
 * uniform. The masks come from the CSPRNG, so these tests are random: they
 * use the p = 1e-4 critical value of chi-square with 63 degrees of freedom,
 * 113.50 (scipy.stats.chi2.ppf(1 - 1e-4, 63)).
 */

const Q = 4;
const N = 3;
const { modulus: M } = workingModulus(Q, N); // 2^(4 + 2) = 64 cells
const LENGTH = 64; // coordinates per round, each an independent sample
const ROUNDS = 120; // 7680 samples, 120 per cell
// Chi-square quantile for 63 degrees of freedom at p = 1e-7 (Wilson-Hilferty):
// the masks are truly random (never seeded), so each check must almost never
// fail by chance; a non-uniform mask shifts the statistic by thousands.
const CRITICAL = 140;

function chiSquareUniform(counts: readonly number[]): number {
  const total = counts.reduce((s, c) => s + c, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
}

/** Chi-square homogeneity statistic of two histograms with equal totals. */
function chiSquareTwoSample(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) if (a[k]! + b[k]! > 0) s += (a[k]! - b[k]!) ** 2 / (a[k]! + b[k]!);
  return s;
}

/** Runs ROUNDS rounds with client 0's update fixed to `x0`; histograms of what the server can compute. */
async function observe(x0: number, dropLast: boolean): Promise<{ survivor: number[]; late: number[]; input: number[] }> {
  const survivor = new Array<number>(M).fill(0);
  const late = new Array<number>(M).fill(0);
  const input = new Array<number>(M).fill(0);
  const keys = KeyPool.random([0, 1, 2], ROUNDS * roundKeyBitsPerPair(LENGTH, M));
  const xs = [new Float64Array(LENGTH).fill(x0), new Float64Array(LENGTH).fill(5), new Float64Array(LENGTH).fill(9)];
  for (let round = 0; round < ROUNDS; round++) {
    const r = await secureAggregate({
      updates: xs,
      modulus: M,
      keys,
      threshold: 2,
      round,
      ...(dropLast ? { dropoutsAfterMasking: [2] } : {}),
    });
    // The sum is exact every round.
    const expected = sumMod(dropLast ? xs.slice(0, 2) : xs, M, LENGTH);
    assert.deepEqual(r.sum, expected);
    // z = y_0 - PRG(b_0): everything the server can strip from client 0's message.
    const z = addSelfMask(Float64Array.from(r.serverView.masked.get(0)!), r.serverView.seeds.get(0)!, M, -1);
    for (const v of z) survivor[v]!++;
    for (const v of xs[0]!) input[v]!++;
    if (dropLast) {
      const y2 = Float64Array.from(r.late.get(2)!);
      for (const k of r.serverView.pairKeys) addMaskInPlace(y2, k.key, M, pairSign(k.survivor, k.dropped) === 1 ? 1 : -1);
      assert.equal(r.serverView.seeds.has(2), false, 'the dropped client\'s self-mask seed is never rebuilt');
      for (const v of y2) late[v]!++;
    }
  }
  return { survivor, late, input };
}

test('server view: a client\'s message, stripped of all the server knows, is uniform and independent of the input', async () => {
  const low = await observe(0, false);
  const high = await observe(15, false);
  const x2Low = chiSquareUniform(low.survivor);
  const x2High = chiSquareUniform(high.survivor);
  assert.ok(x2Low < CRITICAL, `chi-square ${x2Low.toFixed(1)} for input 0`);
  assert.ok(x2High < CRITICAL, `chi-square ${x2High.toFixed(1)} for input 15`);
  const x2Two = chiSquareTwoSample(low.survivor, high.survivor);
  assert.ok(x2Two < CRITICAL, `homogeneity chi-square ${x2Two.toFixed(1)}`);
  // Control: the test has power; the unmasked inputs are far from uniform.
  assert.ok(chiSquareUniform(low.input) > 100 * CRITICAL);
});

test('server view: a dropped client\'s late vector, minus every revealed pair key, is still uniform', async () => {
  const { late, survivor } = await observe(3, true);
  const x2 = chiSquareUniform(late);
  assert.ok(x2 < CRITICAL, `chi-square ${x2.toFixed(1)} for the late vector`);
  assert.ok(chiSquareUniform(survivor) < CRITICAL);
});
