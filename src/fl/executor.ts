import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { fail } from '../util/errors.js';
import { loadClientApp, type ClientApp, type ClientAppRef } from './client-app.js';
import { evaluate, fit } from './client.js';
import type { EvaluateIns, EvaluateRes, Failure, FitIns, FitRes } from '../updates/messages.js';
import { createPipeline, isFailure, type Pipeline, type PipelineSpec } from '../updates/pipeline.js';
import type { WorkerInit, WorkerTask } from './worker.js';

export { isFailure };

/**
 * Executors run a round's client tasks and hand back one outcome per task, in
 * task order: the result, or a `Failure { clientId, reason }` when the client
 * threw or ran past the timeout. They never reject for a single client's
 * fault. Both run the same `fit` / `evaluate` (client.ts), so the same
 * FitIns gives the same update, bit for bit, in either.
 *
 * - `InProcessExecutor`: one task after another on this thread. A running
 *   task cannot be interrupted, so its timeout is checked only after it
 *   returns: a task that took longer than `timeoutMs` becomes a timeout
 *   Failure (its result is dropped), but it still holds the thread until done.
 * - `PoolExecutor`: a piscina pool of worker threads (`worker.ts`). A task
 *   past its timeout is aborted, and piscina terminates that worker and starts
 *   a fresh one. The clock starts when the worker begins the client's work
 *   (after the app is loaded), not when the task is queued, so the outcome
 *   does not depend on the number of threads.
 *
 * Buffers: each distinct `params` vector of a batch is copied once into
 * shared memory that every worker reads (not once per task); updates come
 * back transferred, without a copy.
 *
 * @example
 * const ex = createExecutor(testingAppRef({ clients: 8 }), { workers: 'auto' });
 * try {
 *   const outcomes = await ex.fit(tasks, { timeoutMs: 60_000 });
 * } finally {
 *   await ex.close();
 * }
 */
export interface ExecOptions {
  /** Per-task limit in milliseconds; none when absent or Infinity. */
  readonly timeoutMs?: number;
  /** Called as each task settles (in completion order), for progress output. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called with each task's outcome as it settles (in completion order). */
  readonly onOutcome?: (outcome: { readonly clientId: number; readonly reason?: string }) => void;
}

export interface Executor {
  readonly kind: 'in-process' | 'pool' | 'remote';
  fit(tasks: readonly FitIns[], opts?: ExecOptions): Promise<(FitRes | Failure)[]>;
  evaluate(tasks: readonly EvaluateIns[], opts?: ExecOptions): Promise<(EvaluateRes | Failure)[]>;
  /** Releases the threads; idempotent. Later calls to fit / evaluate reject. */
  close(): Promise<void>;
}

export interface ExecutorOptions {
  /** The update pipeline applied on the client side of `fit` (validated here). */
  readonly pipeline?: PipelineSpec;
}

export interface PoolExecutorOptions extends ExecutorOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  readonly threads?: number;
}

export const timeoutReason = (ms: number): string => `timeout after ${ms} ms`;

function failure(clientId: number, e: unknown): Failure {
  return { clientId, reason: e instanceof Error ? e.message : String(e) };
}

function checkTimeout(opts: ExecOptions): number | undefined {
  const t = opts.timeoutMs;
  if (t === undefined || t === Infinity) return undefined;
  if (!(typeof t === 'number' && t > 0 && Number.isFinite(t))) fail('timeoutMs', `must be a number > 0 (or Infinity), got ${t}`);
  return t;
}

function isRef(app: ClientApp | ClientAppRef): app is ClientAppRef {
  return typeof (app as ClientAppRef).module === 'string';
}

/** Runs the tasks one after another on this thread. Accepts a ref or an app built in code. */
export class InProcessExecutor implements Executor {
  readonly kind = 'in-process';
  private readonly app: Promise<ClientApp>;
  private readonly pipeline: Pipeline;
  private closed = false;

  constructor(app: ClientApp | ClientAppRef, options: ExecutorOptions = {}) {
    this.pipeline = createPipeline(options.pipeline ?? []);
    this.app = isRef(app) ? loadClientApp(app) : Promise.resolve(app);
    this.app.catch(() => undefined); // reported per task
  }

  fit(tasks: readonly FitIns[], opts: ExecOptions = {}): Promise<(FitRes | Failure)[]> {
    return this.runAll(tasks, opts, (app, ins) => fit(app, ins, this.pipeline));
  }

  evaluate(tasks: readonly EvaluateIns[], opts: ExecOptions = {}): Promise<(EvaluateRes | Failure)[]> {
    return this.runAll(tasks, opts, evaluate);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async runAll<I extends { readonly clientId: number }, R>(
    tasks: readonly I[],
    opts: ExecOptions,
    run: (app: ClientApp, ins: I) => R,
  ): Promise<(R | Failure)[]> {
    if (this.closed) fail('executor', 'is closed');
    const timeout = checkTimeout(opts);
    let app: ClientApp;
    try {
      app = await this.app;
    } catch (e) {
      const f = failure(-1, e);
      return tasks.map((t) => ({ clientId: t.clientId, reason: `cannot load the client app: ${f.reason}` }));
    }
    const out: (R | Failure)[] = [];
    for (const ins of tasks) {
      const t0 = performance.now();
      try {
        const r = run(app, ins);
        const ms = performance.now() - t0;
        out.push(timeout !== undefined && ms > timeout ? { clientId: ins.clientId, reason: timeoutReason(timeout) } : r);
      } catch (e) {
        out.push(failure(ins.clientId, e));
      }
      opts.onOutcome?.(out[out.length - 1] as { clientId: number });
      opts.onProgress?.(out.length, tasks.length);
      await new Promise((resolve) => setImmediate(resolve)); // let timers and progress output run between clients
    }
    return out;
  }
}

/** `Atomics.waitAsync` (ES2024; Node >= 16), typed here because the project's lib is ES2022. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync?: (a: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/** Resolves once `flags[index]` leaves 0 (at once where waitAsync is missing: the clock then starts at submission). */
function whenStarted(flags: Int32Array, index: number): Promise<unknown> {
  if (!waitAsync) return Promise.resolve();
  const r = waitAsync(flags, index, 0);
  return r.async ? (r.value as Promise<string>) : Promise.resolve();
}

/** The worker module next to this one (dist/fl/worker.js once compiled). */
export const WORKER_URL = new URL('./worker.js', import.meta.url).href;

/** Runs the tasks on a piscina pool of worker threads. */
export class PoolExecutor implements Executor {
  readonly kind = 'pool';
  readonly threads: number;
  private readonly pool: Piscina<WorkerTask, unknown>;
  private closed: Promise<void> | undefined;

