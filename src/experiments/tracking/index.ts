import { basename, join } from 'node:path';
import type { RunEvent, RunMonitor } from '../events.js';
import type { RunConfig } from '../run-schema.js';
import { fail } from '../../util/errors.js';
import { flattenParams, MlflowClient, toMetrics } from './mlflow.js';
import { roundScalars } from './scalars.js';
import { TensorBoardWriter } from './tensorboard.js';

/**
 * Experiment tracking as a run monitor: it sees every event the runner
 * writes to events.jsonl and forwards the round scalars to TensorBoard
 * event files and to MLflow. The round loop knows nothing of it.
 */
export interface Tracker extends RunMonitor {
  /** Where the TensorBoard events go, if anywhere. */
  readonly tensorboardFile?: string;
  readonly mlflowRunId?: string;
  /** Waits for pending MLflow calls; marks the MLflow run killed if the run did not end. Rejects with the first logging error. */
  close(): Promise<void>;
}

/** --tensorboard DIR sets tracking.tensorboard (so config.yaml records it). */
export function withTensorBoard(config: RunConfig, dir: string): RunConfig {
  if (dir.trim() === '') fail('--tensorboard', 'needs a directory');
  return { ...config, tracking: { ...config.tracking, tensorboard: dir } };
}

/** Several monitors as one (the dashboard and the trackers). */
export function teeMonitor(...monitors: readonly (RunMonitor | undefined)[]): RunMonitor {
  const ms = monitors.filter((m): m is RunMonitor => m !== undefined);
  return {
    event: (e) => ms.forEach((m) => m.event?.(e)),
    client: (round, id, status, reason) => ms.forEach((m) => m.client?.(round, id, status, reason)),
  };
}

/**
 * Opens the trackers `config.tracking` names. The MLflow run is created (and
 * the params logged) before the first round, so a wrong server address
 * stops the run before any work rather than after it.
 */
export async function openTracking(config: RunConfig, runDir: string, log: (line: string) => void = () => {}): Promise<Tracker | undefined> {
  const t = config.tracking;
  if (!t || (t.tensorboard === undefined && t.mlflow === undefined)) return undefined;
  const tb = t.tensorboard !== undefined ? new TensorBoardWriter(join(t.tensorboard, basename(runDir))) : undefined;
  let mlflow: { client: MlflowClient; runId: string } | undefined;
  if (t.mlflow) {
    const client = new MlflowClient(t.mlflow.tracking_uri);
    const experimentId = await client.experimentId(t.mlflow.experiment_name);
    const runId = await client.createRun({
      experimentId,
      runName: t.mlflow.run_name ?? basename(runDir),
      startTime: Date.now(),
      tags: [
        { key: 'mlflow.source.name', value: 'qfl' },
        { key: 'qfl.run_dir', value: runDir },
      ],
    });
    await client.logBatch(runId, { params: flattenParams(config) });
    mlflow = { client, runId };
    log(`mlflow: run ${runId} in experiment '${t.mlflow.experiment_name}' at ${t.mlflow.tracking_uri}`);
  }
  if (tb) log(`tensorboard: ${tb.path}`);

  // MLflow calls go one after another so that metrics arrive in round order.
  let chain: Promise<void> = Promise.resolve();
  let firstError: Error | undefined;
  let ended = false;
  const enqueue = (f: () => Promise<void>) => {
    chain = chain.then(f).catch((e: unknown) => {
      if (!firstError) {
        firstError = e instanceof Error ? e : new Error(String(e));
        log(`mlflow: ${firstError.message} (the run goes on; later metrics may be missing)`);
      }
    });
  };
  return {
    ...(tb ? { tensorboardFile: tb.path } : {}),
    ...(mlflow ? { mlflowRunId: mlflow.runId } : {}),
    event(e: RunEvent) {
      if (e.type === 'round') {
        const scalars = roundScalars(e);
        const time = Date.parse(e.time);
        tb?.scalars(e.round, scalars, time / 1000);
        if (mlflow) {
          const m = mlflow;
          enqueue(() => m.client.logBatch(m.runId, { metrics: toMetrics(scalars, e.round, time) }));
        }
      } else if (e.type === 'end') {
        ended = true;
        if (mlflow) {
          const m = mlflow;
          enqueue(() => m.client.finishRun(m.runId, 'FINISHED', Date.parse(e.time)));
        }
      }
    },
    async close() {
      if (mlflow && !ended) {
        const m = mlflow;
        enqueue(() => m.client.finishRun(m.runId, 'KILLED', Date.now()));
      }
      await chain;
      if (firstError) throw firstError;
    },
  };
}

export { TrackingSchema, type TrackingConfig } from './schema.js';
export { roundScalars, type Scalar } from './scalars.js';
export { TensorBoardWriter, encodeEvent } from './tensorboard.js';
export { tfRecord, maskedCrc32c } from './tfrecord.js';
export { MlflowClient, flattenParams, logBatches, LOG_BATCH_LIMITS } from './mlflow.js';
