/**
 * A chain of relays: links 1..n join nodes 0..n, and each of the n - 1 inner
 * nodes swaps entanglement (a Bell measurement on its two halves) so that the
 * end nodes share one pair. The repeater picture of Briegel, Duer, Cirac &
 * Zoller, PRL 81, 5932 (1998) and Duer, Briegel, Cirac & Zoller, PRA 59, 169
 * (1999), without purification (nesting level 0).
 *
 * Rate (a documented simplification, not the exact waiting-time law):
 *
 *     R_chain = min_i R_i * p_swap^(n-1)
 *
 * Every relay holds a pair in memory until the other side has one too, so
 * the slowest link paces the chain, and each swap succeeds with probability
 * p_swap (default 1/2: a linear-optics Bell measurement tells at most two of
 * the four Bell states apart, Calsamiglia & Luetkenhaus, Appl. Phys. B 72, 67
 * (2001); 1 for deterministic memory-based Bell measurements). It ignores
 * the time links spend waiting for one another (the expected maximum of n
 * geometric waiting times exceeds the slowest link's mean: 3/2 of it for two
 * equal links, Sangouard, Simon, de Riedmatten & Gisin, Rev. Mod. Phys. 83,
 * 33 (2011)), the classical signalling delay,
 * and the links regenerated after a failed swap, so it is an upper estimate
 * for memories; it never exceeds the slowest link's rate (a hard bound).
 *
 * Without memories every link must herald in the same clock slot: with a
 * common clock f and per-slot successes p_i = R_i / f,
 *
 *     R_memoryless = f prod_i p_i * p_swap^(n-1)   (<= R_chain),
 *
 * reported when `clockHz` is given.
 *
 * Quality: the swapped Werner parameter (DBCZ 1999, see `werner.ts`)
 *
 *     w_chain = prod_i w_i * bsmWerner^(n-1) * lambda(t_wait)^(2(n-1))
 *
 * where each of the n - 1 links that are not the slowest waits t_wait
 * (default 1 / min_i R_i, the mean time for the slowest link to herald) with
 * both its qubits in memory, each decaying by lambda (`memoryFactor`).
 * A memoryless chain has no waiting term.
 *
 * @example
 * const links = [entanglementLink(up), entanglementLink(down)];
 * const chain = relayChain(links, { swapSuccess: 1, memory: { t2Seconds: 1 } });
 * chain.rateHz; chain.fidelity; chain.teleportationFidelity;
 */
import { fail } from '../../util/errors.js';
import { checkNumber } from '../math.js';
import { checkWerner, fidelityFromWerner, memoryFactor, teleportationFidelity, type Memory } from './werner.js';

/** Linear-optics Bell-measurement success probability (Calsamiglia & Luetkenhaus 2001). */
export const DEFAULT_SWAP_SUCCESS = 0.5;

/** What the chain needs of a link: `entanglementLink`'s result fits, so does a hand-made record. */
export interface LinkLike {
  readonly heraldedRateHz: number;
  readonly werner: number;
}

export interface ChainOptions {
  /** Probability that one swap succeeds, in (0, 1] (default {@link DEFAULT_SWAP_SUCCESS}). */
  readonly swapSuccess?: number;
  /** Depolarizing factor of an imperfect Bell measurement on the Werner parameter, [0, 1] (default 1). */
  readonly bsmWerner?: number;
  /** The relays' memories; omitted: perfect storage. */
  readonly memory?: Memory;
  /** Storage time of a waiting pair, seconds (default 1 / slowest link's rate). */
  readonly waitSeconds?: number;
  /** Common clock for the memoryless rate, Hz; must be at least every link's rate. */
  readonly clockHz?: number;
}

export interface Chain {
  readonly links: number;
  readonly swaps: number;
  /** Index of the slowest link (the first, on a tie). */
  readonly slowestLink: number;
  /** End-to-end heralded pairs per second, min_i R_i p_swap^(n-1). */
  readonly rateHz: number;
  /** Storage time charged to each waiting pair, seconds (0 for one link). */
  readonly waitSeconds: number;
  /** lambda(t_wait)^(2(n-1)): what the memories cost the Werner parameter (1 without `memory`). */
  readonly memoryFactor: number;
  /** End-to-end Werner parameter. */
  readonly werner: number;
  readonly fidelity: number;
  /** Average fidelity of a qubit teleported over one end-to-end pair, (1 + w) / 2. */
  readonly teleportationFidelity: number;
  /** Error rate of an end-to-end pair in any basis, (1 - w) / 2. */
  readonly qber: number;
  /** With `clockHz`: the same chain without memories (all links herald in the same slot). */
  readonly memoryless?: { readonly rateHz: number; readonly werner: number };
}

/** Joins `links` by swaps at the relays between them (formulas above). */
export function relayChain(links: readonly LinkLike[], options: ChainOptions = {}): Chain {
  const n = links.length;
  if (n === 0) fail('links', 'a chain needs at least one link');
  const pSwap = checkNumber('swapSuccess', options.swapSuccess ?? DEFAULT_SWAP_SUCCESS, 0, 1, { minOpen: true });
  const bsm = checkNumber('bsmWerner', options.bsmWerner ?? 1, 0, 1);
  let slowest = 0;
  let wLinks = 1;
  links.forEach((link, k) => {
    checkNumber(`links[${k}].heraldedRateHz`, link.heraldedRateHz, 0, Number.MAX_VALUE);
    wLinks *= checkWerner(`links[${k}].werner`, link.werner);
    if (link.heraldedRateHz < links[slowest]!.heraldedRateHz) slowest = k;
  });
  const swaps = n - 1;
  const minRate = links[slowest]!.heraldedRateHz;
  const swapFactor = Math.pow(pSwap, swaps);
  const rateHz = minRate * swapFactor;
  const swapped = wLinks * Math.pow(bsm, swaps);

  let waitSeconds = 0;
  if (options.waitSeconds !== undefined) waitSeconds = checkNumber('waitSeconds', options.waitSeconds, 0, Number.MAX_VALUE);
  else if (swaps > 0) waitSeconds = minRate > 0 ? 1 / minRate : Infinity;
  let memFactor = 1;
  if (options.memory !== undefined && swaps > 0) {
    memoryFactor(0, options.memory); // validates the memory even when the wait is infinite
    const lambda = Number.isFinite(waitSeconds) ? memoryFactor(waitSeconds, options.memory) : 0;
    memFactor = Math.pow(lambda, 2 * swaps);
  }
  const werner = swapped * memFactor;

  let memoryless: Chain['memoryless'];
  if (options.clockHz !== undefined) {
    const clock = checkNumber('clockHz', options.clockHz, 0, Number.MAX_VALUE, { minOpen: true });
    let perSlot = 1;
    links.forEach((link, k) => {
      if (link.heraldedRateHz > clock) fail('clockHz', `must be at least every link's rate; link ${k} heralds ${link.heraldedRateHz} pairs/s, clock ${clock} Hz`);
      perSlot *= link.heraldedRateHz / clock;
    });
    memoryless = { rateHz: clock * perSlot * swapFactor, werner: swapped };
  }

  return {
    links: n,
    swaps,
    slowestLink: slowest,
    rateHz,
    waitSeconds,
    memoryFactor: memFactor,
    werner,
    fidelity: fidelityFromWerner(werner),
    teleportationFidelity: teleportationFidelity(werner),
    qber: (1 - werner) / 2,
    ...(memoryless === undefined ? {} : { memoryless }),
  };
}
