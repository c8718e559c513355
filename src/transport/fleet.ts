import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { EvaluateIns, EvaluateRes, Failure, FitIns, FitRes } from '../fl/messages.js';
import { QflError } from '../util/errors.js';
import { verifySignature, type AllowList } from './auth.js';
import { challengeMessage, PROTOCOL_VERSION, ranges } from './protocol.js';

export { PROTOCOL_VERSION, ranges, SESSION_HEADER } from './protocol.js';
import type { Dataset } from '../data/dataset.js';
import { decodeResult, encodeDataset, evaluateInstruction, fitInstruction, WireError } from './codec.js';
import { ResultAckSchema, RunInfoSchema, type GetPartitionResponse, type Instruction, type Result, type ResultAck, type RunInfo } from './gen/qfl/fleet/v1/fleet_pb.js';

/**
 * The server's view of its nodes: sessions, the instructions waiting for
 * each, and the tasks it waits on. Transport-free (server.ts wires it to
 * RPCs), so its rules are tested directly:
 *
 * - A node registers with the client ids it hosts; with an allow-list it
 *   must first sign a one-time challenge with its Ed25519 key.
 * - Any call counts as a heartbeat. A node silent for `silenceTimeoutS` is
 *   dropped: its tasks fail for this round ("went silent"), its session is
 *   forgotten, and it may register again later.
 * - A task not answered within its deadline fails; a late answer is refused.
 * - Every result is checked against its instruction (client, round, kind,
 *   shape, finiteness); a bad one is refused to its sender, logged, and its
 *   task fails. The server goes on.
 */

export interface FleetOptions {
  readonly run: Omit<RunInfo, '$typeName' | '$unknown'>;
  /** Node keys allowed to join; undefined accepts any node (insecure local runs). */
  readonly allowList?: AllowList;
  /** How often nodes should call Heartbeat. */
  readonly heartbeatIntervalS: number;
  /** A node not heard from for this long is dropped. */
  readonly silenceTimeoutS: number;
  readonly log: (line: string) => void;
  /** Serves each node its clients' partitions (demos, browser tabs without data); undefined refuses. */
  readonly partitions?: (clientId: number) => { readonly train: Dataset; readonly test: Dataset; readonly range?: readonly [number, number] | undefined };
}

interface NodeSession {
  readonly id: string;
  readonly name: string;
  readonly publicKey: string;
  readonly clientIds: readonly number[];
  readonly token: string;
  readonly kind: string;
  /** Qubits it simulates for sub-circuit tasks (0: none). */
  readonly qubits: number;
  lastSeen: number;
  queue: Instruction[];
  /** Wakes a long-polling PullInstructions. */
  wake?: (() => void) | undefined;
}

interface PendingTask {
  readonly nodeId: string;
  /** Checks a result against its instruction; throws a WireError if it does not fit. */
  decode(r: Result): unknown;
  /** What the task resolves with when it fails. */
  failure(reason: string): unknown;
  settle(outcome: unknown): void;
}

export interface NodeInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly clientIds: readonly number[];
  readonly qubits: number;
  readonly secondsSinceSeen: number;
}

const CHALLENGE_TTL_MS = 60_000;

export class Fleet {
  readonly run: RunInfo;
  private readonly nodes = new Map<string, NodeSession>();
  private readonly byToken = new Map<string, NodeSession>();
  private readonly clientNode = new Map<number, NodeSession>();
  private readonly challenges = new Map<string, { challenge: Uint8Array; expires: number }>();
  private readonly pending = new Map<string, PendingTask>();
  private readonly sweeper: NodeJS.Timeout;
  private nextTask = 0;
  private nextNode = 0;
  private finished = false;
  private changed: (() => void)[] = [];
  round = 0;

  constructor(private readonly o: FleetOptions) {
    this.run = create(RunInfoSchema, o.run);
    this.sweeper = setInterval(() => this.dropSilent(), Math.max(100, Math.min(1000, (o.silenceTimeoutS * 1000) / 4)));
    this.sweeper.unref();
  }

  // -------------------------------------------------------------------------
  // The node-facing calls (one per RPC)

  challenge(name: string, publicKey: string): Uint8Array {
    if (!this.o.allowList) return new Uint8Array(0);
    this.checkAllowed(name, publicKey);
    const challenge = new Uint8Array(randomBytes(32));
    this.challenges.set(publicKey, { challenge, expires: Date.now() + CHALLENGE_TTL_MS });
    return challenge;
  }

