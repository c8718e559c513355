import { randomFillSync } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { combine, split } from 'shamir-secret-sharing';
import { QflError, fail } from '../../util/errors.js';
import { bytesFor } from './bits.js';
import { KeyShortageError, type KeyShortage, type KeySource } from './keys.js';
import { addMaskInPlace, checkResidues, modulusBits, pairSign } from './masking.js';

/**
 * Secure aggregation with dropouts over QKD pairwise keys: the protocol of
 * Bonawitz et al. 2017 ("Practical Secure Aggregation for Privacy-Preserving
 * Machine Learning", CCS), with the Diffie-Hellman agreed pairwise seeds
 * replaced by one-time pads cut from QKD keys (QuNetQFL, Zhang et al. 2025),
 * and staged like Flower's SecAgg+ (`secaggplus_constants.py`). Its threat
 * model and limits are in README.md beside this file.
 *
 * Every client i in U0 (the round's clients) holds a quantized update x_i in
 * [0, M)^length. Stages (server -> clients: `...Ins`, clients -> server: `...Res`):
 *
 *   share-keys              ins: the round's parameters.
 *                           res: client i draws a fresh 32-byte seed b_i,
 *                           splits it t-of-n (Shamir over GF(2^8)) and sends
 *                           each peer j its share, one-time-padded with 264
 *                           fresh bits of the pair's key. U1: who answered.
 *   collect-masked-vectors  ins: the shares addressed to the client, and U1.
 *                           res: y_i = x_i + PRG(b_i) + sum_{j in U1, j > i} k_ij
 *                           - sum_{j in U1, j < i} k_ji (mod M), PRG = ChaCha20.
 *                           U2: whose y arrived; dropped = U1 \ U2.
 *   unmask                  ins: U2 (survivors) and the dropped.
 *                           res: for each survivor s, the share of b_s; for each
 *                           dropped d, the pair slice k_id. Never both for the
 *                           same client, and only one answer per round.
 *
 * The server then computes sum_{s in U2} y_s - PRG(b_s) - (masks with dropped)
 * = sum_{s in U2} x_s (mod M). It needs |U1|, |U2| >= t and at least t
 * answers to unmask, or the round aborts with a `SecAggError`.
 *
 * Unlike Bonawitz et al., a pair's mask is not derived from a shared-secret
 * seed that could be Shamir-shared, so only i and d know k_id: a survivor that
 * goes silent in unmask while it shared a mask with a dropped client makes
 * the round unrecoverable (`unrecoverable-dropout`).
 */

/** The stages, in order (Flower's SecAgg+ SETUP stage is not needed: QKD replaces the key advertisement). */
export const SECAGG_STAGES = ['share-keys', 'collect-masked-vectors', 'unmask'] as const;
export type SecAggStage = (typeof SECAGG_STAGES)[number];

/** Bytes of a self-mask seed (a ChaCha20 key). */
export const SEED_BYTES = 32;
/** Bytes of one Shamir share of a seed: the 32 share bytes and the x coordinate. */
export const SHARE_BYTES = SEED_BYTES + 1;
/** Pair key bits that one-time-pad one share. */
export const SHARE_KEY_BITS = SHARE_BYTES * 8;
/** Most clients per round: Shamir over GF(2^8) gives at most 255 distinct shares. */
export const MAX_SECAGG_CLIENTS = 255;
/** ChaCha20 nonce of the self-mask PRG; the seed is fresh every round, so a fixed nonce is safe. */
const SELF_MASK_NONCE = new TextEncoder().encode('qfl-selfmask');

// ---------------------------------------------------------------------------
// Errors

export const SECAGG_ERROR_CODES = ['below-threshold', 'unrecoverable-dropout', 'key-shortage', 'protocol-violation'] as const;
export type SecAggErrorCode = (typeof SECAGG_ERROR_CODES)[number];

/** A round that cannot go on. `code` says why, `stage` where; nothing secret was revealed by the abort. */
export class SecAggError extends QflError {
  constructor(
    readonly code: SecAggErrorCode,
    readonly stage: SecAggStage,
    detail: string,
  ) {
    super(`secagg.${stage}`, detail);
    this.name = 'SecAggError';
  }
}

// ---------------------------------------------------------------------------
// Messages

/** The round's parameters, fixed by the server. */
export interface SecAggConfig {
  readonly round: number;
  /** U0: the clients selected for the round. */
  readonly clientIds: readonly number[];
  /** t: shares needed to rebuild a seed; also the fewest clients a round may go on with. */
  readonly threshold: number;
  /** M = 2^b, the working modulus (see `workingModulus` in quantize.ts). */
  readonly modulus: number;
  /** Entries per update. */
  readonly length: number;
}

