/**
 * The key-management entity of `qfl kme`, without HTTP: the three ETSI GS
 * QKD 014 calls for an authenticated caller, over one key store per link of
 * the simulated QKD network (`links.ts`, `pair-state.ts`).
 *
 * Key appears on a link at the rate its model gives, in wall-clock time, up
 * to the store's capacity (max_key_count keys of key_size bits); no key
 * accrues while the KME is down. A master's Get key takes `number` keys of
 * `size` bits from the link to its slave, gives each a fresh UUID and keeps
 * it for the slave; the slave's Get key with key IDs hands each one over once
 * and erases it. One process plays the KME of every site (source and target
 * KME IDs are the same), which is what a simulated network needs.
 *
 * @example
 * const kme = new KmeService({ kmeId: 'kme', saes: ['a', 'b'], links, stateDir });
 * const { keys } = kme.encKeys('a', 'b', { number: 2, size: 256 });
 * kme.decKeys('b', 'a', keys.map((k) => k.key_ID));   // the same two keys, once
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fail } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/random.js';
import { badRequest, serverError, unauthorized, type EtsiKeyContainer, type EtsiKeyRequest, type EtsiStatus } from './etsi014.js';
import { linkModel, pairName, runSession, type LinkModel, type LinkSpec } from './links.js';
import { loadPair, savePair, type PairSnapshot, type PendingKey } from './pair-state.js';

export interface KmeLimits {
  /** Default key size, bits (key_size). */
  readonly keySize: number;
  readonly minKeySize: number;
  readonly maxKeySize: number;
  readonly maxKeyPerRequest: number;
  /** Keys of key_size a link's store holds at most (max_key_count); also bounds the keys waiting for slaves. */
  readonly maxKeyCount: number;
}

export const DEFAULT_LIMITS: KmeLimits = Object.freeze({ keySize: 256, minKeySize: 8, maxKeySize: 65_536, maxKeyPerRequest: 128, maxKeyCount: 4096 });

export interface KmeOptions {
  readonly kmeId: string;
  readonly saes: readonly string[];
  /** One spec per pair, by `pairName` (see `resolveLinks`). */
  readonly links: ReadonlyMap<string, LinkSpec>;
  /** Directory of the key stores (created; locked against a second KME). */
  readonly stateDir: string;
  readonly limits?: Partial<KmeLimits>;
  /** Seconds of key generation already done when a link's store is first created (default 0). */
  readonly prefillSeconds?: number;
  /** Seed of the bb84-session links' physics (simulations); from the OS CSPRNG when omitted. */
  readonly seed?: number;
  /** Wall clock, ms (tests move it by hand). */
  readonly now?: () => number;
}

interface Pair {
  readonly name: string;
  readonly model: LinkModel;
  readonly rng: Rng;
  state: PairSnapshot;
  lastMs: number;
}

/** Sessions run at most this many at a time, so one request cannot stall the KME for long. */
const MAX_SESSIONS_PER_ACCRUAL = 256;
const LOCK_FILE = 'kme.lock';

export class KmeService {
  readonly kmeId: string;
  readonly saes: readonly string[];
  readonly limits: KmeLimits;
  private readonly pairs = new Map<string, Pair>();
  private readonly now: () => number;
  private readonly stateDir: string;
  private readonly lockPath: string;

