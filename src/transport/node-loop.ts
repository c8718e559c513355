import { Code, ConnectError, type Client, type Interceptor } from '@connectrpc/connect';
import type { ExecOptions } from '../fl/executor.js';
import type { EvaluateIns, EvaluateRes, Failure, FitIns, FitRes } from '../updates/messages.js';
import { QflError } from '../util/errors.js';
import { decodeInstruction, evaluateResult, failureResult, fitResult, WireError } from './codec.js';
import type { FleetService, Instruction, Result, RunInfo } from './gen/qfl/fleet/v1/fleet_pb.js';
import { isFailure } from '../updates/pipeline.js';
import { challengeMessage, PROTOCOL_VERSION, ranges, SESSION_HEADER } from './protocol.js';

/**
 * What every node does, in Node (`qfl client`) or in a browser tab's Web
 * Worker: register the clients it hosts, then pull instructions, run them
 * with the client runtime and push the results, until the server says the
 * run is finished. Only the transport and the way tasks run differ, so they
 * come in from outside; this file has no Node-only imports.
 *
 * It keeps going through a server restart: a call that cannot reach the
 * server is retried with backoff for up to `reconnectTimeoutS`; a server that
 * no longer knows the session (restarted, or it dropped this node) gets a
 * fresh registration. Refusals (key not allowed, bad client ids) end the
 * node with the server's message.
 */
export type FleetClient = Client<typeof FleetService>;

/** Runs client tasks: an fl Executor, or the browser's in-worker runner. */
export interface TaskRunner {
  fit(tasks: readonly FitIns[], opts?: ExecOptions): Promise<(FitRes | Failure)[]>;
  evaluate(tasks: readonly EvaluateIns[], opts?: ExecOptions): Promise<(EvaluateRes | Failure)[]>;
  /** Runs a sub-circuit task (circuit cutting) and answers it; absent on nodes that simulate no sub-circuits. */
  cut?(instruction: Instruction): Promise<Result>;
  close(): Promise<void>;
}

export interface NodeIdentity {
  readonly name: string;
  /** Base64 raw Ed25519 public key; '' without a key (insecure servers). */
  readonly publicKey: string;
  sign?(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface NodeLoopOptions {
  readonly client: FleetClient;
  /** Where the session token goes; the transport's interceptor sends it as a header. */
  readonly session: { token: string };
  readonly identity: NodeIdentity;
  readonly clientIds: readonly number[];
  /** Qubits this node simulates for sub-circuit tasks (0 or absent: none). */
  readonly qubits?: number;
  readonly kind: 'node' | 'browser';
  /** Builds the task runner for a run (once per run, kept across re-registrations). */
  readonly prepare: (run: RunInfo) => Promise<TaskRunner>;
  readonly reconnectTimeoutS: number;
  readonly log: (line: string) => void;
  /** Each batch of tasks as it starts and ends (for progress displays). */
  readonly onTasks?: (e: { readonly round: number; readonly kind: 'fit' | 'evaluate'; readonly clientIds: readonly number[]; readonly done: boolean }) => void;
  readonly signal?: AbortSignal;
}

export interface NodeSummary {
  readonly fit: number;
  readonly evaluate: number;
  readonly registrations: number;
}

/** Sends the session token (once registered) with every call; give it to the transport. */
export function sessionInterceptor(session: { readonly token: string }): Interceptor {
  return (next) => (req) => {
    if (session.token) req.header.set(SESSION_HEADER, session.token);
    return next(req);
  };
}

const POLL_S = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runNodeLoop(o: NodeLoopOptions): Promise<NodeSummary> {
  const { client, session } = o;
  const stats = { fit: 0, evaluate: 0, registrations: 0 };
  let runner: TaskRunner | undefined;
  let run: RunInfo | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  /** Calls the server, retrying while it is unreachable; re-registers when the session is gone. */
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const start = Date.now();
    for (let attempt = 0; ; attempt++) {
      if (o.signal?.aborted) throw new QflError('client', 'stopped');
      try {
        return await f();
      } catch (e) {
        const err = ConnectError.from(e);
        if (err.code === Code.Unauthenticated && session.token && what !== 'register') {
          o.log('the server does not know this session (restarted, or it dropped this node): registering again');
          session.token = '';
          await register();
          continue;
        }
        if (!transient(err.code)) throw new QflError('server', `${what} refused: ${err.rawMessage}`);
        if (Date.now() - start > o.reconnectTimeoutS * 1000) {
          throw new QflError('server', `unreachable for ${o.reconnectTimeoutS} s (${what}: ${err.rawMessage}); giving up`);
        }
        if (attempt === 0) o.log(`${what}: ${err.rawMessage}; retrying`);
        await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
      }
    }
  };

  const register = async (): Promise<void> => {
    const { name, publicKey } = o.identity;
    const { challenge } = await call('register', () => client.getChallenge({ name, publicKey }));
    const signature = o.identity.sign && challenge.length > 0 ? await o.identity.sign(challengeMessage(challenge, name)) : new Uint8Array(0);
    const r = await call('register', () =>
      client.registerNode({ name, publicKey, challenge, signature, clientIds: [...o.clientIds], protocolVersion: PROTOCOL_VERSION, kind: o.kind, qubits: o.qubits ?? 0 }),
    );
    session.token = r.sessionToken;
    stats.registrations++;
    // Heartbeats start before the runner is prepared: building it (worker threads, data) can take
    // longer than the server's silence timeout on a loaded machine.
    clearInterval(heartbeat);
    const every = Math.max(0.2, r.heartbeatIntervalS) * 1000;
    // A deadline of one interval would abort heartbeats on a loaded machine before they reach the
    // server; they may overlap instead (one HTTP/2 connection carries them all).
    heartbeat = setInterval(() => {
      client.heartbeat({}, { timeoutMs: Math.max(5000, 5 * every) }).catch(() => undefined); // failures show in the next pull
    }, every);
    const info = r.run;
    if (!info) throw new QflError('server', 'RegisterNode answered without run info');
    if (!run || run.runId !== info.runId) {
      await runner?.close();
      run = info;
      runner = await o.prepare(info);
      const hosts = o.clientIds.length > 0 ? `clients ${ranges(o.clientIds)} of ${info.numClients}` : `sub-circuits of up to ${o.qubits ?? 0} qubits`;
      o.log(`joined run ${info.name} (${info.runId}) as ${r.nodeId}: ${hosts}, ${info.rounds} rounds`);
    } else o.log(`registered again as ${r.nodeId}`);
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
      const results = await execute(r.instructions, runner!, run!, stats, o);
      for (const res of results) {
        const { acks } = await call('push', () => client.pushResults({ results: [res] }));
        for (const a of acks) if (!a.accepted) o.log(`the server refused result ${a.instructionId}: ${a.error}`);
      }
    }
  } finally {
    clearInterval(heartbeat);
    await runner?.close();
  }
}

