/**
 * A QKD key pool per client pair, in simulated time.
 *
 * Each unordered pair {i, j} of clients shares one key stream, filled either
 * at a configured secret-key rate (bits per simulated second: e.g. the
 * 32.8 kbps the QuNetQFL experiment reports for its four clients, arXiv
 * 2501.12709) or by running BB84 sessions back to back (`runBb84`, each
 * session lasting pulses / repetition rate seconds). `take(i, j, bits)`
 * hands out bits never handed out before; both ends of a link hold the same
 * key, so a caller that masks with it gives the same bits to client i and
 * client j (take once per pair, not once per end).
 *
 * A request larger than what is left either waits (the pool's clock moves on
 * until the pair has generated enough, and the wait is accounted to that
 * pair) or is refused with a QflError saying how long it would have taken,
 * by the `onShortage` option. `secondsUntil` answers the question without
 * taking anything.
 *
 * Key material: with a rate fill the bits come from ChaCha20 keyed per pair
 * (a cryptographic generator, as STYLE asks for keys). Its master key is 32
 * random bytes from node:crypto unless one is given; a numeric `seed` makes
 * runs reproducible and is for simulations only. With a BB84 fill the bits
 * are the simulated protocol's output, driven by the seeded physics
 * generator: fit for studying the protocol, not for protecting anything.
 *
 * Key is handed out packed, eight bits per byte, least significant bit first
 * (see `bits.ts`; the convention of `security/secagg`).
 *
 * @example
 * const pool = new KeyPool({ clients: 4, fill: { kind: 'rate', bitsPerSecond: 32_800, seed: 1 } });
 * pool.advance(1);                 // one simulated second: 32 800 bits per pair
 * const mask = pool.take(0, 2, 8 * 1000);
 */
import { createHash, randomBytes } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { fail } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import { runBb84, type Bb84Options } from './bb84.js';
import { copyBits } from './bits.js';
import { checkNumber } from './math.js';

/**
 * What secure aggregation needs from a key supply: fresh shared bits for an
 * unordered pair, and how many it holds now (the shape of
 * `security/secagg/keys.ts`'s KeySource, which sits above this layer).
 */
export interface KeySource {
  /** The next `bits` unused bits of pair {i, j}, packed LSB first. */
  take(i: number, j: number, bits: number): Uint8Array;
  /** Bits pair {i, j} holds now, unused. */
  available(i: number, j: number): number;
}

export type KeyFill =
  | {
      readonly kind: 'rate';
      /** Secret-key rate of every pair, bits per simulated second. */
      readonly bitsPerSecond: number;
      /** 32-byte master key, or a number for reproducible simulations; random when omitted. */
      readonly seed?: Uint8Array | number;
    }
  | {
      readonly kind: 'bb84';
      /** One session's settings (pulses, distance, channel); the generator is derived per pair. */
      readonly session: Omit<Bb84Options, 'rng'>;
      /** Pulses per second, which sets a session's duration (pulses / repRateHz). */
      readonly repRateHz: number;
      /** Base seed; pair {i, j} runs on `new Rng(deriveSeed(seed, i, j))`. */
      readonly seed: number;
    };

export const SHORTAGE_POLICIES = ['wait', 'refuse'] as const;
export type ShortagePolicy = (typeof SHORTAGE_POLICIES)[number];

export interface KeyPoolOptions {
  /** Number of clients; pairs are {i, j} with 0 <= i < j < clients. */
  readonly clients: number;
  readonly fill: KeyFill;
  /** What a request larger than the key left does (default 'wait'). */
  readonly onShortage?: ShortagePolicy;
  /** Simulated seconds of key generation already done when the pool opens (default 0). */
  readonly startSeconds?: number;
}

export interface PairAccount {
  readonly i: number;
  readonly j: number;
  /** Key generated so far, bits. */
  readonly filledBits: number;
  /** Key handed out, bits. */
  readonly usedBits: number;
  /** filled - used. */
  readonly leftBits: number;
  /** Simulated seconds requests on this pair spent waiting for key. */
  readonly waitedSeconds: number;
  /** Requests on this pair that were refused. */
  readonly refusals: number;
}

