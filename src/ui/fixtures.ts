import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunConfigSchema, type RunConfig } from '../experiments/run-schema.js';
import { validate } from '../experiments/validate.js';
import type { StreamMessage } from './protocol.js';

/** Helpers of the dashboard's tests: a tiny federation, raw HTTP requests and a server-sent-event reader. */

/** A federation on generated 3-qubit states that runs in well under a second. */
export function tinyConfig(overrides: Record<string, unknown> = {}): RunConfig {
  return validate(RunConfigSchema, {
    name: 'tiny',
    seed: 5,
    data: { name: 'entanglement', qubits: 3, samples: 120 },
    model: { kind: 'qstate', layers: 1 },
    federation: { clients: 4, rounds: 3 },
    strategy: { name: 'fedavg', fraction_fit: 0.75, min_fit_clients: 2, fraction_evaluate: 0.5, min_evaluate_clients: 1 },
    local: { epochs: 1, batch_size: 8, lr: 0.05 },
    runtime: { workers: 0 },
    ...overrides,
  });
}

export const tmp = (prefix = 'qfl-ui-') => mkdtempSync(join(tmpdir(), prefix));

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request with the path sent exactly as given (no normalisation of `..`, unlike fetch). */
export function get(base: string, path: string, o: { method?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const u = new URL(base);
  return new Promise((ok, ko) => {
    const req = request({ host: u.hostname, port: u.port, path, method: o.method ?? 'GET', headers: o.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', ko);
    req.end();
  });
}

/** Reads a server-sent-event stream into a list of messages. */
export class SseReader {
  readonly messages: StreamMessage[] = [];
  ended = false;
  private buffer = '';
  private wake: (() => void)[] = [];
  private readonly close: () => void;

  private constructor(close: () => void) {
    this.close = close;
  }

  static open(base: string, path: string): Promise<SseReader> {
    const u = new URL(base);
    return new Promise((ok, ko) => {
      const req = request({ host: u.hostname, port: u.port, path, headers: { Accept: 'text/event-stream' }, agent: false }, (res) => {
        if (res.statusCode !== 200) {
          ko(new Error(`${path}: HTTP ${res.statusCode}`));
          return;
        }
        const r = new SseReader(() => req.destroy());
        res.setEncoding('utf8');
        res.on('data', (d: string) => r.take(d));
        res.on('end', () => {
          r.ended = true;
          r.notify();
        });
        res.on('error', () => undefined);
        ok(r);
      });
      req.on('error', ko);
      req.end();
    });
  }

  private take(d: string): void {
    this.buffer += d;
    for (let k = this.buffer.indexOf('\n\n'); k >= 0; k = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, k);
      this.buffer = this.buffer.slice(k + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data) this.messages.push(JSON.parse(data) as StreamMessage);
    }
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /** The first message (from index `from`) that `pred` accepts; rejects after `timeoutMs`. */
  async until(pred: (m: StreamMessage) => boolean, timeoutMs = 5000, from = 0): Promise<StreamMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.slice(from).find(pred);
      if (hit) return hit;
      if (this.ended) throw new Error(`stream ended without the message (got ${this.messages.map((m) => m.kind).join(', ')})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such message within ${timeoutMs} ms (got ${this.messages.map((m) => m.kind).join(', ')})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolves when the server ends the stream. */
  async end(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('the stream did not end');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  destroy(): void {
    this.close();
  }
}
