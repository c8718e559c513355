/**
 * Quantum relays for space-air-ground networks: photon loss on fiber and
 * free-space links, entanglement distribution over one link, swapping along
 * a relay chain with memory decoherence, teleportation fidelity, and the
 * BBM92 key rate that fills a `KeyPool`. Formulas and sources: `relays.md`.
 */
export * from './loss.js';
export * from './werner.js';
export * from './link.js';
export * from './chain.js';
export * from './bbm92.js';
