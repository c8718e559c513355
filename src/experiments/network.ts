import { z } from 'zod';
import { bestPath, upLinksAt, type LinkParamOverrides } from '../qnet/sagin/links.js';
import { positionAt, validateNodes, type SaginNode } from '../qnet/sagin/topology.js';
export { positionAt };
import { fail } from '../util/errors.js';

/**
 * A federation over a space-air-ground network (paper 003): clients live on
 * nodes of a topology (UAVs, ground stations, satellites) that move in
 * simulated time. Each round's simulated wall time is, per client, the
 * downlink transfer of the model over the best path, the local compute time
 * (samples / the node's speed) and the uplink transfer; the round ends when
 * the last participating client's update arrives. A client with no path to
 * the server misses the round (`on_link_down: skip`) or the round waits for
 * the links to come up (`wait`).
 *
 * What travels where: model parameters always travel over classical links
 * (they are classical numbers); quantum links carry keys (for secure
 * aggregation) and quantum states, never the model.
 */
export const NetworkSchema = z
  .object({
    /** Simulated start time (ISO 8601). */
    epoch: z.string().default('2026-01-01T00:00:00Z'),
    /** Node that aggregates (a ground station). */
    server: z.string(),
    /** Node hosting each client, in client order (one per federation client). */
    clients: z.array(z.string()).min(1),
    /** The topology: ground stations, UAVs, satellites (see src/qnet/sagin/topology.ts). */
    nodes: z.array(z.record(z.string(), z.unknown())).min(2),
    /** Local training speed of every client node, samples per second (a compute model in simulated time). */
    samples_per_second: z.number().positive().default(500),
    /**
     * Per-node training speeds, samples per second, keyed by node id or by
     * node kind (`satellite`, `uav`, `ground`); an id wins over its kind, and
     * nodes named by neither train at samples_per_second.
     */
    node_samples_per_second: z.record(z.string(), z.number().positive()).default({}),
    on_link_down: z.enum(['skip', 'wait']).default('skip'),
    /** With `wait`: how long a round may wait for links before the client is skipped after all. */
    max_wait_s: z.number().positive().default(3600),
    /** Per link kind, overrides of the default link budgets (src/qnet/sagin/links.ts DEFAULT_LINK_PARAMS), e.g. { ground-uav: { txPowerDbW: 10 } }. */
    links: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.boolean()]))).default({}),
    /**
     * Hierarchical aggregation: edge aggregators (a satellite or ground
     * station node id -> the client nodes it serves). Clients exchange the
     * model with their edge, each edge one aggregate with the server. The
     * weighted mean is the same as flat FedAvg (it is associative); time and
     * traffic change.
     */
    edges: z.record(z.string(), z.array(z.string()).min(1)).optional(),
    /**
     * Semi-asynchronous rounds: the server aggregates what arrived within this
     * many simulated seconds; later updates join the next round, weighted by
     * 1 / (1 + staleness).
     */
    deadline_s: z.number().positive().optional(),
    /** Bits per parameter on the wire (float32). */
    bits_per_parameter: z.number().int().positive().default(32),
  })
  .strict();
export type NetworkConfig = z.infer<typeof NetworkSchema>;

export interface ClientTiming {
  readonly client: number;
  readonly downS: number;
  readonly computeS: number;
  readonly upS: number;
  readonly hops: number;
  /** Edge aggregator the client reports to (hierarchical aggregation). */
  readonly edge?: string;
  /** When its update reaches the server, simulated seconds. */
  readonly arrivalS: number;
  /** Arrived after the round's deadline (semi-asynchronous rounds): joins the next round. */
  readonly late: boolean;
}

export interface NetworkRound {
  readonly startS: number;
  readonly endS: number;
  readonly missed: readonly number[];
  readonly clients: readonly ClientTiming[];
  /** Waiting for links before the round could start. */
  readonly waitS: number;
  /** Waiting for QKD key after the updates arrived (secure aggregation). */
  readonly keyWaitS?: number;
  /** Up links among all nodes at the round's start, and how many there could be. */
  readonly linksUp: number;
  readonly linkPairs: number;
}

const STEP_S = 30;

export class NetworkClock {
  readonly nodes: readonly SaginNode[];
  private now = 0;

  constructor(
    readonly config: NetworkConfig,
    numClients: number,
  ) {
    this.nodes = validateNodes(config.nodes as never, 'network.nodes');
    const ids = new Set(this.nodes.map((n) => n.id));
    if (!ids.has(config.server)) fail('network.server', `'${config.server}' is not a node id (${[...ids].join(', ')})`);
    config.clients.forEach((c, i) => {
      if (!ids.has(c)) fail(`network.clients[${i}]`, `'${c}' is not a node id`);
    });
    if (config.clients.length !== numClients) fail('network.clients', `lists ${config.clients.length} nodes for ${numClients} federation clients`);
    for (const key of Object.keys(config.node_samples_per_second ?? {})) {
      if (!ids.has(key) && !['satellite', 'uav', 'ground'].includes(key)) {
        fail(`network.node_samples_per_second.${key}`, `is neither a node id (${[...ids].join(', ')}) nor a node kind (satellite, uav, ground)`);
      }
    }
    for (const [edge, served] of Object.entries(config.edges ?? {})) {
      if (!ids.has(edge)) fail(`network.edges.${edge}`, `'${edge}' is not a node id`);
      served.forEach((c, i) => {
        if (!config.clients.includes(c)) fail(`network.edges.${edge}[${i}]`, `'${c}' is not a client node`);
        this.edgeOf.set(c, edge);
      });
    }
  }

