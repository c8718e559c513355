import type { FleetNodeView } from './protocol.js';

/** A connected node as the server's Fleet.list() gives it. */
export interface ConnectedNode {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly clientIds: readonly number[];
  readonly secondsSinceSeen: number;
}

/**
 * The nodes a deployed run's dashboard lists: those connected now (the
 * server's `Fleet.list()`, passed in as plain records so ui needs no
 * transport import) and those seen before, marked disconnected with the
 * time they were last heard from. A name that comes back (a restarted node,
 * a reloaded tab) replaces its old entries; at most `keepGone` disconnected
 * entries are kept, the most recently seen, so a stream of short-lived nodes
 * cannot grow the list without bound.
 *
 * @example
 * const roster = new NodeRoster();
 * roster.update([{ id: 'n0#1', name: 'n0', kind: 'node', clientIds: [0], secondsSinceSeen: 0.4 }]);
 * // -> [{ id: 'n0#1', name: 'n0', kind: 'node', clientIds: [0], connected: true, lastSeen: '2026-...' }]
 */
export class NodeRoster {
  private readonly known = new Map<string, FleetNodeView & { seenMs: number }>();

  constructor(private readonly keepGone = 200) {}

  /** Takes in who is connected now; returns the list to show (connected first, then by name). */
  update(connected: readonly ConnectedNode[], nowMs = Date.now()): FleetNodeView[] {
    const live = new Set(connected.map((c) => c.id));
    const names = new Set(connected.map((c) => c.name));
    for (const c of connected) {
      // Whole seconds: the list then changes when a node calls in a new second, not on every poll.
      const seenMs = Math.floor((nowMs - c.secondsSinceSeen * 1000) / 1000) * 1000;
      this.known.set(c.id, { id: c.id, name: c.name, kind: c.kind, clientIds: [...c.clientIds], connected: true, lastSeen: new Date(seenMs).toISOString(), seenMs });
    }
    for (const [id, v] of this.known) {
      if (live.has(id)) continue;
      if (names.has(v.name)) this.known.delete(id);
      else if (v.connected) this.known.set(id, { ...v, connected: false });
    }
    const gone = [...this.known.values()].filter((v) => !v.connected).sort((a, b) => b.seenMs - a.seenMs);
    for (const v of gone.slice(this.keepGone)) this.known.delete(v.id);
    return [...this.known.values()]
      .sort((a, b) => Number(b.connected) - Number(a.connected) || a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
      .map(({ seenMs: _seen, ...v }) => v);
  }
}
