/**
 * The QKD key-management service of `qfl kme` (ETSI GS QKD 014) and what an
 * SAE uses to talk to it: `KmeService` (the KME without HTTP),
 * `startKmeServer` (HTTPS with mutual TLS, or loopback HTTP), `KmeClient`,
 * and the pair-secret sources secure aggregation consumes (`KmePairKeys`,
 * `X25519PairKeys`). Design and spec mapping: `kme.md`.
 */
export * from './etsi014.js';
export * from './links.js';
export { DEFAULT_LIMITS, KmeService, type KmeLimits, type KmeOptions } from './service.js';
export { MAX_BODY_BYTES, SAE_ID_HEADER, startKmeServer, type KmeServer, type KmeServerOptions } from './server.js';
export { KmeClient, type KmeClientOptions } from './client.js';
export * from './pair-keys.js';
