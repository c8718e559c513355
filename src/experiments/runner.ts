import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readCheckpoint, removeTempFiles, writeCheckpoint } from '../fl/checkpoint.js';
import { createExecutor, type Executor } from '../fl/executor.js';
import { withRoundTimeout } from '../fl/round-timeout.js';
import type { EvaluateRes, FitRes } from '../updates/messages.js';
import { createPipeline, isFailure } from '../updates/pipeline.js';
import { createStrategy } from '../fl/strategies/index.js';
import { fitRound } from '../fl/round.js';
import type { Strategy } from '../fl/strategy.js';
import { evaluate } from '../models/train.js';
import { fail } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import { adversarialClients, appRef, attackMethod, createClientApp, type AppConfig, type ExperimentApp } from './client-app.js';
import { take } from '../data/dataset.js';
import type { Sequential } from '../models/sequential.js';
import { robustAccuracy } from '../security/attacks/robustness.js';
import { backdoorSuccessRate, type Trigger } from '../security/byzantine/backdoor.js';
import { attackHooks } from '../security/byzantine/config.js';
import { createDefense } from './defense.js';
import { NetworkClock } from './network.js';
import { secureWiring } from './secure-wiring.js';
import type { EndEvent, RobustResult, RoundEvent, RunEvent, RunMonitor, StartEvent } from './events.js';
import type { Progress } from './progress.js';
import { RunConfigSchema, type RunConfig } from './run-schema.js';
import { validate } from './validate.js';
import { appendEvent, repairEvents } from './run-files.js';
import { checkResources, defaultLimits, type ResourceLimits } from './limits.js';
import { checkByzantineBudget } from './byzantine-budget.js';
import { parseEvents } from './report/read.js';

/**
 * The simulation server: runs a federated config round by round. After every
 * round it appends a line to `events.jsonl` and then writes the checkpoint
 * atomically, so a kill at any moment loses at most the round in progress
 * (a round whose event was written but not its checkpoint is redone on
 * resume; readers keep the last line for a round).
 */
export interface RunOptions {
  readonly config: RunConfig;
  readonly runDir: string;
  /** Continue from the run directory's checkpoint. */
  readonly resume?: boolean;
  readonly progress?: Progress;
  /** Stop cleanly after the round in progress when aborted (Ctrl-C). */
  readonly signal?: AbortSignal;
  /**
   * Where client tasks run; by default a pool or this thread as
   * `runtime.workers` says. `qfl server` passes the remote nodes here. An
   * executor passed in is not closed by the run.
   */
  readonly executor?: Executor;
  /** Live view of the run (the dashboard). */
  readonly monitor?: RunMonitor;
  /** With resume: continue from the previous checkpoint (one round back), when the latest is corrupt. */
  readonly rollback?: boolean;
  /** What the config may ask of the machine (limits.ts); default: this machine's. */
  readonly limits?: ResourceLimits;
  /** Run a robust aggregator against more attackers than it tolerates (byzantine-budget.ts), with a warning. */
  readonly allowUnsafe?: boolean;
}

export interface RunResult {
  readonly runDir: string;
  readonly rounds: number;
  readonly params: Float64Array;
  readonly final?: { loss: number; accuracy: number };
  readonly stopped: boolean;
}

const now = () => new Date().toISOString();
export const appConfigOf = (c: RunConfig): AppConfig => ({
  seed: c.seed,
  data: c.data,
  model: c.model,
  federation: c.federation,
  evaluation: c.evaluation,
  ...(c.adversarial ? { adversarial: c.adversarial } : {}),
  attacks: c.attacks,
});

/** The resolved config, as written to (and compared with) the run directory's config.yaml. */
export function configYaml(c: RunConfig): string {
  return stringify(c);
}

/** Refuses to resume `runDir` with a config other than its own (beyond the runtime section). */
export function checkResumable(runDir: string, config: RunConfig): void {
  const path = join(runDir, 'config.yaml');
  if (!existsSync(path)) fail('--resume', `${runDir} has no config.yaml: is it a run directory?`);
  const stored = validate(RunConfigSchema, parse(readFileSync(path, 'utf8')), path);
  // Everything but the runtime and tracking sections (workers, timeouts, where metrics go) must match the run's own config.
  const fixed = ({ tracking: _t, ...c }: RunConfig) => configYaml({ ...c, runtime: { workers: 0, client_timeout_s: 1, retries: 0, node_grace_s: 0 } });
  if (fixed(stored) !== fixed(config)) {
    fail('--resume', `the config differs from ${path} beyond its runtime section; resume with the run's own config`);
  }
}

