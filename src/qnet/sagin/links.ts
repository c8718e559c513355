/**
 * Links between SAGIN nodes over simulated time: geometry (line of sight,
 * elevation mask, distance, delay), a link budget (free-space path loss,
 * SNR, Shannon capacity), the intervals a link is up (satellite passes) and
 * the fastest path for a message through the links that are up at time t.
 *
 * Geometry:
 * - Earth blockage uses the WGS84 ellipsoid, the same one the positions are
 *   in: stretching z by a/b turns it into a sphere of radius a, and a
 *   segment misses the ellipsoid exactly when the stretched segment misses
 *   that sphere. A link needs its segment to stay above the ellipsoid plus
 *   `clearanceKm` (80 km for inter-satellite links, to keep them out of the
 *   atmosphere; 0 otherwise). An endpoint on or under the surface (a ground
 *   station at sea level) does not block itself: the blocking radius is never
 *   more than the endpoints' own stretched radii, so such a station sees
 *   exactly what is above its tangent plane.
 * - Elevation is measured from the ellipsoid normal at the lower node (of
 *   ground < UAV < satellite) towards the higher one; links between
 *   different kinds need it at least `minElevationDeg` (the elevation mask).
 *   Links between nodes of one kind have no mask.
 * - Delay is distance / c, c = 299 792.458 km/s, in vacuum (no ionospheric
 *   or tropospheric excess, no processing).
 *
 * Link budget (one direction; links are taken as symmetric):
 *
 *     FSPL = 20 log10(4 pi d f / c)                              dB
 *     N    = 10 log10(k T B) + NF                                dBW
 *     SNR  = P_tx + G_tx + G_rx - FSPL - L - N                   dB
 *     C    = B log2(1 + 10^(SNR/10))                             bit/s
 *
 * and a link is up when it is enabled, has line of sight, meets the
 * elevation mask, is within `maxRangeKm`, and has SNR >= `minSnrDb`.
 *
 * @example
 * const link = linkAt(station, satellite, 120, '2024-01-01T00:00:00Z');
 * if (link.up) console.log(link.elevationDeg, link.capacityBps / 1e6, 'Mbit/s');
 * linkIntervals(station, satellite, [0, 86_400], 10, epoch) // the day's passes
 */
import { fail } from '../../util/errors.js';
import { checkNumber } from '../math.js';
import { distance, dot, sub, upVector, WGS84_A_KM, WGS84_B_KM, type Epoch, type NodePosition, type Vec3 } from './geo.js';
import { positionAt, validateNode, validateNodes, type NodeKind, type SaginNode } from './topology.js';

/** Speed of light in vacuum, km/s. */
export const SPEED_OF_LIGHT_KM_S = 299_792.458;
/** Boltzmann's constant, J/K. */
export const BOLTZMANN_J_K = 1.380649e-23;

