import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { evaluateResult, fitResult } from '../transport/codec.js';
import { PROTOCOL_VERSION } from '../transport/fleet.js';
import { sessionInterceptor } from '../transport/node-loop.js';
import { FleetService, type Result } from '../transport/gen/qfl/fleet/v1/fleet_pb.js';

/**
 * The load generator of `qfl bench server`, run in its own process:
 * `node server-load.js URL FIRST COUNT` starts COUNT simulated nodes (each
 * with its own HTTP/2 connection) hosting clients FIRST..FIRST+COUNT-1. A
 * node answers every instruction at once with a zero update (no training),
 * so that the benchmark measures the server and the protocol, not clients.
 */
async function simulatedNode(url: string, clientId: number): Promise<void> {
  const session = { token: '' };
  const client = createClient(FleetService, createGrpcTransport({ baseUrl: url, interceptors: [sessionInterceptor(session)], readMaxBytes: 1 << 30, writeMaxBytes: 1 << 30 }));
  const reg = await client.registerNode({ name: `sim${clientId}`, publicKey: '', clientIds: [clientId], protocolVersion: PROTOCOL_VERSION, kind: 'node' });
  session.token = reg.sessionToken;
  const zero = new Float64Array(reg.run!.numParameters);
  for (;;) {
    const r = await client.pullInstructions({ waitS: 30 }, { timeoutMs: 60_000 });
    if (r.runFinished) return;
    const results: Result[] = r.instructions.map((i) =>
      i.task.case === 'fit'
        ? fitResult(i.id, { round: i.round, clientId: i.clientId, update: zero, numExamples: 1, metrics: {} })
        : evaluateResult(i.id, { round: i.round, clientId: i.clientId, loss: 0, numExamples: 1, metrics: {} }),
    );
    if (results.length > 0) await client.pushResults({ results });
  }
}

const [url, first, count] = process.argv.slice(2);
const ids = Array.from({ length: Number(count) }, (_, k) => Number(first) + k);
Promise.all(ids.map((id) => simulatedNode(url!, id))).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