function weighted(results: readonly { numExamples: number; metrics: Record<string, number> }[], key: string): number {
  let n = 0;
  let s = 0;
  for (const r of results) {
    const v = r.metrics[key];
    if (v === undefined) continue;
    n += r.numExamples;
    s += r.numExamples * v;
  }
  return n > 0 ? s / n : NaN;
}

export async function runFederation(o: RunOptions): Promise<RunResult> {
  const { config, runDir } = o;
  checkResources(config, o.limits ?? defaultLimits());
  checkByzantineBudget(config, { allowUnsafe: o.allowUnsafe ?? false, warn: (l) => o.progress?.log(l) });
  mkdirSync(runDir, { recursive: true });
  const eventsPath = join(runDir, 'events.jsonl');
  const emit = (e: RunEvent) => {
    appendEvent(eventsPath, e);
    o.monitor?.event?.(e);
  };

  // Leftovers of writes a kill interrupted: temp files, and a torn last event line.
  for (const f of removeTempFiles(runDir)) o.progress?.log(`removed ${join(runDir, f)} (left by an interrupted write)`);
  if (o.resume) checkResumable(runDir, config);
  const checkpoint = o.resume ? readCheckpoint(runDir, { rollback: o.rollback ?? false }) : undefined;
  if (o.resume) {
    const repaired = repairEvents(eventsPath);
    if (repaired) o.progress?.log(`${eventsPath}: ${repaired}`);
  } else writeFileSync(join(runDir, 'config.yaml'), configYaml(config));
  if (checkpoint && checkpoint.round >= config.federation.rounds) return finishedRun(runDir, eventsPath, checkpoint, emit, o);

  const app = createClientApp(appConfigOf(config));
  const model = app.model();
  const central = app.centralTest();
  const every = config.evaluation.every;
  // The aggregation rule: robust rules and DP-FedAvg replace the weighted mean
  // (the strategy's aggregator seam); their per-round reports go into the events.
  const defense = createDefense(config, app.numClients);
  const { aggregator: _ignored, ...strategySpec } = config.strategy;
  void _ignored;
  const strategy: Strategy = createStrategy(strategySpec, {
    ...(defense.aggregator ? { aggregator: defense.aggregator } : {}),
    local: {
      epochs: config.local.epochs,
      batchSize: config.local.batch_size,
      lr: config.local.lr,
      optimizer: config.local.optimizer,
    },
    seed: config.seed,
    ...(config.evaluation.central
      ? {
          evaluateFn: (round: number, params: Float64Array) => {
            if (round % every !== 0 && round !== config.federation.rounds) return undefined;
            model.setParams(params);
            const r = evaluate(model, central);
            return { loss: r.loss, metrics: { accuracy: r.accuracy } };
          },
        }
      : {}),
  });
  // Secure aggregation is the pipeline's last step; its masking round runs in the round loop.
  const wiring = secureWiring(config, app.partitionSizes());
  const secure = wiring?.aggregator;
  const pipelineSpec = wiring ? [...config.pipeline, wiring.step] : config.pipeline;
  const pipeline = createPipeline(pipelineSpec, {}, 'pipeline');

  let params: Float64Array;
  const rng = new Rng(deriveSeed(config.seed, 3));
  let startRound = 1;
  let elapsed = 0;
  if (checkpoint) {
    if (checkpoint.params.length !== model.paramCount) fail('--resume', `checkpoint has ${checkpoint.params.length} parameters, the model ${model.paramCount}`);
    params = checkpoint.params;
    const saved = checkpoint.strategyState as { strategy: unknown; defense?: unknown; secure?: unknown };
    if (!('strategy' in saved)) fail('--resume', `${join(runDir, 'checkpoint.json')}: strategyState has no 'strategy' entry; it was not written by qfl run`);
    strategy.setState(saved.strategy);
    defense.setState(saved.defense);
    // Key consumption continues where it stopped: no pad slice is used twice across resumes.
    secure?.setState(saved.secure);
    rng.setState(checkpoint.rngState);
    startRound = checkpoint.round + 1;
    elapsed = checkpoint.elapsedSeconds;
  } else {
    model.init(new Rng(deriveSeed(config.seed, 0)));
    params = model.getParams();
  }

  const clientIds = Array.from({ length: app.numClients }, (_, i) => i);
  const start: StartEvent = {
    type: 'start',
    time: now(),
    name: config.name,
    rounds: config.federation.rounds,
    clients: app.numClients,
    parameters: model.paramCount,
    ...(checkpoint ? { resumedAfterRound: checkpoint.round } : {}),
    ...(config.adversarial ? { adversarialClients: [...adversarialClients(config)].sort((a, b) => a - b) } : {}),
    ...(config.attacks.length > 0 ? { maliciousClients: [...attackHooks(config.attacks, { numClients: app.numClients, seed: config.seed }).malicious] } : {}),
  };
  emit(start);

  const executor: Executor = withRoundTimeout(
    o.executor ??
      createExecutor(appRef(appConfigOf(config)), {
        workers: config.runtime.workers,
        pipeline: pipelineSpec,
      }),
    config.runtime.round_timeout_s,
  );
  const timeoutMs = config.runtime.client_timeout_s * 1000;
  const clock = config.network ? new NetworkClock(config.network, app.numClients) : undefined;
  /** Semi-asynchronous rounds: updates that arrived after the deadline, for the next round. */
  let pending: FitRes[] = [];
  if (clock && checkpoint) {
    const saved = checkpoint.strategyState as { networkSeconds?: number; pending?: (Omit<FitRes, 'update'> & { update: number[] })[] };
    clock.seconds = saved.networkSeconds ?? 0;
    pending = (saved.pending ?? []).map((p) => ({ ...p, update: Float64Array.from(p.update) }));
  }
  let last: { loss: number; accuracy: number } | undefined;
  let stopped = false;
  let round = startRound;
  try {
    for (; round <= config.federation.rounds; round++) {
      if (o.signal?.aborted) {
        stopped = true;
        break;
      }
      const t0 = performance.now();
      const show = (done: number, total: number) =>
        o.progress?.update({
          name: config.name,
          round,
          rounds: config.federation.rounds,
          clientsDone: done,
          clientsTotal: total,
          ...eta(elapsed, round - 1),
          ...(last ? { lastAccuracy: last.accuracy } : {}),
        });
      let net: RoundEvent['network'] | undefined;
      let tFit = t0;
      const fitted = await fitRound({
        round,
        params,
        clientIds,
        strategy,
        executor,
        pipeline,
        paramCount: model.paramCount,
        rng,
        timeoutMs,
        retries: config.runtime.retries,
        minFitClients: config.strategy.min_fit_clients,
        ...(secure ? { secure, secureRetries: config.secure_aggregation?.retries ?? 0 } : {}),
        // Over a space-air-ground network, only clients with a path to the server take part.
        ...(clock ? { reachable: (ids: readonly number[]) => clock.reachable([...ids], model.paramCount) } : {}),
        select: (results, failures, linkWait) => {
          tFit = performance.now();
          net = clock
            ? clock.round(
                results.map((r) => r.clientId),
                results.map((r) => r.numExamples * config.local.epochs),
                model.paramCount,
                linkWait,
                failures.filter((f) => f.reason.startsWith('no link')).map((f) => f.clientId),
              )
            : undefined;
          if (net && config.network?.deadline_s !== undefined) {
            // Semi-asynchronous: updates that missed the deadline join the next
            // round, weighted by 1 / (1 + staleness); last round's late ones join now.
            const late = new Set(net.clients.filter((t) => t.late).map((t) => t.client));
            const arrived = pending.map((p) => ({ ...p, numExamples: p.numExamples / 2 }));
            pending = results.filter((r) => late.has(r.clientId));
            results = [...results.filter((r) => !late.has(r.clientId)), ...arrived];
          }
          if (clock && secure) secure.syncTo(clock.seconds);
          return results;
        },
        onSampled: (fitIns, unreachable) => {
          show(0, fitIns.length);
          for (const id of unreachable) o.monitor?.client?.(round, id, 'dropped', 'no link to the server (network)');
          for (const ins of fitIns) o.monitor?.client?.(round, ins.clientId, 'training');
        },
        onProgress: show,
        onOutcome: (x) => o.monitor?.client?.(round, x.clientId, x.reason === undefined ? 'done' : 'failed', x.reason),
        log: (line) => o.progress?.log(line),
      });
      const { fitIns, results } = fitted;
      const failures = [...fitted.failures];
      const secureStats = fitted.secure;
      // Waiting for key lengthens the round in simulated time.
      if (clock && net && secureStats) {
        clock.seconds += secureStats.keyWaitSeconds;
        net = { ...net, endS: clock.seconds, keyWaitS: secureStats.keyWaitSeconds };
      }
      const agg = fitted.aggregated;
      if (agg) params = agg.params;
      const tAgg = performance.now();

      let clientEval: RoundEvent['evaluate'];
      const evalIns = strategy.configureEvaluate(round, params, clientIds, rng);
      let evalBytes = 0;
      if (evalIns.length > 0) {
        const outcomes = await executor.evaluate(evalIns, { timeoutMs });
        const ok = outcomes.filter((x): x is EvaluateRes => !isFailure(x));
        const e = strategy.aggregateEvaluate(round, ok);
        evalBytes = evalIns.reduce((s, i) => s + i.params.byteLength, 0);
        if (e) clientEval = { loss: e.loss, accuracy: e.metrics['accuracy'] ?? NaN, clients: ok.length };
      }
      const c = strategy.evaluate?.(round, params);
      const centralEval = c ? { loss: c.loss, accuracy: c.metrics['accuracy'] ?? NaN } : undefined;
      const r = config.evaluation.robust;
      const robust = c && r && (round % r.every === 0 || round === config.federation.rounds) ? robustEval(config, app, model, params, round) : undefined;
      const defenseReport = defense.report(round, fitIns.length, results.map((r) => r.clientId));
      const backdoor = c ? backdoorEval(config, app, model, params) : undefined;
      if (centralEval) last = centralEval;
      else if (clientEval) last = { loss: clientEval.loss, accuracy: clientEval.accuracy };
      const tEnd = performance.now();

      const roundSeconds = (tEnd - t0) / 1000;
      elapsed += roundSeconds;
      const event: RoundEvent = {
        type: 'round',
        time: now(),
        round,
        seconds: { total: roundSeconds, fit: (tFit - t0) / 1000, aggregate: (tAgg - tFit) / 1000, evaluate: (tEnd - tAgg) / 1000 },
        fit: {
          sampled: fitIns.length,
          completed: results.length,
          failures,
          trainLoss: weighted(results, 'loss'),
          trainAccuracy: weighted(results, 'accuracy'),
        },
        clients: results.map((r) => ({
          id: r.clientId,
          numExamples: r.numExamples,
          trainLoss: r.metrics['loss'] ?? NaN,
          trainAccuracy: r.metrics['accuracy'] ?? NaN,
          seconds: r.metrics['seconds'] ?? NaN,
        })),
        ...(clientEval ? { evaluate: clientEval } : {}),
        ...(centralEval ? { central: centralEval } : {}),
        ...(robust ? { robust } : {}),
        ...(net ? { network: net } : {}),
        ...(defenseReport.dp ? { dp: defenseReport.dp } : {}),
        ...(defenseReport.flagged ? { flagged: defenseReport.flagged } : {}),
        ...(backdoor ? { backdoor } : {}),
        ...(secureStats
          ? {
              secure: {
                bits: secureStats.bits,
                modulusBits: secureStats.modulusBits,
                degree: secureStats.degree,
                threshold: secureStats.threshold,
                attempts: secureStats.attempts,
                survivors: secureStats.survivors,
                dropped: secureStats.dropped,
                keyBits: secureStats.keyBits,
                keyWaitSeconds: secureStats.keyWaitSeconds,
                bytesUpPayload: secureStats.bytesUpPayload,
                clientMs: secureStats.clientMs,
                serverMs: secureStats.serverMs,
                bytesUpFloat32: secureStats.bytesUpFloat32,
                ...(secureStats.rejected.length > 0 ? { rejected: secureStats.rejected } : {}),
                ...(wiring?.dp(secureStats.survivors) ? { dp: wiring.dp(secureStats.survivors)! } : {}),
              },
            }
          : {}),
        bytes: {
          down: fitIns.reduce((s, i) => s + i.params.byteLength, 0) + evalBytes + (secureStats?.bytesDown ?? 0),
          up: secureStats ? secureStats.bytesUp : results.reduce((s, r) => s + r.update.byteLength, 0),
        },
        metrics: { ...(agg?.metrics ?? {}), ...defenseReport.metrics },
      };
      emit(event);
      writeCheckpoint(runDir, { version: 1, round, params, strategyState: { strategy: strategy.getState(), defense: defense.getState(), ...(secure ? { secure: secure.getState() } : {}), ...(clock ? { networkSeconds: clock.seconds, pending: pending.map((p) => ({ ...p, update: [...p.update] })) } : {}) }, rngState: rng.getState(), elapsedSeconds: elapsed });
      o.progress?.log(roundLine(config.name, event, config.federation.rounds));
    }
  } finally {
    if (!o.executor) await executor.close();
    o.progress?.done();
  }
  const done = round - 1;
  const end: EndEvent = { type: 'end', time: now(), rounds: done, seconds: elapsed, ...(last ? { final: last } : {}) };
  if (!stopped) emit(end);
  return { runDir, rounds: done, params, ...(last ? { final: last } : {}), stopped };
}

