/** Malicious-client behaviours: update attacks, data poisoning, and their config. */
export * from './update-attacks.js';
export * from './label-flip.js';
export * from './backdoor.js';
export * from './config.js';
