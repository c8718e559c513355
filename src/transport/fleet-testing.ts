import assert from 'node:assert/strict';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { FitIns, FitRes } from '../fl/messages.js';
import { challengeMessage, type NodeKey } from './auth.js';
import { PROTOCOL_VERSION } from './fleet.js';
import { FleetService } from './gen/qfl/fleet/v1/fleet_pb.js';
import { sessionInterceptor } from './node-loop.js';
import { FleetServer, type FleetServerOptions } from './server.js';

/** Test helpers for the Fleet server's rules over real RPCs on 127.0.0.1 (no child processes). */
export const PARAMS = 4;
export const unitRun = { runId: 'r', name: 'unit', appConfigJson: '{}', pipelineJson: '[]', numClients: 3, rounds: 1, numParameters: PARAMS };

export async function startFleet(extra: Partial<Omit<FleetServerOptions, 'host' | 'port' | 'log'>> = {}) {
  const logs: string[] = [];
  const server = new FleetServer({
    host: '127.0.0.1',
    port: 0,
    run: unitRun,
    heartbeatIntervalS: 0.1,
    silenceTimeoutS: 30,
    maxMessageBytes: 1 << 20,
    log: (l) => logs.push(l),
    ...extra,
  });
  const url = await server.listen();
  return { server, url, logs };
}

/** A bare node: the generated client with a session, and registration (signed when given a key). */
export function nodeRpc(url: string) {
  const session = { token: '' };
  const client = createClient(FleetService, createGrpcTransport({ baseUrl: url, interceptors: [sessionInterceptor(session)] }));
  return {
    client,
    async join(clientIds: number[], name = 'n', key?: NodeKey) {
      let challenge: Uint8Array = new Uint8Array(0);
      let signature: Uint8Array = new Uint8Array(0);
      if (key) {
        ({ challenge } = await client.getChallenge({ name, publicKey: key.publicKey }));
        signature = key.sign(challengeMessage(challenge, name));
      }
      const r = await client.registerNode({ name, publicKey: key?.publicKey ?? '', challenge, signature, clientIds, protocolVersion: PROTOCOL_VERSION, kind: 'node' });
      session.token = r.sessionToken;
      return r;
    },
  };
}

/** The code a refused call gets; fails the test if the call succeeds. */
export async function refusedCode(p: Promise<unknown>): Promise<Code> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e).code;
  }
  return assert.fail('expected the call to be refused');
}

export const fitIns = (clientId: number, round = 1): FitIns => ({
  round,
  clientId,
  params: new Float64Array(PARAMS),
  config: { epochs: 1, batchSize: 4, lr: 0.1, proximalMu: 0, optimizer: 'sgd', seed: 1 },
});

export const fitRes = (clientId: number, update: Float64Array, extra: Partial<FitRes> = {}): FitRes => ({ round: 1, clientId, update, numExamples: 10, metrics: { loss: 1 }, ...extra });
