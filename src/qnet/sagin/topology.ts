/**
 * The nodes of a space-air-ground integrated network (SAGIN) as plain config
 * data, and where each one is at simulated time t (seconds after an epoch).
 *
 * - ground stations are fixed by geodetic latitude, longitude and altitude;
 * - UAVs fly at a stated altitude under a mobility model (`mobility.ts`:
 *   hover, waypoints, circular patrol, seeded random waypoint);
 * - satellites follow an orbit (`orbit.ts`: TLE through SGP4, or Keplerian
 *   elements through two-body propagation), turned from the inertial frame
 *   of date into ECEF by the Greenwich mean sidereal time (no polar motion,
 *   no UT1 - UTC: metre-level effects next to SGP4's kilometre-level error).
 *
 * This is the network layer for federations over SAGINs as in "From
 * Federated Learning to Quantum Federated Learning for Space-Air-Ground
 * Integrated Networks" (arXiv 2411.01312): it says where everyone is;
 * `links.ts` says who can reach whom, when, and how fast.
 *
 * @example
 * const nodes: SaginNode[] = [
 *   { kind: 'ground', id: 'gs', latDeg: 48.1, lonDeg: 11.6, altKm: 0.5 },
 *   { kind: 'uav', id: 'u1', altKm: 0.3, mobility: { model: 'circle', centre: { latDeg: 48.1, lonDeg: 11.6 }, radiusKm: 2, speedMps: 20 } },
 *   { kind: 'satellite', id: 's1', orbit: circularOrbit({ altitudeKm: 550, inclinationDeg: 53 }) },
 * ];
 * positionAt(nodes[2], 600, '2024-01-01T00:00:00Z').geodetic
 */
import { fail } from '../../util/errors.js';
import { checkNumber } from '../math.js';
import { checkLatLon, ecefPosition, epochMs, geodeticPosition, gmst, inertialToEcef, type Epoch, type NodePosition } from './geo.js';
import { groundTrackAt, validateMobility, type Mobility } from './mobility.js';
import { inertialStateAt, validateOrbit, type Orbit } from './orbit.js';

export const NODE_KINDS = ['ground', 'uav', 'satellite'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export interface GroundStation {
  readonly kind: 'ground';
  readonly id: string;
  readonly latDeg: number;
  readonly lonDeg: number;
  /** Height above the WGS84 ellipsoid, km (default 0). */
  readonly altKm?: number;
}

export interface Uav {
  readonly kind: 'uav';
  readonly id: string;
  /** Flight altitude above the WGS84 ellipsoid, km (constant). */
  readonly altKm: number;
  readonly mobility: Mobility;
}

export interface Satellite {
  readonly kind: 'satellite';
  readonly id: string;
  readonly orbit: Orbit;
}

export type SaginNode = GroundStation | Uav | Satellite;

/** Highest altitude accepted for a UAV (a high-altitude platform flies at about 20 km). */
export const MAX_UAV_ALT_KM = 50;

const checked = new WeakSet<SaginNode>();

/** Checks one node's config; errors name `field` (e.g. `nodes[3]`). */
export function validateNode(node: SaginNode, field = 'node'): SaginNode {
  if (checked.has(node)) return node;
  if (node === null || typeof node !== 'object') return fail(field, 'must be an object');
  if (typeof node.id !== 'string' || node.id.length === 0) fail(`${field}.id`, 'must be a non-empty string');
  switch (node.kind) {
    case 'ground':
      checkLatLon(field, node);
      if (node.altKm !== undefined) checkNumber(`${field}.altKm`, node.altKm, -1, 10);
      break;
    case 'uav':
      checkNumber(`${field}.altKm`, node.altKm, 0, MAX_UAV_ALT_KM);
      validateMobility(node.mobility, `${field}.mobility`);
      break;
    case 'satellite':
      validateOrbit(node.orbit, `${field}.orbit`);
      break;
    default:
      return fail(`${field}.kind`, `must be one of ${NODE_KINDS.join(', ')}, got '${String((node as { kind: unknown }).kind)}'`);
  }
  checked.add(node);
  return node;
}

/** Checks every node and that ids are unique. */
export function validateNodes(nodes: readonly SaginNode[], field = 'nodes'): readonly SaginNode[] {
  if (!Array.isArray(nodes)) return fail(field, 'must be a list of nodes');
  const seen = new Map<string, number>();
  nodes.forEach((n, k) => {
    validateNode(n, `${field}[${k}]`);
    const prior = seen.get(n.id);
    if (prior !== undefined) fail(`${field}[${k}].id`, `'${n.id}' is already the id of ${field}[${prior}]`);
    seen.set(n.id, k);
  });
  return nodes;
}

/**
 * Where `node` is `tSeconds` after `epoch`: ECEF (km) and geodetic
 * coordinates (WGS84).
 */
export function positionAt(node: SaginNode, tSeconds: number, epoch: Epoch): NodePosition {
  validateNode(node);
  if (!Number.isFinite(tSeconds)) fail('tSeconds', `must be a finite number, got ${tSeconds}`);
  switch (node.kind) {
    case 'ground':
      return geodeticPosition({ latDeg: node.latDeg, lonDeg: node.lonDeg, altKm: node.altKm ?? 0 });
    case 'uav': {
      const p = groundTrackAt(node.mobility, tSeconds);
      return geodeticPosition({ latDeg: p.latDeg, lonDeg: p.lonDeg, altKm: node.altKm });
    }
    case 'satellite': {
      const ms = epochMs(epoch) + 1000 * tSeconds;
      const r = inertialStateAt(node.orbit, tSeconds, epoch, `${node.id}.orbit`).position;
      return ecefPosition(inertialToEcef(r, gmst(ms)));
    }
  }
}