  private readonly edgeOf = new Map<string, string>();

  /** A client node's training speed: by its id, else its kind, else the default. */
  speedOf(nodeId: string): number {
    const speeds = this.config.node_samples_per_second;
    const kind = this.nodes.find((n) => n.id === nodeId)?.kind;
    return speeds[nodeId] ?? (kind !== undefined ? speeds[kind] : undefined) ?? this.config.samples_per_second;
  }

  get seconds(): number {
    return this.now;
  }

  /** Restores the simulated time (from a checkpoint). */
  set seconds(s: number) {
    this.now = s;
  }

  private path(from: string, to: string, t: number, bits: number) {
    return bestPath(this.nodes, from, to, t, this.config.epoch, { messageBits: bits, params: this.config.links as LinkParamOverrides });
  }

  /** Which sampled clients can be reached now (waiting for links when told to). */
  reachable(clientIds: readonly number[], paramCount: number): { ok: number[]; missed: number[]; waitS: number } {
    const bits = paramCount * this.config.bits_per_parameter;
    const can = (id: number, t: number) => this.path(this.config.server, this.config.clients[id]!, t, bits) !== undefined;
    let waitS = 0;
    let ok = clientIds.filter((id) => can(id, this.now));
    if (this.config.on_link_down === 'wait') {
      while (ok.length < clientIds.length && waitS < this.config.max_wait_s) {
        waitS += STEP_S;
        ok = clientIds.filter((id) => can(id, this.now + waitS));
      }
      this.now += waitS;
    }
    return { ok, missed: clientIds.filter((id) => !ok.includes(id)), waitS };
  }

  /**
   * Advances the clock over one round of the given clients; `samples[i]` is
   * what client i trains on. With edges, a client's model comes down and its
   * update goes up via its edge, which forwards one aggregate when its last
   * client is in. With a deadline, the round ends at start + deadline and
   * later arrivals are marked late.
   */
  round(clientIds: readonly number[], samples: readonly number[], paramCount: number, waitS: number, missed: readonly number[]): NetworkRound {
    const bits = paramCount * this.config.bits_per_parameter;
    const start = this.now;
    const links = upLinksAt(this.nodes, start, this.config.epoch, { params: this.config.links as LinkParamOverrides });
    const server = this.config.server;
    const hop = (from: string, to: string, t: number) => (from === to ? 0 : (this.path(from, to, t, bits)?.timeS ?? NaN));
    const hopsOf = (from: string, to: string, t: number) => (from === to ? 0 : (this.path(from, to, t, bits)?.hops.length ?? 0));
    const raw = clientIds.map((id, k) => {
      const node = this.config.clients[id]!;
      const edge = this.edgeOf.get(node);
      const via = edge ?? server;
      const down = (edge ? hop(server, edge, start) : 0) + hop(via, node, start + (edge ? hop(server, edge, start) : 0));
      const computeS = samples[k]! / this.speedOf(node);
      const upAt = start + down + computeS;
      const up = hop(node, via, upAt);
      return { id, node, edge, down, computeS, up, atVia: upAt + up, hops: hopsOf(via, node, start) + hopsOf(node, via, upAt) + (edge ? 2 * hopsOf(server, edge, start) : 0) };
    });
    // An edge forwards one aggregate once its last client is in.
    const edgeDone = new Map<string, number>();
    for (const r of raw) if (r.edge) edgeDone.set(r.edge, Math.max(edgeDone.get(r.edge) ?? 0, r.atVia));
    const deadline = this.config.deadline_s !== undefined ? start + this.config.deadline_s : Infinity;
    const timings: ClientTiming[] = raw.map((r) => {
      const arrivalS = r.edge ? edgeDone.get(r.edge)! + hop(r.edge, server, edgeDone.get(r.edge)!) : r.atVia;
      return {
        client: r.id,
        downS: r.down,
        computeS: r.computeS,
        upS: r.up + (r.edge ? arrivalS - r.atVia : 0),
        hops: r.hops,
        ...(r.edge ? { edge: r.edge } : {}),
        arrivalS,
        late: arrivalS > deadline,
      };
    });
    const arrivals = timings.filter((t) => Number.isFinite(t.arrivalS)).map((t) => t.arrivalS);
    const end = Math.min(deadline, Math.max(start, ...arrivals));
    this.now = end;
    const n = this.nodes.length;
    return { startS: start - waitS, endS: end, missed, clients: timings, waitS, linksUp: links.length, linkPairs: (n * (n - 1)) / 2 };
  }
}
