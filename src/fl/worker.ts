import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { loadClientApp, type ClientAppRef } from './client-app.js';
import { evaluate, fit } from './client.js';
import type { EvaluateIns, EvaluateRes, FitIns, FitRes } from '../updates/messages.js';
import { createPipeline, type Pipeline, type PipelineSpec } from '../updates/pipeline.js';

/**
 * The worker-thread side of `PoolExecutor` (a piscina task function). Each
 * worker builds the client app once from `workerData.appRef` (a module URL
 * plus JSON config) and runs the same `fit` / `evaluate` as the in-process
 * executor. The update it returns is transferred, not copied.
 */

/** What every worker of a pool is started with (piscina's `workerData`). */
export interface WorkerInit {
  readonly appRef: ClientAppRef;
  readonly pipeline: PipelineSpec;
}

/**
 * A word of shared memory the worker sets to 1 (and notifies) once the app is
 * loaded and the client's own work begins: the pool starts a task's timeout
 * clock there, so neither queueing nor a worker's start-up counts against it.
 */
export interface StartSignal {
  readonly flags: Int32Array;
  readonly index: number;
}

export type WorkerTask =
  | { readonly op: 'fit'; readonly ins: FitIns; readonly started?: StartSignal }
  | { readonly op: 'evaluate'; readonly ins: EvaluateIns; readonly started?: StartSignal };

let pipeline: Pipeline | undefined;

export default async function runTask(task: WorkerTask): Promise<unknown> {
  const init = workerData as WorkerInit;
  const app = await loadClientApp(init.appRef).catch((e: unknown) => {
    throw new Error(`cannot load the client app: ${e instanceof Error ? e.message : String(e)}`);
  });
  pipeline ??= createPipeline(init.pipeline);
  if (task.started) {
    Atomics.store(task.started.flags, task.started.index, 1);
    Atomics.notify(task.started.flags, task.started.index);
  }
  switch (task.op) {
    case 'fit':
      return transferring(fit(app, task.ins, pipeline));
    case 'evaluate':
      return evaluate(app, task.ins) satisfies EvaluateRes;
  }
}

/** Marks the update's buffer for transfer (piscina's Transferable) when it is a plain, whole buffer. */
function transferring(res: FitRes): unknown {
  const u = res.update;
  if (!(u.buffer instanceof ArrayBuffer) || u.byteOffset !== 0 || u.byteLength !== u.buffer.byteLength) return res;
  return move({
    get [transferableSymbol]() {
      return [u.buffer];
    },
    get [valueSymbol]() {
      return res;
    },
  });
}
