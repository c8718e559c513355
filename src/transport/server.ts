import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from '@connectrpc/connect-node';
import type { ExecOptions, Executor } from '../fl/executor.js';
import type { EvaluateIns, EvaluateRes, Failure, FitIns, FitRes } from '../updates/messages.js';
import { fail } from '../util/errors.js';
import { Fleet, SESSION_HEADER, type FleetOptions } from './fleet.js';
import { FleetService } from './gen/qfl/fleet/v1/fleet_pb.js';

/**
 * The network side of `qfl server`: the Fleet service (Connect, gRPC and
 * gRPC-Web from one handler) on HTTP/2, over TLS unless told otherwise, and
 * an Executor that hands a round's tasks to the nodes. The federation itself
 * is the simulation's `runFederation` with this executor in place of the
 * thread pool, so a deployed run computes what the simulation computes.
 *
 * Why Connect (@connectrpc/connect-node + @bufbuild/protobuf): one handler
 * serves gRPC to Node clients and gRPC-Web / Connect to browsers (the browser
 * clients of the dashboard), the messages are generated from the .proto, and
 * it is pure JavaScript (no native build).
 */
export interface FleetServerOptions extends Omit<FleetOptions, 'log'> {
  readonly host: string;
  readonly port: number;
  /** PEM files; both or neither. Without them the server speaks plaintext HTTP/2 (h2c). */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Largest message accepted or sent, in bytes. */
  readonly maxMessageBytes: number;
  readonly log?: (line: string) => void;
  /** Serves other paths (the dashboard) on the same port. */
  readonly fallback?: ConnectNodeAdapterOptions['fallback'];
}

/** A request handler for node:http and node:http2 servers alike. */
export type RequestHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;

export class FleetServer {
  readonly fleet: Fleet;
  private server?: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly sockets = new Set<Socket>();
  private readonly closedBytes = { read: 0, written: 0 };
  private readonly closing = new AbortController();

  constructor(private readonly o: FleetServerOptions) {
    // Every open call (nodes' long polls: one per node) listens on the shutdown signal.
    setMaxListeners(0, this.closing.signal);
    this.fleet = new Fleet({ ...o, log: o.log ?? (() => undefined) });
    const adapter = connectNodeAdapter({
      routes: (router) => this.routes(router),
      readMaxBytes: o.maxMessageBytes,
      writeMaxBytes: o.maxMessageBytes,
      shutdownSignal: this.closing.signal,
      // Float64 models barely compress (3 % with gzip) and compressing them costs the server CPU.
      acceptCompression: [],
      ...(o.fallback ? { fallback: o.fallback } : {}),
    });
    // A call counts as a heartbeat when its headers arrive, not when the RPC handler gets to it
    // some event-loop turns later: a busy server must not judge a node by its own backlog.
    this.handler = (req, res) => {
      const token = req.headers[SESSION_HEADER];
      if (typeof token === 'string') this.fleet.touch(token);
      adapter(req as Parameters<typeof adapter>[0], res as Parameters<typeof adapter>[1]);
    };
  }

  /**
   * The Fleet service as a Node request handler: what `listen` serves, and
   * what another HTTP server (the dashboard's, HTTP/1.1: Connect and gRPC-Web
   * for browser clients) can mount beside its own pages.
   */
  readonly handler: RequestHandler;

