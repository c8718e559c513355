/**
 * An SAE's side of ETSI GS QKD 014: `KmeClient` calls a KME's Get status,
 * Get key and Get key with key IDs, over HTTPS with mutual TLS (the SAE's
 * certificate and key, the CA that signed the KME's certificate), or over
 * plain HTTP naming itself in `X-SAE-ID` (loopback tests of `qfl kme
 * --insecure`). Answers are checked before use (sizes, UUIDs, base64, every
 * Status field); a failed call throws `EtsiCallError` with the KME's status
 * and Error body.
 *
 * @example
 * const kme = new KmeClient({ url: 'https://kme.lan:8443', ca, cert, key });
 * const { keys } = await kme.getKeys('n1', { number: 2, size: 256 });   // as master n0
 * // n1, with its own client: await kme1.getKeysWithIds('n0', keys.map((k) => k.key_ID))
 */
import http from 'node:http';
import https from 'node:https';
import {
  callPath,
  EtsiCallError,
  parseError,
  parseKeyContainer,
  parseStatus,
  type EtsiCall,
  type EtsiKeyContainer,
  type EtsiStatus,
} from './etsi014.js';
import { SAE_ID_HEADER } from './server.js';
import { fail } from '../../util/errors.js';

export interface KmeClientOptions {
  /** https://host:port (or http:// with `saeId` for an insecure KME). */
  readonly url: string;
  /** PEM: the CA of the KME's certificate, and this SAE's certificate and key. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Insecure KMEs only: the SAE ID sent in X-SAE-ID. */
  readonly saeId?: string;
  /** Largest answer accepted, bytes (default 16 MiB). */
  readonly maxResponseBytes?: number;
  /** Per-call timeout, ms (default 30 s). */
  readonly timeoutMs?: number;
}

export class KmeClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;

  constructor(options: KmeClientOptions) {
    const base = URL.canParse(options.url) ? new URL(options.url) : fail('url', `'${options.url}' is not a URL (https://HOST:PORT)`);
    if (base.protocol === 'https:') {
      if (options.ca === undefined || options.cert === undefined || options.key === undefined) fail('url', 'an https KME needs ca, cert and key (mutual TLS)');
      this.agent = new https.Agent({ ca: options.ca, cert: options.cert, key: options.key, keepAlive: true, minVersion: 'TLSv1.2' });
      this.headers = {};
    } else if (base.protocol === 'http:') {
      if (options.saeId === undefined) fail('saeId', 'an http (insecure) KME needs the SAE ID to send in X-SAE-ID');
      this.agent = new http.Agent({ keepAlive: true });
      this.headers = { [SAE_ID_HEADER]: options.saeId };
    } else fail('url', `must be https:// or http://, got '${base.protocol}'`);
    this.base = base;
    this.maxBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Get status of the link from this SAE (master) to `slaveSaeId`. */
  async status(slaveSaeId: string): Promise<EtsiStatus> {
    return parseStatus(await this.call('GET', slaveSaeId, 'status'));
  }

  /** Get key: `number` keys of `size` bits (KME defaults when omitted) shared with `slaveSaeId`. */
  async getKeys(slaveSaeId: string, request: { number?: number; size?: number } = {}): Promise<EtsiKeyContainer> {
    return parseKeyContainer(await this.call('POST', slaveSaeId, 'enc_keys', request));
  }

  /** Get key with key IDs: the keys master `masterSaeId` got for this SAE, in the order asked. */
  async getKeysWithIds(masterSaeId: string, keyIds: readonly string[]): Promise<EtsiKeyContainer> {
    const container = parseKeyContainer(await this.call('POST', masterSaeId, 'dec_keys', { key_IDs: keyIds.map((key_ID) => ({ key_ID })) }));
    const got = container.keys.map((k) => k.key_ID.toLowerCase());
    if (got.length !== keyIds.length || got.some((id, k) => id !== keyIds[k]!.toLowerCase())) {
      throw new Error(`KME answer: dec_keys returned key_IDs ${got.join(', ')} for ${keyIds.join(', ')}`);
    }
    return container;
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private call(method: 'GET' | 'POST', saeId: string, call: EtsiCall, body?: unknown): Promise<unknown> {
    const url = new URL(callPath(saeId, call), this.base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: { ...this.headers, accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.maxBytes) {
              req.destroy(new Error(`KME answer: over ${this.maxBytes} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              json = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status === 200) {
              if (json === undefined) reject(new Error(`KME answer to ${call}: not JSON`));
              else resolve(json);
            } else {
              reject(new EtsiCallError(status, parseError(status, json)));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`KME ${call}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
