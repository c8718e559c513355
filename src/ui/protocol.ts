import type { ClientStatus, EndEvent, RoundEvent, RunEvent, StartEvent } from '../experiments/events.js';

/**
 * What the dashboard's server sends its page: the JSON of the endpoints and
 * the messages of the event stream. Types only (the page imports them too).
 *
 * Endpoints (GET only; `run` is '' for the one run of `qfl run` / `qfl ui
 * RUN_DIR`, else a run directory relative to the browsed directory):
 * - `/api/info` -> `DashboardInfo`
 * - `/api/runs` -> `RunList`
 * - `/api/run?run=ID` -> `RunSnapshot`
 * - `/api/network?run=ID` -> `NetworkView` (404 when the run has no network)
 * - `/api/events?run=ID` -> server-sent events, one `StreamMessage` per
 *   `data:` line: first a snapshot, then what changes.
 */

/** Where a run stands: no start event yet, rounds still coming, ended, or stopped without an end event. */
export const RUN_STATES = ['waiting', 'running', 'finished', 'stopped'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** `live`: fed by the runner in this process; `read-only`: events.jsonl read (and followed) from disk. */
export type FeedMode = 'live' | 'read-only';

export interface DashboardInfo {
  /** `run`: one run directory; `browse`: a directory of runs (a sweep, `runs/`). */
  readonly mode: 'run' | 'browse';
  readonly name: string;
  readonly dir: string;
}

/** A client's status in the round in progress, as the runner reports it. */
export interface LiveClient {
  readonly id: number;
  readonly status: ClientStatus;
  readonly reason?: string;
}

export interface LiveRound {
  readonly round: number;
  readonly clients: readonly LiveClient[];
}

/** Everything the page needs to draw one run; the stream then sends what changes. */
export interface RunSnapshot {
  readonly id: string;
  readonly name: string;
  readonly dir: string;
  readonly mode: FeedMode;
  readonly state: RunState;
  /** config.yaml as written (absent until the runner has written it). */
  readonly config?: string;
  /** The config has a `network:` section (`/api/network` answers). */
  readonly network: boolean;
  readonly start?: StartEvent;
  readonly resumes: readonly StartEvent[];
  /** One event per round, in round order (a resumed round replaces the earlier one). */
  readonly rounds: readonly RoundEvent[];
  readonly end?: EndEvent;
  /** The round in progress, live runs only. */
  readonly live?: LiveRound;
  /** Lines of events.jsonl that could not be read. */
  readonly skipped: number;
  /** The nodes of a deployed run (`qfl server`), live runs only; absent for simulations. */
  readonly nodes?: readonly FleetNodeView[];
}

/** A node of a deployed federation as the dashboard shows it: one per session, the newest of a name kept. */
export interface FleetNodeView {
  /** The server's id of the session, e.g. `node-0#3`. */
  readonly id: string;
  readonly name: string;
  /** `node` (qfl client) or `browser` (a join page tab). */
  readonly kind: string;
  readonly clientIds: readonly number[];
  /** False once the node unregistered, went silent or was replaced. */
  readonly connected: boolean;
  /** When the server last heard from it (ISO 8601). */
  readonly lastSeen: string;
}

export type StreamMessage =
  | { readonly kind: 'snapshot'; readonly run: RunSnapshot }
  | { readonly kind: 'event'; readonly event: RunEvent }
  | { readonly kind: 'client'; readonly round: number; readonly clientId: number; readonly status: ClientStatus; readonly reason?: string }
  | { readonly kind: 'state'; readonly state: RunState }
  | { readonly kind: 'config'; readonly text: string; readonly network: boolean }
  /** The deployed run's nodes changed (joined, left, called in). */
  | { readonly kind: 'nodes'; readonly nodes: readonly FleetNodeView[] }
  /** The dashboard is closing (the run is over): the page stops reconnecting. */
  | { readonly kind: 'closing' };

/** One run in the browser's table. */
export interface RunRow {
  readonly id: string;
  readonly name: string;
  readonly state: RunState;
  readonly rounds: number;
  readonly plannedRounds?: number;
  readonly finalAccuracy?: number;
  readonly bestAccuracy?: number;
  readonly finalLoss?: number;
  readonly seconds?: number;
  /** When events.jsonl last changed (ISO 8601). */
  readonly updated: string;
}

export interface RunList {
  readonly dir: string;
  readonly runs: readonly RunRow[];
}

export type NetworkNodeRole = 'server' | 'client' | 'edge' | 'relay';

/** A node of a space-air-ground network, with its ground track over the run. */
export interface NetworkNode {
  readonly id: string;
  readonly kind: 'ground' | 'uav' | 'satellite';
  readonly role: NetworkNodeRole;
  /** The federation client it hosts (role `client`). */
  readonly client?: number;
  /** [lon, lat] in degrees, sampled over [0, endS]. */
  readonly track: readonly (readonly [number, number])[];
  /** [lon, lat] at `nowS`. */
  readonly now: readonly [number, number];
}

/** Up intervals of one direct link, in simulated seconds. */
export interface LinkAvailability {
  readonly from: string;
  readonly to: string;
  readonly intervals: readonly (readonly [number, number])[];
}

/** The map and link availability of a network run, computed from its config and simulated time. */
export interface NetworkView {
  readonly epoch: string;
  readonly server: string;
  /** Simulated time of the last recorded round's end. */
  readonly endS: number;
  /** The time of the node positions and up links shown (the last round's start). */
  readonly nowS: number;
  readonly nodes: readonly NetworkNode[];
  readonly linksUp: readonly (readonly [string, string])[];
  /** Each client's direct links to the server and to every satellite. */
  readonly availability: readonly LinkAvailability[];
}
