import { KeyPool } from '../qnet/key-pool.js';
import { addDistributedNoise, distributedDpReport } from '../security/secagg/distributed-dp.js';
import { secureAggregate } from '../security/secagg/protocol.js';
import { dequantizeSum, quantize, workingModulus, type QuantBits } from '../security/secagg/quantize.js';
import { fail, QflError } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import type { Failure, FitRes } from './messages.js';

/**
 * Secure aggregation in a simulated federation (QuNetQFL, paper 002): each
 * surviving client's parameter delta is clipped to [-clip, clip], quantized
 * to `bits`-bit integers and masked with pairwise one-time pads cut from
 * QKD key pools; the server sums the masked vectors (the masks cancel), and
 * dequantizes the sum into the mean delta.
 *
 * What is simulated: the QKD network delivers each pair's key to both ends
 * (a `KeyPool` filled at a key rate in simulated time, drained by the
 * masks); the client and server halves of the SecAgg stages run in this
 * process, the server half seeing only the messages (`secureAggregate`).
 * Under masking the mean is unweighted (the server cannot weight vectors it
 * cannot see).
 */
export interface SecureAggregationOptions {
  readonly bits: QuantBits;
  /** Each delta coordinate is clipped to [-clip, clip] before quantization. */
  readonly clip: number;
  readonly rounding: 'deterministic' | 'stochastic';
  /** false: quantize only (no masks, no keys): the traffic comparison without the protocol. */
  readonly mask: boolean;
  /** Fraction of a round's clients that must survive (Shamir threshold t = ceil(threshold * n)). */
  readonly threshold: number;
  /** Probability that a client drops after masking (simulated; its update is not in the sum). */
  readonly dropout: number;
  readonly clients: number;
  /** Key generation per pair, bits per second of simulated time. */
  readonly keyRateBps: number;
  readonly onKeyShortage: 'wait' | 'refuse';
  readonly seed: number;
  /**
   * Distributed DP (the mitigation for a server colluding with clients):
   * each client clips its delta to L2 norm `clipNorm` and adds Gaussian noise
   * of std sigma / sqrt(n) before quantization, so the sum carries N(0, sigma^2).
   */
  readonly noise?: { readonly sigma: number; readonly clipNorm: number; readonly delta: number };
}

export interface SecureRoundStats {
  readonly bits: number;
  readonly modulusBits: number;
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
  /** Distributed DP this round: epsilon against the server alone and against the server with all but one client. */
  readonly dp?: { readonly epsilon: number; readonly allButOneEpsilon: number; readonly delta: number; readonly sigma: number };
}

export class SecureAggregator {
  readonly modulus: number;
  readonly modulusBits: number;
  private readonly pool: KeyPool | undefined;

  constructor(readonly o: SecureAggregationOptions) {
    if (!(o.clip > 0)) fail('secure_aggregation.clip', `must be > 0, got ${o.clip}`);
    const wm = workingModulus(o.bits, Math.max(2, o.clients));
    this.modulus = wm.modulus;
    this.modulusBits = wm.bits;
    this.pool =
      o.mask && o.clients >= 2
        ? new KeyPool({ clients: o.clients, fill: { kind: 'rate', bitsPerSecond: o.keyRateBps, seed: deriveSeed(o.seed, 21) }, onShortage: 'wait' })
        : undefined;
  }

  private syncedS = 0;

  /**
   * Lets key generation run until simulated time `seconds` (a network's
   * clock): key accumulates between rounds, not only while a round waits.
   */
  syncTo(seconds: number): void {
    if (this.pool && seconds > this.syncedS) this.pool.advance(seconds - this.syncedS);
    this.syncedS = Math.max(this.syncedS, seconds);
  }