export interface ShareKeysIns extends SecAggConfig {
  readonly kind: 'share-keys-ins';
  readonly clientId: number;
}

/** A share of `from`'s seed for `to`, XORed with SHARE_KEY_BITS fresh bits of the pair's key. */
export interface EncryptedShare {
  readonly from: number;
  readonly to: number;
  readonly ciphertext: Uint8Array;
}

export interface ShareKeysRes {
  readonly kind: 'share-keys-res';
  readonly round: number;
  readonly clientId: number;
  readonly shares: readonly EncryptedShare[];
}

export interface CollectIns {
  readonly kind: 'collect-ins';
  readonly round: number;
  readonly clientId: number;
  /** U1: the clients that shared their seed; masks are formed with these. */
  readonly participants: readonly number[];
  /** The shares addressed to this client, one from each other participant. */
  readonly shares: readonly EncryptedShare[];
}

export interface CollectRes {
  readonly kind: 'collect-res';
  readonly round: number;
  readonly clientId: number;
  /** y_i, residues in [0, M). */
  readonly masked: Float64Array;
}

export interface UnmaskIns {
  readonly kind: 'unmask-ins';
  readonly round: number;
  readonly clientId: number;
  /** U2: whose masked vector is in the sum. */
  readonly survivors: readonly number[];
  /** U1 \ U2: whose masked vector never arrived. */
  readonly dropped: readonly number[];
}

export interface RevealedShare {
  readonly owner: number;
  readonly share: Uint8Array;
}

export interface RevealedPairKey {
  readonly peer: number;
  readonly key: Uint8Array;
}

export interface UnmaskRes {
  readonly kind: 'unmask-res';
  readonly round: number;
  readonly clientId: number;
  /** A share of each survivor's seed. */
  readonly seedShares: readonly RevealedShare[];
  /** The round's pair key slice with each dropped client. */
  readonly pairKeys: readonly RevealedPairKey[];
}

export type SecAggMessage = ShareKeysIns | ShareKeysRes | CollectIns | CollectRes | UnmaskIns | UnmaskRes;

/** The stage a message belongs to. */
export function stageOf(msg: SecAggMessage): SecAggStage {
  switch (msg.kind) {
    case 'share-keys-ins':
    case 'share-keys-res':
      return 'share-keys';
    case 'collect-ins':
    case 'collect-res':
      return 'collect-masked-vectors';
    case 'unmask-ins':
    case 'unmask-res':
      return 'unmask';
  }
}

/**
 * Bytes a message takes in a plain binary encoding: uint32 for the round, ids
 * and counts (a count before every list), one byte for log2 M, a share as 33
 * bytes, vectors and key slices bit-packed at log2 M bits per element
 * (`packElements`). The sender's id travels with every message.
 */
export function wireBytes(msg: SecAggMessage, modulus: number): number {
  const U = 4;
  const vec = (length: number) => bytesFor(length * modulusBits(modulus));
  switch (msg.kind) {
    case 'share-keys-ins':
      return 3 * U + 1 + U + U + U * msg.clientIds.length;
    case 'share-keys-res':
      return 2 * U + U + msg.shares.length * (U + SHARE_BYTES);
    case 'collect-ins':
      return 2 * U + U + U * msg.participants.length + U + msg.shares.length * (U + SHARE_BYTES);
    case 'collect-res':
      return 2 * U + vec(msg.masked.length);
    case 'unmask-ins':
      return 2 * U + U + U * msg.survivors.length + U + U * msg.dropped.length;
    case 'unmask-res':
      return (
        2 * U +
        U +
        msg.seedShares.length * (U + SHARE_BYTES) +
        U +
        msg.pairKeys.reduce((s, k) => s + U + k.key.length, 0)
      );
  }
}

// ---------------------------------------------------------------------------
// Key slices of a round

/** The round's pair key slices as a client sees them. */
export interface RoundKeys {
  /** SHARE_KEY_BITS bits that pad the share `from` sends to `to`. */
  share(from: number, to: number): Uint8Array;
  /** The pair's mask slice: length * log2 M bits. */
  mask(a: number, b: number): Uint8Array;
}

/** Key bits one pair spent in a round. */
export interface PairBits {
  readonly i: number;
  readonly j: number;
  readonly bits: number;
}

/**
 * `RoundKeys` for an in-memory round: each slice is taken from the
 * `KeySource` once, on first use by either end of the pair, and the other
 * end gets the same bits (both ends of a QKD link hold the same key). A new
 * round needs a new ledger: slices are never reused across rounds.
 */
