/**
 * One QKD link's key store in `qfl kme`, kept on disk: the key the link has
 * made and not yet handed out (a count of bits; for a bb84-session link the
 * bits themselves), and the keys handed to a master that its slave has not
 * fetched yet (key_ID, both SAEs, the key). Every change is written to
 * `pair-A~B.json` atomically (temporary file, fsync, rename, fsync of the
 * directory) *before* the answer leaves, so a KME killed at any point
 * restarts with every delivered-but-unfetched key and never hands out a key
 * twice: a key the slave fetched is erased from the file before the slave
 * sees it.
 *
 * Rate links hold a count, not bits: key material is drawn from the OS
 * CSPRNG (node:crypto randomBytes) when a master asks for it, which is what a
 * perfect link would have delivered, and nothing secret sits on disk until
 * it is owed to a slave. Session links store the simulated protocol's
 * output, which is a simulation's key (its physics generator is seeded).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../../util/errors.js';
import { isBase64, isPlainObject, isSaeId, isUuid } from './etsi014.js';

/** A key a master holds and its slave may still fetch, once. */
export interface PendingKey {
  readonly id: string;
  readonly master: string;
  readonly slave: string;
  /** base64 */
  readonly key: string;
  readonly bits: number;
}

export interface PairSnapshot {
  readonly a: string;
  readonly b: string;
  /** Key made and not handed out, bits. */
  storedBits: number;
  /** Fraction of a bit (rate links) or of a session's duration in seconds (session links) carried to the next accrual. */
  carry: number;
  /** Session links: the stored bits themselves, whole bytes. */
  reservoir: Uint8Array | undefined;
  /** Bits handed out so far, both roles counted once per key. */
  deliveredBits: number;
  readonly pending: Map<string, PendingKey>;
}

const FILE_VERSION = 1;
/** A pair file larger than this is refused on load (a store holds at most a few MiB by construction). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

export function pairFile(dir: string, a: string, b: string): string {
  return join(dir, `pair-${a}~${b}.json`);
}

/** Writes `text` to `path` so that a crash leaves either the old or the new file, never a torn one. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(join(path, '..'), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function savePair(dir: string, s: PairSnapshot): void {
  const body = {
    version: FILE_VERSION,
    a: s.a,
    b: s.b,
    stored_bits: s.storedBits,
    carry: s.carry,
    ...(s.reservoir !== undefined ? { reservoir: Buffer.from(s.reservoir).toString('base64') } : {}),
    delivered_bits: s.deliveredBits,
    pending: [...s.pending.values()],
  };
  writeAtomic(pairFile(dir, s.a, s.b), JSON.stringify(body));
}

/** The pair's saved state, or undefined when it has none yet; a damaged file is an error, never silently dropped. */
export function loadPair(dir: string, a: string, b: string): PairSnapshot | undefined {
  const path = pairFile(dir, a, b);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path);
  if (text.length > MAX_FILE_BYTES) fail(path, `is ${text.length} bytes, over the ${MAX_FILE_BYTES} a key store can hold`);
  let raw: unknown;
  try {
    raw = JSON.parse(text.toString('utf8'));
  } catch (e) {
    return fail(path, `is not JSON (${(e as Error).message}); it holds keys owed to SAEs, so it is not replaced: repair or remove it`);
  }
  const bad = (what: string): never => fail(path, `${what}; it holds keys owed to SAEs, so it is not replaced: repair or remove it`);
  if (!isPlainObject(raw) || raw.version !== FILE_VERSION) return bad(`is not a version-${FILE_VERSION} key store`);
  if (raw.a !== a || raw.b !== b) return bad(`belongs to pair ${String(raw.a)}, ${String(raw.b)}, not ${a}, ${b}`);
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!count(raw.stored_bits) || !count(raw.delivered_bits)) return bad('has a bad stored_bits or delivered_bits');
  if (typeof raw.carry !== 'number' || !Number.isFinite(raw.carry) || raw.carry < 0) return bad('has a bad carry');
  let reservoir: Uint8Array | undefined;
  if (raw.reservoir !== undefined) {
    if (!isBase64(raw.reservoir)) return bad('has a reservoir that is not base64');
    reservoir = new Uint8Array(Buffer.from(raw.reservoir, 'base64'));
    if (reservoir.length * 8 !== raw.stored_bits) return bad('has a reservoir that disagrees with stored_bits');
  }
  if (!Array.isArray(raw.pending)) return bad('has no pending list');
  const pending = new Map<string, PendingKey>();
  raw.pending.forEach((p: unknown, k: number) => {
    if (!isPlainObject(p) || !isUuid(p.id) || !isSaeId(p.master) || !isSaeId(p.slave) || !isBase64(p.key) || !count(p.bits)) return bad(`has a bad pending[${k}]`);
    const pair = [p.master, p.slave].sort();
    if (pair[0] !== a || pair[1] !== b) return bad(`has pending[${k}] of another pair`);
    if (Buffer.from(p.key, 'base64').length * 8 !== p.bits) return bad(`has pending[${k}] whose key is not ${p.bits} bits`);
    pending.set(p.id, { id: p.id, master: p.master, slave: p.slave, key: p.key, bits: p.bits });
  });
  return { a, b, storedBits: raw.stored_bits as number, carry: raw.carry, reservoir, deliveredBits: raw.delivered_bits as number, pending };
}