  constructor(options: KmeOptions) {
    this.kmeId = options.kmeId;
    this.saes = [...options.saes];
    this.limits = checkLimits({ ...DEFAULT_LIMITS, ...options.limits });
    this.now = options.now ?? Date.now;
    this.stateDir = options.stateDir;
    mkdirSync(this.stateDir, { recursive: true });
    this.lockPath = join(this.stateDir, LOCK_FILE);
    takeLock(this.lockPath);
    try {
      const seed = options.seed ?? randomBytes(4).readUInt32LE(0);
      const prefill = options.prefillSeconds ?? 0;
      if (!(prefill >= 0 && Number.isFinite(prefill))) fail('prefillSeconds', `must be a number >= 0, got ${prefill}`);
      const start = this.now();
      for (let i = 0; i < this.saes.length; i++) {
        for (let j = i + 1; j < this.saes.length; j++) {
          const [a, b] = [this.saes[i]!, this.saes[j]!].sort() as [string, string];
          const name = pairName(a, b);
          const spec = options.links.get(name);
          if (spec === undefined) fail('links', `no link spec for the pair ${a}, ${b}`);
          const rng = new Rng(deriveSeed(seed, i, j));
          const model = linkModel(spec, rng);
          const saved = loadPair(this.stateDir, a, b);
          const state = saved ?? { a, b, storedBits: 0, carry: 0, reservoir: spec.model === 'bb84-session' ? new Uint8Array(0) : undefined, deliveredBits: 0, pending: new Map() };
          const pair: Pair = { name, model, rng, state, lastMs: start };
          if (saved === undefined) {
            this.generate(pair, prefill);
            savePair(this.stateDir, state);
          }
          this.pairs.set(name, pair);
        }
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Releases the state directory's lock. */
  close(): void {
    rmSync(this.lockPath, { force: true });
  }

  /** Every link: its model's rate and QBER, what it holds, what it delivered. */
  links(): { pair: string; model: string; bitsPerSecond: number; qber: number; refused?: string; storedBits: number; pendingKeys: number; deliveredBits: number }[] {
    return [...this.pairs.values()].map((p) => {
      this.accrue(p);
      return {
        pair: p.name,
        model: p.model.spec.model,
        bitsPerSecond: p.model.bitsPerSecond,
        qber: p.model.qber,
        ...(p.model.refused !== undefined ? { refused: p.model.refused } : {}),
        storedBits: p.state.storedBits,
        pendingKeys: p.state.pending.size,
        deliveredBits: p.state.deliveredBits,
      };
    });
  }

  /** Get status: what `master` can get for `slave` now. */
  status(master: string, slave: string): EtsiStatus {
    const pair = this.pairOf(master, slave, 'slave_SAE_ID');
    this.accrue(pair);
    const { keySize, maxKeyCount, maxKeyPerRequest, maxKeySize, minKeySize } = this.limits;
    return {
      source_KME_ID: this.kmeId,
      target_KME_ID: this.kmeId,
      master_SAE_ID: master,
      slave_SAE_ID: slave,
      key_size: keySize,
      stored_key_count: Math.min(maxKeyCount, Math.floor(pair.state.storedBits / keySize)),
      max_key_count: maxKeyCount,
      max_key_per_request: maxKeyPerRequest,
      max_key_size: maxKeySize,
      min_key_size: minKeySize,
      max_SAE_ID_count: 0,
      status_extension: {
        qfl_link: {
          model: pair.model.spec.model,
          key_rate_bps: pair.model.bitsPerSecond,
          qber: pair.model.qber,
          stored_bits: pair.state.storedBits,
          ...(pair.model.refused !== undefined ? { refused: pair.model.refused } : {}),
        },
      },
    };
  }

  /** Get key: `number` fresh keys of `size` bits for `master`, kept for `slave` to fetch once. */
  encKeys(master: string, slave: string, request: EtsiKeyRequest): EtsiKeyContainer {
    const pair = this.pairOf(master, slave, 'slave_SAE_ID');
    const { keySize, minKeySize, maxKeySize, maxKeyPerRequest } = this.limits;
    const number = request.number ?? 1;
    const size = request.size ?? keySize;
    if (number < 1 || number > maxKeyPerRequest) throw badRequest(`number must be in [1, ${maxKeyPerRequest}] (max_key_per_request), got ${number}`, { number_unsupported: number });
    if (size < minKeySize || size > maxKeySize || size % 8 !== 0) {
      throw badRequest(`size must be a multiple of 8 bits in [${minKeySize}, ${maxKeySize}] (min_key_size, max_key_size), got ${size}`, { size_unsupported: size });
    }
    if ((request.additional_slave_SAE_IDs ?? []).length > 0) {
      throw badRequest('additional_slave_SAE_IDs are not supported: max_SAE_ID_count is 0 (no key multicast)', { additional_slave_SAE_IDs_unsupported: request.additional_slave_SAE_IDs });
    }
    const mandatory = request.extension_mandatory ?? [];
    if (mandatory.length > 0) {
      throw badRequest('extension_mandatory holds extensions this KME does not support', { extension_mandatory_unsupported: mandatory.flatMap((e) => Object.keys(e)) });
    }
    if (pair.model.refused !== undefined) throw serverError(`link ${pair.name} makes no key: ${pair.model.refused}`, { link: pair.name, qber: pair.model.qber });
    this.accrue(pair);
    const bits = number * size;
    const s = pair.state;
    if (s.storedBits < bits) {
      const wait = (bits - s.storedBits) / pair.model.bitsPerSecond;
      throw serverError(`not enough key on link ${pair.name}: ${bits} bits asked, ${s.storedBits} stored; the link makes ${formatRate(pair.model.bitsPerSecond)}`, {
        requested_bits: bits,
        stored_bits: s.storedBits,
        seconds_until_available: Number(wait.toPrecision(4)),
      });
    }
    let pendingBits = 0;
    for (const p of s.pending.values()) pendingBits += p.bits;
    const cap = this.capacityBits();
    if (pendingBits + bits > cap || s.pending.size + number > this.limits.maxKeyCount) {
      throw serverError(`${s.pending.size} keys (${pendingBits} bits) on link ${pair.name} wait for their slave; at most ${this.limits.maxKeyCount} keys and ${cap} bits may wait`, {
        pending_keys: s.pending.size,
        pending_bits: pendingBits,
        max_pending_keys: this.limits.maxKeyCount,
        max_pending_bits: cap,
      });
    }
    const before = copyState(s);
    const keys: PendingKey[] = [];
    for (let k = 0; k < number; k++) {
      const material = this.take(pair, size);
      keys.push({ id: randomUUID(), master, slave, key: Buffer.from(material).toString('base64'), bits: size });
    }
    for (const key of keys) s.pending.set(key.id, key);
    s.deliveredBits += bits;
    this.persist(pair, before);
    return { keys: keys.map((k) => ({ key_ID: k.id, key: k.key })) };
  }

  /** Get key with key IDs: the keys `master` got for `slave`, each handed over once and then erased. */
  decKeys(slave: string, master: string, ids: readonly string[]): EtsiKeyContainer {
    const pair = this.pairOf(slave, master, 'master_SAE_ID');
    const s = pair.state;
    const found: PendingKey[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const key = s.pending.get(id);
      if (key === undefined) missing.push(id);
      else if (key.slave !== slave || key.master !== master) throw unauthorized(`key_ID ${id} was not issued by ${master} for ${slave}`, { key_ID: id });
      else found.push(key);
    }
    if (missing.length > 0) {
      throw badRequest(`not all keys could be retrieved: ${missing.length} of ${ids.length} key_IDs unknown for master ${master} (never issued, or already retrieved)`, { key_ID_not_found: missing });
    }
    const before = copyState(s);
    for (const key of found) s.pending.delete(key.id);
    this.persist(pair, before);
    return { keys: found.map((k) => ({ key_ID: k.id, key: k.key })) };
  }

  private capacityBits(): number {
    return this.limits.maxKeyCount * this.limits.keySize;
  }

  /** The pair of the caller and the SAE named in the path; 400 when that SAE is unknown or the caller itself. */
  private pairOf(caller: string, other: string, field: string): Pair {
    if (!this.saes.includes(other)) throw badRequest(`${field} '${other.slice(0, 64)}' is not an SAE of this KME`, { [field]: other.slice(0, 64), known: [...this.saes] });
    if (other === caller) throw badRequest(`${field} is the caller itself ('${caller}'); keys are shared between two SAEs`);
    const pair = this.pairs.get(pairName(caller, other));
    if (pair === undefined) throw serverError(`no link between ${caller} and ${other}`);
    return pair;
  }

  /** Key made since the last look, by the wall clock. */
  private accrue(pair: Pair): void {
    const now = this.now();
    const seconds = Math.max(0, (now - pair.lastMs) / 1000);
    pair.lastMs = now;
    this.generate(pair, seconds);
  }

  private generate(pair: Pair, seconds: number): void {
    if (pair.model.refused !== undefined || seconds <= 0) return;
    const s = pair.state;
    const cap = this.capacityBits();
    const spec = pair.model.spec;
    if (spec.model === 'bb84-session') {
      const duration = pair.model.sessionSeconds!;
      s.carry += seconds;
      const due = Math.floor(s.carry / duration);
      s.carry -= due * duration;
      const chunks: Uint8Array[] = [s.reservoir!];
      let total = s.reservoir!.length;
      for (let k = 0; k < Math.min(due, MAX_SESSIONS_PER_ACCRUAL) && total * 8 < cap; k++) {
        const out = runSession(spec, pair.rng);
        const room = (cap >>> 3) - total;
        const piece = out.key.subarray(0, Math.min(out.key.length, room));
        chunks.push(piece);
        total += piece.length;
      }
      s.reservoir = concat(chunks, total);
      s.storedBits = total * 8;
      return;
    }
    const exact = s.carry + pair.model.bitsPerSecond * seconds;
    const whole = Math.floor(exact);
    s.carry = exact - whole;
    s.storedBits = Math.min(cap, s.storedBits + whole);
    if (s.storedBits === cap) s.carry = 0;
  }

  /** `bits` (a multiple of 8) of fresh key from the link's store. */
  private take(pair: Pair, bits: number): Uint8Array {
    const s = pair.state;
    const bytes = bits >>> 3;
    s.storedBits -= bits;
    if (s.reservoir === undefined) return new Uint8Array(randomBytes(bytes));
    const out = s.reservoir.slice(0, bytes);
    s.reservoir = s.reservoir.slice(bytes);
    return out;
  }

  /** Saves the pair; on failure restores the state from before the call and answers 503. */
  private persist(pair: Pair, before: PairSnapshot): void {
    try {
      savePair(this.stateDir, pair.state);
    } catch (e) {
      pair.state = before;
      throw serverError(`the key store could not be written (${(e as Error).message}); nothing was handed out`);
    }
  }
}

function copyState(s: PairSnapshot): PairSnapshot {
  return { ...s, reservoir: s.reservoir === undefined ? undefined : Uint8Array.from(s.reservoir), pending: new Map(s.pending) };
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function formatRate(bps: number): string {
  return bps >= 1e3 ? `${(bps / 1e3).toPrecision(4)} kbit/s` : `${bps.toPrecision(4)} bit/s`;
}

function checkLimits(l: KmeLimits): KmeLimits {
  const whole = (name: string, v: number, min: number, max: number) => {
    if (!Number.isSafeInteger(v) || v < min || v > max) fail(name, `must be a whole number in [${min}, ${max}], got ${v}`);
  };
  whole('minKeySize', l.minKeySize, 8, 1 << 20);
  whole('maxKeySize', l.maxKeySize, l.minKeySize, 1 << 20);
  whole('keySize', l.keySize, l.minKeySize, l.maxKeySize);
  for (const [name, v] of [['minKeySize', l.minKeySize], ['maxKeySize', l.maxKeySize], ['keySize', l.keySize]] as const) {
    if (v % 8 !== 0) fail(name, `must be a multiple of 8 bits, got ${v}`);
  }
  whole('maxKeyPerRequest', l.maxKeyPerRequest, 1, 10_000);
  whole('maxKeyCount', l.maxKeyCount, 1, 1 << 24);
  if (l.maxKeyCount * l.keySize > 2 ** 31) fail('maxKeyCount', `max_key_count x key_size must stay under 2^31 bits per link, got ${l.maxKeyCount} x ${l.keySize}`);
  return l;
}

/** An exclusive lock on the state directory: two KMEs on one store could hand a key out twice. */
function takeLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(existsSync(path) ? readFileSync(path, 'utf8').trim() : NaN);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        fail(path, `another KME (pid ${pid}) holds this key store; stop it first or use another --state-dir`);
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  fail(path, 'could not take the key store lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
