/**
 * `qfl kme` on the network: the ETSI GS QKD 014 REST API of a `KmeService`
 * over HTTPS with mutual TLS, where an SAE is the common name of the client
 * certificate the KME's CA signed (`qfl certs --saes ...`). With `insecure`
 * it speaks plain HTTP and the caller names itself in an `X-SAE-ID` header:
 * for loopback tests only.
 *
 * Nothing from the network is trusted: bodies over `MAX_BODY_BYTES` and URLs
 * over `MAX_URL_BYTES` are refused before they are read in full, JSON is
 * parsed into checked records (`etsi014.ts`), slow clients are cut off
 * (request and header timeouts), and the log names calls, SAEs and key
 * counts, never key material.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  badRequest,
  EtsiCallError,
  isSaeId,
  parseKeyIds,
  parseKeyIdsQuery,
  parseKeyRequest,
  parseKeyRequestQuery,
  parseRoute,
  unauthorized,
} from './etsi014.js';
import type { KmeService } from './service.js';

export const SAE_ID_HEADER = 'x-sae-id';
export const MAX_BODY_BYTES = 64 * 1024;
export const MAX_URL_BYTES = 4096;

export interface KmeServerOptions {
  readonly host: string;
  readonly port: number;
  /** PEM: the KME's certificate and key, and the CA whose SAE certificates are accepted. Omitted: `insecure` must be set. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
  readonly insecure?: boolean;
  readonly log?: (line: string) => void;
}

export interface KmeServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts serving `service`; resolves once it listens. */
export function startKmeServer(service: KmeService, options: KmeServerOptions): Promise<KmeServer> {
  const log = options.log ?? (() => {});
  if (options.tls === undefined && options.insecure !== true) throw new Error('startKmeServer: give tls or insecure');
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(service, options.tls !== undefined, req, res, log).catch((e: unknown) => {
      log(`kme: internal error: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 503, { message: 'internal error of the KME' });
    });
  };
  const server =
    options.tls !== undefined
      ? https.createServer({ cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, handler)
      : http.createServer(handler);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 64;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `${options.tls !== undefined ? 'https' : 'http'}://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function handle(service: KmeService, tls: boolean, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const started = process.hrtime.bigint();
  let caller = '-';
  let what = `${req.method ?? '?'} ${(req.url ?? '').slice(0, 120)}`;
  try {
    if ((req.url ?? '').length > MAX_URL_BYTES) throw badRequest(`the URL is over ${MAX_URL_BYTES} bytes`);
    const url = new URL(req.url ?? '/', 'http://kme.invalid');
    const route = parseRoute(url.pathname);
    if (route === undefined) {
      req.resume();
      send(res, 404, { message: `no such call: ${url.pathname.slice(0, 120)}; the calls are /api/v1/keys/{SAE_ID}/status, enc_keys and dec_keys` });
      return;
    }
    const method = req.method ?? '';
    const allowed = route.call === 'status' ? ['GET'] : ['GET', 'POST'];
    if (!allowed.includes(method)) {
      req.resume();
      res.setHeader('allow', allowed.join(', '));
      send(res, 405, { message: `${route.call} takes ${allowed.join(' or ')}, not ${method.slice(0, 16)}` });
      return;
    }
    caller = identify(service, tls, req);
    if (!isSaeId(route.saeId)) throw badRequest(`'${String(route.saeId).slice(0, 64)}' is not an SAE ID`);
    const body = method === 'POST' ? await readJson(req) : (req.resume(), undefined);
    const max = service.limits.maxKeyPerRequest;
    switch (route.call) {
      case 'status':
        what = `status ${caller} -> ${route.saeId}`;
        send(res, 200, service.status(caller, route.saeId));
        break;
      case 'enc_keys': {
        const request = method === 'POST' ? parseKeyRequest(body) : parseKeyRequestQuery(url.searchParams);
        what = `enc_keys ${caller} -> ${route.saeId}`;
        const out = service.encKeys(caller, route.saeId, request);
        what += `: ${out.keys.length} keys of ${request.size ?? service.limits.keySize} bits`;
        send(res, 200, out);
        break;
      }
      case 'dec_keys': {
        const ids = method === 'POST' ? parseKeyIds(body, max) : parseKeyIdsQuery(url.searchParams);
        what = `dec_keys ${caller} <- ${route.saeId}`;
        const out = service.decKeys(caller, route.saeId, ids);
        what += `: ${out.keys.length} keys`;
        send(res, 200, out);
        break;
      }
    }
    log(`kme: ${what} (${elapsedMs(started)} ms)`);
  } catch (e) {
    if (!(e instanceof EtsiCallError)) throw e;
    log(`kme: ${what} by ${caller}: ${e.status} ${e.body.message}`);
    if (!req.complete) {
      // The rest of the body is never read: answer, then close the connection rather than drain it.
      res.setHeader('connection', 'close');
      res.once('finish', () => req.socket.destroy());
    }
    if (!res.headersSent) send(res, e.status, e.body);
  }
}

/** The calling SAE: the client certificate's CN (TLS) or the X-SAE-ID header (insecure); 401 otherwise. */
function identify(service: KmeService, tls: boolean, req: IncomingMessage): string {
  let id: string;
  if (tls) {
    const socket = req.socket as TLSSocket;
    const cert = socket.getPeerCertificate();
    if (cert === null || Object.keys(cert).length === 0) throw unauthorized('no client certificate: an SAE proves who it is with a certificate signed by the KME\'s CA');
    if (!socket.authorized) throw unauthorized(`the client certificate was not accepted: ${String(socket.authorizationError)}`);
    const cn = cert.subject?.CN;
    id = Array.isArray(cn) ? '' : (cn ?? '');
  } else {
    const header = req.headers[SAE_ID_HEADER];
    if (typeof header !== 'string' || header === '') throw unauthorized(`no ${SAE_ID_HEADER} header: without TLS a caller names itself there`);
    id = header;
  }
  if (!service.saes.includes(id)) throw unauthorized(`'${id.slice(0, 64)}' is not an SAE of this KME`);
  return id;
}

/** The request's JSON body, at most MAX_BODY_BYTES; 400 for anything else. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES) throw badRequest(`the body is ${declared} bytes, over the ${MAX_BODY_BYTES} allowed`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw badRequest(`the body is over the ${MAX_BODY_BYTES} bytes allowed`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {}; // an empty POST is the request with every default
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(`the body is not JSON: ${(e as Error).message.slice(0, 200)}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function elapsedMs(started: bigint): string {
  return (Number(process.hrtime.bigint() - started) / 1e6).toFixed(2);
}