export const LINK_KINDS = ['ground-ground', 'ground-uav', 'ground-satellite', 'uav-uav', 'uav-satellite', 'satellite-satellite'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

export const LINK_DOWN_REASONS = ['disabled', 'earth-blockage', 'elevation', 'range', 'snr'] as const;
export type LinkDownReason = (typeof LINK_DOWN_REASONS)[number];

export interface LinkParams {
  /** Whether links of this kind exist at all. */
  readonly enabled: boolean;
  readonly frequencyHz: number;
  readonly bandwidthHz: number;
  readonly txPowerDbW: number;
  readonly txGainDbi: number;
  readonly rxGainDbi: number;
  /** Noise temperature T in k T B, kelvin. */
  readonly noiseTemperatureK: number;
  readonly noiseFigureDb: number;
  /** Other losses: atmosphere, rain margin, pointing, cables, dB. */
  readonly lossesDb: number;
  /** The link is down below this SNR, dB. */
  readonly minSnrDb: number;
  /** Elevation mask, degrees (links between different node kinds only). */
  readonly minElevationDeg: number;
  /** Longest usable range, km (Infinity: no limit but the SNR). */
  readonly maxRangeKm: number;
  /** How far above the ellipsoid the line of sight must pass, km. */
  readonly clearanceKm: number;
}

/**
 * Lowest SNR of the defaults: about the threshold of DVB-S2's most robust
 * mode (QPSK 1/4 needs Es/N0 of about -2.35 dB, ETSI EN 302 307).
 */
const MIN_SNR_DB = -2;

/**
 * Default parameters per link kind: illustrative values of the right order
 * for each class of radio, not a model of any one system. Override them
 * (`params` in the options) for a study that depends on the numbers.
 *
 * - ground-satellite: Ku band (12 GHz), 250 MHz, 10 dBW, 30 dBi satellite
 *   array, 33 dBi user terminal (a 0.5-0.6 m dish gives 33-35 dBi at 12 GHz),
 *   T 290 K, NF 2 dB, 3 dB atmosphere/pointing losses, 10 deg mask. SNR
 *   20 dB overhead at 500 km (1.7 Gbit/s), 9 dB (0.78 Gbit/s) at the 1800 km
 *   slant range of the mask.
 * - uav-satellite: as ground-satellite with a 25 dBi airborne flat panel and
 *   100 MHz: 16 dB (0.53 Gbit/s) overhead at 500 km, 5 dB at 1800 km.
 * - ground-uav: C band (5.8 GHz), 20 MHz, 1 W (0 dBW), 10 dBi ground sector
 *   antenna, 3 dBi on the UAV, NF 5 dB, 2 dB losses, 0 deg mask: SNR 9 dB
 *   (65 Mbit/s) at 10 km, down (SNR < -2 dB) beyond about 36 km.
 * - uav-uav: as ground-uav with 6 dBi at both ends: 8 dB (59 Mbit/s) at
 *   10 km, down beyond about 32 km.
 * - satellite-satellite: Ka-band RF crosslink (26 GHz), 400 MHz, 10 dBW,
 *   38 dBi at both ends, NF 3 dB, 1 dB losses, 80 km atmosphere clearance:
 *   13 dB (1.8 Gbit/s) at 2000 km.
 *
 * (The SNRs quoted are `linkBudget(d, DEFAULT_LINK_PARAMS[kind])`.)
 * - ground-ground: disabled. Two stations at ground level only see each other
 *   over a few tens of km, and terrestrial backhaul (fibre) is not a radio
 *   link; enable it (with mast heights in `altKm`) to model microwave relays.
 */
export const DEFAULT_LINK_PARAMS: Readonly<Record<LinkKind, Readonly<LinkParams>>> = Object.freeze({
  'ground-satellite': Object.freeze({
    enabled: true, frequencyHz: 12e9, bandwidthHz: 250e6, txPowerDbW: 10, txGainDbi: 30, rxGainDbi: 33,
    noiseTemperatureK: 290, noiseFigureDb: 2, lossesDb: 3, minSnrDb: MIN_SNR_DB, minElevationDeg: 10, maxRangeKm: Infinity, clearanceKm: 0,
  }),
  'uav-satellite': Object.freeze({
    enabled: true, frequencyHz: 12e9, bandwidthHz: 100e6, txPowerDbW: 10, txGainDbi: 30, rxGainDbi: 25,
    noiseTemperatureK: 290, noiseFigureDb: 2, lossesDb: 3, minSnrDb: MIN_SNR_DB, minElevationDeg: 10, maxRangeKm: Infinity, clearanceKm: 0,
  }),
  'ground-uav': Object.freeze({
    enabled: true, frequencyHz: 5.8e9, bandwidthHz: 20e6, txPowerDbW: 0, txGainDbi: 10, rxGainDbi: 3,
    noiseTemperatureK: 290, noiseFigureDb: 5, lossesDb: 2, minSnrDb: MIN_SNR_DB, minElevationDeg: 0, maxRangeKm: Infinity, clearanceKm: 0,
  }),
  'uav-uav': Object.freeze({
    enabled: true, frequencyHz: 5.8e9, bandwidthHz: 20e6, txPowerDbW: 0, txGainDbi: 6, rxGainDbi: 6,
    noiseTemperatureK: 290, noiseFigureDb: 5, lossesDb: 2, minSnrDb: MIN_SNR_DB, minElevationDeg: 0, maxRangeKm: Infinity, clearanceKm: 0,
  }),
  'satellite-satellite': Object.freeze({
    enabled: true, frequencyHz: 26e9, bandwidthHz: 400e6, txPowerDbW: 10, txGainDbi: 38, rxGainDbi: 38,
    noiseTemperatureK: 290, noiseFigureDb: 3, lossesDb: 1, minSnrDb: MIN_SNR_DB, minElevationDeg: 0, maxRangeKm: Infinity, clearanceKm: 80,
  }),
  'ground-ground': Object.freeze({
    enabled: false, frequencyHz: 5.8e9, bandwidthHz: 20e6, txPowerDbW: 0, txGainDbi: 10, rxGainDbi: 10,
    noiseTemperatureK: 290, noiseFigureDb: 5, lossesDb: 2, minSnrDb: MIN_SNR_DB, minElevationDeg: 0, maxRangeKm: Infinity, clearanceKm: 0,
  }),
});

export type LinkParamOverrides = { readonly [K in LinkKind]?: Partial<LinkParams> };

export interface LinkOptions {
  /** Per-kind overrides of {@link DEFAULT_LINK_PARAMS}. */
  readonly params?: LinkParamOverrides;
}

const RANK: Readonly<Record<NodeKind, number>> = { ground: 0, uav: 1, satellite: 2 };

/** The kind of a link between nodes of kinds `a` and `b` (order does not matter). */
export function linkKind(a: NodeKind, b: NodeKind): LinkKind {
  const [lo, hi] = RANK[a] <= RANK[b] ? [a, b] : [b, a];
  return `${lo}-${hi}` as LinkKind;
}

/** Defaults of `kind` with `overrides` applied, checked. */
export function resolveLinkParams(kind: LinkKind, overrides?: LinkParamOverrides): LinkParams {
  if (!(LINK_KINDS as readonly string[]).includes(kind)) fail('kind', `must be one of ${LINK_KINDS.join(', ')}, got '${String(kind)}'`);
  if (overrides !== undefined) {
    for (const key of Object.keys(overrides)) {
      if (!(LINK_KINDS as readonly string[]).includes(key)) fail(`params.${key}`, `is not a link kind; use one of ${LINK_KINDS.join(', ')}`);
    }
  }
  const o = overrides?.[kind] ?? {};
  const base = DEFAULT_LINK_PARAMS[kind];
  for (const key of Object.keys(o)) {
    if (!(key in base)) fail(`params.${kind}.${key}`, `is not a link parameter; use one of ${Object.keys(base).join(', ')}`);
  }
  const p: LinkParams = { ...base, ...o };
  const f = `params.${kind}`;
  if (typeof p.enabled !== 'boolean') fail(`${f}.enabled`, `must be true or false, got ${String(p.enabled)}`);
  checkNumber(`${f}.frequencyHz`, p.frequencyHz, 0, 1e16, { minOpen: true });
  checkNumber(`${f}.bandwidthHz`, p.bandwidthHz, 0, 1e15, { minOpen: true });
  checkNumber(`${f}.txPowerDbW`, p.txPowerDbW, -200, 200);
  checkNumber(`${f}.txGainDbi`, p.txGainDbi, -100, 100);
  checkNumber(`${f}.rxGainDbi`, p.rxGainDbi, -100, 100);
  checkNumber(`${f}.noiseTemperatureK`, p.noiseTemperatureK, 0, 1e6, { minOpen: true });
  checkNumber(`${f}.noiseFigureDb`, p.noiseFigureDb, 0, 100);
  checkNumber(`${f}.lossesDb`, p.lossesDb, 0, 1000);
  checkNumber(`${f}.minSnrDb`, p.minSnrDb, -100, 100);
  checkNumber(`${f}.minElevationDeg`, p.minElevationDeg, -90, 90);
  if (!(p.maxRangeKm > 0)) fail(`${f}.maxRangeKm`, `must be a number > 0 (Infinity for no limit), got ${p.maxRangeKm}`);
  checkNumber(`${f}.clearanceKm`, p.clearanceKm, 0, 10_000);
  return p;
}

function resolveAll(overrides?: LinkParamOverrides): Record<LinkKind, LinkParams> {
  const out = {} as Record<LinkKind, LinkParams>;
  for (const k of LINK_KINDS) out[k] = resolveLinkParams(k, overrides);
  return out;
}

// ------------------------------------------------------------ budget ----

/** Free-space path loss 20 log10(4 pi d f / c), dB, for d in km and f in Hz. */
export function fsplDb(distanceKm: number, frequencyHz: number): number {
  return 20 * Math.log10((4 * Math.PI * distanceKm * frequencyHz) / SPEED_OF_LIGHT_KM_S);
}

/** Noise power 10 log10(k T B) + NF, dBW. */
export function noisePowerDbW(bandwidthHz: number, temperatureK: number, noiseFigureDb: number): number {
  return 10 * Math.log10(BOLTZMANN_J_K * temperatureK * bandwidthHz) + noiseFigureDb;
}

/** Shannon capacity B log2(1 + SNR), bit/s, of an SNR given in dB. */
export function shannonCapacityBps(bandwidthHz: number, snrDb: number): number {
  return bandwidthHz * Math.log2(1 + Math.pow(10, snrDb / 10));
}

export interface LinkBudget {
  readonly fsplDb: number;
  readonly noiseDbW: number;
  readonly snrDb: number;
  /** Shannon capacity, bit/s (whether or not the SNR clears the threshold). */
  readonly capacityBps: number;
}

/** The link budget of `params` over `distanceKm`. */
export function linkBudget(distanceKm: number, params: LinkParams): LinkBudget {
  const loss = fsplDb(distanceKm, params.frequencyHz);
  const noise = noisePowerDbW(params.bandwidthHz, params.noiseTemperatureK, params.noiseFigureDb);
  const snr = params.txPowerDbW + params.txGainDbi + params.rxGainDbi - loss - params.lossesDb - noise;
  return { fsplDb: loss, noiseDbW: noise, snrDb: snr, capacityBps: shannonCapacityBps(params.bandwidthHz, snr) };
}

/** One-way propagation delay over `distanceKm` in vacuum, seconds. */
export function propagationDelayS(distanceKm: number): number {
  return distanceKm / SPEED_OF_LIGHT_KM_S;
}

// ---------------------------------------------------------- geometry ----

const STRETCH = WGS84_A_KM / WGS84_B_KM;

/**
 * Whether the segment p-q passes at least `clearanceKm` above the WGS84
 * ellipsoid (see the module notes: endpoints never block themselves).
 */
export function lineOfSight(p: Vec3, q: Vec3, clearanceKm = 0): boolean {
  const px = p.x;
  const py = p.y;
  const pz = p.z * STRETCH;
  const dx = q.x - px;
  const dy = q.y - py;
  const dz = q.z * STRETCH - pz;
  const radius = Math.min(WGS84_A_KM + clearanceKm, Math.hypot(px, py, pz), Math.hypot(q.x, q.y, q.z * STRETCH));
  const dd = dx * dx + dy * dy + dz * dz;
  if (dd === 0) return true;
  const s = -(px * dx + py * dy + pz * dz) / dd;
  if (s <= 0 || s >= 1) return true; // the closest point is an endpoint
  return Math.hypot(px + s * dx, py + s * dy, pz + s * dz) >= radius;
}

/** Elevation of `target` above the local horizontal (ellipsoid normal) at `observer`, degrees. */
export function elevationDeg(observer: NodePosition, target: Vec3): number {
  const up = upVector(observer.geodetic);
  const d = sub(target, observer.ecef);
  const vertical = dot(up, d);
  const horizontal = Math.hypot(d.x - vertical * up.x, d.y - vertical * up.y, d.z - vertical * up.z);
  return (Math.atan2(vertical, horizontal) * 180) / Math.PI;
}

/** A node with its position at the instant in question. */
export interface PlacedNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly position: NodePosition;
}