export class RoundKeyLedger implements RoundKeys {
  private readonly slices = new Map<string, Uint8Array>();
  private readonly spent = new Map<string, PairBits>();

  constructor(
    private readonly keys: KeySource,
    private readonly maskBitsPerPair: number,
  ) {}

  private get(id: string, i: number, j: number, bits: number): Uint8Array {
    let s = this.slices.get(id);
    if (s === undefined) {
      s = this.keys.take(i, j, bits);
      this.slices.set(id, s);
      const [a, b] = i < j ? [i, j] : [j, i];
      const p = `${a},${b}`;
      this.spent.set(p, { i: a, j: b, bits: (this.spent.get(p)?.bits ?? 0) + bits });
    }
    return s;
  }

  share(from: number, to: number): Uint8Array {
    return this.get(`s${from}>${to}`, from, to, SHARE_KEY_BITS);
  }

  mask(a: number, b: number): Uint8Array {
    return a < b ? this.get(`m${a},${b}`, a, b, this.maskBitsPerPair) : this.get(`m${b},${a}`, b, a, this.maskBitsPerPair);
  }

  /** Key bits each pair spent this round, sorted by (i, j). */
  bitsUsed(): PairBits[] {
    return [...this.spent.values()].sort((x, y) => x.i - y.i || x.j - y.j);
  }
}

/** Key bits a pair needs for one full round: two padded shares and one mask. */
export function roundKeyBitsPerPair(length: number, modulus: number): number {
  return 2 * SHARE_KEY_BITS + length * modulusBits(modulus);
}

// ---------------------------------------------------------------------------
// Shared helpers

function checkConfig(cfg: SecAggConfig): void {
  const n = cfg.clientIds.length;
  if (!Number.isSafeInteger(cfg.round)) fail('secagg.round', `must be an integer, got ${cfg.round}`);
  if (!(n >= 2 && n <= MAX_SECAGG_CLIENTS)) {
    fail('secagg.clientIds', `a round needs 2..${MAX_SECAGG_CLIENTS} clients (Shamir over GF(2^8)), got ${n}`);
  }
  const seen = new Set<number>();
  for (const id of cfg.clientIds) {
    if (!(Number.isSafeInteger(id) && id >= 0)) fail('secagg.clientIds', `must be integers >= 0, got ${id}`);
    if (seen.has(id)) fail('secagg.clientIds', `client ${id} appears twice`);
    seen.add(id);
  }
  if (!(Number.isInteger(cfg.threshold) && cfg.threshold >= 2 && cfg.threshold <= n)) {
    fail('secagg.threshold', `must be an integer in 2..${n} (the number of clients), got ${cfg.threshold}`);
  }
  modulusBits(cfg.modulus, 'secagg.modulus');
  if (!(Number.isInteger(cfg.length) && cfg.length >= 1)) fail('secagg.length', `must be an integer >= 1, got ${cfg.length}`);
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k]! ^ b[k]!;
  return out;
}

/** acc <- acc + sign * PRG(seed) (mod M): the self-mask, ChaCha20 keystream read as log2 M-bit elements. */
export function addSelfMask(acc: Float64Array, seed: Uint8Array, modulus: number, sign: 1 | -1): Float64Array {
  if (seed.length !== SEED_BYTES) fail('seed', `must be ${SEED_BYTES} bytes, got ${seed.length}`);
  const stream = chacha20(seed, SELF_MASK_NONCE, new Uint8Array(bytesFor(acc.length * modulusBits(modulus))));
  return addMaskInPlace(acc, stream, modulus, sign);
}

const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

// ---------------------------------------------------------------------------
// Client

/**
 * One client's side of one round. Methods must be called in stage order,
 * each once: a second masked vector under the same pair slices would be a
 * two-time pad, and a second unmask answer could reveal both the self-mask
 * and the pair masks of one client.
 */
export class SecAggClient {
  private phase: 'new' | 'shared' | 'masked' | 'done' = 'new';
  private cfg: SecAggConfig | undefined;
  private seed: Uint8Array | undefined;
  private ownShare: Uint8Array | undefined;
  private readonly received = new Map<number, Uint8Array>();
  private participants: readonly number[] = [];
  private readonly maskKeys = new Map<number, Uint8Array>();

  constructor(readonly clientId: number) {}

  private violation(stage: SecAggStage, detail: string): never {
    throw new SecAggError('protocol-violation', stage, `client ${this.clientId}: ${detail}`);
  }

  private expect(stage: SecAggStage, phase: SecAggClient['phase'], round: number): SecAggConfig | undefined {
    if (this.phase !== phase) {
      this.violation(stage, `asked for ${stage} in phase '${this.phase}'; each stage runs once, in order`);
    }
    if (this.cfg !== undefined && round !== this.cfg.round) this.violation(stage, `message of round ${round} in round ${this.cfg.round}`);
    return this.cfg;
  }

