import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { basename, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allowedHostNames, hostOf } from './host-check.js';
import type { ClientStatus, RunEvent, RunMonitor } from '../experiments/events.js';
import { isRunDir } from '../experiments/report/read.js';
import { fail, QflError } from '../util/errors.js';
import { networkView } from './network-view.js';
import type { DashboardInfo, FleetNodeView, NetworkView, RunList, StreamMessage } from './protocol.js';
import { RunFeed } from './run-feed.js';
import { findRuns, resolveRunId, runRow } from './run-list.js';

/**
 * The web dashboard: a small HTTP/1.1 server (node:http) that serves the
 * bundled page (dist/ui/web: index.html, app.js, app.css) and JSON about one
 * run or a directory of runs, with one server-sent-event stream per open run
 * (endpoints in protocol.ts). Read-only: GET and HEAD only, files only from
 * the bundled folder (looked up by exact name, never a path built from the
 * URL), run ids only for run directories inside the directory served.
 *
 * Three ways in:
 * - a run in this process (`qfl run`, `qfl server`) feeds it live:
 *
 *     const ui = await startDashboard({ runDir, host, port, live: true });
 *     console.error(`dashboard: ${ui.url}`);
 *     try {
 *       await runFederation({ config, runDir, monitor: ui.monitor });
 *     } finally {
 *       await ui.close(); // ends the page's stream, so the process can exit
 *     }
 *
 * - `qfl ui RUN_DIR` follows a run directory, finished or still being
 *   written by another process (its events.jsonl is polled);
 * - `qfl ui runs/` lists the runs below a directory and compares them.
 *
 * Bound to 127.0.0.1 unless told otherwise; on a loopback address, requests
 * that name another host are refused (DNS rebinding). Port 8450 by default,
 * the next few when it is taken, then any free port; port 0 is any free port.
 */

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8450;
/** Ports tried from the one asked for, before giving up (or, for the default, taking any free port). */
export const PORT_TRIES = 10;
const HEARTBEAT_MS = 15_000;

/** The bundled page, next to this module once built (scripts/build-web.mjs). */
export const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

export interface DashboardOptions {
  /** A run directory, or (not live) a directory of runs to browse. */
  readonly runDir: string;
  /** The run is fed through `monitor` by a runner in this process (`runDir` need not exist yet). */
  readonly live?: boolean;
  /** The folder of the page's files; default the bundled one. */
  readonly staticDir?: string;
  /** How often followed runs look at their events.jsonl, ms (default 250). */
  readonly pollMs?: number;
  /**
   * Other services on the same port: requests whose path starts with a
   * `prefix` (e.g. '/qfl.fleet.v1.Fleet/') go to its `handle`, any method
   * (the host check still applies). For `qfl server`'s browser clients.
   */
  readonly mounts?: readonly Mount[];
}

