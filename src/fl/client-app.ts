import type { Dataset } from '../data/dataset.js';
import type { Sequential } from '../models/sequential.js';
import type { Rng } from '../util/random.js';

/**
 * What a client needs to train: its data and a model of the right shape.
 * The federation layer never builds these itself; an app module does, from
 * a plain JSON config, so that a worker thread (or a remote node) can build
 * the same app from `{ module, config }` alone (Flower's ClientApp idea).
 */
export interface ClientApp {
  /** Number of clients the data is partitioned into. */
  readonly numClients: number;
  /** The local training data of client `clientId` (0-based). */
  trainData(clientId: number): Dataset;
  /** The local evaluation data of client `clientId` (for client-side evaluation). */
  testData(clientId: number): Dataset;
  /** A fresh model; its parameters are overwritten from each message. */
  model(): Sequential;
  /**
   * Optional: how client `clientId` changes each training batch before the
   * step (adversarial training makes examples against the current local
   * model here). Undefined for clients that train on clean batches.
   */
  batchTransform?(clientId: number, model: Sequential, rng: Rng): BatchTransform | undefined;
  /**
   * Optional: what a malicious client does to its update before it leaves
   * (sign flip, scaling, noise...). Returns the update unchanged for honest
   * clients.
   */
  attackUpdate?(clientId: number, round: number, update: Float64Array, global: Float64Array, rng: Rng): Float64Array;
}

/** Replaces a batch's inputs (batch x features) given its labels. */
export type BatchTransform = (x: Float64Array, labels: Int32Array, batch: number) => Float64Array;

/**
 * Where to find an app: `module` is a module URL (file://...) exporting
 * `createClientApp(config: unknown): ClientApp`; `config` is JSON.
 */
export interface ClientAppRef {
  readonly module: string;
  readonly config: unknown;
}

export type ClientAppFactory = (config: unknown) => ClientApp;

const cache = new Map<string, Promise<ClientApp>>();

/** Builds (once per process or worker, per ref) the app a ref names. */
export function loadClientApp(ref: ClientAppRef): Promise<ClientApp> {
  const key = `${ref.module}\n${JSON.stringify(ref.config)}`;
  let app = cache.get(key);
  if (!app) {
    app = import(ref.module).then((m: { createClientApp?: ClientAppFactory }) => {
      if (typeof m.createClientApp !== 'function') {
        throw new Error(`client app module ${ref.module} does not export createClientApp(config)`);
      }
      return m.createClientApp(ref.config);
    });
    cache.set(key, app);
  }
  return app;
}