  /** share-keys: a fresh seed, split t-of-n, each share padded with the pair's key for its recipient. */
  async shareKeys(ins: ShareKeysIns, keys: RoundKeys): Promise<ShareKeysRes> {
    this.expect('share-keys', 'new', ins.round);
    checkConfig(ins);
    if (ins.clientId !== this.clientId || !ins.clientIds.includes(this.clientId)) {
      this.violation('share-keys', `not addressed to this client or not among the round's clients`);
    }
    const cfg: SecAggConfig = {
      round: ins.round,
      clientIds: sorted(ins.clientIds),
      threshold: ins.threshold,
      modulus: ins.modulus,
      length: ins.length,
    };
    const seed = randomFillSync(new Uint8Array(SEED_BYTES));
    const shares = await split(seed, cfg.clientIds.length, cfg.threshold);
    const out: EncryptedShare[] = [];
    cfg.clientIds.forEach((to, k) => {
      if (to === this.clientId) this.ownShare = shares[k]!;
      else out.push({ from: this.clientId, to, ciphertext: xor(shares[k]!, keys.share(this.clientId, to)) });
    });
    this.cfg = cfg;
    this.seed = seed;
    this.phase = 'shared';
    return { kind: 'share-keys-res', round: cfg.round, clientId: this.clientId, shares: out };
  }

  /** collect-masked-vectors: the update plus self-mask plus pair masks with every other participant. */
  collect(ins: CollectIns, update: ArrayLike<number>, keys: RoundKeys): CollectRes {
    if (this.phase === 'masked' || this.phase === 'done') {
      this.violation('collect-masked-vectors', 'already sent a masked vector this round; masking again with the same key slices would be a two-time pad');
    }
    const cfg = this.expect('collect-masked-vectors', 'shared', ins.round)!;
    const parts = sorted(new Set(ins.participants));
    if (!parts.includes(this.clientId)) this.violation('collect-masked-vectors', 'not among the participants');
    for (const p of parts) {
      if (!cfg.clientIds.includes(p)) this.violation('collect-masked-vectors', `participant ${p} is not one of the round's clients`);
    }
    if (parts.length < cfg.threshold) {
      throw new SecAggError('below-threshold', 'collect-masked-vectors', `${parts.length} participants, fewer than t = ${cfg.threshold}`);
    }
    for (const s of ins.shares) {
      if (s.to !== this.clientId || !parts.includes(s.from) || s.from === this.clientId || s.ciphertext.length !== SHARE_BYTES) {
        this.violation('collect-masked-vectors', `malformed share from ${s.from} to ${s.to}`);
      }
      if (this.received.has(s.from)) this.violation('collect-masked-vectors', `two shares from client ${s.from}`);
      this.received.set(s.from, xor(s.ciphertext, keys.share(s.from, this.clientId)));
    }
    for (const p of parts) {
      if (p !== this.clientId && !this.received.has(p)) this.violation('collect-masked-vectors', `no share from participant ${p}`);
    }
    if (update.length !== cfg.length) fail('update', `has ${update.length} entries, the round expects ${cfg.length}`);
    checkResidues(update, cfg.modulus, 'update');
    const y = Float64Array.from(update);
    addSelfMask(y, this.seed!, cfg.modulus, 1);
    const scratch = new Float64Array(cfg.length);
    for (const p of parts) {
      if (p === this.clientId) continue;
      const k = keys.mask(this.clientId, p);
      this.maskKeys.set(p, k);
      addMaskInPlace(y, k, cfg.modulus, pairSign(this.clientId, p), scratch);
    }
    this.participants = parts;
    this.phase = 'masked';
    return { kind: 'collect-res', round: cfg.round, clientId: this.clientId, masked: y };
  }

