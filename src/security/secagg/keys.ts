import { randomFillSync } from 'node:crypto';
import { QflError, fail } from '../../util/errors.js';
import { extractBits, writeBits, bytesFor } from './bits.js';

/**
 * Pairwise key material: what secure aggregation needs from the QKD layer.
 *
 * Each pair of clients {i, j} shares one pool of secret bits (QKD gives both
 * ends the same key). `take(i, j, bits)` hands out the next `bits` bits of the
 * pair's pool and consumes them: a bit is never handed out twice, which is
 * what makes a mask a one-time pad. `take(i, j, n)` and `take(j, i, n)` draw
 * from the same pool.
 *
 * A deployment gives each client its own view of its pairs' keys; the two
 * views stay in step when slices are addressed by key identifiers (as in ETSI
 * GS QKD 014 `key_ID`). In a simulation one `KeySource` serves both ends, and
 * the protocol takes each slice once and gives it to both (`RoundKeyLedger` in
 * `protocol.ts`).
 */
export interface KeySource {
  /** The next `bits` unused bits of the pair's key (LSB first, see `bits.ts`); throws when the pair has fewer. */
  take(i: number, j: number, bits: number): Uint8Array;
  /** Bits the pair {i, j} still holds. */
  available(i: number, j: number): number;
}

/**
 * Where a deployment's pair keys will come from: a key management entity per
 * site (ETSI GS QKD 014, `src/transport/kme`). Each client sees only its own
 * end. Per pair and round, one end (the smaller id: the KME's master SAE)
 * asks for a fresh key of `roundKeyBitsPerPair` bits and gets its key_ID;
 * the ID travels to the other end inside the share-keys messages (the server
 * routes it, learning nothing: an ID is not key); the other end fetches the
 * same key by ID. `RoundKeyLedger` then carves the slice exactly as in the
 * simulation, where one `KeySource` serves both ends.
 */
export interface PairKeyService {
  /** A fresh key for the pair (self the master end) and its identifier. */
  issue(self: number, peer: number, bits: number): Promise<{ readonly key: Uint8Array; readonly keyId: string }>;
  /** The key the peer was issued under `keyId` (self the slave end); refused if already fetched. */
  fetch(self: number, peer: number, keyId: string): Promise<Uint8Array>;
}

/** Produces `bits` fresh key bits for the pair {i, j} (a QKD simulator, or a CSPRNG for tests). */
export type KeyGenerator = (i: number, j: number, bits: number) => Uint8Array;

/** Key bits from the operating system's CSPRNG (`crypto.randomFillSync`): for tests and simulations without QKD. */
export const cryptoKeyBits: KeyGenerator = (_i, _j, bits) => randomFillSync(new Uint8Array(bytesFor(bits)));

/** What a pair has had, used and has left, in bits. */
export interface PairUsage {
  /** The smaller client id of the pair. */
  readonly i: number;
  /** The larger client id of the pair. */
  readonly j: number;
  readonly deposited: number;
  readonly used: number;
  readonly left: number;
}

/** A pair that lacks key for a request. */
export interface KeyShortage {
  readonly i: number;
  readonly j: number;
  readonly needed: number;
  readonly available: number;
}

/** `tryTake`'s answer: the key, or a request to wait until the pair has more. */
export type KeyTake =
  | { readonly status: 'ok'; readonly key: Uint8Array }
  | ({ readonly status: 'wait' } & KeyShortage);

/** Thrown by `take` when a pair lacks key; nothing was consumed. */
export class KeyShortageError extends QflError {
  readonly code = 'key-shortage';
  constructor(readonly shortage: KeyShortage) {
    super(
      `keys[${shortage.i},${shortage.j}]`,
      `the pair needs ${shortage.needed} key bits but holds ${shortage.available}; ` +
        'wait for the QKD link to produce more, or quantize to fewer bits',
    );
    this.name = 'KeyShortageError';
  }
}

function checkPair(i: number, j: number): void {
  for (const [name, v] of [['i', i], ['j', j]] as const) {
    if (!(Number.isSafeInteger(v) && v >= 0)) fail(`keys.${name}`, `must be a client id (an integer >= 0), got ${v}`);
  }
  if (i === j) fail('keys', `a client shares no key with itself (i = j = ${i})`);
}

function checkBits(bits: number, field: string): void {
  if (!(Number.isSafeInteger(bits) && bits >= 0)) fail(field, `must be a whole number of bits >= 0, got ${bits}`);
}

/** One pair's unused bits: `buf` bits [start, end). */
interface Pool {
  buf: Uint8Array;
  start: number;
  end: number;
  deposited: number;
  used: number;
}