export interface LinkState {
  readonly a: string;
  readonly b: string;
  readonly kind: LinkKind;
  readonly up: boolean;
  /** The first check that failed, when down (in the order of {@link LINK_DOWN_REASONS}). */
  readonly down?: LinkDownReason;
  readonly lineOfSight: boolean;
  /** Elevation of the higher node seen from the lower, degrees (links between different kinds). */
  readonly elevationDeg?: number;
  readonly distanceKm: number;
  /** One-way propagation delay, seconds. */
  readonly delayS: number;
  readonly fsplDb: number;
  readonly snrDb: number;
  /** Shannon capacity, bit/s; 0 when the link is down. */
  readonly capacityBps: number;
}

/** The state of the link between two placed nodes under resolved `params` (see {@link resolveLinkParams}). */
export function linkBetween(a: PlacedNode, b: PlacedNode, params: LinkParams): LinkState {
  const kind = linkKind(a.kind, b.kind);
  const d = distance(a.position.ecef, b.position.ecef);
  const los = lineOfSight(a.position.ecef, b.position.ecef, params.clearanceKm);
  let elevation: number | undefined;
  if (a.kind !== b.kind) {
    const [lo, hi] = RANK[a.kind] < RANK[b.kind] ? [a, b] : [b, a];
    elevation = elevationDeg(lo.position, hi.position.ecef);
  }
  const budget = linkBudget(d, params);
  let down: LinkDownReason | undefined;
  if (!params.enabled) down = 'disabled';
  else if (!los) down = 'earth-blockage';
  else if (elevation !== undefined && elevation < params.minElevationDeg) down = 'elevation';
  else if (d > params.maxRangeKm) down = 'range';
  else if (!(budget.snrDb >= params.minSnrDb)) down = 'snr';
  return {
    a: a.id,
    b: b.id,
    kind,
    up: down === undefined,
    ...(down !== undefined ? { down } : {}),
    lineOfSight: los,
    ...(elevation !== undefined ? { elevationDeg: elevation } : {}),
    distanceKm: d,
    delayS: propagationDelayS(d),
    fsplDb: budget.fsplDb,
    snrDb: budget.snrDb,
    capacityBps: down === undefined ? budget.capacityBps : 0,
  };
}

