import type { ClientStatus, EndEvent, RoundEvent, RunEvent, StartEvent } from '../experiments/events.js';
import type { LiveClient, LiveRound, RunSnapshot } from './protocol.js';

/**
 * One run as the dashboard sees it, built event by event: the same rules as
 * reading events.jsonl back (experiments/report/read.ts) - a resume's start
 * drops the rounds after it and the earlier end, a round number seen again
 * replaces the earlier event - plus the live status of each client in the
 * round in progress. Pure (no Node modules): the server and the page share it.
 */

/** What a client's cell in the grid shows. `idle`: not sampled this round. */
export const CELL_STATUSES = ['idle', 'training', 'done', 'failed', 'dropped', 'flagged'] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

export interface ClientCell {
  readonly id: number;
  readonly status: CellStatus;
  readonly reason?: string;
}

const NO_LINK = 'no link';

/**
 * The clients' cells of a finished round, from its event: done (an update was
 * used), flagged (the robust aggregator found it suspicious), failed (with
 * the reason), dropped (no link to the server, or dropped out of secure
 * aggregation), idle (not sampled).
 *
 * @example
 * roundCells({ ...e, clients: [{ id: 0, ... }], fit: { failures: [{ clientId: 2, reason: 'timeout after 5 ms' }], ... }, flagged: [0] }, 3)
 * // -> [{ id: 0, status: 'flagged', ... }, { id: 1, status: 'idle' }, { id: 2, status: 'failed', reason: 'timeout after 5 ms' }]
 */
export function roundCells(e: RoundEvent, clients: number): ClientCell[] {
  const n = Math.max(clients, ...e.clients.map((c) => c.id + 1), ...e.fit.failures.map((f) => f.clientId + 1));
  const cells: ClientCell[] = Array.from({ length: n }, (_, id) => ({ id, status: 'idle' }));
  const late = new Set((e.network?.clients ?? []).filter((t) => t.late).map((t) => t.client));
  for (const c of e.clients) cells[c.id] = { id: c.id, status: 'done', ...(late.has(c.id) ? { reason: 'arrived after the deadline: joins the next round' } : {}) };
  for (const f of e.fit.failures) {
    cells[f.clientId] = { id: f.clientId, status: f.reason.startsWith(NO_LINK) ? 'dropped' : 'failed', reason: f.reason };
  }
  for (const id of e.secure?.dropped ?? []) {
    if (id < n) cells[id] = { id, status: 'dropped', reason: cells[id]!.reason ?? 'dropped out of secure aggregation' };
  }
  for (const id of e.flagged ?? []) {
    if (id < n && cells[id]!.status === 'done') cells[id] = { id, status: 'flagged', reason: 'flagged by the robust aggregator' };
  }
  return cells;
}

/** The cells of the round in progress, from the runner's live reports. */
export function liveCells(live: LiveRound, clients: number): ClientCell[] {
  const n = Math.max(clients, ...live.clients.map((c) => c.id + 1));
  const cells: ClientCell[] = Array.from({ length: n }, (_, id) => ({ id, status: 'idle' }));
  for (const c of live.clients) cells[c.id] = { id: c.id, status: c.status, ...(c.reason !== undefined ? { reason: c.reason } : {}) };
  return cells;
}

export class RunModel {
  start: StartEvent | undefined;
  resumes: StartEvent[] = [];
  /** One event per round, sorted by round. */
  rounds: RoundEvent[] = [];
  end: EndEvent | undefined;
  live: { round: number; clients: Map<number, LiveClient> } | undefined;

  /** A model holding what a snapshot holds. */
  static from(s: RunSnapshot): RunModel {
    const m = new RunModel();
    m.start = s.start;
    m.resumes = [...s.resumes];
    m.rounds = [...s.rounds];
    m.end = s.end;
    if (s.live) m.live = { round: s.live.round, clients: new Map(s.live.clients.map((c) => [c.id, c])) };
    return m;
  }

  apply(e: RunEvent): void {
    switch (e.type) {
      case 'start': {
        if (this.start === undefined) this.start = e;
        else {
          this.resumes.push(e);
          const after = e.resumedAfterRound;
          if (after !== undefined) this.rounds = this.rounds.filter((r) => r.round <= after);
          this.end = undefined;
        }
        this.live = undefined;
        break;
      }
      case 'round': {
        const i = this.rounds.findIndex((r) => r.round >= e.round);
        if (i < 0) this.rounds.push(e);
        else if (this.rounds[i]!.round === e.round) this.rounds[i] = e;
        else this.rounds.splice(i, 0, e);
        if (this.live && this.live.round <= e.round) this.live = undefined;
        break;
      }
      case 'end':
        this.end = e;
        this.live = undefined;
        break;
      default:
        break; // a kind of event the dashboard does not show
    }
  }

  /** A client's status changed in the round in progress. */
  client(round: number, clientId: number, status: ClientStatus, reason?: string): void {
    if (!this.live || this.live.round !== round) this.live = { round, clients: new Map() };
    this.live.clients.set(clientId, { id: clientId, status, ...(reason !== undefined ? { reason } : {}) });
  }

  liveRound(): LiveRound | undefined {
    return this.live && { round: this.live.round, clients: [...this.live.clients.values()].sort((a, b) => a.id - b.id) };
  }

  /** Clients of the run (the start event's count, else the most seen in a round). */
  clients(): number {
    return this.start?.clients ?? Math.max(0, ...this.rounds.map((r) => r.fit.sampled));
  }

  /** The cells to show: the round in progress when there is one, else the last round's. */
  currentCells(): { round: number; live: boolean; cells: ClientCell[] } | undefined {
    const live = this.liveRound();
    if (live) return { round: live.round, live: true, cells: liveCells(live, this.clients()) };
    const last = this.rounds[this.rounds.length - 1];
    return last && { round: last.round, live: false, cells: roundCells(last, this.clients()) };
  }
}