/** Runs a batch of instructions (fit and evaluate tasks, each with its deadline) and encodes the answers. */
async function execute(
  instructions: readonly Instruction[],
  runner: TaskRunner,
  run: RunInfo,
  stats: { fit: number; evaluate: number },
  o: Pick<NodeLoopOptions, 'log' | 'onTasks'>,
): Promise<Result[]> {
  const out: Result[] = [];
  const fits: { id: string; ins: FitIns; deadline: number }[] = [];
  const evals: { id: string; ins: EvaluateIns; deadline: number }[] = [];
  for (const i of instructions) {
    if (i.task.case === 'cut') {
      if (runner.cut) out.push(await runner.cut(i));
      else out.push(failureResult(i.id, i.clientId, i.round, 'this node simulates no sub-circuits (start it with --qubits N)'));
      continue;
    }
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
  const round = instructions[0]?.round ?? 0;
  const batch = async <I extends FitIns | EvaluateIns, R extends object>(
    kind: 'fit' | 'evaluate',
    tasks: { id: string; ins: I; deadline: number }[],
    run: (ins: I[], opts: ExecOptions) => Promise<(R | Failure)[]>,
    encode: (id: string, r: R) => Result,
  ) => {
    if (tasks.length === 0) return;
    const clientIds = tasks.map((t) => t.ins.clientId);
    o.log(`round ${round}: ${kind} for clients ${ranges(clientIds)}`);
    o.onTasks?.({ round, kind, clientIds, done: false });
    const outcomes = await run(tasks.map((t) => t.ins), timeout(tasks[0]!.deadline));
    outcomes.forEach((x, k) => {
      const t = tasks[k]!;
      out.push(isFailure(x) ? failureResult(t.id, t.ins.clientId, t.ins.round, x.reason) : encode(t.id, x));
    });
    o.onTasks?.({ round, kind, clientIds, done: true });
    stats[kind] += tasks.length;
  };
  await batch('fit', fits, (ins, opts) => runner.fit(ins, opts), fitResult);
  await batch('evaluate', evals, (ins, opts) => runner.evaluate(ins, opts), evaluateResult);
  return out;
}

/** Errors worth retrying: the server is down, restarting or overloaded. */
function transient(code: Code): boolean {
  return code === Code.Unavailable || code === Code.DeadlineExceeded || code === Code.Aborted || code === Code.Unknown || code === Code.Canceled;
}
