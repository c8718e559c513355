import { fail } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/random.js';
import { addVectors, checkUpdates, weightedMetrics } from '../aggregate.js';
import type { Failure, FitIns, FitRes, Metrics } from '../messages.js';
import { sampleClients } from '../sampling.js';
import { FedAvg, type FedAvgOptions, type StrategyStateBase } from './fedavg.js';

/**
 * FedBuff: buffered asynchronous aggregation (Nguyen et al. 2022, "Federated
 * Learning with Buffered Asynchronous Aggregation", AISTATS; Alg. 1).
 *
 * `concurrency` clients train at once, each on the model version current when
 * it started. Updates arrive in order of finishing; once `bufferSize` (K) have
 * arrived the server steps
 *
 *     w ← w + η_g · (1/K) Σ_i s(τ_i) Δ_i,   s(τ) = (1 + τ)^(-a)
 *
 * where τ_i is the staleness of update i (server steps since the version it
 * trained on) and a = `stalenessExponent` (the paper's 1/√(1+τ): a = 0.5).
 * The clients that delivered start again on the new model, so `concurrency`
 * stay busy; the rest keep training on their older version.
 *
 * One round of the run is one server step. Finishing order comes from a
 * simulated clock: client k needs n_k · epochs · speed_k time units, with
 * speed_k = exp(σ z_k), z_k ~ N(0, 1) drawn once per client from the seed (σ =
 * `clientSpeedSigma`; slow clients are slow every time, as real stragglers
 * are). Each update is computed when its client starts, on the version it
 * was given, and joins the buffer when the clock reaches its finish time, so
 * a run is reproducible and the same in `qfl run` and `qfl server`.
 */
export const FEDBUFF_SPEED_STREAM = 7_100_001;

export interface FedBuffOptions extends FedAvgOptions {
  /** K: updates per server step. */
  readonly bufferSize: number;
  /** Clients training at once (>= bufferSize). */
  readonly concurrency: number;
  /** Server learning rate η_g (default 1). */
  readonly serverLr?: number;
  /** a in s(τ) = (1 + τ)^(-a) (default 0.5). */
  readonly stalenessExponent?: number;
  /** σ of the log-normal client speeds (default 1; 0: all equally fast). */
  readonly clientSpeedSigma?: number;
}

/** An update on its way: computed, not yet arrived. */
interface InFlight {
  readonly clientId: number;
  /** The model version it trained on (server steps before it started). */
  readonly version: number;
  /** Simulated time it arrives. */
  readonly finish: number;
  readonly numExamples: number;
  readonly metrics: Metrics;
  readonly update: Float64Array;
}

export interface FedBuffState extends StrategyStateBase {
  readonly clock: number;
  readonly inFlight: readonly (Omit<InFlight, 'update'> & { readonly update: number[] })[];
}

export class FedBuff extends FedAvg {
  override readonly name: string = 'fedbuff';
  readonly bufferSize: number;
  readonly concurrency: number;
  readonly serverLr: number;
  readonly stalenessExponent: number;
  readonly clientSpeedSigma: number;
  private clock = 0;
  private inFlight: InFlight[] = [];
  private readonly speeds = new Map<number, number>();

  constructor(o: FedBuffOptions) {
    super(o);
    const int = (field: string, x: number, lo: number) => {
      if (!(Number.isInteger(x) && x >= lo)) fail(field, `must be an integer >= ${lo}, got ${x}`);
      return x;
    };
    this.bufferSize = int('bufferSize', o.bufferSize, 1);
    this.concurrency = int('concurrency', o.concurrency, 1);
    if (this.concurrency < this.bufferSize) fail('concurrency', `must be at least bufferSize (${this.bufferSize}), got ${this.concurrency}`);
    if (this.minFitClients > this.bufferSize) fail('minFitClients', `must be at most bufferSize (${this.bufferSize}): a step after the first starts only K clients, got ${this.minFitClients}`);
    this.serverLr = o.serverLr ?? 1;
    this.stalenessExponent = o.stalenessExponent ?? 0.5;
    this.clientSpeedSigma = o.clientSpeedSigma ?? 1;
    if (!(Number.isFinite(this.serverLr) && this.serverLr > 0)) fail('serverLr', `must be a finite number > 0, got ${this.serverLr}`);
    if (!(Number.isFinite(this.stalenessExponent) && this.stalenessExponent >= 0)) fail('stalenessExponent', `must be a finite number >= 0, got ${this.stalenessExponent}`);
    if (!(Number.isFinite(this.clientSpeedSigma) && this.clientSpeedSigma >= 0)) fail('clientSpeedSigma', `must be a finite number >= 0, got ${this.clientSpeedSigma}`);
  }

  /** s(τ) = (1 + τ)^(-a). */
  stalenessWeight(staleness: number): number {
    return (1 + staleness) ** -this.stalenessExponent;
  }

