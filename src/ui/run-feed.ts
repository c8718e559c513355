import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ClientStatus, RunEvent } from '../experiments/events.js';
import { CONFIG_FILE, EVENTS_FILE, parseEvents, readRunConfig } from '../experiments/report/read.js';
import type { FeedMode, FleetNodeView, RunSnapshot, RunState, StreamMessage } from './protocol.js';
import { RunModel } from './run-model.js';

/**
 * One run directory as the dashboard follows it. `live`: the runner in this
 * process reports each event and client status (`event`, `client`), after
 * whatever events.jsonl already held (a resumed run). `read-only`: the
 * appended lines of events.jsonl are read as they come (polled every
 * `pollMs` while someone listens), so a run written by another process, or
 * one long finished, looks the same. Listeners get `StreamMessage`s.
 */

/** A run without an end event whose events.jsonl has not changed for this long is shown as stopped. */
export const STALE_MS = 60_000;

export interface RunFeedOptions {
  readonly mode: FeedMode;
  /** The id the page uses for this run ('' for the dashboard's one run). */
  readonly id?: string;
  readonly pollMs?: number;
  /** For tests: the clock. */
  readonly now?: () => number;
}

export class RunFeed {
  readonly dir: string;
  readonly id: string;
  readonly mode: FeedMode;
  private model = new RunModel();
  private config: string | undefined;
  private network = false;
  private fleet: readonly FleetNodeView[] | undefined;
  private offset = 0;
  private pending: Buffer = Buffer.alloc(0);
  private skipped = 0;
  private mtimeMs = 0;
  private state: RunState = 'waiting';
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(m: StreamMessage) => void>();
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(dir: string, o: RunFeedOptions) {
    this.dir = resolve(dir);
    this.id = o.id ?? '';
    this.mode = o.mode;
    this.pollMs = o.pollMs ?? 250;
    this.now = o.now ?? Date.now;
    this.read();
    this.loadConfig();
    this.state = this.computeState();
  }

  /** The run's name: its start event's, else the directory's. */
  get name(): string {
    return this.model.start?.name ?? basename(this.dir);
  }

  /** What the page draws first. */
  snapshot(): RunSnapshot {
    if (this.mode === 'read-only') this.poll();
    const m = this.model;
    const live = m.liveRound();
    return {
      id: this.id,
      name: this.name,
      dir: this.dir,
      mode: this.mode,
      state: this.state,
      ...(this.config !== undefined ? { config: this.config } : {}),
      network: this.network,
      ...(m.start ? { start: m.start } : {}),
      resumes: m.resumes,
      rounds: m.rounds,
      ...(m.end ? { end: m.end } : {}),
      ...(live ? { live } : {}),
      skipped: this.skipped,
      ...(this.fleet ? { nodes: this.fleet } : {}),
    };
  }

  /** The config.yaml's `network:` section, when it has one. */
  networkConfig(): unknown {
    if (!this.network) return undefined;
    return (readRunConfig(this.dir)?.value as { network?: unknown } | undefined)?.network;
  }

  /** The recorded rounds, in order. */
  rounds(): RunSnapshot['rounds'] {
    if (this.mode === 'read-only') this.poll();
    return this.model.rounds;
  }