  /** The mean delta over the round's survivors, as one result, with the round's accounting. */
  async aggregate(round: number, results: readonly FitRes[]): Promise<{ result: FitRes | undefined; failures: Failure[]; stats: SecureRoundStats }> {
    const o = this.o;
    const rng = new Rng(deriveSeed(o.seed, 22, round));
    const levels = new Map<number, Float64Array>();
    for (const r of results) {
      let u: Float64Array = r.update;
      if (o.noise) {
        const norm = Math.hypot(...u);
        const scale = norm > o.noise.clipNorm ? o.noise.clipNorm / norm : 1;
        u = addDistributedNoise(u.map((v) => v * scale), { sigma: o.noise.sigma, clients: results.length }, rng.fork());
      }
      const clipped = u.map((v) => Math.max(-o.clip, Math.min(o.clip, v)));
      const q = o.rounding === 'stochastic' ? quantize(clipped, { bits: o.bits, clip: o.clip, rounding: 'stochastic', rng: rng.fork() }) : quantize(clipped, { bits: o.bits, clip: o.clip, rounding: 'deterministic' });
      levels.set(r.clientId, q);
    }
    const ids = [...levels.keys()].sort((a, b) => a - b);
    const dropped = ids.filter(() => rng.uniform() < o.dropout);
    const L = results[0]?.update.length ?? 0;
    const floatBytes = results.length * L * 4;
    let sum: Float64Array;
    let survivors: number[];
    let keyBits = 0;
    let keyWaitSeconds = 0;
    let bytesUp: number;
    let bytesDown = 0;
    const failures: Failure[] = dropped.map((id) => ({ clientId: id, reason: 'dropped after masking (simulated)' }));
    if (!this.pool) {
      survivors = ids.filter((id) => !dropped.includes(id));
      sum = new Float64Array(L);
      for (const id of survivors) {
        const q = levels.get(id)!;
        for (let k = 0; k < L; k++) sum[k] = (sum[k]! + q[k]!) % this.modulus;
      }
      // Without masks each client sends its q-bit levels; the server sums them in a wider accumulator.
      bytesUp = survivors.length * Math.ceil((L * o.bits) / 8);
    } else {
      const threshold = Math.max(2, Math.ceil(o.threshold * ids.length));
      let r = await secureAggregate({ updates: levels, modulus: this.modulus, keys: this.pool, threshold, round, dropoutsAfterMasking: dropped, onKeyShortage: 'wait' });
      while (r.status === 'wait') {
        // Wait (in simulated time) until the scarcest pair has the key the round needs.
        const wait = Math.max(...r.shortages.map((s) => this.pool!.secondsUntil(s.i, s.j, s.needed)));
        if (o.onKeyShortage === 'refuse') {
          throw new QflError(`round ${round}`, `secure aggregation lacks key on ${r.shortages.length} pair(s); ${wait.toFixed(3)} s of key generation needed (secure_aggregation.on_key_shortage: refuse)`);
        }
        this.pool.advance(wait);
        this.syncedS += wait;
        keyWaitSeconds += wait;
        r = await secureAggregate({ updates: levels, modulus: this.modulus, keys: this.pool, threshold, round, dropoutsAfterMasking: dropped, onKeyShortage: 'wait' });
      }
      sum = r.sum;
      survivors = [...r.survivors];
      keyBits = r.accounting.keyBits.reduce((s, p) => s + p.bits, 0);
      bytesUp = r.accounting.bytes.reduce((s, b) => s + b.up, 0);
      bytesDown = r.accounting.bytes.reduce((s, b) => s + b.down, 0);
    }
    const stats: SecureRoundStats = {
      bits: o.bits,
      modulusBits: this.modulusBits,
      survivors: survivors.length,
      dropped,
      keyBits,
      keyWaitSeconds,
      bytesUp,
      bytesUpPayload: survivors.length * Math.ceil((L * (this.pool ? this.modulusBits : o.bits)) / 8),
      bytesUpFloat32: floatBytes,
      bytesDown,
      ...(o.noise && survivors.length > 0
        ? {
            dp: (() => {
              const r = distributedDpReport({ sigma: o.noise.sigma, delta: o.noise.delta, clipNorm: o.noise.clipNorm, clients: results.length, survivors: survivors.length });
              return { epsilon: r.server.epsilon, allButOneEpsilon: r.allButOne.epsilon, delta: o.noise.delta, sigma: o.noise.sigma };
            })(),
          }
        : {}),
    };
    if (survivors.length === 0) return { result: undefined, failures, stats };
    const total = dequantizeSum(sum, survivors.length, { bits: o.bits, clip: o.clip, modulus: this.modulus });
    const mean = total.map((v) => v / survivors.length);
    const kept = results.filter((r) => survivors.includes(r.clientId));
    const numExamples = kept.reduce((s, r) => s + r.numExamples, 0);
    const metricOf = (key: string) => kept.reduce((s, r) => s + (r.metrics[key] ?? 0) * r.numExamples, 0) / numExamples;
    return {
      result: { round, clientId: -1, update: mean, numExamples, metrics: { loss: metricOf('loss'), accuracy: metricOf('accuracy') } },
      failures,
      stats,
    };
  }
}