  /** Client k's time per example, fixed for the run. */
  private speed(clientId: number): number {
    let s = this.speeds.get(clientId);
    if (s === undefined) {
      s = Math.exp(this.clientSpeedSigma * new Rng(deriveSeed(this.seed, FEDBUFF_SPEED_STREAM, clientId)).normal());
      this.speeds.set(clientId, s);
    }
    return s;
  }

  /** Starts idle clients until `concurrency` are busy (all of them in round 1, then the K that delivered). */
  override configureFit(round: number, params: Float64Array, clientIds: readonly number[], rng: Rng): FitIns[] {
    const busy = new Set(this.inFlight.map((f) => f.clientId));
    const idle = clientIds.filter((id) => !busy.has(id));
    const want = Math.min(idle.length, this.concurrency - this.inFlight.length);
    if (want <= 0) return [];
    const chosen = sampleClients(idle, { count: want, min: Math.min(this.minFitClients, want) }, rng, 'fit clients');
    return chosen.map((clientId) => ({ round, clientId, params: params.slice(), config: this.fitConfig(round, clientId) }));
  }

  override aggregateFit(
    round: number,
    params: Float64Array,
    results: readonly FitRes[],
    failures: readonly Failure[],
  ): { params: Float64Array; metrics: Metrics } | undefined {
    checkUpdates(results.map((r) => r.update), params.length, (i) => `results[${i}] (client ${results[i]!.clientId}).update`);
    const started = this.clock;
    for (const r of results) {
      if (!(Number.isFinite(r.numExamples) && r.numExamples >= 0)) fail(`client ${r.clientId}.numExamples`, `must be a finite number >= 0, got ${r.numExamples}`);
      const units = Math.max(1, r.numExamples * Math.max(1, this.local.epochs));
      // Ties (equal finish times) break by client id, so the order never depends on arrival order.
      this.inFlight.push({ clientId: r.clientId, version: round - 1, finish: started + units * this.speed(r.clientId), numExamples: r.numExamples, metrics: r.metrics, update: r.update });
    }
    if (this.inFlight.length === 0) return undefined;
    this.inFlight.sort((a, b) => a.finish - b.finish || a.clientId - b.clientId);
    const buffer = this.inFlight.splice(0, this.bufferSize);
    this.clock = Math.max(this.clock, buffer[buffer.length - 1]!.finish);
    const delta = new Float64Array(params.length);
    const staleness = buffer.map((b) => round - 1 - b.version);
    buffer.forEach((b, i) => {
      const w = (this.serverLr * this.stalenessWeight(staleness[i]!)) / buffer.length;
      for (let j = 0; j < delta.length; j++) delta[j]! += w * b.update[j]!;
    });
    const metrics: Metrics = {
      ...weightedMetrics(buffer, ['loss', 'accuracy']),
      num_clients: buffer.length,
      num_failures: failures.length,
      num_examples: buffer.reduce((s, b) => s + b.numExamples, 0),
      staleness_mean: staleness.reduce((a, b) => a + b, 0) / staleness.length,
      staleness_max: Math.max(...staleness),
      in_flight: this.inFlight.length,
      simulated_time: this.clock,
    };
    return { params: addVectors(params, delta), metrics };
  }

  override getState(): FedBuffState {
    return { strategy: this.name, clock: this.clock, inFlight: this.inFlight.map((f) => ({ ...f, update: [...f.update] })) };
  }

  override setState(state: unknown): void {
    const s = this.checkStateName(state);
    const clock = s['clock'];
    if (!(typeof clock === 'number' && Number.isFinite(clock) && clock >= 0)) fail('state.clock', `must be a finite number >= 0, got ${String(clock)}`);
    const list = s['inFlight'];
    if (!Array.isArray(list)) fail('state.inFlight', 'must be an array');
    const inFlight = list.map((raw: unknown, i): InFlight => {
      const f = raw as Record<string, unknown>;
      const num = (k: string) => {
        const v = f[k];
        if (!(typeof v === 'number' && Number.isFinite(v))) fail(`state.inFlight[${i}].${k}`, `must be a finite number, got ${String(v)}`);
        return v;
      };
      const u = f['update'];
      if (!Array.isArray(u) || !u.every((x) => typeof x === 'number' && Number.isFinite(x))) fail(`state.inFlight[${i}].update`, 'must be an array of finite numbers');
      const metrics = (typeof f['metrics'] === 'object' && f['metrics'] !== null ? f['metrics'] : {}) as Metrics;
      return { clientId: num('clientId'), version: num('version'), finish: num('finish'), numExamples: num('numExamples'), metrics, update: Float64Array.from(u as number[]) };
    });
    this.clock = clock;
    this.inFlight = inFlight;
  }
}
