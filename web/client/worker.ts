/**
 * The browser client's Web Worker: one node of the federation (the same
 * protocol loop and client runtime as `qfl client`, src/transport/node-loop.ts
 * and the simulation's fit/evaluate), speaking the Connect protocol to the
 * server that served this page. Training runs here so the page stays
 * responsive; progress goes to the page as messages (protocol.ts).
 */
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { FleetService } from '../../src/transport/gen/qfl/fleet/v1/fleet_pb.js';
import { runNodeLoop, sessionInterceptor } from '../../src/transport/node-loop.js';
import { partitionTaskRunner } from '../../src/transport/partition-runner.js';
import { importNodeKey } from '../../src/transport/web-node-key.js';
import type { AppConfig } from '../../src/experiments/client-app.js';
import { parseCsv } from './csv.js';
import type { FromWorker, ToWorker } from './protocol.js';

/** Classes of the run's data set: MNIST's chosen digits (or all 10); two for the quantum data sets. */
const classesOf = (c: AppConfig): number => (c.data.name === 'mnist' ? (c.data.classes?.length ?? 10) : 2);

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  if (m.type !== 'join') return;
  const session = { token: '' };
  const client = createClient(FleetService, createConnectTransport({ baseUrl: m.baseUrl, interceptors: [sessionInterceptor(session)] }));
  try {
    // With a key the tab signs the server's challenge like `qfl client --key`; without, only insecure servers admit it.
    const identity = m.keyPem === undefined ? { name: m.name, publicKey: '' } : await importNodeKey(m.name, m.keyPem);
    const summary = await runNodeLoop({
      client,
      session,
      identity,
      clientIds: m.clientIds,
      kind: 'browser',
      prepare: async (info) => {
        post({ type: 'run', name: info.name, rounds: info.rounds, clients: info.numClients, parameters: info.numParameters });
        if (m.csv === undefined) return partitionTaskRunner(info, m.clientIds, (id) => client.getPartition({ clientId: id }));
        const upload = parseCsv(m.csv, classesOf(JSON.parse(info.appConfigJson) as AppConfig));
        const runner = await partitionTaskRunner(info, m.clientIds, () => Promise.resolve(upload));
        return runner;
      },
      reconnectTimeoutS: 60,
      log: (line) => post({ type: 'log', line }),
      onTasks: (t) => post({ type: 'tasks', ...t, clientIds: [...t.clientIds] }),
    });
    post({ type: 'done', fit: summary.fit, evaluate: summary.evaluate });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};