export interface Mount {
  readonly prefix: string;
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface ListenOptions {
  /** Default 127.0.0.1; another address only when asked (`--ui-host 0.0.0.0`). */
  readonly host?: string;
  /** Default 8450 (or the next free of the next few, else any); 0: any free port. */
  readonly port?: number;
  /** Host names besides this machine's own that requests may name (a DNS name of a server behind NAT). */
  readonly allowedHosts?: readonly string[];
  /**
   * Serve over HTTPS with this certificate and key (PEM). `qfl server` with TLS on passes its own, so
   * the Fleet service it mounts here has the same TLS as its gRPC port.
   */
  readonly tls?: { readonly cert: Buffer | string; readonly key: Buffer | string };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const FALLBACK_PAGE = `<!doctype html><meta charset="utf-8"><title>qfl dashboard</title>
<p>The dashboard's page is not built: run <code>npm run build</code> (or <code>node scripts/build-web.mjs</code>).
The data is here: <a href="/api/info">/api/info</a>, <a href="/api/runs">/api/runs</a>, <a href="/api/run?run=">/api/run</a>.</p>`;

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

/** The files of the page's folder, by name (no subfolders). */
function loadStatic(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  const add = (sub: string) => {
    for (const d of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const type = TYPES[extname(d.name)];
      if (d.isFile() && type) files.set(sub + d.name, { body: readFileSync(join(dir, sub, d.name)), type });
      // One level of folders: the browser client's join/ page.
      else if (d.isDirectory() && sub === '') add(`${d.name}/`);
    }
  };
  add('');
  return files;
}

export class Dashboard implements RunMonitor {
  readonly root: string;
  readonly mode: 'run' | 'browse';
  private readonly live: boolean;
  private readonly pollMs: number;
  private readonly mounts: readonly Mount[];
  private readonly files: Map<string, StaticFile>;
  private readonly feeds = new Map<string, RunFeed>();
  private readonly networkCache = new WeakMap<RunFeed, { key: string; view: NetworkView }>();
  private readonly streams = new Set<ServerResponse>();
  private server: Server | undefined;
  private address = '';
  private host = DEFAULT_HOST;
  private allowedHosts = allowedHostNames(DEFAULT_HOST);
  private closed = false;

  constructor(o: DashboardOptions) {
    this.root = resolve(o.runDir);
    this.live = o.live ?? false;
    this.pollMs = o.pollMs ?? 250;
    this.mounts = o.mounts ?? [];
    for (const m of this.mounts) if (!m.prefix.startsWith('/') || m.prefix.startsWith('/api/') || m.prefix === '/') fail('mounts', `prefix '${m.prefix}' must start with '/' and leave / and /api/ to the dashboard`);
    if (!this.live) {
      if (!existsSync(this.root)) fail(o.runDir, 'no such directory');
      if (!statSync(this.root).isDirectory()) fail(o.runDir, 'is not a directory; expected a run directory or a directory of runs');
    }
    this.mode = this.live || isRunDir(this.root) ? 'run' : 'browse';
    if (this.mode === 'run') this.feeds.set('', new RunFeed(this.root, { mode: this.live ? 'live' : 'read-only', pollMs: this.pollMs }));
    this.files = loadStatic(o.staticDir ?? WEB_DIR);
  }

  /** The page's address, once started. */
  get url(): string {
    return this.address;
  }

  /** What to pass to `runFederation({ monitor })` (the dashboard itself). */
  get monitor(): RunMonitor {
    return this;
  }

  event(e: RunEvent): void {
    this.feeds.get('')?.event(e);
  }

  client(round: number, clientId: number, status: ClientStatus, reason?: string): void {
    this.feeds.get('')?.client(round, clientId, status, reason);
  }

  /** A deployed run's nodes (`qfl server` passes its NodeRoster's list). */
  nodes(list: readonly FleetNodeView[]): void {
    this.feeds.get('')?.nodes(list);
  }

  /**
   * Starts listening; returns the URL. A taken port moves on to the next of
   * `PORT_TRIES`; past them the default port takes any free one, a port
   * asked for is an error.
   */
  async start(l: ListenOptions = {}): Promise<string> {
    if (this.server) return this.address;
    const host = l.host ?? DEFAULT_HOST;
    const asked = l.port ?? DEFAULT_PORT;
    if (!Number.isInteger(asked) || asked < 0 || asked > 65535) fail('port', `must be an integer in 0..65535, got ${asked}`);
    this.host = host;
    this.allowedHosts = allowedHostNames(host, l.allowedHosts ?? []);
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    const server = l.tls ? createTlsServer({ cert: l.tls.cert, key: l.tls.key }, handler) : createServer(handler);
    server.keepAliveTimeout = 2000;
    let port: number | undefined;
    const tries = asked === 0 ? [0] : Array.from({ length: Math.min(PORT_TRIES, 65536 - asked) }, (_, k) => asked + k);
    if (l.port === undefined) tries.push(0);
    for (const p of tries) {
      try {
        port = await listen(server, host, p);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES') continue;
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') fail('host', `cannot listen on '${host}' (${code}): give an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`);
        throw e;
      }
    }
    if (port === undefined) fail('port', `${asked}-${tries[tries.length - 1]} are all in use; give another port, or 0 for any free one`);
    this.server = server;
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.address = `${l.tls ? 'https' : 'http'}://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
    return this.address;
  }

  /** Ends every stream (the page shows the run is over), stops following runs and closes the server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.feeds.values()) f.close();
    for (const res of this.streams) res.end();
    this.streams.clear();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  }

  private feed(id: string): RunFeed | undefined {
    const known = this.feeds.get(id);
    if (known || this.mode === 'run' || this.closed) return known;
    const dir = resolveRunId(this.root, id);
    if (!dir) return undefined;
    const f = new RunFeed(dir, { mode: 'read-only', id, pollMs: this.pollMs });
    this.feeds.set(id, f);
    return f;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (e) {
      const message = e instanceof QflError ? e.message : e instanceof Error ? e.message : String(e);
      if (!res.headersSent) json(res, 500, { error: message });
      else res.end();
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    // On every bind address (DNS rebinding): only names of this machine, see host-check.ts.
    const name = hostOf(req.headers.host);
    if (!this.allowedHosts.has(name)) {
      json(res, 403, { error: `host '${name.slice(0, 100)}' refused: this dashboard answers to ${LOOPBACK.has(this.host) ? 'localhost only' : "this machine's addresses and names (add one with --ui-allowed-hosts)"}` });
      return;
    }
    const mount = this.mounts.find((m) => (req.url ?? '').startsWith(m.prefix));
    if (mount) {
      mount.handle(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      json(res, 400, { error: 'bad request URL' });
      return;
    }
    const path = url.pathname;
    const runId = url.searchParams.get('run') ?? '';
    switch (path) {
      case '/api/info': {
        const info: DashboardInfo = { mode: this.mode, name: this.mode === 'run' ? this.feeds.get('')!.name : basename(this.root), dir: this.root };
        json(res, 200, info);
        return;
      }
      case '/api/runs': {
        const list: RunList = { dir: this.root, runs: this.listRuns() };
        json(res, 200, list);
        return;
      }
      case '/api/run': {
        const f = this.feed(runId);
        if (!f) return notFound(res, runId);
        json(res, 200, f.snapshot());
        return;
      }
      case '/api/network': {
        const f = this.feed(runId);
        if (!f) return notFound(res, runId);
        const view = this.network(f);
        if (!view) json(res, 404, { error: 'this run has no network section' });
        else json(res, 200, view);
        return;
      }
      case '/api/events': {
        const f = this.feed(runId);
        if (!f) return notFound(res, runId);
        this.stream(req, res, f);
        return;
      }
      default:
        this.serveFile(req, res, path);
    }
  }

  private listRuns() {
    if (this.mode === 'run') {
      const f = this.feeds.get('')!;
      const s = f.snapshot();
      const last = s.rounds[s.rounds.length - 1];
      const acc = s.end?.final?.accuracy ?? last?.central?.accuracy ?? last?.evaluate?.accuracy;
      return [
        {
          id: '',
          name: f.name,
          state: s.state,
          rounds: last?.round ?? 0,
          ...(s.start ? { plannedRounds: s.start.rounds } : {}),
          ...(typeof acc === 'number' ? { finalAccuracy: acc } : {}),
          updated: new Date().toISOString(),
        },
      ];
    }
    const rows = [];
    for (const id of findRuns(this.root)) {
      try {
        rows.push(runRow(this.root, id));
      } catch {
        // A directory that vanished or cannot be read between listing and reading: left out.
      }
    }
    return rows;
  }

  private network(f: RunFeed): NetworkView | undefined {
    const config = f.networkConfig();
    if (config === undefined) return undefined;
    const rounds = f.rounds();
    const key = `${rounds.length}:${rounds[rounds.length - 1]?.network?.endS ?? 0}`;
    const hit = this.networkCache.get(f);
    if (hit?.key === key) return hit.view;
    const view = networkView(config, rounds);
    this.networkCache.set(f, { key, view });
    return view;
  }

  private stream(req: IncomingMessage, res: ServerResponse, f: RunFeed): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SECURITY_HEADERS });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const send = (m: StreamMessage) => res.write(`data: ${JSON.stringify(m)}\n\n`);
    res.write('retry: 2000\n\n');
    send({ kind: 'snapshot', run: f.snapshot() });
    if (this.closed) {
      send({ kind: 'closing' });
      res.end();
      return;
    }
    this.streams.add(res);
    const unsubscribe = f.subscribe((m) => {
      send(m);
      if (m.kind === 'closing') res.end();
    });
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    beat.unref();
    res.on('close', () => {
      clearInterval(beat);
      unsubscribe();
      this.streams.delete(res);
    });
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, path: string): void {
    const name = path.endsWith('/') ? `${path.slice(1)}index.html` : path.slice(1);
    const file = this.files.get(name);
    if (!file && this.files.has(`${name}/index.html`)) {
      res.writeHead(301, { Location: `${path}/`, ...SECURITY_HEADERS }).end();
      return;
    }
    if (!file) {
      if (name === 'index.html') {
        res.writeHead(200, { 'Content-Type': TYPES['.html']!, ...SECURITY_HEADERS }).end(FALLBACK_PAGE);
        return;
      }
      json(res, 404, { error: 'not found' });
      return;
    }
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
  res.end(text);
}

function notFound(res: ServerResponse, id: string): void {
  json(res, 404, { error: `no run '${id}' here` });
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((ok, ko) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      ko(e);
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      ok(typeof a === 'object' && a ? a.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * A dashboard, started: `new Dashboard(o)` then `start(o)`.
 *
 * @example
 * const ui = await startDashboard({ runDir: 'runs/quickstart', port: 0 });
 * console.log(ui.url); // http://127.0.0.1:41234/
 * await ui.close();
 */
export async function startDashboard(o: DashboardOptions & ListenOptions): Promise<Dashboard> {
  const d = new Dashboard(o);
  await d.start({ ...(o.host !== undefined ? { host: o.host } : {}), ...(o.port !== undefined ? { port: o.port } : {}), ...(o.allowedHosts ? { allowedHosts: o.allowedHosts } : {}), ...(o.tls ? { tls: o.tls } : {}) });
  return d;
}