/** A stretch of BB84 key that becomes available at `readyAt`. */
interface Session {
  readonly readyAt: number;
  readonly key: Uint8Array;
  readonly bits: number;
}

interface Pair {
  readonly i: number;
  readonly j: number;
  used: number;
  waited: number;
  refusals: number;
  // rate fill
  readonly cipherKey?: Uint8Array;
  // bb84 fill
  readonly rng?: Rng;
  sessions: Session[];
  /** Bits of sessions[0..] already consumed or dropped before sessions[0]. */
  dropped: number;
  sessionsRun: number;
}

/**
 * What a rate-filled pool has consumed: its clock and, per pair touched,
 * bits used and seconds waited. A checkpoint stores this (never the key), so
 * a resumed run continues every pair's stream after the last bit it used:
 * a slice is never handed out twice, across any number of resumes.
 */
export interface KeyPoolState {
  readonly clock: number;
  /** [i, j, usedBits, waitedSeconds] per pair, i < j. */
  readonly pairs: readonly (readonly [number, number, number, number])[];
}

/** Slack for floating point when a wait of (bits / rate) seconds is turned back into bits. */
const RATE_SLACK = 1e-6;
/** A BB84 fill that yields nothing for this many sessions in a row is refused. */
const MAX_EMPTY_SESSIONS = 64;
const NONCE = new Uint8Array(12);

export class KeyPool implements KeySource {
  readonly clients: number;
  readonly fill: KeyFill;
  readonly onShortage: ShortagePolicy;
  private clock: number;
  private readonly pairs = new Map<number, Pair>();
  private readonly master: Uint8Array | undefined;

  constructor(options: KeyPoolOptions) {
    const { clients, fill } = options;
    if (!Number.isInteger(clients) || clients < 2) fail('clients', `must be an integer >= 2, got ${clients}`);
    this.clients = clients;
    this.onShortage = options.onShortage ?? 'wait';
    if (!(SHORTAGE_POLICIES as readonly string[]).includes(this.onShortage)) {
      fail('onShortage', `must be one of ${SHORTAGE_POLICIES.join(', ')}, got '${String(this.onShortage)}'`);
    }
    this.clock = checkNumber('startSeconds', options.startSeconds ?? 0, 0, Number.MAX_VALUE);
    if (fill.kind === 'rate') {
      checkNumber('fill.bitsPerSecond', fill.bitsPerSecond, 0, Number.MAX_VALUE);
      const seed = fill.seed;
      if (seed instanceof Uint8Array) {
        if (seed.length !== 32) fail('fill.seed', `a key must be 32 bytes, got ${seed.length}`);
        this.master = Uint8Array.from(seed);
      } else if (typeof seed === 'number') {
        if (!Number.isFinite(seed)) fail('fill.seed', `must be a finite number, got ${seed}`);
        this.master = new Uint8Array(createHash('sha256').update(`qfl/qnet/key-pool/seed/${seed}`).digest());
      } else this.master = new Uint8Array(randomBytes(32));
    } else if (fill.kind === 'bb84') {
      checkNumber('fill.repRateHz', fill.repRateHz, 0, Number.MAX_VALUE, { minOpen: true });
      const pulses = fill.session.pulses;
      if (!Number.isInteger(pulses) || pulses < 1) fail('fill.session.pulses', `must be a positive integer, got ${pulses}`);
      if (!Number.isFinite(fill.seed)) fail('fill.seed', `must be a finite number, got ${fill.seed}`);
      this.master = undefined;
    } else fail('fill.kind', `must be 'rate' or 'bb84', got '${String((fill as { kind: unknown }).kind)}'`);
    this.fill = fill;
  }

  /** The pool's simulated time, seconds. */
  get now(): number {
    return this.clock;
  }

  /** Lets `seconds` of simulated time pass: every pair generates key meanwhile. */
  advance(seconds: number): void {
    checkNumber('seconds', seconds, 0, Number.MAX_VALUE);
    this.clock += seconds;
  }

