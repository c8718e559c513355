import { availableParallelism } from 'node:os';
import { fit } from '../fl/client.js';
import { createPipeline } from '../fl/pipeline.js';
import { evaluate } from '../models/train.js';
import { deriveSeed, Rng } from '../util/random.js';
import { createClientApp } from './client-app.js';
import type { RunConfig } from './run-schema.js';
import { appConfigOf, configYaml } from './runner.js';

/**
 * `qfl run --dry-run`: the resolved config and what a round will cost,
 * measured, not guessed: the data and model are built as the run builds
 * them, one client trains one real local round, and the central test set is
 * evaluated once. Nothing is written.
 */
export interface DryRunEstimate {
  readonly parameters: number;
  readonly clients: number;
  readonly clientsPerRound: number;
  /** Worker threads the run would use (1: in-process). */
  readonly parallel: number;
  /** Resident memory after loading the data and building the model, bytes. */
  readonly rssBytes: number;
  /** Updates of one round held at once by the server: clients per round × parameters × 8 B. */
  readonly updateBytes: number;
  /** The measured client: its id, samples and local-training seconds. */
  readonly probe: { readonly clientId: number; readonly samples: number; readonly seconds: number };
  /** Estimated local-training seconds per round: clients per round × mean samples × seconds per sample / parallel. */
  readonly fitSecondsPerRound: number;
  /** Measured central evaluation seconds (0 when off). */
  readonly evaluateSeconds: number;
  readonly secondsPerRound: number;
  readonly rounds: number;
}

/** Clients a round samples: max(min_fit_clients, floor(fraction_fit × clients)), as the strategies do. */
export function clientsPerRound(c: RunConfig): number {
  return Math.min(c.federation.clients, Math.max(c.strategy.min_fit_clients, Math.floor(c.strategy.fraction_fit * c.federation.clients)));
}

export function estimateRun(config: RunConfig): DryRunEstimate {
  const app = createClientApp(appConfigOf(config));
  const model = app.model();
  model.init(new Rng(deriveSeed(config.seed, 0)));
  const params = model.getParams();
  const sizes = app.partitionSizes();
  // The largest partition, so the estimate errs long rather than short.
  let probeId = 0;
  sizes.forEach((n, i) => {
    if (n > sizes[probeId]!) probeId = i;
  });
  const pipeline = createPipeline(config.pipeline, {}, 'pipeline');
  const t0 = performance.now();
  const res = fit(app, {
    round: 1,
    clientId: probeId,
    params,
    config: {
      epochs: config.local.epochs,
      batchSize: config.local.batch_size,
      lr: config.local.lr,
      proximalMu: config.strategy.mu ?? 0,
      optimizer: config.local.optimizer,
      seed: deriveSeed(config.seed, 1, 1, probeId),
    },
  }, pipeline);
  const probeSeconds = (performance.now() - t0) / 1000;
  let evaluateSeconds = 0;
  if (config.evaluation.central) {
    const t1 = performance.now();
    model.setParams(params);
    evaluate(model, app.centralTest());
    evaluateSeconds = (performance.now() - t1) / 1000;
  }
  const k = clientsPerRound(config);
  const workers = config.runtime.workers === 'auto' ? availableParallelism() : config.runtime.workers;
  const parallel = Math.max(1, Math.min(workers, k));
  const meanSamples = sizes.reduce((s, n) => s + n, 0) / Math.max(1, sizes.length);
  const perSample = probeSeconds / Math.max(1, res.numExamples);
  const fitSecondsPerRound = (k * meanSamples * perSample) / parallel;
  return {
    parameters: model.paramCount,
    clients: app.numClients,
    clientsPerRound: k,
    parallel,
    rssBytes: process.memoryUsage().rss,
    updateBytes: k * model.paramCount * 8,
    probe: { clientId: probeId, samples: res.numExamples, seconds: probeSeconds },
    fitSecondsPerRound,
    evaluateSeconds,
    secondsPerRound: fitSecondsPerRound + evaluateSeconds,
    rounds: config.federation.rounds,
  };
}

const mib = (b: number) => (b < 2 ** 20 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);

/** The dry run's printout: the resolved config (YAML), then the estimate as comments. */
export function dryRunText(config: RunConfig, e: DryRunEstimate): string {
  const lines = [
    `# estimate (measured on this machine: one real local round of client ${e.probe.clientId}, ${e.probe.samples} samples, ${e.probe.seconds.toFixed(2)} s)`,
    `#   model: ${e.parameters} parameters; ${e.clients} clients, ${e.clientsPerRound} per round, ${e.parallel} in parallel`,
    `#   memory: ${mib(e.rssBytes)} resident with data and model loaded, + ${mib(e.updateBytes)} of updates per round (+ per worker: its own copy of the data)`,
    `#   time per round: ~${e.secondsPerRound.toFixed(2)} s (training ${e.fitSecondsPerRound.toFixed(2)} s, central evaluation ${e.evaluateSeconds.toFixed(2)} s)`,
    `#   ${e.rounds} rounds: ~${(e.rounds * e.secondsPerRound).toFixed(0)} s`,
  ];
  return `${configYaml(config)}${lines.join('\n')}\n`;
}
