import { fail } from '../../util/errors.js';
import { FedAvg, type FedAvgOptions } from './fedavg.js';

export interface FedProxOptions extends FedAvgOptions {
  /** The proximal coefficient μ >= 0 (required; μ = 0 is FedAvg, kept as a control for sweeps). */
  readonly proximalMu: number;
}

/**
 * FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous
 * Networks", MLSys): FedAvg whose clients minimise
 *
 *     F_k(w) + (μ / 2) |w - w_global|²
 *
 * The server side is FedAvg unchanged; μ travels to the clients in
 * `FitConfig.proximalMu`, and the client runtime adds the term and its
 * gradient μ (w - w_global) to its local loss.
 */
export class FedProx extends FedAvg {
  override readonly name: string = 'fedprox';

  constructor(options: FedProxOptions) {
    if (options.proximalMu === undefined) fail('proximalMu', 'FedProx needs the proximal coefficient mu (>= 0)');
    super(options);
  }
}
