import { KeyPool, type KeyPoolState } from '../qnet/key-pool.js';
import { chooseDegree, type Degree } from '../security/secagg/graph.js';
import { sumMod } from '../security/secagg/masking.js';
import { workingModulus, type QuantBits } from '../security/secagg/quantize.js';
import { secureAggregate } from '../security/secagg/round.js';
import { fail, QflError } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import type { Failure, FitRes } from '../updates/messages.js';

/**
 * The masking round of secure aggregation in a simulated federation
 * (QuNetQFL, paper 002, on the SecAgg+ graph of Bell et al. 2020). The
 * clients' pipelines already turned their deltas into q-bit levels (the
 * `secagg` transform, in their own thread or worker); here the SecAgg+
 * stages run between the server half and each client half, which see only
 * their own messages, and the server gets the sum of the survivors' levels.
 * The transform's inverse then turns that sum into the (weighted) mean.
 *
 * What is simulated: the QKD network delivers each pair's key to both ends
 * (a `KeyPool` filled at a key rate in simulated time; its master key from
 * the OS CSPRNG, never the config seed), and clients drop after masking with
 * the configured probability, drawn per round and per attempt, so a retried
 * round sees a different dropout pattern. The key pool's consumption is
 * checkpointed (`getState`): a resumed run continues every pair's stream
 * after the last bit used, so no slice is ever used twice.
 */
export interface SecureAggregationOptions {
  readonly bits: QuantBits;
  /** false: quantize only (no masks, no keys): the traffic comparison without the protocol. */
  readonly mask: boolean;
  /** t / (k + 1) at least this; must be > 1/2. */
  readonly threshold: number;
  /** Probability that a client drops after masking (simulated). */
  readonly dropout: number;
  /** Fraction of clients assumed to collude with the server, for the choice of k. */
  readonly corrupted: number;
  /** Most clients in a round (the modulus holds their sum); the key pool's clients. */
  readonly clients: number;
  /** Key generation per pair, bits per second of simulated time. */
  readonly keyRateBps: number;
  readonly onKeyShortage: 'wait' | 'refuse';
  /** Seed of the simulation's streams (dropouts, graph order): never of key material. */
  readonly seed: number;
}

export interface SecureRoundStats {
  readonly bits: number;
  readonly modulusBits: number;
  /** Neighbours per client (k) and shares needed (t) this round. */
  readonly degree: number;
  readonly threshold: number;
  readonly survivors: number;
  readonly dropped: readonly number[];
  /** Key bits consumed this round, summed over pairs. */
  readonly keyBits: number;
  /** Simulated seconds the round waited for key. */
  readonly keyWaitSeconds: number;
  /** Bytes sent up by all clients in all stages, and what float32 updates would have taken. */
  readonly bytesUp: number;
  /** Of bytesUp, the quantized (masked) vectors themselves: modulus bits per coordinate. */
  readonly bytesUpPayload: number;
  readonly bytesUpFloat32: number;
  readonly bytesDown: number;
  /** Shares or messages the server refused, with who is named. */
  readonly rejected: readonly Failure[];
  /** Milliseconds of the masking round in the simulated clients' halves (summed) and in the server's. */
  readonly clientMs: number;
  readonly serverMs: number;
}

/** What a checkpoint keeps of secure aggregation: key consumption and the synced clock. */
export interface SecureAggregatorState {
  readonly pool?: KeyPoolState;
  readonly syncedS: number;
}

/** Seed paths of the simulation's streams (dropout model, graph order). */
const DROPOUT_STREAM = 22;
const GRAPH_STREAM = 23;

export class SecureAggregator {
  readonly modulus: number;
  readonly modulusBits: number;
  private readonly pool: KeyPool | undefined;
  private syncedS = 0;

  constructor(readonly o: SecureAggregationOptions) {
    const wm = workingModulus(o.bits, Math.max(2, o.clients));
    this.modulus = wm.modulus;
    this.modulusBits = wm.bits;
    // The master key is drawn from the CSPRNG: pads can never be rebuilt from config.yaml.
    this.pool = o.mask && o.clients >= 2 ? new KeyPool({ clients: o.clients, fill: { kind: 'rate', bitsPerSecond: o.keyRateBps }, onShortage: 'wait' }) : undefined;
  }

  /** k and t for a round of n clients (the bound in security/secagg/graph.ts). */
  degreeFor(n: number): Degree {
    return chooseDegree({ clients: Math.max(2, n), dropout: this.o.dropout, corrupted: this.o.corrupted, threshold: this.o.threshold });
  }

  /**
   * Lets key generation run until simulated time `seconds` (a network's
   * clock): key accumulates between rounds, not only while a round waits.
   */
  syncTo(seconds: number): void {
    if (this.pool && seconds > this.syncedS) this.pool.advance(seconds - this.syncedS);
    this.syncedS = Math.max(this.syncedS, seconds);
  }