function place(node: SaginNode, tSeconds: number, epoch: Epoch): PlacedNode {
  return { id: node.id, kind: node.kind, position: positionAt(node, tSeconds, epoch) };
}

/** The link between nodes `a` and `b` at `tSeconds` after `epoch`. */
export function linkAt(a: SaginNode, b: SaginNode, tSeconds: number, epoch: Epoch, options: LinkOptions = {}): LinkState {
  validateNode(a, 'a');
  validateNode(b, 'b');
  const params = resolveLinkParams(linkKind(a.kind, b.kind), options.params);
  return linkBetween(place(a, tSeconds, epoch), place(b, tSeconds, epoch), params);
}

/** Every link that is up among `nodes` at `tSeconds` (each unordered pair once, a before b in list order). */
export function upLinksAt(nodes: readonly SaginNode[], tSeconds: number, epoch: Epoch, options: LinkOptions = {}): LinkState[] {
  validateNodes(nodes);
  const params = resolveAll(options.params);
  const placed = nodes.map((n) => place(n, tSeconds, epoch));
  const out: LinkState[] = [];
  for (let i = 0; i < placed.length; i++) {
    for (let j = i + 1; j < placed.length; j++) {
      const l = linkBetween(placed[i]!, placed[j]!, params[linkKind(placed[i]!.kind, placed[j]!.kind)]);
      if (l.up) out.push(l);
    }
  }
  return out;
}

