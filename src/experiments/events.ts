import type { Metrics } from '../updates/messages.js';

/**
 * The lines of a run's `events.jsonl`: one JSON object per line, each with a
 * `type`. Reports, the dashboard and resumes read them back. New kinds of
 * events (attacks, key use) add new `type`s; readers skip types they do not
 * know.
 */

export interface StartEvent {
  readonly type: 'start';
  readonly time: string;
  readonly name: string;
  readonly rounds: number;
  readonly clients: number;
  readonly parameters: number;
  /** Set when the run was resumed from a checkpoint after this round. */
  readonly resumedAfterRound?: number;
  /** Clients that train on adversarial examples (federated adversarial training). */
  readonly adversarialClients?: readonly number[];
  /** Byzantine clients (config `attacks`). */
  readonly maliciousClients?: readonly number[];
}

/** Accuracy on the central test set under one attack, per perturbation radius. */
export interface RobustResult {
  readonly attack: string;
  readonly points: readonly { readonly eps: number; readonly accuracy: number }[];
}

export interface ClientRoundMetrics {
  readonly id: number;
  readonly numExamples: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly seconds: number;
}

export interface RoundEvent {
  readonly type: 'round';
  readonly time: string;
  readonly round: number;
  /** Wall time of the round and its parts, in seconds. */
  readonly seconds: { readonly total: number; readonly fit: number; readonly evaluate: number; readonly aggregate: number };
  readonly fit: {
    readonly sampled: number;
    readonly completed: number;
    readonly failures: readonly { readonly clientId: number; readonly reason: string }[];
    /** Means over completed clients, weighted by their sample counts. */
    readonly trainLoss: number;
    readonly trainAccuracy: number;
  };
  readonly clients: readonly ClientRoundMetrics[];
  /** Client-side evaluation of the new global model, weighted by sample counts. */
  readonly evaluate?: { readonly loss: number; readonly accuracy: number; readonly clients: number };
  /** Server-side evaluation of the new global model on the central test set. */
  readonly central?: { readonly loss: number; readonly accuracy: number };
  /** Secure aggregation this round: quantization, survivors, key use and traffic. */
  readonly secure?: {
    readonly bits: number;
    readonly modulusBits: number;
    /** SecAgg+ graph: neighbours per client (k) and shares needed (t, of k + 1). */
    readonly degree?: number;
    readonly threshold?: number;
    /** Tries this round took (a round that lost too many clients is retried with a fresh sample). */
    readonly attempts?: number;
    readonly survivors: number;
    readonly dropped: readonly number[];
    readonly keyBits: number;
    readonly keyWaitSeconds: number;
    /** The quantized vectors' bytes (the rest of bytes.up is protocol messages) and float32's. */
    readonly bytesUpPayload: number;
    readonly bytesUpFloat32: number;
    /** Milliseconds of the masking round in the simulated clients' halves (summed; a deployment runs them in parallel) and the server's. */
    readonly clientMs?: number;
    readonly serverMs?: number;
    /** Shares or messages the server refused, naming who is to blame. */
    readonly rejected?: readonly { readonly clientId: number; readonly reason: string }[];
    /** Distributed DP of this round's sum (per round, not composed): against the server, and against the server with all clients but one. */
    readonly dp?: { readonly epsilon: number; readonly allButOneEpsilon: number; readonly delta: number; readonly sigma: number };
  };
  /** Over a space-air-ground network: this round in simulated time and per client (experiments/network.ts). */
  readonly network?: import('./network.js').NetworkRound;
  /** Client-level DP this round: the privacy spent so far and the noise used. */
  readonly dp?: { readonly epsilon: number; readonly delta: number; readonly clipNorm: number; readonly noiseStd: number };
  /** Share of non-target test images carrying the trigger that the model sends to the target class. */
  readonly backdoor?: { readonly target: number; readonly successRate: number; readonly cleanRate: number };
  /** Robust accuracy of the new global model under attack (evaluation.robust). */
  readonly robust?: readonly RobustResult[];
  /** Clients whose updates the robust aggregator treated as suspicious this round. */
  readonly flagged?: readonly number[];
  /** Bytes sent to clients (down) and received from them (up) this round. */
  readonly bytes: { readonly up: number; readonly down: number };
  /** What the strategy's aggregation reported. */
  readonly metrics: Metrics;
}

export interface EndEvent {
  readonly type: 'end';
  readonly time: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly final?: { readonly loss: number; readonly accuracy: number };
}

/** A node's result the server refused as implausible or invalid (`qfl server`; plausibility.ts). */
export interface RefusalEvent {
  readonly type: 'refusal';
  readonly time: string;
  readonly round: number;
  readonly node: string;
  readonly clientId: number;
  readonly kind: 'fit' | 'evaluate';
  readonly reason: string;
}

export type RunEvent = StartEvent | RoundEvent | EndEvent | RefusalEvent;

/** Live status of one client in the round in progress (the dashboard's per-client view; not written to events.jsonl). */
export type ClientStatus = 'training' | 'done' | 'failed' | 'dropped';

/** Watches a run as it goes (the dashboard): every event written, and per-client status within a round. */
export interface RunMonitor {
  /** Each event, as it is appended to events.jsonl. */
  event?(e: RunEvent): void;
  /** A client's status changed in round `round` (`reason` for failed and dropped). */
  client?(round: number, clientId: number, status: ClientStatus, reason?: string): void;
}