  register(req: {
    readonly name: string;
    readonly publicKey: string;
    readonly challenge: Uint8Array;
    readonly signature: Uint8Array;
    readonly clientIds: readonly number[];
    readonly protocolVersion: number;
    readonly kind: string;
    readonly qubits?: number;
  }): { nodeId: string; sessionToken: string } {
    const name = req.name || 'node';
    if (req.protocolVersion !== PROTOCOL_VERSION) {
      throw this.refuse(Code.FailedPrecondition, `node ${name}: protocol version ${req.protocolVersion}, this server speaks ${PROTOCOL_VERSION}; use the same qfl version on both ends`);
    }
    if (this.o.allowList) {
      this.checkAllowed(name, req.publicKey);
      const c = this.challenges.get(req.publicKey);
      this.challenges.delete(req.publicKey); // one attempt per challenge
      const ok = c !== undefined && c.expires > Date.now() && equalBytes(c.challenge, req.challenge) && verifySignature(req.publicKey, challengeMessage(req.challenge, name), req.signature);
      if (!ok) throw this.refuse(Code.Unauthenticated, `node ${name}: the challenge signature does not verify (expired challenge, or a key other than the one allow-listed)`);
    }
    const n = this.run.numClients;
    const qubits = req.qubits ?? 0;
    if (!(Number.isInteger(qubits) && qubits >= 0 && qubits <= 30)) throw this.refuse(Code.InvalidArgument, `node ${name}: qubits must be an integer in [0, 30], got ${qubits}`);
    if (req.clientIds.length === 0 && qubits === 0) {
      throw this.refuse(Code.InvalidArgument, `node ${name}: client_ids is empty and qubits is 0; a node hosts at least one client or simulates sub-circuits`);
    }
    const seen = new Set<number>();
    for (const id of req.clientIds) {
      if (!(Number.isInteger(id) && id >= 0 && id < n)) throw this.refuse(Code.InvalidArgument, `node ${name}: client id ${id} is out of range; this run has clients 0..${n - 1}`);
      if (seen.has(id)) throw this.refuse(Code.InvalidArgument, `node ${name}: client id ${id} is listed twice`);
      seen.add(id);
      const holder = this.clientNode.get(id);
      // The same key coming back (a restarted node) replaces its old session;
      // without an allow-list (insecure local runs) the newest node wins.
      if (holder && this.o.allowList && holder.publicKey !== req.publicKey) {
        throw this.refuse(Code.AlreadyExists, `node ${name}: client ${id} is already hosted by node ${holder.name}`);
      }
    }
    for (const id of req.clientIds) {
      const old = this.clientNode.get(id);
      if (old) this.drop(old, 'registered again');
    }
    const session: NodeSession = {
      id: `${name}#${++this.nextNode}`,
      name,
      publicKey: req.publicKey,
      clientIds: [...req.clientIds],
      token: randomBytes(24).toString('base64url'),
      kind: req.kind || 'node',
      qubits,
      lastSeen: Date.now(),
      queue: [],
    };
    this.nodes.set(session.id, session);
    this.byToken.set(session.token, session);
    for (const id of session.clientIds) this.clientNode.set(id, session);
    const hosts = [session.clientIds.length > 0 ? `clients ${ranges(session.clientIds)}` : '', qubits > 0 ? `${qubits} qubits` : ''].filter(Boolean).join(' and ');
    this.o.log(`node ${session.id} joined (${session.kind}) with ${hosts}`);
    this.notify();
    return { nodeId: session.id, sessionToken: session.token };
  }

  /** The node behind a session token; refuses unknown or dropped sessions. */
  session(token: string | null): NodeSession {
    const s = token ? this.byToken.get(token) : undefined;
    if (!s) throw new ConnectError('unknown session: register (again) with RegisterNode', Code.Unauthenticated);
    s.lastSeen = Date.now();
    return s;
  }

  heartbeat(_node: NodeSession): { round: number; runFinished: boolean } {
    return { round: this.round, runFinished: this.finished };
  }

