import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { EvaluateIns, EvaluateRes, Failure, FitIns, FitRes } from '../updates/messages.js';
import { QflError } from '../util/errors.js';
import { formatClients, verifySignature, type AllowList } from './auth.js';
import { challengeMessage, PROTOCOL_VERSION, ranges } from './protocol.js';
import { checkResult, screenNorms, type NormRules, type PlausibilityRules } from './plausibility.js';

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
 *   shape, finiteness) and against what the server knows (plausibility.ts:
 *   metric ranges, partition sizes, the round's norm bound); a bad one is
 *   refused to its sender, logged, reported (`onRefusal`), and its task
 *   fails. The server goes on.
 * - Each allow-list entry names the clients its key may host; a client held
 *   by a live node with another key is refused to the newcomer.
 */

export interface FleetOptions {
  readonly run: Omit<RunInfo, '$typeName' | '$unknown'>;
  /** Node keys allowed to join; undefined accepts any node (insecure local runs). */
  readonly allowList?: AllowList;
  /** How often nodes should call Heartbeat. */
  readonly heartbeatIntervalS: number;
  /** A node not heard from for this long is dropped. */
  readonly silenceTimeoutS: number;
  /** How long a task waits for its client's node to come back (default 0: fails at once). */
  readonly nodeGraceS?: number;
  readonly log: (line: string) => void;
  /** Checks of each result against what the server knows (plausibility.ts); undefined: only the codec's checks. */
  readonly plausibility?: PlausibilityRules;
  /** The round's update-norm bound (plausibility.ts); undefined: none. */
  readonly norms?: NormRules;
  /** Every refused result, with the node and why (`qfl server` writes them to events.jsonl). */
  readonly onRefusal?: (r: Refusal) => void;
  /** Serves each node its clients' partitions (demos, browser tabs without data); undefined refuses. */
  readonly partitions?: (clientId: number) => { readonly train: Dataset; readonly test: Dataset; readonly range?: readonly [number, number] | undefined };
}

interface NodeSession {
  readonly id: string;
  readonly name: string;
  readonly publicKey: string;
  readonly clientIds: readonly number[];
  /** Qubits it simulates for sub-circuit tasks (0: none). */
  readonly qubits: number;
  readonly token: string;
  readonly kind: string;
  lastSeen: number;
  queue: Instruction[];
  /** Wakes a long-polling PullInstructions. */
  wake?: (() => void) | undefined;
}

interface PendingTask {
  readonly nodeId: string;
  /** The client task it is (fit/evaluate), for refusal events; absent for a node's sub-circuit task. */
  readonly client?: { readonly kind: 'fit' | 'evaluate'; readonly clientId: number; readonly round: number };
  /** Checks a result against its instruction; throws a WireError if it does not fit. */
  decode(r: Result): unknown;
  /** Why a decoded result is implausible (checked against what the server knows), or undefined. */
  check?(outcome: unknown): string | undefined;
  /** What the task resolves with when it fails. */
  failure(reason: string): unknown;
  /** `absent` marks an outcome caused by the node going away. */
  settle(outcome: unknown, absent?: boolean): void;
}

export interface NodeInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly clientIds: readonly number[];
  readonly qubits: number;
  readonly secondsSinceSeen: number;
}

/** A node's result the server refused. */
export interface Refusal {
  readonly node: string;
  readonly clientId: number;
  readonly round: number;
  readonly kind: 'fit' | 'evaluate';
  readonly reason: string;
}

const CHALLENGE_TTL_MS = 60_000;
/** A silence judgement delayed longer than this (a blocked event loop) first lets the loop read its sockets. */
const JUDGE_LAG_MS = 250;

export class Fleet {
  readonly run: RunInfo;
  private readonly nodes = new Map<string, NodeSession>();
  private readonly byToken = new Map<string, NodeSession>();
  private readonly clientNode = new Map<number, NodeSession>();
  private readonly challenges = new Map<string, { challenge: Uint8Array; expires: number }>();
  private readonly pending = new Map<string, PendingTask>();
  private readonly sweeper: NodeJS.Timeout;
  private sweepQueued = false;
  private nextTask = 0;
  private nextNode = 0;
  private finished = false;
  private closed = false;
  private changed: (() => void)[] = [];
  round = 0;