// --------------------------------------------------------- intervals ----

export interface LinkInterval {
  readonly startS: number;
  readonly endS: number;
  readonly durationS: number;
}

export interface IntervalOptions extends LinkOptions {
  /** Each rise and set is located by bisection to this many seconds (default 0.01). */
  readonly toleranceS?: number;
}

/**
 * The intervals within [t0, t1] during which the link a-b is up: samples the
 * link every `stepS` seconds, then bisects each change of state to
 * `toleranceS`. An interval open at t0 starts there, one open at t1 ends
 * there. An outage or pass shorter than `stepS` can fall between two samples
 * and be missed: choose the step well under the shortest pass of interest
 * (10-30 s for LEO passes of several minutes).
 */
export function linkIntervals(a: SaginNode, b: SaginNode, window: readonly [number, number], stepS: number, epoch: Epoch, options: IntervalOptions = {}): LinkInterval[] {
  validateNode(a, 'a');
  validateNode(b, 'b');
  const [t0, t1] = window;
  checkNumber('window[0]', t0, -Number.MAX_VALUE, Number.MAX_VALUE);
  checkNumber('window[1]', t1, t0, Number.MAX_VALUE);
  checkNumber('stepS', stepS, 0, Number.MAX_VALUE, { minOpen: true });
  const tol = checkNumber('toleranceS', options.toleranceS ?? 0.01, 0, Number.MAX_VALUE, { minOpen: true });
  if ((t1 - t0) / stepS > 1e7) fail('stepS', `gives ${Math.ceil((t1 - t0) / stepS)} samples over the window; use a step of at least ${(t1 - t0) / 1e7} s`);
  const params = resolveLinkParams(linkKind(a.kind, b.kind), options.params);
  const isUp = (t: number): boolean => linkBetween(place(a, t, epoch), place(b, t, epoch), params).up;
  const edge = (lo: number, hi: number, upAtLo: boolean): number => {
    while (hi - lo > tol) {
      const mid = (lo + hi) / 2;
      if (isUp(mid) === upAtLo) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const out: LinkInterval[] = [];
  let prevT = t0;
  let prevUp = isUp(t0);
  let start: number | undefined = prevUp ? t0 : undefined;
  const n = Math.ceil((t1 - t0) / stepS);
  for (let k = 1; k <= n; k++) {
    const t = k === n ? t1 : t0 + k * stepS;
    const up = isUp(t);
    if (up !== prevUp) {
      const e = edge(prevT, t, prevUp);
      if (up) start = e;
      else {
        out.push({ startS: start!, endS: e, durationS: e - start! });
        start = undefined;
      }
    }
    prevT = t;
    prevUp = up;
  }
  if (start !== undefined) out.push({ startS: start, endS: t1, durationS: t1 - start });
  return out;
}

// ----------------------------------------------------------- routing ----

export interface PathOptions extends LinkOptions {
  /** Size of the message, bits (e.g. 32 x parameter count for a float32 model update). */
  readonly messageBits: number;
}

export interface PathResult {
  /** Node ids from source to destination. */
  readonly path: readonly string[];
  /** The links used, in order. */
  readonly hops: readonly LinkState[];
  /** Sum over hops of delay + bits / capacity, seconds. */
  readonly timeS: number;
  /** Sum of the propagation delays, seconds. */
  readonly delayS: number;
  /** Lowest capacity along the path, bit/s (Infinity for an empty path). */
  readonly bottleneckBps: number;
}

/** Time to push `bits` over an up link: propagation delay + bits / capacity, seconds. */
export function transferTimeS(link: LinkState, bits: number): number {
  return link.up ? link.delayS + bits / link.capacityBps : Infinity;
}

/**
 * The fastest path for a message of `messageBits` from node `fromId` to
 * `toId` over the links up at `tSeconds`: Dijkstra's algorithm with hop cost
 * delay + bits / capacity, i.e. store-and-forward of the whole message at
 * each relay, on the snapshot of the network at t (links that rise or set
 * during the transfer are not accounted for). Small messages thus follow the
 * shortest-delay path, large ones the highest-capacity one. Returns
 * undefined when the destination is unreachable at t.
 */
export function bestPath(nodes: readonly SaginNode[], fromId: string, toId: string, tSeconds: number, epoch: Epoch, options: PathOptions): PathResult | undefined {
  validateNodes(nodes);
  const bits = checkNumber('messageBits', options.messageBits, 0, Number.MAX_VALUE);
  const src = nodes.findIndex((n) => n.id === fromId);
  const dst = nodes.findIndex((n) => n.id === toId);
  if (src < 0) fail('fromId', `no node has id '${fromId}'`);
  if (dst < 0) fail('toId', `no node has id '${toId}'`);
  const params = resolveAll(options.params);
  const placed = nodes.map((n) => place(n, tSeconds, epoch));
  const n = nodes.length;
  const cost = new Float64Array(n).fill(Infinity);
  const done = new Uint8Array(n);
  const prev = new Int32Array(n).fill(-1);
  const via: Array<LinkState | undefined> = new Array<LinkState | undefined>(n);
  cost[src] = 0;
  for (;;) {
    let u = -1;
    for (let i = 0; i < n; i++) if (done[i] === 0 && cost[i]! < Infinity && (u < 0 || cost[i]! < cost[u]!)) u = i;
    if (u < 0 || u === dst) break;
    done[u] = 1;
    for (let v = 0; v < n; v++) {
      if (done[v] === 1 || v === u) continue;
      const link = linkBetween(placed[u]!, placed[v]!, params[linkKind(placed[u]!.kind, placed[v]!.kind)]);
      if (!link.up) continue;
      const c = cost[u]! + transferTimeS(link, bits);
      if (c < cost[v]!) {
        cost[v] = c;
        prev[v] = u;
        via[v] = link;
      }
    }
  }
  if (cost[dst] === Infinity) return undefined;
  const path: string[] = [];
  const hops: LinkState[] = [];
  for (let v = dst; v >= 0; v = prev[v]!) {
    path.push(nodes[v]!.id);
    if (via[v] !== undefined) hops.push(via[v]!);
  }
  path.reverse();
  hops.reverse();
  return {
    path,
    hops,
    timeS: cost[dst]!,
    delayS: hops.reduce((s, h) => s + h.delayS, 0),
    bottleneckBps: hops.reduce((m, h) => Math.min(m, h.capacityBps), Infinity),
  };
}
