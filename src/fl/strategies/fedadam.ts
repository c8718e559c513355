import { fedAdamStep } from '../../updates/aggregate.js';
import { FedOpt, type AdaptiveStep } from './fedopt.js';

/**
 * FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization",
 * Algorithm 2): with Δ the weighted average of the clients' deltas,
 *
 *     m ← β1 m + (1 - β1) Δ
 *     v ← β2 v + (1 - β2) Δ²
 *     w ← w + η m / (√v + τ)
 *
 * with m = 0 and v = τ² before the first round (`fedAdamStep`).
 */
export class FedAdam extends FedOpt {
  override readonly name: string = 'fedadam';
  protected readonly step: AdaptiveStep = fedAdamStep;
}