/**
 * Key pools per pair, filled by `deposit` (from a QKD link) or `fill` (from a
 * generator), consumed strictly by `take`. Consumed bytes are zeroed in the
 * pool, so a pool never holds a bit that it already handed out.
 *
 * @example
 * const keys = KeyPool.random([0, 1, 2], 4096);  // 4096 bits per pair from the CSPRNG
 * const k01 = keys.take(1, 0, 100);              // the same pool as take(0, 1, ...)
 * keys.usage(0, 1);                              // { i: 0, j: 1, deposited: 4096, used: 100, left: 3996 }
 */
export class KeyPool implements KeySource {
  private readonly pools = new Map<string, Pool>();

  /** Every pair of `ids` gets `bitsPerPair` bits from the CSPRNG. */
  static random(ids: readonly number[], bitsPerPair: number): KeyPool {
    return new KeyPool().fill(ids, bitsPerPair, cryptoKeyBits);
  }

  private pool(i: number, j: number, create: boolean): Pool | undefined {
    checkPair(i, j);
    const key = i < j ? `${i},${j}` : `${j},${i}`;
    let p = this.pools.get(key);
    if (p === undefined && create) {
      p = { buf: new Uint8Array(0), start: 0, end: 0, deposited: 0, used: 0 };
      this.pools.set(key, p);
    }
    return p;
  }

  /** Appends the first `bits` bits of `key` to the pair's pool. */
  deposit(i: number, j: number, key: Uint8Array, bits: number = key.length * 8): void {
    checkBits(bits, 'deposit.bits');
    if (bits > key.length * 8) fail('deposit.bits', `the key has ${key.length * 8} bits, cannot deposit ${bits}`);
    const p = this.pool(i, j, true)!;
    const have = p.end - p.start;
    const buf = new Uint8Array(bytesFor(have + bits));
    writeBits(buf, 0, extractBits(p.buf, p.start, have), have);
    writeBits(buf, have, key, bits);
    p.buf.fill(0);
    p.buf = buf;
    p.start = 0;
    p.end = have + bits;
    p.deposited += bits;
  }

  /** Deposits `bitsPerPair` bits from `generate` for every pair of `ids`. Returns this pool. */
  fill(ids: readonly number[], bitsPerPair: number, generate: KeyGenerator = cryptoKeyBits): this {
    checkBits(bitsPerPair, 'fill.bitsPerPair');
    for (let a = 0; a < ids.length; a++) {
      for (let b = a + 1; b < ids.length; b++) {
        const key = generate(ids[a]!, ids[b]!, bitsPerPair);
        if (key.length * 8 < bitsPerPair) fail('fill.generate', `returned ${key.length * 8} bits, ${bitsPerPair} were asked`);
        this.deposit(ids[a]!, ids[b]!, key, bitsPerPair);
      }
    }
    return this;
  }

  available(i: number, j: number): number {
    const p = this.pool(i, j, false);
    return p === undefined ? 0 : p.end - p.start;
  }

  /** The next `bits` bits, or `{ status: 'wait', ... }` (nothing consumed) when the pair holds fewer. */
  tryTake(i: number, j: number, bits: number): KeyTake {
    checkBits(bits, 'take.bits');
    const p = this.pool(i, j, false);
    const have = p === undefined ? 0 : p.end - p.start;
    if (have < bits) return { status: 'wait', i: Math.min(i, j), j: Math.max(i, j), needed: bits, available: have };
    if (p === undefined) return { status: 'ok', key: new Uint8Array(0) };
    const key = extractBits(p.buf, p.start, bits);
    const from = Math.floor(p.start / 8);
    p.start += bits;
    p.used += bits;
    // Whole bytes now behind the cursor are spent: wipe them.
    p.buf.fill(0, from, Math.floor(p.start / 8));
    return { status: 'ok', key };
  }

  /** The next `bits` bits; throws `KeyShortageError` (nothing consumed) when the pair holds fewer. */
  take(i: number, j: number, bits: number): Uint8Array {
    const r = this.tryTake(i, j, bits);
    if (r.status === 'wait') throw new KeyShortageError({ i: r.i, j: r.j, needed: r.needed, available: r.available });
    return r.key;
  }

  /** The pair's account, in bits. */
  usage(i: number, j: number): PairUsage {
    const p = this.pool(i, j, false);
    const [a, b] = i < j ? [i, j] : [j, i];
    return p === undefined
      ? { i: a, j: b, deposited: 0, used: 0, left: 0 }
      : { i: a, j: b, deposited: p.deposited, used: p.used, left: p.end - p.start };
  }

  /** Every pair's account, sorted by (i, j). */
  usageAll(): PairUsage[] {
    return [...this.pools.keys()]
      .map((k) => k.split(',').map(Number) as [number, number])
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .map(([a, b]) => this.usage(a, b));
  }
}