  /** Starts listening; resolves with the URL nodes use. */
  async listen(): Promise<string> {
    const handler = this.handler;
    const log = this.o.log ?? (() => undefined);
    const server = this.o.tls
      ? http2.createSecureServer({ cert: readPem(this.o.tls.cert, '--tls-cert'), key: readPem(this.o.tls.key, '--tls-key'), allowHTTP1: true }, handler)
      : http2.createServer(handler);
    // A peer that sends garbage (not HTTP/2, a bad TLS hello) loses its own connection; the server goes on.
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => {
        this.closedBytes.read += socket.bytesRead;
        this.closedBytes.written += socket.bytesWritten;
        this.sockets.delete(socket);
      });
    });
    server.on('session', (session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
    server.on('sessionError', (e) => log(`connection refused: ${e.message}`));
    server.on('tlsClientError', (e) => log(`TLS handshake refused: ${e.message}`));
    server.on('clientError' as 'error', (e: Error) => log(`connection refused: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    return `${this.o.tls ? 'https' : 'http'}://${host}:${port}`;
  }

  /** Bytes received and sent on all connections so far (TLS records included). */
  traffic(): { read: number; written: number } {
    let { read, written } = this.closedBytes;
    for (const s of this.sockets) {
      read += s.bytesRead;
      written += s.bytesWritten;
    }
    return { read, written };
  }

  /** An executor that runs client tasks on the connected nodes. */
  executor(): Executor {
    return new RemoteExecutor(this.fleet);
  }

  /** Tells the nodes the run is over and waits (up to `graceMs`) for them to hear it. */
  async finish(graceMs = 3000): Promise<void> {
    this.fleet.finish();
    const end = Date.now() + graceMs;
    while (this.fleet.list().length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }

  async close(): Promise<void> {
    this.fleet.close();
    this.closing.abort();
    const s = this.server;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    // Open HTTP/2 sessions (nodes' kept-alive connections) keep close() waiting: end them.
    for (const session of this.sessions) session.destroy();
    await closed;
  }

  private routes(router: ConnectRouter): void {
    const fleet = this.fleet;
    const session = (ctx: HandlerContext) => fleet.session(ctx.requestHeader.get(SESSION_HEADER));
    const maxBytes = this.o.maxMessageBytes;
    router.service(FleetService, {
      getChallenge: (req) => ({ challenge: fleet.challenge(req.name, req.publicKey) }),
      registerNode: (req) => {
        const r = fleet.register(req);
        return { ...r, heartbeatIntervalS: this.o.heartbeatIntervalS, run: fleet.run };
      },
      heartbeat: (_req, ctx) => fleet.heartbeat(session(ctx)),
      pullInstructions: async (req, ctx) => {
        const node = session(ctx);
        if (!(req.waitS >= 0 && req.waitS <= 600)) throw new ConnectError(`wait_s must be in [0, 600], got ${req.waitS}`, Code.InvalidArgument);
        return fleet.pull(node, req.waitS, maxBytes / 2, ctx.signal);
      },
      pushResults: (req, ctx) => ({ acks: fleet.push(session(ctx), req.results) }),
      getPartition: (req, ctx) => fleet.partition(session(ctx), req.clientId),
      unregisterNode: (_req, ctx) => {
        fleet.unregister(session(ctx));
        return {};
      },
    });
  }
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    return fail(flag, `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Runs a round's tasks on the nodes that host their clients (fleet.ts has the rules). */
class RemoteExecutor implements Executor {
  readonly kind = 'remote' as const;
  constructor(private readonly fleet: Fleet) {}

  async fit(tasks: readonly FitIns[], opts: ExecOptions = {}): Promise<(FitRes | Failure)[]> {
    // The norm bound needs the whole round's updates.
    return this.fleet.screen((await this.run('fit', tasks, opts)) as (FitRes | Failure)[]);
  }

  evaluate(tasks: readonly EvaluateIns[], opts: ExecOptions = {}): Promise<(EvaluateRes | Failure)[]> {
    return this.run('evaluate', tasks, opts) as Promise<(EvaluateRes | Failure)[]>;
  }

  async close(): Promise<void> {}

  private run(kind: 'fit' | 'evaluate', tasks: readonly (FitIns | EvaluateIns)[], opts: ExecOptions) {
    let done = 0;
    const t = opts.timeoutMs;
    return this.fleet.dispatch(kind, tasks, t === undefined || t === Infinity ? undefined : t, (o) => {
      opts.onOutcome?.(o as { clientId: number; reason?: string });
      opts.onProgress?.(++done, tasks.length);
    });
  }
}
