import type { RoundEvent } from '../experiments/events.js';
import { NetworkSchema } from '../experiments/network.js';
import { linkIntervals, upLinksAt, type LinkParamOverrides } from '../qnet/sagin/links.js';
import { positionAt, validateNodes, type SaginNode } from '../qnet/sagin/topology.js';
import type { NetworkNode, NetworkNodeRole, NetworkView } from './protocol.js';

/**
 * The dashboard's map of a space-air-ground run. Positions are not in the
 * events: they come from the config's nodes (orbits, UAV mobility, ground
 * stations) at the simulated times the round events give, through the same
 * code the runner used (qnet/sagin). Tracks cover [0, endS]; positions and up
 * links are those at the start of the last recorded round; availability is
 * each client's direct links to the server and to every satellite, like the
 * sagin report's (experiments/papers/sagin.ts).
 */

/** Samples of each ground track. */
const TRACK_SAMPLES = 180;
/** Availability is sampled at about this many steps over the window (passes shorter than a step can be missed). */
const AVAILABILITY_STEPS = 400;
/** The shortest window shown, simulated seconds (before the first round ends). */
const MIN_WINDOW_S = 600;

const lonLat = (n: SaginNode, t: number, epoch: string): readonly [number, number] => {
  const g = positionAt(n, t, epoch).geodetic;
  return [g.lonDeg, g.latDeg];
};

/**
 * The map and link availability of a network run, from its config's
 * `network:` section and its round events.
 *
 * @example
 * const view = networkView(config.network, rounds); // view.nodes[0].now -> [11.58, 48.14]
 */
export function networkView(networkConfig: unknown, rounds: readonly RoundEvent[]): NetworkView {
  const net = NetworkSchema.parse(networkConfig);
  const nodes = validateNodes(net.nodes as never, 'network.nodes');
  const timed = rounds.filter((r) => r.network);
  const last = timed[timed.length - 1]?.network;
  const endS = last?.endS ?? 0;
  const nowS = last?.startS !== undefined ? last.startS + last.waitS : 0;
  const window = Math.max(MIN_WINDOW_S, endS);
  const edges = new Set(Object.keys(net.edges ?? {}));
  const role = (id: string): NetworkNodeRole => (id === net.server ? 'server' : net.clients.includes(id) ? 'client' : edges.has(id) ? 'edge' : 'relay');
  const view: NetworkNode[] = nodes.map((n) => {
    const track: (readonly [number, number])[] = [];
    const samples = n.kind === 'ground' ? 1 : TRACK_SAMPLES;
    for (let k = 0; k < samples; k++) track.push(lonLat(n, samples === 1 ? 0 : (window * k) / (samples - 1), net.epoch));
    const r = role(n.id);
    const client = net.clients.indexOf(n.id);
    return { id: n.id, kind: n.kind, role: r, ...(client >= 0 ? { client } : {}), track, now: lonLat(n, nowS, net.epoch) };
  });
  const params = { params: net.links as LinkParamOverrides };
  const linksUp = upLinksAt(nodes, nowS, net.epoch, params).map((l) => [l.a, l.b] as const);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const server = byId.get(net.server)!;
  const satellites = nodes.filter((n) => n.kind === 'satellite');
  const step = Math.max(10, window / AVAILABILITY_STEPS);
  const availability = [...new Set(net.clients)].flatMap((id) => {
    const client = byId.get(id)!;
    return [server, ...satellites]
      .filter((other) => other.id !== id)
      .map((other) => ({
        from: id,
        to: other.id,
        intervals: linkIntervals(client, other, [0, window], step, net.epoch, { ...params, toleranceS: 0.5 }).map((iv) => [iv.startS, iv.endS] as const),
      }));
  });
  return { epoch: net.epoch, server: net.server, endS, nowS, nodes: view, linksUp, availability };
}
