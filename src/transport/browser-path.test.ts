import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { appConfigOf, runFederation } from '../experiments/runner.js';
import { createClientApp, appRef } from '../experiments/client-app.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { validate } from '../experiments/validate.js';
import { createExecutor } from '../fl/executor.js';
import { FleetService } from './gen/qfl/fleet/v1/fleet_pb.js';
import { runNodeLoop, sessionInterceptor, type FleetClient } from './node-loop.js';
import { partitionTaskRunner } from './partition-runner.js';
import { FleetServer } from './server.js';

/**
 * The browser client's path without a browser: the Connect protocol over
 * HTTP/1.1 (what fetch speaks) to the Fleet handler mounted on a plain HTTP
 * server, partitions fetched with GetPartition and tasks run in-thread,
 * beside a node on the gRPC path. The model must be the simulation's.
 */
const config = validate(RunConfigSchema, {
  name: 'mixed',
  seed: 11,
  data: { name: 'entanglement', qubits: 3, samples: 160 },
  model: { kind: 'qstate', layers: 2 },
  federation: { clients: 3, rounds: 2 },
  strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 3, fraction_evaluate: 1, min_evaluate_clients: 1 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0, client_timeout_s: 60 },
});

test('two browser-path nodes and one gRPC node give the simulation\'s model', async () => {
  const app = createClientApp(appConfigOf(config));
  const fleet = new FleetServer({
    host: '127.0.0.1',
    port: 0,
    heartbeatIntervalS: 1,
    silenceTimeoutS: 30,
    maxMessageBytes: 1 << 24,
    partitions: (id) => ({ ...app.partition(id), range: app.range }),
    run: { runId: 'mixed', name: 'mixed', appConfigJson: JSON.stringify(appConfigOf(config)), pipelineJson: '[]', numClients: 3, rounds: 2, numParameters: app.model().paramCount },
  });
  const grpcUrl = await fleet.listen();
  const http1 = createServer((req, res) => fleet.handler(req, res));
  await new Promise<void>((r) => http1.listen(0, '127.0.0.1', r));
  const http1Url = `http://127.0.0.1:${(http1.address() as AddressInfo).port}`;
  try {
    const browserLike = [0, 1].map((k) => {
      const session = { token: '' };
      const c: FleetClient = createClient(FleetService, createConnectTransport({ baseUrl: http1Url, httpVersion: '1.1', interceptors: [sessionInterceptor(session)] }));
      return runNodeLoop({
        client: c,
        session,
        identity: { name: `tab${k}`, publicKey: '' },
        clientIds: [k],
        kind: 'browser',
        prepare: (info) => partitionTaskRunner(info, [k], (id) => c.getPartition({ clientId: id })),
        reconnectTimeoutS: 10,
        log: () => undefined,
      });
    });
    const session = { token: '' };
    const grpcNode = runNodeLoop({
      client: createClient(FleetService, createGrpcTransport({ baseUrl: grpcUrl, interceptors: [sessionInterceptor(session)] })),
      session,
      identity: { name: 'node2', publicKey: '' },
      clientIds: [2],
      kind: 'node',
      prepare: async () => createExecutor(appRef(appConfigOf(config)), { workers: 0 }),
      reconnectTimeoutS: 10,
      log: () => undefined,
    });
    await fleet.fleet.waitForClients([0, 1, 2], 20);
    const served = await runFederation({ config, runDir: mkdtempSync(join(tmpdir(), 'qfl-mixed-')), executor: fleet.executor() });
    await fleet.finish();
    const summaries = await Promise.all([...browserLike, grpcNode]);
    assert.ok(summaries.every((s) => s.fit === 2 && s.evaluate === 2));
    const simulated = await runFederation({ config, runDir: mkdtempSync(join(tmpdir(), 'qfl-mixed-sim-')) });
    assert.deepEqual([...served.params], [...simulated.params]);
  } finally {
    await fleet.close();
    http1.closeAllConnections();
    await new Promise((r) => http1.close(r));
  }
});