/**
 * A resumed run whose checkpoint is already past its last round: nothing is
 * run again. The end event is written only if the kill came before it.
 */
function finishedRun(runDir: string, eventsPath: string, checkpoint: { round: number; params: Float64Array; elapsedSeconds: number }, emit: (e: RunEvent) => void, o: RunOptions): RunResult {
  const log = existsSync(eventsPath) ? parseEvents(readFileSync(eventsPath, 'utf8')) : undefined;
  const lastRound = log?.rounds[log.rounds.length - 1];
  const fromRound = lastRound?.central ?? (lastRound?.evaluate ? { loss: lastRound.evaluate.loss, accuracy: lastRound.evaluate.accuracy } : undefined);
  const final = log?.end?.final ?? fromRound;
  if (log?.end === undefined) emit({ type: 'end', time: now(), rounds: checkpoint.round, seconds: checkpoint.elapsedSeconds, ...(final ? { final } : {}) });
  o.progress?.log(`${runDir}: already finished (${checkpoint.round} rounds); nothing to resume`);
  o.progress?.done();
  return { runDir, rounds: checkpoint.round, params: checkpoint.params, ...(final ? { final } : {}), stopped: false };
}

/**
 * Accuracy of the global model under each configured attack and radius, on
 * the first `limit` central test samples (a seeded stream per round).
 */