  constructor(private readonly o: FleetOptions) {
    this.run = create(RunInfoSchema, o.run);
    const every = Math.max(100, Math.min(1000, (o.silenceTimeoutS * 1000) / 4));
    let tick = Date.now();
    this.sweeper = setInterval(() => {
      // A tick this late means the server itself was blocked that long: nodes could not be heard
      // (even their registration answers waited), so that time does not count as their silence.
      const now = Date.now();
      const stalled = now - tick - every;
      tick = now;
      if (stalled > 50) for (const n of this.nodes.values()) n.lastSeen = Math.min(now, n.lastSeen + stalled);
      this.sweep();
    }, every);
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
    readonly qubits?: number;
    readonly protocolVersion: number;
    readonly kind: string;
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
    if (req.clientIds.length > n) throw this.refuse(Code.InvalidArgument, `node ${name}: claims ${req.clientIds.length} clients; this run has ${n}`);
    const allowed = this.o.allowList?.clientsOf(req.publicKey);
    // A holder that stopped calling is dead even if the sweeper has not run yet.
    this.dropSilent();
    const seen = new Set<number>();
    for (const id of req.clientIds) {
      if (!(Number.isInteger(id) && id >= 0 && id < n)) throw this.refuse(Code.InvalidArgument, `node ${name}: client id ${id} is out of range; this run has clients 0..${n - 1}`);
      if (seen.has(id)) throw this.refuse(Code.InvalidArgument, `node ${name}: client id ${id} is listed twice`);
      seen.add(id);
      if (allowed !== undefined && allowed !== '*' && !allowed.has(id)) {
        throw this.refuse(Code.PermissionDenied, `node ${name}: its key may host clients ${formatClients(allowed)} (allow-list), not client ${id}`);
      }
      const holder = this.clientNode.get(id);
      // The same key coming back (a restarted node) replaces its old session;
      // without an allow-list (insecure local runs) the newest node wins. A
      // live holder with another key keeps its clients.
      if (holder && this.o.allowList && holder.publicKey !== req.publicKey) {
        throw this.refuse(Code.AlreadyExists, `node ${name}: client ${id} is already hosted by node ${holder.name}, which is alive (last call ${((Date.now() - holder.lastSeen) / 1000).toFixed(1)} s ago)`);
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
      qubits,
      token: randomBytes(24).toString('base64url'),
      kind: req.kind || 'node',
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

  /** Marks the node behind `token` as heard from now (any call's headers); unknown tokens are ignored. */
  touch(token: string): void {
    const s = this.byToken.get(token);
    if (s) s.lastSeen = Date.now();
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
      let outcome: unknown;
      try {
        outcome = task.decode(r);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        this.refuseResult(node, task, `sent an invalid result: ${e.message}`);
        return ack(false, e.message);
      }
      const implausible = task.check?.(outcome);
      if (implausible !== undefined) {
        this.refuseResult(node, task, `sent an implausible result: ${implausible}`);
        return ack(false, implausible);
      }
      task.settle(outcome);
      return ack(true);
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
   *
   * Patience (`nodeGraceS`): a task whose client has no node, or whose node
   * drops before answering, waits up to that many seconds (from the round's
   * dispatch) for a node to host the client again and is sent again; the
   * waits back off from 0.25 s to 4 s between checks, and a registration
   * wakes them at once.
   */
  dispatch(
    kind: 'fit' | 'evaluate',
    tasks: readonly (FitIns | EvaluateIns)[],
    timeoutMs: number | undefined,
    onOutcome?: (o: FitRes | EvaluateRes | Failure) => void,
  ): Promise<(FitRes | EvaluateRes | Failure)[]> {
    if (tasks.length > 0) this.round = tasks[0]!.round;
    const graceEnd = Date.now() + (this.o.nodeGraceS ?? 0) * 1000;
    const all = tasks.map(async (ins) => {
      let last: Failure | undefined;
      for (let attempt = 0; ; attempt++) {
        let node = this.clientNode.get(ins.clientId);
        if (!node && !this.closed && Date.now() < graceEnd) node = await this.awaitHost(ins.clientId, graceEnd, attempt);
        if (!node) {
          const waited = this.o.nodeGraceS ? ` (waited ${this.o.nodeGraceS} s for it to come back)` : '';
          const o: Failure = { clientId: ins.clientId, reason: `${last?.reason ?? 'no node hosts this client (not connected)'}${waited}` };
          onOutcome?.(o);
          return o;
        }
        const sent = this.sendClientTask(node, kind, ins, timeoutMs);
        // A woken pull answers after this turn of the event loop, so it takes every task queued in it.
        node.wake?.();
        const { outcome, absent } = await sent;
        if (absent && !this.closed && Date.now() < graceEnd) {
          last = outcome as Failure;
          this.o.log(`client ${ins.clientId}: ${last.reason}; waiting up to ${Math.ceil((graceEnd - Date.now()) / 1000)} s for it to come back`);
          continue;
        }
        onOutcome?.(outcome);
        return outcome;
      }
    });
    return Promise.all(all);
  }

  /** Queues one task on `node`; `absent` marks an outcome caused by the node going away. */
  private sendClientTask(node: NodeSession, kind: 'fit' | 'evaluate', ins: FitIns | EvaluateIns, timeoutMs: number | undefined): Promise<{ outcome: FitRes | EvaluateRes | Failure; absent: boolean }> {
    const deadlineS = timeoutMs === undefined ? 0 : timeoutMs / 1000;
    return new Promise((resolve) => {
      const id = `r${ins.round}-${kind}-c${ins.clientId}-${++this.nextTask}`;
      let timer: NodeJS.Timeout | undefined;
      const failure = (reason: string): Failure => ({ clientId: ins.clientId, reason });
      const task: PendingTask = {
        nodeId: node.id,
        client: { kind, clientId: ins.clientId, round: ins.round },
        decode: (r) => decodeResult(r, { kind, clientId: ins.clientId, round: ins.round, paramCount: this.run.numParameters }),
        check: (o) => {
          const outcome = o as FitRes | EvaluateRes | Failure;
          return 'reason' in outcome ? undefined : checkResult(kind, outcome, this.o.plausibility ?? {});
        },
        failure,
        settle: (outcome, absent = false) => {
          if (!this.pending.delete(id)) return;
          clearTimeout(timer);
          node.queue = node.queue.filter((q) => q.id !== id);
          resolve({ outcome: outcome as FitRes | EvaluateRes | Failure, absent });
        },
      };
      this.pending.set(id, task);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => task.settle(failure(`timeout after ${timeoutMs} ms (node ${node.id})`)), timeoutMs);
      }
      node.queue.push(kind === 'fit' ? fitInstruction(id, ins as FitIns, deadlineS) : evaluateInstruction(id, ins, deadlineS));
    });
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

  /** The node that hosts `clientId` once one does, or undefined at `until`. */
  private async awaitHost(clientId: number, until: number, attempt: number): Promise<NodeSession | undefined> {
    for (let k = attempt; ; k++) {
      const node = this.clientNode.get(clientId);
      if (node || this.closed) return node;
      const left = until - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250 * 2 ** Math.min(k, 4)));
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
    this.closed = true;
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

  /** Fails the task with `reason` (naming the node), logs it and reports the refusal. */
  private refuseResult(node: NodeSession, task: PendingTask, reason: string): void {
    const c = task.client;
    this.o.log(`node ${node.id}: refused ${reason.replace(/^sent /, '')}${c ? ` for client ${c.clientId}` : ''}`);
    task.settle(task.failure(`node ${node.id} ${reason}`));
    if (c) this.o.onRefusal?.({ node: node.id, clientId: c.clientId, round: c.round, kind: c.kind, reason });
  }

  /**
   * The round's fit results with the norm bound applied: updates above it
   * refused (each reported, naming its node) or clipped, as configured.
   */
  screen(outcomes: readonly (FitRes | Failure)[]): (FitRes | Failure)[] {
    const rules = this.o.norms;
    if (!rules) return [...outcomes];
    const fits = outcomes.filter((o): o is FitRes => !('reason' in o));
    const { refused, clipped, kept } = screenNorms(fits, rules);
    const keptBy = new Map(kept.map((r) => [r.clientId, r]));
    for (const { result, reason } of refused) {
      const node = this.clientNode.get(result.clientId)?.id ?? '?';
      this.o.log(`node ${node}: refused the update of client ${result.clientId}: ${reason}`);
      this.o.onRefusal?.({ node, clientId: result.clientId, round: result.round, kind: 'fit', reason });
    }
    for (const id of clipped) this.o.log(`client ${id}: update clipped to the round's norm bound`);
    const refusedWhy = new Map(refused.map((x) => [x.result.clientId, x.reason]));
    return outcomes.map((o) => {
      if ('reason' in o) return o;
      const why = refusedWhy.get(o.clientId);
      if (why !== undefined) return { clientId: o.clientId, reason: `node ${this.clientNode.get(o.clientId)?.id ?? '?'} sent an implausible result: ${why}` };
      return keptBy.get(o.clientId) ?? o;
    });
  }

  private refuse(code: Code, message: string): ConnectError {
    this.o.log(`refused: ${message}`);
    return new ConnectError(message, code);
  }

  /**
   * The timer's sweep judges silence only in the event loop's check phase
   * (setImmediate), right after a poll phase has read the calls waiting on
   * the sockets. When this process was blocked (aggregation and central
   * evaluation run in a result's callback; a loaded machine), the nodes'
   * calls of that time are still unread: a judgement that finds itself
   * queued for longer than JUDGE_LAG_MS waits one more turn of the loop,
   * so the backlog is read first; and the time a late timer shows the
   * server was blocked is credited to every node. Healthy nodes are not
   * dropped for the server's own delay.
   */
  private sweep(): void {
    if (this.sweepQueued) return;
    this.sweepQueued = true;
    this.judgeSoon();
  }

  private judgeSoon(): void {
    const queued = Date.now();
    setImmediate(() => {
      if (this.closed) return;
      if (Date.now() - queued > JUDGE_LAG_MS) return this.judgeSoon();
      this.sweepQueued = false;
      this.dropSilent();
    });
  }

  private dropSilent(): void {
    const limit = Date.now() - this.o.silenceTimeoutS * 1000;
    for (const n of [...this.nodes.values()]) {
      if (n.lastSeen < limit) this.drop(n, `went silent (no call for ${((Date.now() - n.lastSeen) / 1000).toFixed(1)} s; the limit is ${this.o.silenceTimeoutS} s)`);
    }
  }

  private drop(n: NodeSession, why: string): void {
    if (!this.nodes.delete(n.id)) return;
    this.byToken.delete(n.token);
    for (const id of n.clientIds) if (this.clientNode.get(id) === n) this.clientNode.delete(id);
    for (const t of [...this.pending.values()]) {
      if (t.nodeId === n.id) t.settle(t.failure(`node ${n.id} ${why}`), true);
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