  /** unmask: seed shares of survivors, pair slices with the dropped; never both for one client, answered once. */
  unmask(ins: UnmaskIns): UnmaskRes {
    if (this.phase === 'done') this.violation('unmask', 'already answered an unmask request this round');
    const cfg = this.expect('unmask', 'masked', ins.round)!;
    const survivors = sorted(new Set(ins.survivors));
    const dropped = sorted(new Set(ins.dropped));
    const both = survivors.filter((s) => dropped.includes(s));
    if (both.length > 0) {
      this.violation('unmask', `client ${both[0]} is listed as both survivor and dropped; revealing its self-mask share and its pair keys would expose its update`);
    }
    const listed = [...survivors, ...dropped].sort((a, b) => a - b);
    if (listed.length !== this.participants.length || listed.some((id, k) => id !== this.participants[k])) {
      this.violation('unmask', `survivors and dropped must partition the participants ${this.participants.join(', ')}`);
    }
    if (!survivors.includes(this.clientId)) this.violation('unmask', 'this client sent its masked vector but is not listed as a survivor');
    if (survivors.length < cfg.threshold) {
      throw new SecAggError('below-threshold', 'unmask', `${survivors.length} survivors, fewer than t = ${cfg.threshold}; nothing revealed`);
    }
    const seedShares = survivors.map((o) => ({ owner: o, share: o === this.clientId ? this.ownShare! : this.received.get(o)! }));
    const pairKeys = dropped.map((d) => ({ peer: d, key: this.maskKeys.get(d)! }));
    this.phase = 'done';
    this.seed?.fill(0);
    this.seed = undefined;
    return { kind: 'unmask-res', round: cfg.round, clientId: this.clientId, seedShares, pairKeys };
  }
}

// ---------------------------------------------------------------------------
// Server

/** A message the server refused; its sender is treated as dropped at that stage. */
export interface Rejected {
  readonly clientId: number;
  readonly stage: SecAggStage;
  readonly reason: string;
}

/** Everything the server saw and learned in a round: what a curious server can analyse. */
export interface ServerView {
  /** The padded shares it routed. */
  readonly routedShares: EncryptedShare[];
  /** The masked vectors that arrived in time (survivors). */
  readonly masked: Map<number, Float64Array>;
  /** The self-mask seeds it rebuilt (survivors only). */
  readonly seeds: Map<number, Uint8Array>;
  /** The pair slices survivors revealed, each between a survivor and a dropped client. */
  readonly pairKeys: { readonly survivor: number; readonly dropped: number; readonly key: Uint8Array }[];
}

/** The server's result of a round: sum_{s in survivors} x_s (mod M). */
export interface SecAggOutput {
  readonly sum: Float64Array;
  readonly survivors: readonly number[];
  readonly dropped: readonly number[];
}

/** The server's side of one round; call its methods in stage order. */
export class SecAggServer {
  readonly cfg: SecAggConfig;
  readonly view: ServerView = { routedShares: [], masked: new Map(), seeds: new Map(), pairKeys: [] };
  readonly rejected: Rejected[] = [];
  private participants: number[] = [];
  private survivors: number[] = [];
  private dropped: number[] = [];
  private sum: Float64Array | undefined;

  constructor(cfg: SecAggConfig) {
    checkConfig(cfg);
    this.cfg = { ...cfg, clientIds: sorted(cfg.clientIds) };
  }

  private belowThreshold(stage: SecAggStage, count: number, what: string): never {
    throw new SecAggError(
      'below-threshold',
      stage,
      `round ${this.cfg.round}: only ${count} of ${this.cfg.clientIds.length} clients ${what}, fewer than the threshold t = ${this.cfg.threshold}; ` +
        'round aborted, no mask was removed',
    );
  }

  private reject(clientId: number, stage: SecAggStage, reason: string): void {
    this.rejected.push({ clientId, stage, reason });
  }

  /** share-keys: the instruction for each client. */
  shareKeysIns(): ShareKeysIns[] {
    return this.cfg.clientIds.map((clientId) => ({ kind: 'share-keys-ins', ...this.cfg, clientId }));
  }

  /** Routes the padded shares; U1 = the clients that answered well. Aborts below t. */
  collectIns(res: readonly ShareKeysRes[]): CollectIns[] {
    const ok = new Map<number, ShareKeysRes>();
    for (const r of res) {
      const why = this.checkShares(r, ok);
      if (why === undefined) ok.set(r.clientId, r);
      else this.reject(r.clientId, 'share-keys', why);
    }
    this.participants = sorted(ok.keys());
    if (this.participants.length < this.cfg.threshold) this.belowThreshold('share-keys', this.participants.length, 'shared their seed');
    const all = [...ok.values()].flatMap((r) => r.shares);
    this.view.routedShares.push(...all);
    return this.participants.map((clientId) => ({
      kind: 'collect-ins',
      round: this.cfg.round,
      clientId,
      participants: this.participants,
      shares: all.filter((s) => s.to === clientId && ok.has(s.from)),
    }));
  }

  private checkShares(r: ShareKeysRes, ok: ReadonlyMap<number, ShareKeysRes>): string | undefined {
    if (r.round !== this.cfg.round) return `round ${r.round}, expected ${this.cfg.round}`;
    if (!this.cfg.clientIds.includes(r.clientId)) return 'not one of the round\'s clients';
    if (ok.has(r.clientId)) return 'answered twice';
    const to = sorted(r.shares.map((s) => s.to));
    const others = this.cfg.clientIds.filter((id) => id !== r.clientId);
    if (to.length !== others.length || to.some((id, k) => id !== others[k])) return 'must send one share to each other client';
    for (const s of r.shares) {
      if (s.from !== r.clientId || s.ciphertext.length !== SHARE_BYTES) return `malformed share for client ${s.to}`;
    }
    return undefined;
  }

