import { SecAggError } from '../security/secagg/protocol.js';
import { QflError } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import type { CombinedUpdate, Failure, FitIns, FitRes, Metrics } from '../updates/messages.js';
import { finishAggregate, receiveUpdates, type Pipeline } from '../updates/pipeline.js';
import type { Executor } from './executor.js';
import type { SecureAggregator, SecureRoundStats } from './secure.js';
import type { Strategy } from './strategy.js';

/**
 * The training half of one round, the federation engine's loop: sample,
 * send, collect, validate (the pipeline's per-update inverses), retry when
 * too few answered, and, when the pipeline hides single updates, run the
 * secure-aggregation masking round and the pipeline's inverses on the sum.
 * The strategy then turns the results (or the pipeline's combined mean)
 * into the next parameters. A SecAgg round that loses more than k + 1 - t of some client's holders
 * (or a survivor that alone held a pair mask) is retried with a fresh sample
 * and a fresh dropout draw, up to `secureRetries` times. The experiments
 * runner keeps the wiring, the events and the reports.
 */
export interface FitRoundOptions {
  readonly round: number;
  readonly params: Float64Array;
  readonly clientIds: readonly number[];
  readonly strategy: Strategy;
  readonly executor: Executor;
  readonly pipeline: Pipeline;
  readonly paramCount: number;
  /** The server's sampling generator: a retry samples afresh. */
  readonly rng: Rng;
  readonly timeoutMs: number;
  /** Retries when fewer than `minFitClients` usable updates arrive. */
  readonly retries: number;
  readonly minFitClients: number;
  readonly secure?: SecureAggregator;
  /** Retries of a SecAgg round that could not finish. */
  readonly secureRetries?: number;
  /** Which sampled clients can be reached (a network); the rest fail the round. */
  readonly reachable?: (ids: readonly number[]) => { readonly ok: readonly number[]; readonly missed: readonly number[]; readonly waitS: number };
  /** Before aggregation: the results that go in (semi-asynchronous rounds hold late ones back). */
  readonly select?: (results: FitRes[], failures: readonly Failure[], linkWaitS: number) => FitRes[];
  readonly onSampled?: (fitIns: readonly FitIns[], unreachable: readonly number[]) => void;
  readonly onProgress?: (done: number, total: number) => void;
  readonly onOutcome?: (x: { clientId: number; reason?: string }) => void;
  readonly log?: (line: string) => void;
}

export interface FitRoundResult {
  readonly fitIns: readonly FitIns[];
  /** The results that went into the aggregate (for secure aggregation: the survivors'). */
  readonly results: readonly FitRes[];
  readonly failures: readonly Failure[];
  /** Set when the pipeline combined the updates (secure aggregation). */
  readonly combined?: CombinedUpdate;
  readonly secure?: SecureRoundStats & { readonly attempts: number; readonly keyWaitSeconds: number };
  readonly aggregateReport: Metrics;
  /** The strategy's next parameters and metrics, or undefined when nothing could be aggregated. */
  readonly aggregated: { readonly params: Float64Array; readonly metrics: Metrics } | undefined;
}

/** SecAgg aborts that a fresh sample can fix; anything else (a protocol violation) is not retried. */
const RETRYABLE = new Set(['below-threshold', 'unrecoverable-dropout', 'inconsistent-view']);

export async function fitRound(o: FitRoundOptions): Promise<FitRoundResult> {
  const r = await collectRound(o);
  return { ...r, aggregated: o.strategy.aggregateFit(o.round, o.params, r.results, r.failures, r.combined) };
}

/** Sample, send, collect, retry and (secure aggregation) unmask: everything before the strategy aggregates. */
async function collectRound(o: FitRoundOptions): Promise<Omit<FitRoundResult, 'aggregated'>> {
  let attempt = 0;
  let secureAttempt = 0;
  let keyWaitSeconds = 0;
  for (;;) {
    let fitIns = o.strategy.configureFit(o.round, o.params, o.clientIds, o.rng);
    let unreachable: readonly number[] = [];
    let linkWait = 0;
    if (o.reachable) {
      const r = o.reachable(fitIns.map((i) => i.clientId));
      unreachable = r.missed;
      linkWait = r.waitS;
      const ok = new Set(r.ok);
      fitIns = fitIns.filter((i) => ok.has(i.clientId));
    }
    o.onSampled?.(fitIns, unreachable);
    const outcomes = await o.executor.fit(fitIns, {
      timeoutMs: o.timeoutMs,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.onOutcome ? { onOutcome: o.onOutcome } : {}),
    });
    const got = receiveUpdates(o.pipeline, outcomes, { round: o.round, paramCount: o.paramCount });
    let results = got.results;
    let failures: Failure[] = [...got.failures, ...unreachable.map((clientId) => ({ clientId, reason: 'no link to the server (network)' }))];
    if (results.length < o.minFitClients) {
      if (attempt++ >= o.retries) {
        throw new QflError(
          `round ${o.round}`,
          `only ${results.length} of ${fitIns.length} clients returned a usable update (min_fit_clients is ${o.minFitClients}) after ${attempt} attempts; ` +
            `failures: ${failures.map((f) => `client ${f.clientId}: ${f.reason}`).join('; ')}`,
        );
      }
      o.log?.(`round ${o.round}: ${failures.length} client(s) failed, retrying (${attempt}/${o.retries})`);
      continue;
    }
    if (o.select) results = o.select(results, failures, linkWait);
    if (!o.secure) return { fitIns, results, failures, aggregateReport: {} };
    if (results.length === 0) return { fitIns, results, failures, aggregateReport: {} };
    try {
      const s = await o.secure.aggregate(o.round, secureAttempt, results, o.paramCount);
      keyWaitSeconds += s.keyWaitSeconds;
      const report: Metrics = {};
      const survivors = new Set(s.survivors);
      const kept = results.filter((r) => survivors.has(r.clientId));
      failures = [...failures, ...s.failures];
      const secure = { ...s.stats, attempts: secureAttempt + 1, keyWaitSeconds };
      if (kept.length === 0) return { fitIns, results: kept, failures, secure, aggregateReport: report };
      const delta = finishAggregate(o.pipeline, s.sum, { round: o.round, paramCount: o.paramCount, clientIds: s.survivors, report });
      const numExamples = report['num_examples'] ?? kept.reduce((a, r) => a + r.numExamples, 0);
      return { fitIns, results: kept, failures, combined: { delta, numExamples }, secure, aggregateReport: report };
    } catch (e) {
      if (!(e instanceof SecAggError && RETRYABLE.has(e.code))) throw e;
      if (secureAttempt >= (o.secureRetries ?? 0)) {
        throw new QflError(`round ${o.round}`, `secure aggregation failed ${secureAttempt + 1} times; last: ${e.message}`);
      }
      secureAttempt++;
      o.log?.(`round ${o.round}: secure aggregation aborted (${e.code}: ${e.message}); retrying with a fresh sample (${secureAttempt}/${o.secureRetries ?? 0})`);
    }
  }
}
