import { fail } from '../../util/errors.js';
import { deriveSeed, type Rng } from '../../util/random.js';
import { addVectors, checkUpdates, weightedAverage, weightedMetrics, type Aggregator } from '../../updates/aggregate.js';
import type { CombinedUpdate, EvaluateIns, EvaluateRes, Failure, FitConfig, FitIns, FitRes, Metrics } from '../../updates/messages.js';
import { sampleClients } from '../sampling.js';
import type { Strategy } from '../strategy.js';

/** Local training instructions sent to every sampled client (FitConfig less the per-round fields). */
export interface LocalTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly optimizer: 'adam' | 'sgd';
}

/** Centralized evaluation of the global model on a server-side test set. */
export type EvaluateFn = (round: number, params: Float64Array) => { loss: number; metrics: Metrics } | undefined;

export interface FedAvgOptions {
  /** Fraction of the available clients that train each round, in [0, 1]. */
  readonly fractionFit: number;
  /** Fewest clients that train each round (>= 1); fewer available is an error. */
  readonly minFitClients: number;
  /** Fraction of the available clients that evaluate each round; 0 skips client-side evaluation. */
  readonly fractionEvaluate: number;
  /** Fewest clients that evaluate each round (>= 0). */
  readonly minEvaluateClients: number;
  readonly local: LocalTraining;
  /** FedProx proximal coefficient μ sent to the clients; default 0 (plain FedAvg). */
  readonly proximalMu?: number;
  /** Base seed of the clients' training randomness: client k in round r gets `deriveSeed(seed, r, k)`. */
  readonly seed: number;
  readonly evaluateFn?: EvaluateFn;
  /** How the deltas are combined; default `weightedAverage` by sample count. The seam for robust rules. */
  readonly aggregator?: Aggregator;
}

/** The server-side state of a strategy, as plain JSON for checkpoints. */
export interface StrategyStateBase {
  readonly strategy: string;
}