  /** Sums the masked vectors that arrived; U2 = their senders. Aborts below t. */
  unmaskIns(res: readonly CollectRes[]): UnmaskIns[] {
    const { modulus, length, round } = this.cfg;
    const sum = new Float64Array(length);
    const got = this.view.masked;
    for (const r of res) {
      let why: string | undefined;
      if (r.round !== round) why = `round ${r.round}, expected ${round}`;
      else if (!this.participants.includes(r.clientId)) why = 'not a participant (shared no seed)';
      else if (got.has(r.clientId)) why = 'sent two masked vectors';
      else if (!(r.masked instanceof Float64Array) || r.masked.length !== length) why = `masked vector must be a Float64Array of ${length} entries`;
      else {
        try {
          checkResidues(r.masked, modulus, 'masked');
        } catch (e) {
          why = e instanceof Error ? e.message : String(e);
        }
      }
      if (why !== undefined) {
        this.reject(r.clientId, 'collect-masked-vectors', why);
        continue;
      }
      got.set(r.clientId, r.masked);
      for (let k = 0; k < length; k++) {
        const s = sum[k]! + r.masked[k]!;
        sum[k] = s >= modulus ? s - modulus : s;
      }
    }
    this.survivors = sorted(got.keys());
    this.dropped = this.participants.filter((id) => !got.has(id));
    if (this.survivors.length < this.cfg.threshold) this.belowThreshold('collect-masked-vectors', this.survivors.length, 'sent a masked vector');
    this.sum = sum;
    return this.survivors.map((clientId) => ({ kind: 'unmask-ins', round, clientId, survivors: this.survivors, dropped: this.dropped }));
  }

  /** Removes the survivors' self-masks and the pair masks with the dropped. Aborts below t answers. */
  async finish(res: readonly UnmaskRes[]): Promise<SecAggOutput> {
    const { modulus, threshold, round } = this.cfg;
    if (this.sum === undefined) fail('secagg', 'finish() before unmaskIns()');
    const answers = new Map<number, UnmaskRes>();
    for (const r of res) {
      const why = this.checkUnmask(r, answers);
      if (why === undefined) answers.set(r.clientId, r);
      else this.reject(r.clientId, 'unmask', why);
    }
    if (answers.size < threshold) this.belowThreshold('unmask', answers.size, 'answered the unmask request');
    for (const s of this.survivors) {
      if (!answers.has(s) && this.dropped.length > 0) {
        throw new SecAggError(
          'unrecoverable-dropout',
          'unmask',
          `round ${round}: survivor ${s} did not answer, and only it holds its pair keys with the dropped ` +
            `${this.dropped.join(', ')}; the masks cannot be removed, round aborted`,
        );
      }
    }
    const sum = this.sum;
    for (const s of this.survivors) {
      // Plain Uint8Array copies: `combine` refuses subclasses such as Node's Buffer.
      const shares = [...answers.values()].map((a) => Uint8Array.from(a.seedShares.find((x) => x.owner === s)!.share));
      const seed = await combine(shares);
      this.view.seeds.set(s, seed);
      addSelfMask(sum, seed, modulus, -1);
    }
    const scratch = new Float64Array(sum.length);
    for (const a of answers.values()) {
      for (const { peer, key } of a.pairKeys) {
        this.view.pairKeys.push({ survivor: a.clientId, dropped: peer, key });
        addMaskInPlace(sum, key, modulus, pairSign(a.clientId, peer) === 1 ? -1 : 1, scratch);
      }
    }
    this.sum = undefined;
    return { sum, survivors: this.survivors, dropped: this.dropped };
  }

