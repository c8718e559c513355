/** Robust aggregation rules over client deltas, and their registry. */
export * from './common.js';
export * from './coordinate.js';
export * from './krum.js';
export * from './bulyan.js';
export * from './geometric-median.js';
export * from './clipping.js';
export * from './registry.js';
