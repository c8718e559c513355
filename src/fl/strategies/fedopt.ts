import { fail } from '../../util/errors.js';
import { checkAdaptiveOptions, type AdaptiveOptions, type MomentState } from '../../updates/aggregate.js';
import { FedAvg, readVector, type FedAvgOptions, type StrategyStateBase } from './fedavg.js';

export interface FedOptOptions extends FedAvgOptions {
  /** Server learning rate η > 0 (required). */
  readonly serverLr: number;
  /** First-moment decay β1 in [0, 1); default 0.9. */
  readonly beta1?: number;
  /** Second-moment decay β2 in [0, 1); default 0.99. */
  readonly beta2?: number;
  /** Adaptivity τ > 0; default 1e-3. */
  readonly tau?: number;
}

/** FedAdam / FedYogi checkpointed state: the moments, null before the first round. */
export interface FedOptState extends StrategyStateBase {
  readonly m: number[] | null;
  readonly v: number[] | null;
}

/** The server step of an adaptive rule: `fedAdamStep` or `fedYogiStep`. */
export type AdaptiveStep = (
  params: Float64Array,
  delta: Float64Array,
  state: MomentState | undefined,
  options: AdaptiveOptions,
) => { params: Float64Array; state: MomentState };

/**
 * The adaptive server optimizers of Reddi et al. 2021, "Adaptive Federated
 * Optimization" (Flower's `FedOpt`): FedAvg's averaged delta Δ is treated as
 * a negative pseudo-gradient and fed to an Adam-like rule on the server. The
 * rule is the pure function `step`; the moments (m, v) are this strategy's
 * state and round-trip through `getState` / `setState` exactly.
 */
export abstract class FedOpt extends FedAvg {
  readonly server: AdaptiveOptions;
  private state: MomentState | undefined;
  protected abstract readonly step: AdaptiveStep;

  constructor(options: FedOptOptions) {
    super(options);
    this.server = { eta: options.serverLr, beta1: options.beta1 ?? 0.9, beta2: options.beta2 ?? 0.99, tau: options.tau ?? 1e-3 };
    checkAdaptiveOptions(this.server);
  }

  protected override serverStep(_round: number, params: Float64Array, delta: Float64Array): Float64Array {
    const { params: next, state } = this.step(params, delta, this.state, this.server);
    this.state = state;
    return next;
  }

  override getState(): FedOptState {
    const s = this.state;
    return { strategy: this.name, m: s ? Array.from(s.m) : null, v: s ? Array.from(s.v) : null };
  }

  override setState(state: unknown): void {
    const s = this.checkStateName(state);
    const m = readVector(s, 'm');
    const v = readVector(s, 'v', true);
    if ((m === undefined) !== (v === undefined)) fail('state', 'm and v must both be arrays or both be null');
    if (m && v && m.length !== v.length) fail('state.v', `has ${v.length} entries but m has ${m.length}`);
    this.state = m && v ? { m, v } : undefined;
  }
}