  /** Seconds from now until pair {i, j} has `bits` unused bits (0 if it has them now). */
  secondsUntil(i: number, j: number, bits: number): number {
    const pair = this.pair(i, j);
    checkBits(bits);
    return this.waitFor(pair, bits);
  }

  /** Unused bits pair {i, j} holds at the current simulated time. */
  available(i: number, j: number): number {
    const pair = this.pair(i, j);
    return this.filled(pair) - pair.used;
  }

  /** `bits` fresh key bits of pair {i, j}, packed LSB first (ceil(bits / 8) bytes). */
  take(i: number, j: number, bits: number): Uint8Array {
    return this.request(i, j, bits).key;
  }

  /** Like `take`, and says how many simulated seconds the request waited. */
  request(i: number, j: number, bits: number): { key: Uint8Array; waitSeconds: number } {
    const pair = this.pair(i, j);
    checkBits(bits);
    const wait = this.waitFor(pair, bits);
    if (wait > 0) {
      const left = this.filled(pair) - pair.used;
      if (this.onShortage === 'refuse' || !Number.isFinite(wait)) {
        pair.refusals++;
        const how = Number.isFinite(wait) ? `generating the rest takes ${formatSeconds(wait)} s of simulated time` : 'the fill produces no key';
        fail(`keys[${pair.i},${pair.j}]`, `${bits} bits requested but only ${left} left; ${how} (onShortage: '${this.onShortage}')`);
      }
      this.clock += wait;
      pair.waited += wait;
    }
    const key = this.read(pair, bits);
    pair.used += bits;
    return { key, waitSeconds: wait };
  }

  /** Accounting of pair {i, j}. */
  account(i: number, j: number): PairAccount {
    const pair = this.pair(i, j);
    const filled = this.filled(pair);
    return { i: pair.i, j: pair.j, filledBits: filled, usedBits: pair.used, leftBits: filled - pair.used, waitedSeconds: pair.waited, refusals: pair.refusals };
  }

  /** Accounting of every pair, in order (0,1), (0,2), ..., (n-2,n-1). */
  accounts(): PairAccount[] {
    const out: PairAccount[] = [];
    for (let i = 0; i < this.clients; i++) for (let j = i + 1; j < this.clients; j++) out.push(this.account(i, j));
    return out;
  }

  /** The consumption state (no key material): see `KeyPoolState`. */
  state(): KeyPoolState {
    if (this.fill.kind !== 'rate') fail('keyPool.state', 'only a rate-filled pool can be checkpointed');
    return { clock: this.clock, pairs: [...this.pairs.values()].map((p) => [p.i, p.j, p.used, p.waited] as const) };
  }

  /**
   * Continues from a checkpointed state: the clock and every pair's
   * consumption. The key bits after that point come from this pool's own
   * master key (a fresh one from the CSPRNG unless a seed was given), never
   * from the bits handed out before.
   */
  restore(state: KeyPoolState): void {
    if (this.fill.kind !== 'rate') fail('keyPool.restore', 'only a rate-filled pool can be restored');
    if (!(typeof state === 'object' && state !== null && Number.isFinite(state.clock) && state.clock >= 0 && Array.isArray(state.pairs))) {
      fail('keyPool.state', 'must be { clock, pairs } with clock >= 0');
    }
    this.clock = state.clock;
    for (const entry of state.pairs) {
      const [i, j, used, waited] = entry;
      if (!(Number.isInteger(used) && used >= 0 && Number.isFinite(waited) && waited >= 0)) fail('keyPool.state.pairs', `bad entry ${JSON.stringify(entry)}`);
      const pair = this.pair(i, j);
      if (used > this.filled(pair)) fail('keyPool.state.pairs', `pair ${i},${j} used ${used} bits, more than the ${this.filled(pair)} generated by time ${state.clock}`);
      pair.used = used;
      pair.waited = waited;
    }
  }

