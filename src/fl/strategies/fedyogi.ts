import { fedYogiStep } from '../../updates/aggregate.js';
import { FedOpt, type AdaptiveStep } from './fedopt.js';

/**
 * FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization",
 * Algorithm 2): as FedAdam but with Yogi's additive second moment,
 *
 *     m ← β1 m + (1 - β1) Δ
 *     v ← v - (1 - β2) Δ² sign(v - Δ²)
 *     w ← w + η m / (√v + τ)
 *
 * with m = 0 and v = τ² before the first round (`fedYogiStep`).
 */
export class FedYogi extends FedOpt {
  override readonly name: string = 'fedyogi';
  protected readonly step: AdaptiveStep = fedYogiStep;
}
