import type { Aggregator } from '../updates/aggregate.js';
import { RdpAccountant, type AccountantState } from '../security/dp/accountant.js';
import { createDpFedAvg, dpOptionsFromConfig, type DpRoundReport } from '../security/dp/central.js';
import type { RobustResult } from '../security/robust/common.js';
import { createAggregator, robustMetrics } from '../security/robust/registry.js';
import type { RoundEvent } from './events.js';
import type { RunConfig } from './run-schema.js';

/**
 * The server-side defense of a run, behind the strategy's aggregator seam: a
 * robust rule (strategy.aggregator) or client-level central DP (dp). It
 * keeps each round's report (flagged clients, the privacy spent) for the
 * events, and its state (adaptive clip norm, accountant) for checkpoints.
 */
export interface Defense {
  readonly aggregator?: Aggregator;
  /** What this round's aggregation reported; call once per round, after aggregation. */
  report(round: number, sampled: number, clientIds: readonly number[]): { metrics: Record<string, number>; dp?: RoundEvent['dp']; flagged?: number[] };
  getState(): unknown;
  setState(state: unknown): void;
}

export function createDefense(config: RunConfig, numClients: number): Defense {
  const spec = config.strategy.aggregator;
  if (spec && spec.name !== 'mean') {
    const rule = createAggregator(spec, { clients: config.strategy.min_fit_clients, path: 'strategy.aggregator' });
    let last: RobustResult | undefined;
    return {
      aggregator: (updates, weights) => {
        last = rule.run(updates, weights);
        return last.aggregate;
      },
      report: (_round, _sampled, clientIds) => ({
        metrics: last ? robustMetrics(last, clientIds) : {},
        ...(last?.flagged ? { flagged: last.flagged.map((k) => clientIds[k]!) } : {}),
      }),
      getState: () => undefined,
      setState: () => {},
    };
  }
  if (config.dp) {
    const options = dpOptionsFromConfig(config.dp, config.seed);
    const dp = createDpFedAvg(options);
    let accountant = new RdpAccountant();
    // A delta well below 1 / (number of clients), unless the config sets one.
    const delta = config.dp.delta ?? Math.min(1e-5, 1 / (10 * numClients));
    let last: DpRoundReport | undefined;
    return {
      aggregator: (updates, weights) => {
        void weights;
        last = dp.run(updates);
        return last.aggregate;
      },
      report: (_round, sampled) => {
        if (!last) return { metrics: {} };
        accountant.compose(sampled / numClients, last.updateNoiseMultiplier);
        const epsilon = accountant.epsilon(delta).epsilon;
        return {
          metrics: { dp_clipped: last.clippedCount },
          dp: { epsilon, delta, clipNorm: last.clipNorm, noiseStd: last.noiseStd },
        };
      },
      getState: () => ({ dp: dp.getState(), accountant: accountant.getState() }),
      setState: (s) => {
        if (!s) return;
        const state = s as { dp: unknown; accountant: AccountantState };
        dp.setState(state.dp);
        accountant = RdpAccountant.fromState(state.accountant);
      },
    };
  }
  return { report: () => ({ metrics: {} }), getState: () => undefined, setState: () => {} };
}