  constructor(appRef: ClientAppRef, options: PoolExecutorOptions = {}) {
    const pipeline = createPipeline(options.pipeline ?? []);
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) fail('threads', `must be an integer >= 1, got ${threads}`);
    if (!isRef(appRef)) fail('appRef', 'a pool needs { module, config } so that each worker can build the app');
    this.threads = threads;
    const init: WorkerInit = { appRef: { module: appRef.module, config: appRef.config }, pipeline: pipeline.spec };
    this.pool = new Piscina<WorkerTask, unknown>({
      filename: WORKER_URL,
      minThreads: threads,
      maxThreads: threads,
      workerData: init,
    });
    // An error outside any task (a worker dying while idle) must not crash the process; tasks report their own.
    this.pool.on('error', () => undefined);
  }

  async fit(tasks: readonly FitIns[], opts: ExecOptions = {}): Promise<(FitRes | Failure)[]> {
    const share = sharer();
    return this.runAll(
      tasks.map((ins) => ({ op: 'fit', ins: { ...ins, params: share(ins.params) } }) as const),
      opts,
    ) as Promise<(FitRes | Failure)[]>;
  }

  async evaluate(tasks: readonly EvaluateIns[], opts: ExecOptions = {}): Promise<(EvaluateRes | Failure)[]> {
    const share = sharer();
    return this.runAll(
      tasks.map((ins) => ({ op: 'evaluate', ins: { ...ins, params: share(ins.params) } }) as const),
      opts,
    ) as Promise<(EvaluateRes | Failure)[]>;
  }

  close(): Promise<void> {
    this.closed ??= this.pool.destroy();
    return this.closed;
  }

  private runAll(tasks: readonly WorkerTask[], opts: ExecOptions): Promise<unknown[]> {
    if (this.closed) fail('executor', 'is closed');
    const timeout = checkTimeout(opts);
    let done = 0;
    return Promise.all(
      tasks.map((t) =>
        this.runOne(t, timeout).then((r) => {
          opts.onOutcome?.(r as { clientId: number });
          opts.onProgress?.(++done, tasks.length);
          return r;
        }),
      ),
    );
  }

  private async runOne(task: WorkerTask, timeout: number | undefined): Promise<unknown> {
    const clientId = task.ins.clientId;
    if (timeout === undefined) {
      try {
        return await this.pool.run(task);
      } catch (e) {
        return failure(clientId, e);
      }
    }
    const abort = new AbortController();
    const flags = new Int32Array(new SharedArrayBuffer(4));
    let done = false;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    void whenStarted(flags, 0).then(() => {
      if (done) return;
      timer = setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, timeout);
    });
    try {
      return await this.pool.run({ ...task, started: { flags, index: 0 } }, { signal: abort.signal });
    } catch (e) {
      return timedOut ? { clientId, reason: timeoutReason(timeout) } : failure(clientId, e);
    } finally {
      done = true;
      clearTimeout(timer);
      // Release the waiter if the worker never got to start the task.
      Atomics.store(flags, 0, 2);
      Atomics.notify(flags, 0);
    }
  }
}

/**
 * Copies each distinct parameter vector once into shared memory (all the
 * tasks of a round usually carry the same global model): workers read it
 * without a per-task copy. Workers never write to it.
 */
function sharer(): (p: Float64Array) => Float64Array {
  const copies = new Map<Float64Array, Float64Array>();
  return (p) => {
    if (!(p instanceof Float64Array) || p.buffer instanceof SharedArrayBuffer) return p;
    let s = copies.get(p);
    if (!s) {
      s = new Float64Array(new SharedArrayBuffer(p.byteLength));
      s.set(p);
      copies.set(p, s);
    }
    return s;
  };
}

/**
 * The executor a runtime config asks for: `workers: 0` runs clients in this
 * thread, a count or `'auto'` (every core) a pool of that many threads.
 */
export function createExecutor(
  appRef: ClientAppRef,
  options: ExecutorOptions & { readonly workers?: number | 'auto' } = {},
): Executor {
  const { workers = 'auto', pipeline } = options;
  const p = pipeline === undefined ? {} : { pipeline };
  if (workers === 0) return new InProcessExecutor(appRef, p);
  if (workers !== 'auto' && !(Number.isInteger(workers) && workers > 0)) {
    fail('runtime.workers', `must be 'auto' or an integer >= 0, got ${String(workers)}`);
  }
  return new PoolExecutor(appRef, workers === 'auto' ? p : { ...p, threads: workers });
}
