/**
 * Secure aggregation with QKD keys and quantized updates (QuNetQFL,
 * arXiv:2501.12709, with the dropout handling of Bonawitz et al. 2017).
 * See README.md in this folder for the threat model and the stages.
 */
export * from './bits.js';
export * from './keys.js';
export * from './quantize.js';
export * from './masking.js';
export * from './protocol.js';
export * from './distributed-dp.js';
export * from './shamir.js';
export * from './graph.js';
export * from './round.js';