  /** Calls `fn` with every change until the returned function is called. Read-only feeds poll while someone listens. */
  subscribe(fn: (m: StreamMessage) => void): () => void {
    this.listeners.add(fn);
    if (this.mode === 'read-only' && !this.timer && !this.closed) {
      this.timer = setInterval(() => this.poll(), this.pollMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Live: an event the runner has just appended to events.jsonl. */
  event(e: RunEvent): void {
    if (this.closed) return;
    this.model.apply(e);
    this.send({ kind: 'event', event: e });
    // The runner writes config.yaml before its start event (again, when an old directory is reused).
    if ((this.config === undefined || e.type === 'start') && this.loadConfig()) this.send({ kind: 'config', text: this.config!, network: this.network });
    this.updateState();
  }

  /** Live: a client's status in the round in progress. */
  client(round: number, clientId: number, status: ClientStatus, reason?: string): void {
    if (this.closed) return;
    this.model.client(round, clientId, status, reason);
    this.send({ kind: 'client', round, clientId, status, ...(reason !== undefined ? { reason } : {}) });
  }

  /** Live (`qfl server`): the run's nodes; sent on only when the list changed. */
  nodes(list: readonly FleetNodeView[]): void {
    if (this.closed || (this.fleet !== undefined && JSON.stringify(list) === JSON.stringify(this.fleet))) return;
    this.fleet = list;
    this.send({ kind: 'nodes', nodes: list });
  }

  /** Says goodbye to the listeners and stops polling. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.updateState();
    this.send({ kind: 'closing' });
    this.listeners.clear();
  }

  /** Read-only: takes in what was appended to events.jsonl since the last look. */
  poll(): void {
    if (this.closed) return;
    if (this.read() === 'replaced') this.send({ kind: 'snapshot', run: this.snapshot() });
    if (this.config === undefined && this.loadConfig()) this.send({ kind: 'config', text: this.config!, network: this.network });
    this.updateState();
  }

  private send(m: StreamMessage): void {
    for (const fn of this.listeners) fn(m);
  }

  private loadConfig(): boolean {
    if (!existsSync(join(this.dir, CONFIG_FILE))) return false;
    const c = readRunConfig(this.dir);
    if (!c) return false;
    this.config = c.text;
    const v = c.value as { network?: unknown } | undefined;
    this.network = typeof v === 'object' && v !== null && typeof v.network === 'object' && v.network !== null;
    return true;
  }

  private computeState(): RunState {
    const m = this.model;
    if (m.end) return 'finished';
    if (this.mode === 'live') return this.closed ? 'stopped' : m.start ? 'running' : 'waiting';
    if (!m.start) return 'waiting';
    // Read-only: a run whose file stopped changing long ago was stopped (Ctrl-C, kill, crash).
    const slowest = Math.max(0, ...m.rounds.map((r) => r.seconds.total ?? 0));
    return this.now() - this.mtimeMs > Math.max(STALE_MS, 5000 * slowest) ? 'stopped' : 'running';
  }

  private updateState(): void {
    const s = this.computeState();
    if (s === this.state) return;
    this.state = s;
    this.send({ kind: 'state', state: s });
  }

  /**
   * Reads the bytes appended to events.jsonl and applies its complete lines
   * (a line still being written waits for its newline). A file that shrank
   * was replaced: it is read again from the start.
   */
  private read(): 'none' | 'appended' | 'replaced' {
    const path = join(this.dir, EVENTS_FILE);
    let size: number;
    try {
      const st = statSync(path);
      size = st.size;
      this.mtimeMs = st.mtimeMs;
    } catch {
      return 'none';
    }
    let result: 'appended' | 'replaced' = 'appended';
    if (size < this.offset) {
      this.model = new RunModel();
      this.offset = 0;
      this.pending = Buffer.alloc(0);
      this.skipped = 0;
      result = 'replaced';
    } else if (size === this.offset) return 'none';
    const chunk = Buffer.alloc(size - this.offset);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, chunk, 0, chunk.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
      this.line(data.subarray(0, nl).toString('utf8'), result === 'appended');
      data = data.subarray(nl + 1);
    }
    this.pending = Buffer.from(data);
    return result;
  }

  /** One complete line of events.jsonl, checked as the reports check it. */
  private line(text: string, announce: boolean): void {
    if (text.trim() === '') return;
    const log = parseEvents(text + '\n');
    this.skipped += log.skipped.length;
    const e: RunEvent | undefined = log.start ?? log.rounds[0] ?? log.end;
    if (!e) return;
    this.model.apply(e);
    if (announce) this.send({ kind: 'event', event: e });
  }
}