function robustEval(config: RunConfig, app: ExperimentApp, model: Sequential, params: Float64Array, round: number): RobustResult[] {
  const r = config.evaluation.robust!;
  model.setParams(params);
  const test = take(app.centralTest(), Math.min(r.limit, app.centralTest().n));
  return r.attacks.map((attack, k) => ({
    attack,
    points: robustAccuracy(model, test, { ...attackMethod(app.attackSpace, app.range, { attack, norm: r.norm, steps: r.steps }), epsilons: r.epsilons }, new Rng(deriveSeed(config.seed, 13, round, k))),
  }));
}

/** Backdoor success on the central test set when some client plants a backdoor. */
function backdoorEval(config: RunConfig, app: ExperimentApp, model: Sequential, params: Float64Array): RoundEvent['backdoor'] {
  const spec = config.attacks.find((a) => a.kind === 'backdoor');
  if (!spec || spec.kind !== 'backdoor') return undefined;
  model.setParams(params);
  const test = app.centralTest();
  const r = backdoorSuccessRate((x, b) => model.forward(x, b), test, (spec.trigger ?? {}) as Trigger, spec.target);
  return { target: spec.target, successRate: r.rate, cleanRate: r.cleanRate };
}

function eta(elapsed: number, roundsDone: number): { secondsPerRound?: number } {
  return roundsDone > 0 ? { secondsPerRound: elapsed / roundsDone } : {};
}

function roundLine(name: string, e: RoundEvent, rounds: number): string {
  const parts = [`${name}: round ${e.round}/${rounds}`, `clients ${e.fit.completed}/${e.fit.sampled}`, `train loss ${e.fit.trainLoss.toFixed(4)}`];
  if (e.central) parts.push(`test acc ${(100 * e.central.accuracy).toFixed(2)} %`);
  if (e.evaluate) parts.push(`client-eval acc ${(100 * e.evaluate.accuracy).toFixed(2)} %`);
  parts.push(`${e.seconds.total.toFixed(1)} s`);
  return parts.join('  ');
}
