import { l2Norm } from '../util/vectors.js';
import assert from 'node:assert/strict';
import test from 'node:test';
import { loadClientApp } from './client-app.js';
import { fit } from './client.js';
import { createExecutor, InProcessExecutor, isFailure, PoolExecutor, type Executor } from './executor.js';
import type { EvaluateIns, Failure, FitConfig, FitIns, FitRes } from '../updates/messages.js';
import { createPipeline } from '../updates/pipeline.js';
import { createClientApp, testingAppRef, type TestingAppConfig } from './testing-app.js';

const config: FitConfig = { epochs: 2, batchSize: 4, lr: 0.05, proximalMu: 0, optimizer: 'adam', seed: 5 };

function fitTasks(appConfig: TestingAppConfig, clientIds: readonly number[]): FitIns[] {
  const params = createClientApp(appConfig).model().getParams();
  return clientIds.map((clientId) => ({ round: 1, clientId, params, config: { ...config, seed: 100 + clientId } }));
}

/** Runs `body` with an executor and always closes it, so that node can exit. */
async function using<T>(ex: Executor, body: (ex: Executor) => Promise<T>): Promise<T> {
  try {
    return await body(ex);
  } finally {
    await ex.close();
  }
}

const updates = (outcomes: readonly (FitRes | Failure)[]) =>
  outcomes.map((o) => {
    assert.ok(!isFailure(o), `unexpected failure: ${JSON.stringify(o)}`);
    return o.update;
  });

test('in-process and pool executors return the same updates, bit for bit, in task order', async () => {
  const app = { clients: 4 };
  const tasks = fitTasks(app, [3, 0, 2, 1]);
  const pipeline = [{ type: 'clip', max_norm: 0.5 }];
  const direct = await loadClientApp(testingAppRef(app)).then((a) => tasks.map((t) => fit(a, t, createPipeline(pipeline)).update));
  const progress: string[] = [];
  const onProgress = (done: number, total: number) => progress.push(`${done}/${total}`);
  const inProcess = await using(new InProcessExecutor(testingAppRef(app), { pipeline }), (ex) => ex.fit(tasks, { onProgress }));
  const pooled = await using(new PoolExecutor(testingAppRef(app), { threads: 2, pipeline }), (ex) => ex.fit(tasks, { onProgress }));
  assert.deepEqual(progress, ['1/4', '2/4', '3/4', '4/4', '1/4', '2/4', '3/4', '4/4']);
  assert.deepEqual(
    pooled.map((o) => o.clientId),
    [3, 0, 2, 1],
  );
  assert.deepEqual(updates(inProcess), direct);
  assert.deepEqual(updates(pooled), direct);
  for (const u of direct) assert.ok(l2Norm(u) <= 0.5 + 1e-12);
  assert.notDeepEqual(direct[0], direct[1]);
  assert.equal((inProcess[0] as FitRes).metrics['loss'], (pooled[0] as FitRes).metrics['loss']);
});

test('evaluate gives the same results in-process and in the pool', async () => {
  const app = { clients: 3 };
  const params = createClientApp(app).model().getParams();
  const tasks: EvaluateIns[] = [0, 1, 2].map((clientId) => ({ round: 2, clientId, params }));
  const a = await using(new InProcessExecutor(testingAppRef(app)), (ex) => ex.evaluate(tasks));
  const b = await using(new PoolExecutor(testingAppRef(app), { threads: 2 }), (ex) => ex.evaluate(tasks));
  assert.deepEqual(a, b);
  assert.equal(a.length, 3);
  assert.ok(a.every((r) => !isFailure(r) && r.numExamples === 8 && Number.isFinite(r.loss)));
});

test('a client that throws or diverges becomes a Failure and the others complete', async () => {
  const app = { clients: 4, throwClients: [1], nanClients: [2] };
  const tasks = fitTasks(app, [0, 1, 2, 3]);
  for (const ex of [new InProcessExecutor(testingAppRef(app)), new PoolExecutor(testingAppRef(app), { threads: 2 })]) {
    const out = await using(ex, (e) => e.fit(tasks));
    assert.deepEqual(out[1], { clientId: 1, reason: 'testing-app: client 1 is configured to throw' }, ex.kind);
    assert.ok(isFailure(out[2]!) && /^client 2: training diverged in round 1: update\[\d+\] is NaN/.test(out[2].reason), ex.kind);
    assert.ok(!isFailure(out[0]!) && !isFailure(out[3]!), ex.kind);
  }
});

