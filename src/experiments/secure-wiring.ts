import { sampleSize } from '../fl/sampling.js';
import { SecureAggregator } from '../fl/secure.js';
import { distributedDpReport } from '../security/secagg/distributed-dp.js';
import type { TransformSpec } from '../updates/transform.js';
import { relayKeyRate } from './relay-keys.js';
import type { RunConfig } from './run-schema.js';

/**
 * Secure aggregation wired from a config: the `secagg` step appended to the
 * update pipeline (it runs where the clients run), the masking round's
 * driver, and the distributed-DP figure of a round. The weight cap of the
 * weighted mean is the largest training partition, public to the server.
 */
export interface SecureWiring {
  readonly step: TransformSpec;
  readonly aggregator: SecureAggregator;
  /** Distributed DP of a round's sum, for its event. */
  readonly dp: (survivors: number) => { readonly epsilon: number; readonly allButOneEpsilon: number; readonly delta: number; readonly sigma: number } | undefined;
}

export function secureWiring(config: RunConfig, partitionSizes: readonly number[]): SecureWiring | undefined {
  const sa = config.secure_aggregation;
  if (!sa) return undefined;
  const n = partitionSizes.length;
  const perRound = sampleSize(n, { fraction: config.strategy.fraction_fit, min: config.strategy.min_fit_clients });
  // Distributed noise is calibrated for equal shares: its sum is unweighted.
  const weighted = sa.weighted ?? !sa.noise;
  const step: TransformSpec = {
    type: 'secagg',
    bits: sa.bits,
    clip: sa.clip,
    rounding: sa.rounding,
    max_clients: Math.max(2, n),
    ...(weighted ? { weight_cap: Math.max(1, ...partitionSizes) } : {}),
    ...(sa.noise ? { noise: { sigma: sa.noise.sigma, clip_norm: sa.noise.clip_norm, clients: perRound } } : {}),
  };
  const aggregator = new SecureAggregator({
    bits: sa.bits,
    mask: sa.mask,
    threshold: sa.threshold,
    dropout: sa.dropout,
    corrupted: sa.corrupted_fraction,
    clients: Math.max(2, n),
    // A relay chain, when configured, sets the key rate (src/qnet/relays).
    keyRateBps: sa.relay_chain ? Math.max(1e-9, relayKeyRate(sa.relay_chain).bitsPerSecond) : sa.key_rate_bps,
    onKeyShortage: sa.on_key_shortage,
    seed: config.seed,
  });
  const noise = sa.noise;
  return {
    step,
    aggregator,
    dp: (survivors) => {
      if (!noise || survivors === 0) return undefined;
      const r = distributedDpReport({ sigma: noise.sigma, delta: noise.delta, clipNorm: noise.clip_norm, clients: perRound, survivors });
      return { epsilon: r.server.epsilon, allButOneEpsilon: r.allButOne.epsilon, delta: noise.delta, sigma: noise.sigma };
    },
  };
}
