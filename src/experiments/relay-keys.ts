import { chainKeyRate } from '../qnet/relays/bbm92.js';
import { relayChain } from '../qnet/relays/chain.js';
import { entanglementLink } from '../qnet/relays/link.js';

/** A relay chain's config (secure_aggregation.relay_chain). */
export interface RelayChainConfig {
  readonly segments_km: readonly number[];
  readonly pair_rate_hz: number;
  readonly detector_efficiency: number;
  readonly dark_counts_per_second: number;
  readonly misalignment: number;
  readonly memory_t2_s?: number | undefined;
}

/**
 * The secret key rate (bits/s) a chain of fiber segments delivers: each
 * segment's source sits in its middle (two arms of half its length), swaps at
 * the relays (Werner composition, success 1/2), BBM92 on the end-to-end pairs.
 */
export function relayKeyRate(c: RelayChainConfig): { bitsPerSecond: number; fidelity: number; qber: number; rateHz: number } {
  const links = c.segments_km.map((km) => {
    const arm = { channel: { kind: 'fiber' as const, lengthKm: km / 2 }, detectorEfficiency: c.detector_efficiency, darkCountsPerSecond: c.dark_counts_per_second };
    return entanglementLink({ pairRateHz: c.pair_rate_hz, armA: arm, armB: arm, misalignment: c.misalignment });
  });
  const chain = relayChain(links, c.memory_t2_s !== undefined ? { memory: { t2Seconds: c.memory_t2_s } } : {});
  const key = chainKeyRate(chain);
  return { bitsPerSecond: key.bitsPerSecond, fidelity: chain.fidelity, qber: key.qber, rateHz: chain.rateHz };
}