  /** Instructions for the node's clients, waiting up to `waitS` for some; at most `maxBytes` of them per answer. */
  async pull(node: NodeSession, waitS: number, maxBytes: number, signal?: AbortSignal): Promise<{ instructions: Instruction[]; runFinished: boolean }> {
    if (node.queue.length === 0 && !this.finished && waitS > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(waitS, 60) * 1000);
        function done() {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        node.wake = done;
        signal?.addEventListener('abort', done);
      });
      node.wake = undefined;
      node.lastSeen = Date.now();
    }
    const out: Instruction[] = [];
    let bytes = 0;
    while (node.queue.length > 0) {
      const next = node.queue[0]!;
      const size = instructionBytes(next);
      if (out.length > 0 && bytes + size > maxBytes) break;
      out.push(node.queue.shift()!);
      bytes += size;
    }
    return { instructions: out, runFinished: this.finished && out.length === 0 };
  }

  push(node: NodeSession, results: readonly Result[]): ResultAck[] {
    return results.map((r) => {
      const task = this.pending.get(r.instructionId);
      const ack = (accepted: boolean, error = '') => create(ResultAckSchema, { instructionId: r.instructionId, accepted, error });
      if (!task || task.nodeId !== node.id) {
        this.o.log(`node ${node.id}: refused a result for ${task ? "another node's" : 'an unknown or expired'} instruction ${r.instructionId}`);
        return ack(false, `instruction ${r.instructionId} is unknown, expired or not yours (late results are refused)`);
      }
      try {
        task.settle(task.decode(r));
        return ack(true);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        this.o.log(`node ${node.id}: refused an invalid result: ${e.message}`);
        task.settle(task.failure(`sent an invalid result: ${e.message}`));
        return ack(false, e.message);
      }
    });
  }

  partition(node: NodeSession, clientId: number): Omit<GetPartitionResponse, '$typeName' | '$unknown'> {
    if (!this.o.partitions) throw new ConnectError('this server does not serve partitions (start it with --serve-partitions)', Code.FailedPrecondition);
    if (!node.clientIds.includes(clientId)) throw new ConnectError(`client ${clientId} is not hosted by node ${node.id}; a node gets only its own clients' data`, Code.PermissionDenied);
    const p = this.o.partitions(clientId);
    const train = encodeDataset(p.train);
    const test = encodeDataset(p.test);
    return { trainX: train.x, trainY: train.y, testX: test.x, testY: test.y, classes: p.train.classes, range: p.range ? [...p.range] : [] };
  }

  unregister(node: NodeSession): void {
    this.drop(node, 'left');
  }

  // -------------------------------------------------------------------------
  // The server-facing side

  /** Connected nodes, for logs and the dashboard. */
  list(): NodeInfo[] {
    const now = Date.now();
    return [...this.nodes.values()].map((s) => ({ id: s.id, name: s.name, kind: s.kind, clientIds: s.clientIds, qubits: s.qubits, secondsSinceSeen: (now - s.lastSeen) / 1000 }));
  }

  hosted(clientId: number): boolean {
    return this.clientNode.has(clientId);
  }

  /** Resolves once every client in `ids` has a node; rejects with a clear message after `timeoutS`. */
  async waitForClients(ids: readonly number[], timeoutS: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const missing = ids.filter((id) => !this.clientNode.has(id));
      if (missing.length === 0) return;
      if (signal?.aborted) throw new QflError('server', 'stopped while waiting for nodes');
      const left = deadline - Date.now();
      if (left <= 0) {
        const nodes = this.list();
        throw new QflError(
          'server',
          `waited ${timeoutS} s for nodes, but clients ${ranges(missing)} have none (connected: ${nodes.length === 0 ? 'no nodes' : nodes.map((n) => `${n.id} with ${ranges(n.clientIds)}`).join('; ')}); ` +
            `start nodes with \`qfl client --server URL --partition K\` or raise --wait-timeout`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.changed.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * Sends each task to the node hosting its client and resolves with one
   * outcome per task, in task order: a client without a node, a node that
   * drops, a deadline passed or an invalid answer each give a Failure.
   */
  dispatch(
    kind: 'fit' | 'evaluate',
    tasks: readonly (FitIns | EvaluateIns)[],
    timeoutMs: number | undefined,
    onOutcome?: (o: FitRes | EvaluateRes | Failure) => void,
  ): Promise<(FitRes | EvaluateRes | Failure)[]> {
    if (tasks.length > 0) this.round = tasks[0]!.round;
    const deadlineS = timeoutMs === undefined ? 0 : timeoutMs / 1000;
    const woken = new Set<NodeSession>();
    const all = tasks.map(
      (ins) =>
        new Promise<FitRes | EvaluateRes | Failure>((resolve) => {
          const node = this.clientNode.get(ins.clientId);
          const settleNow = (o: FitRes | EvaluateRes | Failure) => {
            onOutcome?.(o);
            resolve(o);
          };
          if (!node) return settleNow({ clientId: ins.clientId, reason: 'no node hosts this client (not connected)' });
          const id = `r${ins.round}-${kind}-c${ins.clientId}-${++this.nextTask}`;
          let timer: NodeJS.Timeout | undefined;
          const failure = (reason: string): Failure => ({ clientId: ins.clientId, reason });
          const task: PendingTask = {
            nodeId: node.id,
            decode: (r) => decodeResult(r, { kind, clientId: ins.clientId, round: ins.round, paramCount: this.run.numParameters }),
            failure,
            settle: (o) => {
              if (!this.pending.delete(id)) return;
              clearTimeout(timer);
              node.queue = node.queue.filter((q) => q.id !== id);
              settleNow(o as FitRes | EvaluateRes | Failure);
            },
          };
          this.pending.set(id, task);
          if (timeoutMs !== undefined) {
            timer = setTimeout(() => task.settle(failure(`timeout after ${timeoutMs} ms (node ${node.id})`)), timeoutMs);
          }
          node.queue.push(kind === 'fit' ? fitInstruction(id, ins as FitIns, deadlineS) : evaluateInstruction(id, ins, deadlineS));
          woken.add(node);
        }),
    );
    for (const n of woken) n.wake?.();
    return Promise.all(all);
  }

  /**
   * Sends one instruction to one node (sub-circuit tasks, which belong to a
   * node rather than a client) and resolves with `decode(result)`, or with
   * `{ failed: reason }` when the node drops, the deadline passes or the
   * result does not decode (a WireError from `decode`: refused to the node).
   */
  send<T>(nodeId: string, build: (id: string) => Instruction, decode: (r: Result) => T, timeoutMs?: number): Promise<T | { readonly failed: string }> {
    const node = this.nodes.get(nodeId);
    if (!node) return Promise.resolve({ failed: `node ${nodeId} is not connected` });
    const id = `n${++this.nextTask}`;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const failure = (reason: string) => ({ failed: reason });
      const task: PendingTask = {
        nodeId,
        decode,
        failure,
        settle: (o) => {
          if (!this.pending.delete(id)) return;
          clearTimeout(timer);
          node.queue = node.queue.filter((q) => q.id !== id);
          resolve(o as T | { failed: string });
        },
      };
      this.pending.set(id, task);
      if (timeoutMs !== undefined) timer = setTimeout(() => task.settle(failure(`timeout after ${timeoutMs} ms (node ${nodeId})`)), timeoutMs);
      node.queue.push(build(id));
      node.wake?.();
    });
  }

  /** Resolves once `ready(nodes)` holds; rejects with `describe()` after `timeoutS`. */
  async waitForNodes(ready: (nodes: NodeInfo[]) => boolean, timeoutS: number, describe: () => string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutS * 1000;
    while (!ready(this.list())) {
      if (signal?.aborted) throw new QflError('server', 'stopped while waiting for nodes');
      const left = deadline - Date.now();
      if (left <= 0) throw new QflError('server', `waited ${timeoutS} s for nodes: ${describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.changed.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The run is over: nodes learn it at their next pull or heartbeat. */
  finish(): void {
    this.finished = true;
    for (const n of this.nodes.values()) n.wake?.();
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const n of [...this.nodes.values()]) this.drop(n, 'server closing');
  }

  // -------------------------------------------------------------------------

  private checkAllowed(name: string, publicKey: string): void {
    const list = this.o.allowList!;
    if (!list.has(publicKey)) {
      throw this.refuse(Code.PermissionDenied, `node ${name || '?'}: its key ${publicKey ? publicKey.slice(0, 12) + '...' : '(none)'} is not on the server's allow-list`);
    }
    const listed = list.nameOf(publicKey);
    if (listed !== undefined && name !== listed) {
      throw this.refuse(Code.PermissionDenied, `node ${name}: its key is allow-listed under the name '${listed}', not '${name}'`);
    }
  }

  private refuse(code: Code, message: string): ConnectError {
    this.o.log(`refused: ${message}`);
    return new ConnectError(message, code);
  }

  private dropSilent(): void {
    const limit = Date.now() - this.o.silenceTimeoutS * 1000;
    for (const n of [...this.nodes.values()]) {
      if (n.lastSeen < limit) this.drop(n, `went silent (no call for ${this.o.silenceTimeoutS} s)`);
    }
  }

  private drop(n: NodeSession, why: string): void {
    if (!this.nodes.delete(n.id)) return;
    this.byToken.delete(n.token);
    for (const id of n.clientIds) if (this.clientNode.get(id) === n) this.clientNode.delete(id);
    for (const t of [...this.pending.values()]) {
      if (t.nodeId === n.id) t.settle(t.failure(`node ${n.id} ${why}`));
    }
    n.wake?.();
    this.o.log(`node ${n.id} dropped: ${why}`);
    this.notify();
  }

  private notify(): void {
    const waiting = this.changed;
    this.changed = [];
    for (const f of waiting) f();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function instructionBytes(i: Instruction): number {
  const t = i.task;
  if (t.case === 'cut') return 256 + (t.value.weights?.data.byteLength ?? 0) + (t.value.inputs?.data.byteLength ?? 0) + 200 * t.value.experiments.length;
  return 256 + (t.case === 'fit' || t.case === 'evaluate' ? (t.value.params?.data.byteLength ?? 0) : t.case === 'secagg' ? t.value.message.byteLength : 0);
}
