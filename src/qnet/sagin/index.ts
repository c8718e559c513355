/**
 * Space-air-ground integrated networks: nodes (ground stations, UAVs,
 * satellites) as config data, their positions over simulated time, and the
 * links between them. See `topology.ts` and `links.ts`. The small vector
 * helpers of `geo.ts` (dot, norm, ...) stay internal.
 */
export {
  MEAN_EARTH_RADIUS_KM,
  WGS84_A_KM,
  WGS84_B_KM,
  ecefPosition,
  ecefToGeodetic,
  epochMs,
  geodeticPosition,
  geodeticToEcef,
  gmst,
  greatCircleKm,
  type Epoch,
  type Geodetic,
  type LatLon,
  type NodePosition,
  type Vec3,
} from './geo.js';
export * from './orbit.js';
export * from './mobility.js';
export * from './topology.js';
export * from './links.js';