test('a pool task past its timeout is aborted as a Failure; the others complete and the pool keeps working', async () => {
  const app = { clients: 4, slowClients: [1], slowMs: 20_000 };
  const tasks = fitTasks(app, [0, 1, 2, 3]);
  const t0 = performance.now();
  await using(new PoolExecutor(testingAppRef(app), { threads: 2 }), async (ex) => {
    const out = await ex.fit(tasks, { timeoutMs: 300 });
    assert.deepEqual(out[1], { clientId: 1, reason: 'timeout after 300 ms' });
    assert.deepEqual(
      out.filter((o) => !isFailure(o)).map((o) => o.clientId),
      [0, 2, 3],
    );
    const again = await ex.fit([tasks[0]!, tasks[2]!], { timeoutMs: 300 });
    assert.deepEqual(updates(again), [(out[0] as FitRes).update, (out[2] as FitRes).update]);
  });
  assert.ok(performance.now() - t0 < 5000, 'the straggler was killed, not waited for');
});

test('a pool task is timed from when it starts, not from when it was queued', async () => {
  const app = { clients: 3, slowClients: [0, 1, 2], slowMs: 200 };
  const out = await using(new PoolExecutor(testingAppRef(app), { threads: 1 }), (ex) =>
    ex.fit(fitTasks(app, [0, 1, 2]), { timeoutMs: 450 }),
  );
  // The last task waits ~400 ms in the queue, then runs ~200 ms: within its own 450 ms.
  assert.equal(updates(out).length, 3);
});

test('in-process, a timeout is checked after the task returns', async () => {
  const app = { clients: 3, slowClients: [2], slowMs: 150 };
  const out = await using(new InProcessExecutor(testingAppRef(app)), (ex) => ex.fit(fitTasks(app, [0, 2, 1]), { timeoutMs: 60 }));
  assert.deepEqual(out[1], { clientId: 2, reason: 'timeout after 60 ms' });
  assert.ok(!isFailure(out[0]!) && !isFailure(out[2]!));
});

test('an app that cannot be loaded fails every task with the reason; a closed executor refuses work', async () => {
  const ref = { module: new URL('./no-such-app.js', import.meta.url).href, config: {} };
  const tasks = fitTasks({ clients: 2 }, [0, 1]);
  for (const ex of [new InProcessExecutor(ref), new PoolExecutor(ref, { threads: 1 })]) {
    const out = await ex.fit(tasks);
    assert.equal(out.length, 2);
    assert.ok(out.every((o) => isFailure(o) && /^cannot load the client app: .*no-such-app/.test(o.reason)), JSON.stringify(out));
    await ex.close();
    await ex.close();
    await assert.rejects(() => ex.fit(tasks), { message: 'executor: is closed' });
  }
});

test('options are validated: pipeline, threads, timeout, workers', async () => {
  const ref = testingAppRef();
  assert.throws(() => new PoolExecutor(ref, { threads: 0 }), { message: 'threads: must be an integer >= 1, got 0' });
  assert.throws(() => new InProcessExecutor(ref, { pipeline: [{ type: 'clip', max_norm: -1 }] }), {
    message: 'pipeline[0].max_norm: must be > 0, got -1',
  });
  assert.throws(() => createExecutor(ref, { workers: -1 }), { message: "runtime.workers: must be 'auto' or an integer >= 0, got -1" });
  const ex = createExecutor(ref, { workers: 0 });
  assert.equal(ex.kind, 'in-process');
  await using(ex, async (e) => {
    await assert.rejects(() => e.fit([], { timeoutMs: -5 }), { message: 'timeoutMs: must be a number > 0 (or Infinity), got -5' });
    assert.deepEqual(await e.fit([], { timeoutMs: Infinity }), []);
  });
  const pool = createExecutor(ref, { workers: 1 });
  assert.equal(pool.kind, 'pool');
  await pool.close();
});
