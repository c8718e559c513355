/** Differential privacy: clipping (fixed, adaptive), central and local Gaussian noise, RDP accounting. */
export * from './accountant.js';
export * from './clipping.js';
export * from './central.js';
export * from './local-noise.js';

