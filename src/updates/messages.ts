/**
 * The messages between server and clients: plain serializable records (typed
 * arrays clone across worker threads and encode to bytes for the network).
 * The same records travel in-process, through the worker pool and, later,
 * over the wire.
 */

/** Scalar metrics, as in Flower's `Metrics`. */
export type Metrics = Record<string, number>;

/** Per-round instructions for local training, chosen by the strategy. */
export interface FitConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** FedProx: the proximal term (mu / 2) |w - w_global|^2 is added to the client's loss. */
  readonly proximalMu: number;
  /** Local optimizer, fresh every round. */
  readonly optimizer: 'adam' | 'sgd';
  /** Seed of the client's training randomness (shuffling) for this round. */
  readonly seed: number;
}

export interface FitIns {
  readonly round: number;
  readonly clientId: number;
  readonly params: Float64Array;
  readonly config: FitConfig;
}

/**
 * A client's answer to FitIns. `update` is what left the client after its
 * pipeline of transforms (clip, noise, quantize, mask): for the plain
 * pipeline, the parameter delta w_local - w_global.
 */
export interface FitRes {
  readonly round: number;
  readonly clientId: number;
  readonly update: Float64Array;
  readonly numExamples: number;
  readonly metrics: Metrics;
}

export interface EvaluateIns {
  readonly round: number;
  readonly clientId: number;
  readonly params: Float64Array;
}

export interface EvaluateRes {
  readonly round: number;
  readonly clientId: number;
  readonly loss: number;
  readonly numExamples: number;
  readonly metrics: Metrics;
}

/**
 * The round's mean delta when the update pipeline combined the updates
 * itself (secure aggregation: the server only ever holds their sum), with
 * the examples behind it. A strategy applies it in place of its aggregator.
 */
export interface CombinedUpdate {
  readonly delta: Float64Array;
  readonly numExamples: number;
}

/** A client that threw, timed out or sent something invalid this round. */
export interface Failure {
  readonly clientId: number;
  readonly reason: string;
}

/** Bytes a float64 vector takes on the wire, before any compression. */
export const vectorBytes = (v: Float64Array): number => v.byteLength;
