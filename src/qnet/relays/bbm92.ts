/**
 * Secret key from entangled pairs: BBM92 (Bennett, Brassard & Mermin, "Quantum
 * cryptography without Bell's theorem", PRL 68, 557 (1992)). Both ends
 * measure each heralded pair in a randomly chosen basis, Z or X; they keep
 * the pairs where the bases agree (sifting q = 1/2 with unbiased choices) and
 * distil key at the asymptotic rate of Shor & Preskill, PRL 85, 441 (2000),
 * with an error-correction inefficiency f >= 1 as in X. Ma, C.-H. F. Fung &
 * H.-K. Lo, PRA 76, 012307 (2007) (the source may be untrusted):
 *
 *     R = R_pairs q [1 - f h2(e) - h2(e)]^+
 *
 * For a Werner pair the bit and phase error rates are equal,
 * e = (1 - w) / 2; a misalignment e_d of the measuring stations adds a bit
 * flip, e = e_d + (1 - 2 e_d)(1 - w) / 2 (the same as w -> w (1 - 2 e_d)).
 * With f = 1 the rate vanishes at h2(e) = 1/2, e = 11.00 %.
 *
 * `chainKeyFill` turns a relay chain into the `{ kind: 'rate' }` fill of
 * `KeyPool` (`../key-pool.ts`), so a federation can draw its masks from the
 * key the chain makes.
 *
 * @example
 * const chain = relayChain([entanglementLink(up), entanglementLink(down)]);
 * const pool = new KeyPool({ clients: 4, fill: chainKeyFill(chain, { fEc: 1.16, seed: 1 }) });
 */
import { checkNumber, h2 } from '../math.js';
import type { KeyFill } from '../key-pool.js';
import { prefixed } from './link.js';
import { checkWerner } from './werner.js';

/** Fraction of pairs kept after basis sifting with unbiased basis choices. */
export const DEFAULT_BBM92_SIFTING = 0.5;

export interface Bbm92Options {
  /** Fraction kept after sifting, (0, 1] (default 1/2). */
  readonly sifting?: number;
  /** Error-correction inefficiency f >= 1 (default 1, the Shor-Preskill limit). */
  readonly fEc?: number;
  /** Misalignment e_d of the measuring stations, [0, 1/2] (default 0). */
  readonly misalignment?: number;
}

export interface Bbm92Rate {
  /** Secret bits per second, clipped at 0. */
  readonly bitsPerSecond: number;
  /** Sifted pairs per second, R_pairs q. */
  readonly siftedRateHz: number;
  /** Error rate e of the sifted key. */
  readonly qber: number;
  /** [1 - f h2(e) - h2(e)]^+: secret bits per sifted bit. */
  readonly secretFraction: number;
}

export type RateFill = Extract<KeyFill, { kind: 'rate' }>;

export interface ChainKeyFillOptions extends Bbm92Options {
  /** The key pool's master key or simulation seed (see `KeyFill`); random when omitted. */
  readonly seed?: Uint8Array | number;
}

/** [1 - f h2(e) - h2(e)]^+ for an error rate e in [0, 1/2]. */
export function bbm92SecretFraction(qber: number, fEc = 1): number {
  const e = checkNumber('qber', qber, 0, 0.5);
  const f = checkNumber('fEc', fEc, 1, 10);
  return Math.max(0, 1 - (f + 1) * h2(e));
}

/** The error rate where the secret fraction reaches 0: h2(e) = 1 / (1 + f); 0.110028 for f = 1. */
export function bbm92QberThreshold(fEc = 1): number {
  const f = checkNumber('fEc', fEc, 1, 10);
  let lo = 0;
  let hi = 0.5;
  for (let k = 0; k < 200 && hi - lo > 1e-15; k++) {
    const mid = (lo + hi) / 2;
    if (1 - (f + 1) * h2(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Error rate of BBM92 on a Werner pair measured with misalignment e_d: e_d + (1 - 2 e_d)(1 - w)/2. */
export function bbm92Qber(werner: number, misalignment = 0): number {
  const w = checkWerner('werner', werner);
  const ed = checkNumber('misalignment', misalignment, 0, 0.5);
  return Math.min(0.5, ed + ((1 - 2 * ed) * (1 - w)) / 2);
}

/** BBM92 key rate from `pairRateHz` heralded pairs of Werner parameter `werner`. */
export function bbm92KeyRate(pairRateHz: number, werner: number, options: Bbm92Options = {}): Bbm92Rate {
  const rate = checkNumber('pairRateHz', pairRateHz, 0, Number.MAX_VALUE);
  const q = checkNumber('sifting', options.sifting ?? DEFAULT_BBM92_SIFTING, 0, 1, { minOpen: true });
  const qber = bbm92Qber(werner, options.misalignment ?? 0);
  const secretFraction = bbm92SecretFraction(qber, options.fEc ?? 1);
  const siftedRateHz = rate * q;
  return { bitsPerSecond: siftedRateHz * secretFraction, siftedRateHz, qber, secretFraction };
}

/** The key rate of a relay chain's end-to-end pairs (`relayChain`'s result, or any `{ rateHz, werner }`). */
export function chainKeyRate(chain: { readonly rateHz: number; readonly werner: number }, options: Bbm92Options = {}): Bbm92Rate {
  prefixed('chain', () => {
    checkNumber('rateHz', chain.rateHz, 0, Number.MAX_VALUE);
    checkWerner('werner', chain.werner);
  });
  return bbm92KeyRate(chain.rateHz, chain.werner, options);
}

/** A `KeyPool` fill at the chain's BBM92 key rate: `{ kind: 'rate', bitsPerSecond, seed? }`. */
export function chainKeyFill(chain: { readonly rateHz: number; readonly werner: number }, options: ChainKeyFillOptions = {}): RateFill {
  const { seed, ...bbm92 } = options;
  const bitsPerSecond = chainKeyRate(chain, bbm92).bitsPerSecond;
  return seed === undefined ? { kind: 'rate', bitsPerSecond } : { kind: 'rate', bitsPerSecond, seed };
}
