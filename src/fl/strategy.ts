import type { Rng } from '../util/random.js';
import type { CombinedUpdate, EvaluateIns, EvaluateRes, Failure, FitIns, FitRes, Metrics } from '../updates/messages.js';

/**
 * A strategy decides who trains each round with what instructions and how
 * their results become the next global model, in Flower's shape. It selects,
 * configures and delegates: the aggregation maths are pure functions in
 * `aggregate.ts`. Robust aggregators plug in through `aggregateFit`.
 */
export interface Strategy {
  readonly name: string;
  /** Clients and instructions for training in `round` (1-based). */
  configureFit(round: number, params: Float64Array, clientIds: readonly number[], rng: Rng): FitIns[];
  /**
   * The next global parameters from the round's results (already validated and
   * turned back into parameter deltas by the server's pipeline), or
   * undefined to keep the current ones (no results).
   */
  aggregateFit(
    round: number,
    params: Float64Array,
    results: readonly FitRes[],
    failures: readonly Failure[],
    /** Set when the pipeline hides single updates: the mean it unmasked, used instead of the results' updates. */
    combined?: CombinedUpdate,
  ): { params: Float64Array; metrics: Metrics } | undefined;
  /** Clients asked to evaluate the global model after `round` (none: skip). */
  configureEvaluate(round: number, params: Float64Array, clientIds: readonly number[], rng: Rng): EvaluateIns[];
  /** Weighted loss and metrics over the clients' evaluation results. */
  aggregateEvaluate(round: number, results: readonly EvaluateRes[]): { loss: number; metrics: Metrics } | undefined;
  /** Optional centralized evaluation of the global model on a server-side test set. */
  evaluate?(round: number, params: Float64Array): { loss: number; metrics: Metrics } | undefined;
  /** Server-side state beyond the parameters (optimizer moments), for checkpoints. */
  getState(): unknown;
  setState(state: unknown): void;
}