function checkNumber(field: string, x: number, lo: number, hi: number, integer = false): void {
  if (!Number.isFinite(x) || x < lo || x > hi || (integer && !Number.isInteger(x))) {
    const what = integer ? 'an integer' : 'a number';
    fail(field, `must be ${what} ${hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi}]`}, got ${x}`);
  }
}

/**
 * Federated Averaging (McMahan et al. 2017, "Communication-Efficient Learning
 * of Deep Networks from Decentralized Data"), in Flower's shape.
 *
 * Each round it samples `max(minFitClients, floor(fractionFit * available))`
 * clients with the round's generator, sends them the parameters and a
 * FitConfig, and from their deltas Δ_k = w_k - w computes
 *
 *     w ← w + Σ_k n_k Δ_k / Σ_k n_k
 *
 * (through `aggregator`, `weightedAverage` by default). Server-side
 * optimizers (FedAvgM, FedAdam, FedYogi) override only `serverStep`.
 */
export class FedAvg implements Strategy {
  readonly name: string = 'fedavg';
  readonly fractionFit: number;
  readonly minFitClients: number;
  readonly fractionEvaluate: number;
  readonly minEvaluateClients: number;
  readonly local: LocalTraining;
  readonly proximalMu: number;
  readonly seed: number;
  readonly aggregator: Aggregator;
  private readonly evaluateFn: EvaluateFn | undefined;

  constructor(options: FedAvgOptions) {
    checkNumber('fractionFit', options.fractionFit, 0, 1);
    checkNumber('minFitClients', options.minFitClients, 1, Infinity, true);
    checkNumber('fractionEvaluate', options.fractionEvaluate, 0, 1);
    checkNumber('minEvaluateClients', options.minEvaluateClients, 0, Infinity, true);
    const local = options.local;
    checkNumber('local.epochs', local.epochs, 0, Infinity, true);
    checkNumber('local.batchSize', local.batchSize, 1, Infinity, true);
    if (!(Number.isFinite(local.lr) && local.lr > 0)) fail('local.lr', `must be a finite number > 0, got ${local.lr}`);
    if (local.optimizer !== 'adam' && local.optimizer !== 'sgd') {
      fail('local.optimizer', `must be 'adam' or 'sgd', got '${String(local.optimizer)}'`);
    }
    const mu = options.proximalMu ?? 0;
    checkNumber('proximalMu', mu, 0, Infinity);
    if (!Number.isInteger(options.seed)) fail('seed', `must be an integer, got ${options.seed}`);
    this.fractionFit = options.fractionFit;
    this.minFitClients = options.minFitClients;
    this.fractionEvaluate = options.fractionEvaluate;
    this.minEvaluateClients = options.minEvaluateClients;
    this.local = { epochs: local.epochs, batchSize: local.batchSize, lr: local.lr, optimizer: local.optimizer };
    this.proximalMu = mu;
    this.seed = options.seed;
    this.aggregator = options.aggregator ?? weightedAverage;
    this.evaluateFn = options.evaluateFn;
  }

  /** The FitConfig of client `clientId` in `round`. */
  fitConfig(round: number, clientId: number): FitConfig {
    return { ...this.local, proximalMu: this.proximalMu, seed: deriveSeed(this.seed, round, clientId) };
  }

  configureFit(round: number, params: Float64Array, clientIds: readonly number[], rng: Rng): FitIns[] {
    const chosen = sampleClients(clientIds, { fraction: this.fractionFit, min: this.minFitClients }, rng, 'fit clients');
    // A copy per client: an in-process client that trains in place cannot
    // touch the caller's vector or another client's.
    return chosen.map((clientId) => ({ round, clientId, params: params.slice(), config: this.fitConfig(round, clientId) }));
  }

  aggregateFit(
    round: number,
    params: Float64Array,
    results: readonly FitRes[],
    failures: readonly Failure[],
    combined?: CombinedUpdate,
  ): { params: Float64Array; metrics: Metrics } | undefined {
    if (results.length === 0) return undefined;
    if (combined) {
      // The pipeline combined the updates itself (secure aggregation): its mean replaces the aggregator's.
      checkUpdates([combined.delta], params.length, () => 'combined update');
      return {
        params: this.serverStep(round, params, combined.delta),
        metrics: { ...weightedMetrics(results, ['loss', 'accuracy']), num_clients: results.length, num_failures: failures.length, num_examples: combined.numExamples },
      };
    }
    const updates = results.map((r) => r.update);
    const label = (i: number): string => `results[${i}] (client ${results[i]!.clientId}).update`;
    checkUpdates(updates, params.length, label);
    const weights = results.map((r, i) => {
      if (!Number.isFinite(r.numExamples) || r.numExamples < 0) {
        fail(`results[${i}] (client ${r.clientId}).numExamples`, `must be a finite number >= 0, got ${r.numExamples}`);
      }
      return r.numExamples;
    });
    const delta = this.aggregator(updates, weights);
    checkUpdates([delta], params.length, () => 'aggregator result');
    const next = this.serverStep(round, params, delta);
    const metrics: Metrics = {
      ...weightedMetrics(results, ['loss', 'accuracy']),
      num_clients: results.length,
      num_failures: failures.length,
      num_examples: weights.reduce((a, b) => a + b, 0),
    };
    return { params: next, metrics };
  }

  /**
   * The next global parameters from the aggregated delta: `w + Δ` for
   * FedAvg. Server optimizers override this (and their state).
   */
  protected serverStep(_round: number, params: Float64Array, delta: Float64Array): Float64Array {
    return addVectors(params, delta);
  }

  configureEvaluate(round: number, params: Float64Array, clientIds: readonly number[], rng: Rng): EvaluateIns[] {
    if (this.fractionEvaluate === 0) return [];
    const chosen = sampleClients(
      clientIds,
      { fraction: this.fractionEvaluate, min: this.minEvaluateClients },
      rng,
      'evaluate clients',
    );
    return chosen.map((clientId) => ({ round, clientId, params: params.slice() }));
  }

  /** Loss and every metric averaged over the clients, weighted by their sample counts. */
  aggregateEvaluate(_round: number, results: readonly EvaluateRes[]): { loss: number; metrics: Metrics } | undefined {
    if (results.length === 0) return undefined;
    const withLoss = results.map((r) => ({ numExamples: r.numExamples, metrics: { loss: r.loss } }));
    const loss = weightedMetrics(withLoss).loss;
    if (loss === undefined) return undefined; // every client reported zero examples
    return { loss, metrics: weightedMetrics(results) };
  }

  evaluate(round: number, params: Float64Array): { loss: number; metrics: Metrics } | undefined {
    return this.evaluateFn?.(round, params);
  }

  getState(): StrategyStateBase {
    return { strategy: this.name };
  }

  setState(state: unknown): void {
    this.checkStateName(state);
  }

  /** Checks that `state` is an object saved by a strategy of this name. */
  protected checkStateName(state: unknown): Record<string, unknown> {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      fail('state', `must be an object from ${this.name}'s getState(), got ${state === null ? 'null' : typeof state}`);
    }
    const s = state as Record<string, unknown>;
    if (s['strategy'] !== this.name) {
      fail('state.strategy', `was saved by '${String(s['strategy'])}', cannot restore it into '${this.name}'`);
    }
    return s;
  }
}

/** Reads a JSON array of finite numbers (or null) from a saved state into a Float64Array. */
export function readVector(s: Record<string, unknown>, key: string, nonNegative = false): Float64Array | undefined {
  const x = s[key];
  if (x === null || x === undefined) return undefined;
  if (!Array.isArray(x)) fail(`state.${key}`, `must be an array of numbers or null, got ${typeof x}`);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v: unknown = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || (nonNegative && v < 0)) {
      fail(`state.${key}[${i}]`, `must be a finite number${nonNegative ? ' >= 0' : ''}, got ${String(v)}`);
    }
    out[i] = v;
  }
  return out;
}