  getState(): SecureAggregatorState {
    return { ...(this.pool ? { pool: this.pool.state() } : {}), syncedS: this.syncedS };
  }

  setState(state: unknown): void {
    if (state === undefined) return;
    const s = state as Partial<SecureAggregatorState>;
    if (typeof s !== 'object' || s === null || !(typeof s.syncedS === 'number' && s.syncedS >= 0)) fail('checkpoint.secure', 'must be { pool, syncedS }');
    this.syncedS = s.syncedS;
    if (this.pool && s.pool) this.pool.restore(s.pool);
    else if (this.pool) fail('checkpoint.secure.pool', 'missing: the key pool state is needed to resume without reusing key');
  }

  /**
   * Masks and sums the round's encoded updates; `attempt` (0, 1, ...) seeds
   * the dropout model. Throws a `SecAggError` when the round cannot finish
   * (more than n - t dropped, an unrecoverable dropout): the round loop
   * retries with a fresh sample.
   */
  async aggregate(
    round: number,
    attempt: number,
    results: readonly FitRes[],
    /** The model's parameters, for the float32 comparison (the encoded updates also carry count digits). */
    paramCount = results[0]?.update.length ?? 0,
  ): Promise<{ sum: Float64Array; survivors: readonly number[]; failures: Failure[]; stats: SecureRoundStats; keyWaitSeconds: number }> {
    const o = this.o;
    const rng = new Rng(deriveSeed(o.seed, DROPOUT_STREAM, round, attempt));
    const levels = new Map(results.map((r) => [r.clientId, r.update]));
    const ids = [...levels.keys()].sort((a, b) => a - b);
    const dropped = ids.filter(() => rng.uniform() < o.dropout);
    const L = results[0]?.update.length ?? 0;
    const failures: Failure[] = dropped.map((id) => ({ clientId: id, reason: 'dropped after masking (simulated)' }));
    const degree = this.degreeFor(ids.length);
    let sum: Float64Array;
    let survivors: number[];
    let keyBits = 0;
    let keyWaitSeconds = 0;
    let bytesUp: number;
    let bytesDown = 0;
    let clientMs = 0;
    let serverMs = 0;
    const rejected: Failure[] = [];
    if (!this.pool || ids.length < 2) {
      survivors = ids.filter((id) => !dropped.includes(id));
      sum = sumMod(survivors.map((id) => levels.get(id)!), this.modulus, L);
      // Without masks each client sends its q-bit levels; the server sums them in a wider accumulator.
      bytesUp = survivors.length * Math.ceil((L * o.bits) / 8);
    } else {
      const input = {
        updates: levels,
        modulus: this.modulus,
        keys: this.pool,
        threshold: degree.t,
        degree: degree.k,
        graphSeed: deriveSeed(o.seed, GRAPH_STREAM, round, attempt),
        round,
        dropoutsAfterMasking: dropped,
        onKeyShortage: 'wait' as const,
      };
      let r = await secureAggregate(input);
      while (r.status === 'wait') {
        // Wait (in simulated time) until the scarcest pair has the key the round needs.
        const wait = Math.max(...r.shortages.map((s) => this.pool!.secondsUntil(s.i, s.j, s.needed)));
        if (o.onKeyShortage === 'refuse') {
          throw new QflError(`round ${round}`, `secure aggregation lacks key on ${r.shortages.length} pair(s); ${wait.toFixed(3)} s of key generation needed (secure_aggregation.on_key_shortage: refuse)`);
        }
        this.pool.advance(wait);
        this.syncedS += wait;
        keyWaitSeconds += wait;
        r = await secureAggregate(input);
      }
      sum = r.sum;
      survivors = [...r.survivors];
      keyBits = r.accounting.keyBits.reduce((s, p) => s + p.bits, 0);
      bytesUp = r.accounting.bytes.reduce((s, b) => s + b.up, 0);
      bytesDown = r.accounting.bytes.reduce((s, b) => s + b.down, 0);
      clientMs = r.timing.clientMs;
      serverMs = r.timing.serverMs;
      for (const x of r.rejected) rejected.push({ clientId: x.clientId, reason: `secagg ${x.stage}: ${x.reason}` });
    }
    const stats: SecureRoundStats = {
      bits: o.bits,
      modulusBits: this.modulusBits,
      degree: degree.k,
      threshold: degree.t,
      survivors: survivors.length,
      dropped,
      keyBits,
      keyWaitSeconds,
      bytesUp,
      bytesUpPayload: survivors.length * Math.ceil((L * (this.pool ? this.modulusBits : o.bits)) / 8),
      bytesUpFloat32: results.length * paramCount * 4,
      bytesDown,
      rejected,
      clientMs,
      serverMs,
    };
    return { sum, survivors, failures: [...failures, ...rejected], stats, keyWaitSeconds };
  }
}
