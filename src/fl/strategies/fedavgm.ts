import { checkMomentumOptions, fedAvgMStep, type MomentumOptions, type MomentumState } from '../../updates/aggregate.js';
import { FedAvg, readVector, type FedAvgOptions, type StrategyStateBase } from './fedavg.js';

export interface FedAvgMOptions extends FedAvgOptions {
  /** Server learning rate η > 0; default 1. */
  readonly serverLr?: number;
  /** Server momentum β in [0, 1) (required). */
  readonly serverMomentum: number;
}

/** FedAvgM's checkpointed state: the momentum buffer, null before the first round. */
export interface FedAvgMState extends StrategyStateBase {
  readonly momentum: number[] | null;
}

/**
 * FedAvg with server momentum (Hsu, Qi & Brown 2019, "Measuring the Effects
 * of Non-Identical Data Distribution for Federated Visual Classification"):
 * with Δ the weighted average of the clients' deltas,
 *
 *     v ← β v + Δ,   w ← w + η v
 *
 * (`fedAvgMStep`). η = 1, β = 0 is FedAvg. The momentum buffer is the
 * strategy's state and round-trips through `getState` / `setState` exactly.
 */
export class FedAvgM extends FedAvg {
  override readonly name: string = 'fedavgm';
  readonly server: MomentumOptions;
  private state: MomentumState | undefined;

  constructor(options: FedAvgMOptions) {
    super(options);
    this.server = { serverLr: options.serverLr ?? 1, momentum: options.serverMomentum };
    checkMomentumOptions(this.server);
  }

  protected override serverStep(_round: number, params: Float64Array, delta: Float64Array): Float64Array {
    const { params: next, state } = fedAvgMStep(params, delta, this.state, this.server);
    this.state = state;
    return next;
  }

  override getState(): FedAvgMState {
    return { strategy: this.name, momentum: this.state ? Array.from(this.state.momentum) : null };
  }

  override setState(state: unknown): void {
    const s = this.checkStateName(state);
    const momentum = readVector(s, 'momentum');
    this.state = momentum ? { momentum } : undefined;
  }
}