  private pair(i: number, j: number): Pair {
    for (const [name, v] of [['i', i], ['j', j]] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= this.clients) fail(name, `must be a client index in [0, ${this.clients - 1}], got ${v}`);
    }
    if (i === j) fail('j', `a key pair needs two different clients, got ${i} twice`);
    const lo = Math.min(i, j);
    const hi = Math.max(i, j);
    const id = lo * this.clients + hi;
    let pair = this.pairs.get(id);
    if (pair === undefined) {
      const base = { i: lo, j: hi, used: 0, waited: 0, refusals: 0, sessions: [], dropped: 0, sessionsRun: 0 };
      if (this.fill.kind === 'rate') {
        const cipherKey = new Uint8Array(createHash('sha256').update(this.master!).update(`pair/${lo}/${hi}`).digest());
        pair = { ...base, cipherKey };
      } else pair = { ...base, rng: new Rng(deriveSeed(this.fill.seed, lo, hi)) };
      this.pairs.set(id, pair);
    }
    return pair;
  }

  /** Bits pair has generated by the current clock. */
  private filled(pair: Pair): number {
    if (this.fill.kind === 'rate') return Math.floor(this.fill.bitsPerSecond * this.clock + RATE_SLACK);
    this.runSessionsUntil(pair, this.clock);
    let bits = pair.dropped;
    for (const s of pair.sessions) if (s.readyAt <= this.clock) bits += s.bits;
    return bits;
  }

  /** Simulated seconds until `bits` more than `used` are available. */
  private waitFor(pair: Pair, bits: number): number {
    const need = pair.used + bits;
    if (this.filled(pair) >= need) return 0;
    if (this.fill.kind === 'rate') {
      const rate = this.fill.bitsPerSecond;
      return rate > 0 ? need / rate - this.clock : Infinity;
    }
    // BB84: run sessions ahead until their key covers the request.
    let total = pair.dropped;
    for (const s of pair.sessions) total += s.bits;
    let empty = 0;
    while (total < need) {
      const s = this.runSession(pair);
      total += s.bits;
      empty = s.bits > 0 ? 0 : empty + 1;
      if (empty >= MAX_EMPTY_SESSIONS) return Infinity;
    }
    let acc = pair.dropped;
    for (const s of pair.sessions) {
      acc += s.bits;
      if (acc >= need) return Math.max(0, s.readyAt - this.clock);
    }
    return Infinity; // not reached
  }

  private runSession(pair: Pair): Session {
    const fill = this.fill as Extract<KeyFill, { kind: 'bb84' }>;
    const result = runBb84({ ...fill.session, rng: pair.rng! });
    pair.sessionsRun++;
    const s: Session = { readyAt: (pair.sessionsRun * fill.session.pulses) / fill.repRateHz, key: result.key, bits: result.finalKeyLength };
    pair.sessions.push(s);
    return s;
  }

  private runSessionsUntil(pair: Pair, time: number): void {
    const fill = this.fill as Extract<KeyFill, { kind: 'bb84' }>;
    const duration = fill.session.pulses / fill.repRateHz;
    while ((pair.sessionsRun + 1) * duration <= time) this.runSession(pair);
  }

  /** The next `bits` unused bits of the pair's stream. */
  private read(pair: Pair, bits: number): Uint8Array {
    const out = new Uint8Array((bits + 7) >>> 3);
    if (bits === 0) return out;
    const start = pair.used;
    if (this.fill.kind === 'rate') {
      // ChaCha20 keystream bytes covering bits [start, start + bits), from its 64-byte block.
      const block = Math.floor(start / 512);
      const bytes = Math.ceil((start + bits) / 8) - block * 64;
      const stream = chacha20(pair.cipherKey!, NONCE, new Uint8Array(bytes), undefined, block);
      copyBits(stream, start - block * 512, out, 0, bits);
      return out;
    }
    let written = 0;
    let offset = start - pair.dropped; // bit offset into sessions[0]
    while (written < bits) {
      const s = pair.sessions[0]!;
      const n = Math.min(bits - written, s.bits - offset);
      copyBits(s.key, offset, out, written, n);
      written += n;
      offset += n;
      if (offset === s.bits) {
        pair.sessions.shift();
        pair.dropped += s.bits;
        offset = 0;
      }
    }
    return out;
  }
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 0) fail('bits', `must be a non-negative integer, got ${bits}`);
}

function formatSeconds(s: number): string {
  return s >= 1 ? s.toFixed(3) : s.toPrecision(3);
}