  private checkUnmask(r: UnmaskRes, answers: ReadonlyMap<number, UnmaskRes>): string | undefined {
    if (r.round !== this.cfg.round) return `round ${r.round}, expected ${this.cfg.round}`;
    if (!this.survivors.includes(r.clientId)) return 'not a survivor';
    if (answers.has(r.clientId)) return 'answered twice';
    const owners = sorted(r.seedShares.map((s) => s.owner));
    if (owners.length !== this.survivors.length || owners.some((o, k) => o !== this.survivors[k])) return 'must reveal one share per survivor';
    if (r.seedShares.some((s) => s.share.length !== SHARE_BYTES)) return `shares must be ${SHARE_BYTES} bytes`;
    const peers = sorted(r.pairKeys.map((k) => k.peer));
    if (peers.length !== this.dropped.length || peers.some((p, k) => p !== this.dropped[k])) return 'must reveal one pair key per dropped client';
    const bytes = bytesFor(this.cfg.length * modulusBits(this.cfg.modulus));
    if (r.pairKeys.some((k) => k.key.length < bytes)) return `pair keys must be ${bytes} bytes`;
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// A whole round in memory

export interface SecureAggregateInput {
  /** Quantized updates, residues in [0, M): a list (client i is entry i) or a map from client id. */
  readonly updates: readonly ArrayLike<number>[] | ReadonlyMap<number, ArrayLike<number>>;
  readonly modulus: number;
  readonly keys: KeySource;
  readonly threshold: number;
  readonly round?: number;
  /** Clients that never answer share-keys (never part of the masks). */
  readonly dropoutsBeforeSharing?: readonly number[];
  /** Clients that masked their update (their pair masks are fixed) but whose vector never arrives. */
  readonly dropoutsAfterMasking?: readonly number[];
  /** Survivors that do not answer the unmask request. */
  readonly dropoutsDuringUnmask?: readonly number[];
  /** When a pair lacks key for the round: throw (`'error'`, the default) or return `{ status: 'wait' }`. Checked before any key is used. */
  readonly onKeyShortage?: 'error' | 'wait';
}

/** Bytes one client sent (up) and received (down) in one stage. */
export interface StageBytes {
  readonly clientId: number;
  readonly stage: SecAggStage;
  readonly up: number;
  readonly down: number;
}

export interface SecureAggregateResult {
  readonly status: 'done';
  /** sum_{s in survivors} x_s (mod M): exact when M is sized by `workingModulus`. */
  readonly sum: Float64Array;
  readonly survivors: readonly number[];
  /** Clients that masked but whose vector did not arrive (their updates are not in the sum). */
  readonly dropped: readonly number[];
  /** Messages the server refused (their senders count as dropped). */
  readonly rejected: readonly Rejected[];
  readonly accounting: {
    /** Key bits each pair spent this round. */
    readonly keyBits: readonly PairBits[];
    /** Per client and stage; every client of the round has a row per stage. */
    readonly bytes: readonly StageBytes[];
  };
  /** What the server saw and learned. */
  readonly serverView: ServerView;
  /** The masked vectors of `dropoutsAfterMasking`: what the server would see if they arrived late. */
  readonly late: ReadonlyMap<number, Float64Array>;
}

/** The round cannot start: these pairs lack key. Nothing was consumed. */
export interface KeyWait {
  readonly status: 'wait';
  readonly shortages: readonly KeyShortage[];
}

/**
 * Simulates one secure-aggregation round in memory: every stage, every
 * client, and the dropouts given. Returns the exact sum over the survivors
 * with the key and byte accounting, or throws a `SecAggError` when the round
 * must abort (fewer than t clients at some stage, an unrecoverable dropout,
 * key shortage). Before any key is used, every pair must hold
 * `roundKeyBitsPerPair(length, modulus)` bits; with `onKeyShortage: 'wait'` a
 * shortage returns `{ status: 'wait', shortages }` instead of throwing.
 *
 * @example
 * const { modulus } = workingModulus(8, 3);
 * const keys = KeyPool.random([0, 1, 2], 10 * roundKeyBitsPerPair(4, modulus));
 * const r = await secureAggregate({ updates: [q0, q1, q2], modulus, keys, threshold: 2, dropoutsAfterMasking: [2] });
 * r.sum; // q0 + q1 (mod M)
 */
export function secureAggregate(input: SecureAggregateInput & { readonly onKeyShortage: 'wait' }): Promise<SecureAggregateResult | KeyWait>;
export function secureAggregate(input: SecureAggregateInput): Promise<SecureAggregateResult>;
export async function secureAggregate(input: SecureAggregateInput): Promise<SecureAggregateResult | KeyWait> {
  const updates: ReadonlyMap<number, ArrayLike<number>> =
    Array.isArray(input.updates)
      ? new Map((input.updates as readonly ArrayLike<number>[]).map((u, i) => [i, u]))
      : (input.updates as ReadonlyMap<number, ArrayLike<number>>);
  const ids = sorted(updates.keys());
  const length = updates.get(ids[0]!)?.length ?? 0;
  const cfg: SecAggConfig = { round: input.round ?? 0, clientIds: ids, threshold: input.threshold, modulus: input.modulus, length };
  checkConfig(cfg);
  for (const id of ids) {
    const u = updates.get(id)!;
    if (u.length !== length) fail(`updates[${id}]`, `has ${u.length} entries, client ${ids[0]} has ${length}`);
    checkResidues(u, input.modulus, `updates[${id}]`);
  }
  const lists = {
    dropoutsBeforeSharing: input.dropoutsBeforeSharing ?? [],
    dropoutsAfterMasking: input.dropoutsAfterMasking ?? [],
    dropoutsDuringUnmask: input.dropoutsDuringUnmask ?? [],
  };
  const seen = new Map<number, string>();
  for (const [name, list] of Object.entries(lists)) {
    for (const id of list) {
      if (!updates.has(id)) fail(name, `client ${id} is not one of the round's clients ${ids.join(', ')}`);
      if (seen.has(id)) fail(name, `client ${id} is already in ${seen.get(id)}`);
      seen.set(id, name);
    }
  }

  // Key check before anything is consumed.
  const need = roundKeyBitsPerPair(length, input.modulus);
  const shortages: KeyShortage[] = [];
  for (let a = 0; a < ids.length; a++) {
    for (let b = a + 1; b < ids.length; b++) {
      const have = input.keys.available(ids[a]!, ids[b]!);
      if (have < need) shortages.push({ i: ids[a]!, j: ids[b]!, needed: need, available: have });
    }
  }
  if (shortages.length > 0) {
    if (input.onKeyShortage === 'wait') return { status: 'wait', shortages };
    const s = shortages[0]!;
    const more = shortages.length > 1 ? ` (and ${shortages.length - 1} more pairs)` : '';
    throw new SecAggError(
      'key-shortage',
      'share-keys',
      `pair ${s.i},${s.j} holds ${s.available} key bits, a round of ${length} entries mod ${input.modulus} needs ${s.needed}${more}; ` +
        'no key was used',
    );
  }

  const ledger = new RoundKeyLedger(input.keys, length * modulusBits(input.modulus));
  const server = new SecAggServer(cfg);
  const clients = new Map(ids.map((id) => [id, new SecAggClient(id)]));
  const bytes = new Map<string, { up: number; down: number }>();
  const count = (clientId: number, msg: SecAggMessage, dir: 'up' | 'down') => {
    const row = bytes.get(`${clientId}:${stageOf(msg)}`)!;
    row[dir] += wireBytes(msg, input.modulus);
  };
  for (const id of ids) for (const st of SECAGG_STAGES) bytes.set(`${id}:${st}`, { up: 0, down: 0 });
  const skip = (list: readonly number[]) => new Set(list);
  const beforeSharing = skip(lists.dropoutsBeforeSharing);
  const afterMasking = skip(lists.dropoutsAfterMasking);
  const duringUnmask = skip(lists.dropoutsDuringUnmask);

  try {
    const shareRes: ShareKeysRes[] = [];
    for (const ins of server.shareKeysIns()) {
      count(ins.clientId, ins, 'down');
      if (beforeSharing.has(ins.clientId)) continue;
      const res = await clients.get(ins.clientId)!.shareKeys(ins, ledger);
      count(ins.clientId, res, 'up');
      shareRes.push(res);
    }

    const collectRes: CollectRes[] = [];
    const late = new Map<number, Float64Array>();
    for (const ins of server.collectIns(shareRes)) {
      count(ins.clientId, ins, 'down');
      const res = clients.get(ins.clientId)!.collect(ins, updates.get(ins.clientId)!, ledger);
      if (afterMasking.has(ins.clientId)) {
        late.set(ins.clientId, res.masked);
        continue;
      }
      count(ins.clientId, res, 'up');
      collectRes.push(res);
    }

    const unmaskRes: UnmaskRes[] = [];
    for (const ins of server.unmaskIns(collectRes)) {
      count(ins.clientId, ins, 'down');
      if (duringUnmask.has(ins.clientId)) continue;
      const res = clients.get(ins.clientId)!.unmask(ins);
      count(ins.clientId, res, 'up');
      unmaskRes.push(res);
    }
    const out = await server.finish(unmaskRes);

    return {
      status: 'done',
      sum: out.sum,
      survivors: out.survivors,
      dropped: out.dropped,
      rejected: server.rejected,
      accounting: {
        keyBits: ledger.bitsUsed(),
        bytes: [...bytes.entries()].map(([k, v]) => {
          const [clientId, stage] = k.split(':') as [string, SecAggStage];
          return { clientId: Number(clientId), stage, up: v.up, down: v.down };
        }),
      },
      serverView: server.view,
      late,
    };
  } catch (e) {
    if (e instanceof KeyShortageError) throw new SecAggError('key-shortage', 'share-keys', e.message);
    throw e;
  }
}
