import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { runFederation } from '../runner.js';
import { RunConfigSchema } from '../run-schema.js';
import { validate } from '../validate.js';
import { openTracking } from './index.js';
import { flattenParams, LOG_BATCH_LIMITS, logBatches, type MlflowMetric } from './mlflow.js';

/*
 * A stand-in MLflow tracking server that checks each request against the
 * request structures of MLflow's REST API docs (/api/2.0/mlflow/...):
 * field names and types (int64 as a JSON number or string), required fields,
 * no unknown fields, and runs/log-batch's limits (1000 metrics, 100 params,
 * 100 tags, 1000 items in all, 1 MB of JSON). A request that fails is
 * answered 400 INVALID_PARAMETER_VALUE, as MLflow does, and recorded.
 */
const int64 = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]);
const KeyValue = z.object({ key: z.string().min(1).max(250), value: z.string() }).strict();
const Param = z.object({ key: z.string().min(1).max(250), value: z.string().max(500) }).strict();
const Metric = z.object({ key: z.string().min(1).max(250), value: z.number(), timestamp: int64, step: int64.optional() }).strict();
const SCHEMAS = {
  'experiments/create': z.object({ name: z.string().min(1), artifact_location: z.string().optional(), tags: z.array(KeyValue).optional() }).strict(),
  'runs/create': z.object({ experiment_id: z.string().min(1), user_id: z.string().optional(), run_name: z.string().optional(), start_time: int64.optional(), tags: z.array(KeyValue).optional() }).strict(),
  'runs/log-batch': z
    .object({ run_id: z.string().min(1), metrics: z.array(Metric).max(1000).optional(), params: z.array(Param).max(100).optional(), tags: z.array(KeyValue).max(100).optional() })
    .strict()
    .refine((b) => (b.metrics?.length ?? 0) + (b.params?.length ?? 0) + (b.tags?.length ?? 0) <= 1000, 'at most 1000 metrics, params and tags in total'),
  'runs/update': z.object({ run_id: z.string().min(1), status: z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']).optional(), end_time: int64.optional(), run_name: z.string().optional() }).strict(),
} as const;

interface Recorded {
  path: string;
  body: Record<string, unknown>;
}

async function fakeMlflow(): Promise<{ server: Server; url: string; requests: Recorded[]; errors: string[] }> {
  const requests: Recorded[] = [];
  const errors: string[] = [];
  const experiments = new Map<string, string>();
  let runs = 0;
  const read = (req: IncomingMessage) =>
    new Promise<string>((done) => {
      let s = '';
      req.on('data', (d: Buffer) => (s += d.toString()));
      req.on('end', () => done(s));
    });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/api\/2\.0\/mlflow\//, '');
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const bad = (msg: string) => {
      errors.push(`${path}: ${msg}`);
      send(400, { error_code: 'INVALID_PARAMETER_VALUE', message: msg });
    };
    const text = await read(req);
    if (path === 'experiments/get-by-name') {
      if (req.method !== 'GET') return bad('must be GET');
      const name = url.searchParams.get('experiment_name');
      if (!name) return bad('experiment_name is required');
      requests.push({ path, body: { experiment_name: name } });
      const id = experiments.get(name);
      return id ? send(200, { experiment: { experiment_id: id, name } }) : send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Could not find experiment with name '${name}'` });
    }
    const schema = SCHEMAS[path as keyof typeof SCHEMAS];
    if (!schema) return bad(`unknown endpoint ${req.method} ${url.pathname}`);
    if (req.method !== 'POST') return bad('must be POST');
    if (!String(req.headers['content-type']).startsWith('application/json')) return bad('content-type must be application/json');
    if (Buffer.byteLength(text) > 1024 * 1024) return bad('request larger than 1 MB');
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success) return bad(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const body = parsed.data as Record<string, unknown>;
    requests.push({ path, body });
    if (path === 'experiments/create') {
      const id = String(experiments.size + 1);
      experiments.set(body['name'] as string, id);
      return send(200, { experiment_id: id });
    }
    if (path === 'runs/create') return send(200, { run: { info: { run_id: `run${++runs}`, experiment_id: body['experiment_id'], status: 'RUNNING' }, data: {} } });
    return send(200, {});
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, errors };
}

describe('MLflow tracking', () => {
  test('logBatches keeps every request within log-batch limits and the items in order', () => {
    const metrics: MlflowMetric[] = Array.from({ length: 2500 }, (_, i) => ({ key: `m${i}`, value: i, timestamp: 0, step: 0 }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: String(i) }));
    const tags = Array.from({ length: 130 }, (_, i) => ({ key: `t${i}`, value: String(i) }));
    const batches = logBatches({ metrics, params, tags });
    for (const b of batches) {
      assert.ok(b.metrics.length <= LOG_BATCH_LIMITS.metrics && b.params.length <= LOG_BATCH_LIMITS.params && b.tags.length <= LOG_BATCH_LIMITS.tags);
      assert.ok(b.metrics.length + b.params.length + b.tags.length <= LOG_BATCH_LIMITS.total);
    }
    assert.deepEqual(batches.flatMap((b) => b.metrics), metrics);
    assert.deepEqual(batches.flatMap((b) => b.params), params);
    assert.deepEqual(batches.flatMap((b) => b.tags), tags);
  });

  test('flattenParams: dotted keys, plain lists as one JSON value, long values cut to 500', () => {
    assert.deepEqual(flattenParams({ a: { b: 1, c: [0, 1] }, p: [{ type: 'clip' }], s: 'x'.repeat(600), e: [] }), [
      { key: 'a.b', value: '1' },
      { key: 'a.c', value: '[0,1]' },
      { key: 'p.0.type', value: 'clip' },
      { key: 's', value: 'x'.repeat(497) + '...' },
      { key: 'e', value: '[]' },
    ]);
  });

  test('a run creates its experiment and run, logs the resolved config as params and each round as metrics, then finishes', async () => {
    const fake = await fakeMlflow();
    const dir = mkdtempSync(join(tmpdir(), 'qfl-mlflow-'));
    try {
      const config = validate(RunConfigSchema, {
        name: 'tiny', seed: 3,
        data: { name: 'magic', qubits: 3, samples: 80 },
        model: { kind: 'qstate', layers: 1 },
        federation: { clients: 3, rounds: 3 },
        local: { epochs: 1, batch_size: 8, lr: 0.05 },
        runtime: { workers: 0 },
        tracking: { mlflow: { tracking_uri: fake.url, experiment_name: 'qfl-test' } },
      });
      const runDir = join(dir, 'run');
      const tracker = await openTracking(config, runDir);
      assert.ok(tracker?.mlflowRunId);
      await runFederation({ config, runDir, monitor: tracker });
      await tracker.close();
      assert.deepEqual(fake.errors, []);
      const paths = fake.requests.map((r) => r.path);
      assert.deepEqual(paths.slice(0, 3), ['experiments/get-by-name', 'experiments/create', 'runs/create']);
      assert.equal(paths.at(-1), 'runs/update');
      assert.equal(fake.requests.at(-1)!.body['status'], 'FINISHED');
      const created = fake.requests[2]!.body;
      assert.equal(created['experiment_id'], '1');
      assert.equal(created['run_name'], 'run');
      const batches = fake.requests.filter((r) => r.path === 'runs/log-batch').map((r) => r.body as { run_id: string; params?: { key: string; value: string }[]; metrics?: MlflowMetric[] });
      assert.ok(batches.every((b) => b.run_id === tracker.mlflowRunId));
      const params = batches.flatMap((b) => b.params ?? []);
      assert.deepEqual(params, flattenParams(config));
      assert.ok(params.length > 30, `${params.length} params`);
      assert.ok(params.some((p) => p.key === 'federation.rounds' && p.value === '3'));
      const metrics = batches.flatMap((b) => b.metrics ?? []);
      for (const key of ['accuracy/central', 'loss/central', 'loss/train', 'bytes/up', 'bytes/down']) {
        assert.deepEqual(metrics.filter((m) => m.key === key).map((m) => m.step), [1, 2, 3], key);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await new Promise((done) => fake.server.close(done));
    }
  });

  test('an unreachable tracking server stops the run before its first round', async () => {
    const fake = await fakeMlflow();
    const url = fake.url;
    await new Promise((done) => fake.server.close(done));
    const config = validate(RunConfigSchema, {
      data: { name: 'magic', qubits: 3, samples: 40 },
      model: { kind: 'qstate', layers: 1 },
      federation: { clients: 2, rounds: 1 },
      local: { epochs: 1, batch_size: 8, lr: 0.05 },
      tracking: { mlflow: { tracking_uri: url } },
    });
    await assert.rejects(openTracking(config, 'unused'), /fetch failed|ECONNREFUSED/);
    assert.throws(() => validate(RunConfigSchema, { ...config, tracking: { mlflow: { tracking_uri: 'ftp://x' } } }), /tracking\.mlflow\.tracking_uri: must be an http\(s\) URL/);
  });
});
