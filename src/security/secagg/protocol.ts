import { hash, randomFillSync } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { QflError, fail } from '../../util/errors.js';
import { bytesFor } from './bits.js';
import { roundGraph } from './graph.js';
import type { KeySource } from './keys.js';
import { addMaskInPlace, checkResidues, modulusBits, pairSign } from './masking.js';
import { chunksFor, shamirCombine, shamirSplit, shareBytes, shareFromBytes, type Share } from './shamir.js';

/**
 * SecAgg+ over QKD pairwise keys: the protocol of Bonawitz et al. 2017
 * ("Practical Secure Aggregation for Privacy-Preserving Machine Learning",
 * CCS) on the sparse graph of Bell et al. 2020 (SecAgg+; `graph.ts`), with
 * the Diffie-Hellman agreed pair seeds replaced by one-time pads cut from
 * QKD keys (QuNetQFL, Zhang et al. 2025), and staged like Flower's SecAgg+.
 * Threat model and limits: README.md beside this file.
 *
 * N(i): client i's k neighbours in the round's graph; H(i) = N(i) + {i}, the
 * holders of i's secrets. Every client i of U0 holds a quantized update x_i
 * in [0, M)^L. Stages (server -> clients `...Ins`, clients -> server `...Res`):
 *
 *   share-keys         res: a fresh 32-byte seed b_i, Shamir-split t-of-(k+1)
 *                      over GF(2^26 - 5) among H(i); each neighbour's share
 *                      one-time-padded and tagged (one-time Poly1305) with
 *                      fresh bits of the pair's key, and committed to the
 *                      server (SHA-256 of the share, and of b_i). U1: who
 *                      answered well.
 *   collect-masked-    ins: U1 restricted to N(i), and the shares for i.
 *   vectors            res: y_i = x_i + PRG(b_i) + sum_{j in N(i) U1, j > i} k_ij
 *                      - sum_{j in N(i) U1, j < i} k_ji (mod M), PRG = ChaCha20;
 *                      and the senders of shares whose tag failed (named).
 *                      U2: whose y arrived.
 *   consistency-check  ins: U2. res: a one-time Poly1305 tag, under the pair
 *                      key, on SHA-256(round, U2) for each neighbour in U2:
 *                      the client's signature on the survivor list it was told.
 *   unmask             ins: the tags addressed to i. A client answers only if
 *                      at least t holders of H(i) (itself included) vouch for
 *                      the same list; then for each neighbour j in U1: the
 *                      share of b_j if j is in U2, else the pair slice k_ij.
 *                      Never both for one peer, one answer per round.
 *
 * The server sums the y_s of U2, rebuilds each b_s from t shares that match
 * the dealer's commitments (a share that does not is refused and its revealer
 * named), checks it against the seed commitment, removes PRG(b_s) and the
 * revealed pair slices with the dropped: sum_{s in U2} x_s (mod M).
 */

/** The stages, in order. */
export const SECAGG_STAGES = ['share-keys', 'collect-masked-vectors', 'consistency-check', 'unmask'] as const;
export type SecAggStage = (typeof SECAGG_STAGES)[number];

/** Bytes of a self-mask seed (a ChaCha20 key). */
export const SEED_BYTES = 32;
/** Bytes of one share of a seed: one uint32 per 3-byte chunk (the x coordinate is the holder's id). */
export const SHARE_BYTES = chunksFor(SEED_BYTES) * 4;
/** Bytes of a Poly1305 tag and of its one-time key. */
export const TAG_BYTES = 16;
const MAC_KEY_BYTES = 32;
/** Bytes of a commitment (SHA-256, truncated: second-preimage resistance is what matters). */
export const COMMIT_BYTES = 16;
/** Pair key bits that pad and authenticate one share: a one-time Poly1305 key, then the pad. */
export const SHARE_KEY_BITS = (MAC_KEY_BYTES + SHARE_BYTES) * 8;
/** Pair key bits of one consistency tag. */
export const CONSISTENCY_KEY_BITS = MAC_KEY_BYTES * 8;
const SHARE_KEY_BYTES = SHARE_KEY_BITS / 8;
/** Bytes of a pair's round slice before its mask: two shares' keys and two list tags' keys. */
const PAIR_HEADER_BYTES = 2 * SHARE_KEY_BYTES + 2 * MAC_KEY_BYTES;
/** ChaCha20 nonce of the self-mask PRG; the seed is fresh every round, so a fixed nonce is safe. */
const SELF_MASK_NONCE = new TextEncoder().encode('qfl-selfmask');

// ---------------------------------------------------------------------------
// Errors

export const SECAGG_ERROR_CODES = ['below-threshold', 'unrecoverable-dropout', 'key-shortage', 'protocol-violation', 'inconsistent-view'] as const;
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

/** The round's parameters, fixed by the server and checked by every client. */
export interface SecAggConfig {
  readonly round: number;
  /** U0: the clients selected for the round. */
  readonly clientIds: readonly number[];
  /** t: shares (of k + 1) needed to rebuild a secret; a majority of the holders. */
  readonly threshold: number;
  /** k: neighbours per client (n - 1: the complete graph). */
  readonly degree: number;
  /** Public seed of the ring order of the graph (`graph.ts`). */
  readonly graphSeed: number;
  /** M = 2^b, the working modulus (see `workingModulus` in quantize.ts). */
  readonly modulus: number;
  /** Entries per update. */
  readonly length: number;
}

export interface ShareKeysIns extends SecAggConfig {
  readonly kind: 'share-keys-ins';
  readonly clientId: number;
}

/** A share of `from`'s seed for `to`: padded with, and tagged under, fresh bits of the pair's key. */
export interface EncryptedShare {
  readonly from: number;
  readonly to: number;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

export interface ShareKeysRes {
  readonly kind: 'share-keys-res';
  readonly round: number;
  readonly clientId: number;
  readonly shares: readonly EncryptedShare[];
  /** SHA-256 of the seed (first COMMIT_BYTES): what the rebuilt seed is checked against. */
  readonly seedCommitment: Uint8Array;
  /** Per holder (neighbours and the client itself): the commitment to its share. */
  readonly shareCommitments: readonly { readonly holder: number; readonly commitment: Uint8Array }[];
}

export interface CollectIns {
  readonly kind: 'collect-ins';
  readonly round: number;
  readonly clientId: number;
  /** N(i) and U1: the neighbours that shared their seed; masks are formed with these. */
  readonly participants: readonly number[];
  /** The shares addressed to this client, one from each participant. */
  readonly shares: readonly EncryptedShare[];
}

export interface CollectRes {
  readonly kind: 'collect-res';
  readonly round: number;
  readonly clientId: number;
  /** y_i, residues in [0, M). */
  readonly masked: Float64Array;
  /** Neighbours whose share failed its tag: altered by its sender or on the way. */
  readonly badShares: readonly number[];
}

export interface ConsistencyIns {
  readonly kind: 'consistency-ins';
  readonly round: number;
  readonly clientId: number;
  /** U2: whose masked vector is in the sum, as the server says. */
  readonly survivors: readonly number[];
}

/** `from`'s tag on the survivor list, for `to` (only `to` can check it: the key is theirs). */
export interface ListTag {
  readonly from: number;
  readonly to: number;
  readonly tag: Uint8Array;
}

export interface ConsistencyRes {
  readonly kind: 'consistency-res';
  readonly round: number;
  readonly clientId: number;
  readonly tags: readonly ListTag[];
}

export interface UnmaskIns {
  readonly kind: 'unmask-ins';
  readonly round: number;
  readonly clientId: number;
  /** The neighbours' tags on the survivor list, addressed to this client. */
  readonly tags: readonly ListTag[];
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
  /** A share of each surviving holder-of-mine's seed (own seed included). */
  readonly seedShares: readonly RevealedShare[];
  /** The round's pair key slice with each dropped neighbour. */
  readonly pairKeys: readonly RevealedPairKey[];
}

export type SecAggMessage = ShareKeysIns | ShareKeysRes | CollectIns | CollectRes | ConsistencyIns | ConsistencyRes | UnmaskIns | UnmaskRes;

/** The stage a message belongs to. */
export function stageOf(msg: SecAggMessage): SecAggStage {
  switch (msg.kind) {
    case 'share-keys-ins':
    case 'share-keys-res':
      return 'share-keys';
    case 'collect-ins':
    case 'collect-res':
      return 'collect-masked-vectors';
    case 'consistency-ins':
    case 'consistency-res':
      return 'consistency-check';
    case 'unmask-ins':
    case 'unmask-res':
      return 'unmask';
  }
}

/**
 * Bytes a message takes in a plain binary encoding: uint32 for the round, ids
 * and counts (a count before every list), one byte each for log2 M and k, a
 * share as SHARE_BYTES, tags and commitments as their bytes, vectors and key
 * slices bit-packed at log2 M bits per element. A survivor list travels as a
 * bitmap over the round's clients. The sender's id travels with every message.
 */
export function wireBytes(msg: SecAggMessage, modulus: number): number {
  const U = 4;
  const vec = (length: number) => bytesFor(length * modulusBits(modulus));
  switch (msg.kind) {
    case 'share-keys-ins':
      // round, id, t, k, graph seed, length; log2 M; U0 as a count and ids.
      return 6 * U + 1 + U + U * msg.clientIds.length;
    case 'share-keys-res':
      return 2 * U + COMMIT_BYTES + U + msg.shares.length * (U + SHARE_BYTES + TAG_BYTES) + U + msg.shareCommitments.length * (U + COMMIT_BYTES);
    case 'collect-ins':
      return 2 * U + U + U * msg.participants.length + U + msg.shares.length * (U + SHARE_BYTES + TAG_BYTES);
    case 'collect-res':
      return 2 * U + vec(msg.masked.length) + U + U * msg.badShares.length;
    case 'consistency-ins':
      return 2 * U + U + bytesFor(Math.max(...msg.survivors, 0) + 1);
    case 'consistency-res':
      return 2 * U + U + msg.tags.length * (U + TAG_BYTES);
    case 'unmask-ins':
      return 2 * U + U + msg.tags.length * (U + TAG_BYTES);
    case 'unmask-res':
      return 2 * U + U + msg.seedShares.length * (U + SHARE_BYTES) + U + msg.pairKeys.reduce((s, k) => s + U + k.key.length, 0);
  }
}

// ---------------------------------------------------------------------------
// Key slices of a round

/** The round's pair key slices as a client sees them. */
export interface RoundKeys {
  /** SHARE_KEY_BITS bits that authenticate and pad the share `from` sends to `to`. */
  share(from: number, to: number): Uint8Array;
  /** CONSISTENCY_KEY_BITS bits of `from`'s tag on the survivor list for `to`. */
  consistency(from: number, to: number): Uint8Array;
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
 * `RoundKeys` for an in-memory round: each pair of neighbours takes one
 * slice of `roundKeyBitsPerPair` bits from the `KeySource`, on first use by
 * either end, and both ends carve it the same way: the share i -> j (smaller
 * id first), the share j -> i, the two list tags, then the mask. Both ends of
 * a QKD link hold the same key; in a deployment the slice's key_ID (ETSI GS
 * QKD 014) travels instead of the bits. A new round needs a new ledger:
 * slices are never reused across rounds.
 */
export class RoundKeyLedger implements RoundKeys {
  private readonly slices = new Map<number, Uint8Array>();
  private readonly spent: PairBits[] = [];
  private readonly bits: number;

  constructor(
    private readonly keys: KeySource,
    maskBitsPerPair: number,
  ) {
    this.bits = PAIR_HEADER_BYTES * 8 + maskBitsPerPair;
  }

  private slice(i: number, j: number): Uint8Array {
    const [a, b] = i < j ? [i, j] : [j, i];
    // Cantor pairing: a collision-free number key (ids are below 2^26).
    const id = ((a + b) * (a + b + 1)) / 2 + b;
    let s = this.slices.get(id);
    if (s === undefined) {
      s = this.keys.take(a, b, this.bits);
      this.slices.set(id, s);
      this.spent.push({ i: a, j: b, bits: this.bits });
    }
    return s;
  }

  share(from: number, to: number): Uint8Array {
    const o = from < to ? 0 : SHARE_KEY_BYTES;
    return this.slice(from, to).subarray(o, o + SHARE_KEY_BYTES);
  }

  consistency(from: number, to: number): Uint8Array {
    const o = 2 * SHARE_KEY_BYTES + (from < to ? 0 : MAC_KEY_BYTES);
    return this.slice(from, to).subarray(o, o + MAC_KEY_BYTES);
  }

  mask(a: number, b: number): Uint8Array {
    return this.slice(a, b).subarray(PAIR_HEADER_BYTES);
  }

  /** Key bits each pair spent this round, sorted by (i, j). */
  bitsUsed(): PairBits[] {
    return [...this.spent].sort((x, y) => x.i - y.i || x.j - y.j);
  }
}

/** Key bits a pair of neighbours needs for one full round: two shares, two list tags, one mask. */
export function roundKeyBitsPerPair(length: number, modulus: number): number {
  return 2 * SHARE_KEY_BITS + 2 * CONSISTENCY_KEY_BITS + length * modulusBits(modulus);
}

// ---------------------------------------------------------------------------
// Shared helpers

/** Throws unless the round's parameters are coherent (ids, t a majority of k + 1 holders, M, L). */
export function checkConfig(cfg: SecAggConfig): void {
  const n = cfg.clientIds.length;
  if (!Number.isSafeInteger(cfg.round)) fail('secagg.round', `must be an integer, got ${cfg.round}`);
  if (n < 2) fail('secagg.clientIds', `a round needs at least 2 clients, got ${n}`);
  const seen = new Set<number>();
  const ascending = isAscending(cfg.clientIds);
  for (const id of cfg.clientIds) {
    if (!(Number.isSafeInteger(id) && id >= 0 && id < 2 ** 26 - 6)) fail('secagg.clientIds', `must be integers in [0, 2^26 - 6), got ${id}`);
    if (ascending) continue; // strictly ascending: distinct without a set
    if (seen.has(id)) fail('secagg.clientIds', `client ${id} appears twice`);
    seen.add(id);
  }
  const k = cfg.degree;
  if (!(Number.isInteger(k) && k >= 1 && k <= n - 1 && (k === n - 1 || k % 2 === 0))) {
    fail('secagg.degree', `must be an even integer below ${n - 1}, or ${n - 1} (complete graph), got ${k}`);
  }
  const holders = k + 1;
  if (!(Number.isInteger(cfg.threshold) && 2 * cfg.threshold > holders && cfg.threshold <= holders)) {
    fail(
      'secagg.threshold',
      `must be an integer with ${holders} / 2 < t <= ${holders} (a majority of each client's ${holders} share holders), got ${cfg.threshold}: ` +
        'with t at most half, a server that tells two halves different survivor lists unmasks a client',
    );
  }
  if (!Number.isSafeInteger(cfg.graphSeed)) fail('secagg.graphSeed', `must be an integer, got ${cfg.graphSeed}`);
  modulusBits(cfg.modulus, 'secagg.modulus');
  if (!(Number.isInteger(cfg.length) && cfg.length >= 1)) fail('secagg.length', `must be an integer >= 1, got ${cfg.length}`);
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k]! ^ b[k]!;
  return out;
}

const u32 = (...xs: number[]): Uint8Array => {
  const b = new Uint8Array(4 * xs.length);
  const v = new DataView(b.buffer);
  xs.forEach((x, k) => v.setUint32(4 * k, x >>> 0, true));
  return b;
};

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const sha = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(hash('sha256', parts.length === 1 ? parts[0]! : concat(...parts), 'buffer'));

/** Constant-time equality of two tags or commitments (no early exit on the first difference). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Input of `shareCommitment`, reused: round, owner, holder as uint32, then the share. */
const commitInput = new Uint8Array(12 + SHARE_BYTES);
const commitHeader = new DataView(commitInput.buffer);

/** The commitment to the share of `owner`'s seed that `holder` holds. */
function shareCommitment(round: number, owner: number, holder: number, share: Uint8Array): Uint8Array {
  const b = share.length === SHARE_BYTES ? commitInput : new Uint8Array(12 + share.length);
  const v = b === commitInput ? commitHeader : new DataView(b.buffer);
  v.setUint32(0, round >>> 0, true);
  v.setUint32(4, owner, true);
  v.setUint32(8, holder, true);
  b.set(share, 12);
  const d = hash('sha256', b, 'buffer');
  return new Uint8Array(d.buffer, d.byteOffset, COMMIT_BYTES);
}

function seedCommitment(round: number, owner: number, seed: Uint8Array): Uint8Array {
  return sha(u32(round, owner), seed).subarray(0, COMMIT_BYTES);
}

/**
 * The tag on a padded share: Poly1305 under a one-time key cut for exactly
 * this share (round, sender, recipient), so it binds all of them.
 */
function shareTag(ciphertext: Uint8Array, slice: Uint8Array): Uint8Array {
  return poly1305(ciphertext, slice.subarray(0, MAC_KEY_BYTES));
}

/** What a client signs: SHA-256 of the round and the sorted survivor list. */
function listDigest(round: number, survivors: readonly number[]): Uint8Array {
  const ids = Uint32Array.from(survivors);
  return sha(u32(round, survivors.length), new Uint8Array(ids.buffer));
}

/** acc <- acc + sign * PRG(seed) (mod M): the self-mask, ChaCha20 keystream read as log2 M-bit elements. */
export function addSelfMask(acc: Float64Array, seed: Uint8Array, modulus: number, sign: 1 | -1): Float64Array {
  if (seed.length !== SEED_BYTES) fail('seed', `must be ${SEED_BYTES} bytes, got ${seed.length}`);
  const stream = chacha20(seed, SELF_MASK_NONCE, new Uint8Array(bytesFor(acc.length * modulusBits(modulus))));
  return addMaskInPlace(acc, stream, modulus, sign);
}

const sorted = (xs: Iterable<number>): number[] => [...xs].sort((a, b) => a - b);

/** True when `xs` is strictly ascending (so sorted and without repeats). */
function isAscending(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (!(xs[i]! > xs[i - 1]!)) return false;
  return true;
}

/** The sorted distinct ids: `xs` itself when already strictly ascending (a round's lists are). */
const ascendingIds = (xs: readonly number[]): readonly number[] => (isAscending(xs) ? xs : sorted(new Set(xs)));

/** Whether the strictly ascending `xs` holds `x` (binary search). */
function holds(xs: readonly number[], x: number): boolean {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = xs[mid]!;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** A client's neighbours in the round's graph. */
export function neighboursIn(cfg: SecAggConfig, id: number): readonly number[] {
  return roundGraph(cfg.clientIds, cfg.degree, cfg.graphSeed).get(id) ?? [];
}

/** Shamir x coordinate of a client (x = 0 is the secret). */
const xOf = (id: number): number => id + 1;

// ---------------------------------------------------------------------------
// Client

/**
 * One client's side of one round. Methods must be called in stage order,
 * each once: a second masked vector under the same pair slices would be a
 * two-time pad, and a second unmask answer could reveal both the self-mask
 * and the pair masks of one peer.
 */
export class SecAggClient {
  private phase: 'new' | 'shared' | 'masked' | 'checked' | 'done' = 'new';
  private cfg: SecAggConfig | undefined;
  private neighbours: readonly number[] = [];
  private seed: Uint8Array | undefined;
  private ownShare: Uint8Array | undefined;
  private readonly received = new Map<number, Uint8Array>();
  private participants: readonly number[] = [];
  private readonly maskKeys = new Map<number, Uint8Array>();
  /** The participating neighbours the survivor list names. */
  private survivors: readonly number[] = [];
  private digest: Uint8Array | undefined;

  constructor(readonly clientId: number) {}

  private violation(stage: SecAggStage, detail: string): never {
    throw new SecAggError('protocol-violation', stage, `client ${this.clientId}: ${detail}`);
  }

  private expect(stage: SecAggStage, phase: SecAggClient['phase'], round: number): SecAggConfig {
    if (this.phase !== phase) this.violation(stage, `asked for ${stage} in phase '${this.phase}'; each stage runs once, in order`);
    if (this.cfg === undefined) this.violation(stage, 'no round configured');
    if (round !== this.cfg.round) this.violation(stage, `message of round ${round} in round ${this.cfg.round}`);
    return this.cfg;
  }

  /** share-keys: a fresh seed, split among the holders, each neighbour's share padded and tagged with the pair's key. */
  shareKeys(ins: ShareKeysIns, keys: RoundKeys): ShareKeysRes {
    if (this.phase !== 'new') this.violation('share-keys', `asked for share-keys in phase '${this.phase}'; each stage runs once, in order`);
    checkConfig(ins);
    if (ins.clientId !== this.clientId || !(isAscending(ins.clientIds) ? holds(ins.clientIds, this.clientId) : ins.clientIds.includes(this.clientId))) {
      this.violation('share-keys', `not addressed to this client or not among the round's clients`);
    }
    const cfg: SecAggConfig = {
      round: ins.round,
      clientIds: ascendingIds(ins.clientIds),
      threshold: ins.threshold,
      degree: ins.degree,
      graphSeed: ins.graphSeed,
      modulus: ins.modulus,
      length: ins.length,
    };
    const neighbours = neighboursIn(cfg, this.clientId);
    const holders = sorted([...neighbours, this.clientId]);
    const seed = randomFillSync(new Uint8Array(SEED_BYTES));
    const shares = shamirSplit(seed, holders.map(xOf), cfg.threshold);
    const out: EncryptedShare[] = [];
    const shareCommitments: { holder: number; commitment: Uint8Array }[] = [];
    holders.forEach((to, k) => {
      const bytes = shareBytes(shares[k]!);
      shareCommitments.push({ holder: to, commitment: shareCommitment(cfg.round, this.clientId, to, bytes) });
      if (to === this.clientId) {
        this.ownShare = bytes;
        return;
      }
      const slice = keys.share(this.clientId, to);
      const ciphertext = xor(bytes, slice.subarray(MAC_KEY_BYTES));
      out.push({ from: this.clientId, to, ciphertext, tag: shareTag(ciphertext, slice) });
    });
    this.cfg = cfg;
    this.neighbours = neighbours;
    this.seed = seed;
    this.phase = 'shared';
    return { kind: 'share-keys-res', round: cfg.round, clientId: this.clientId, shares: out, seedCommitment: seedCommitment(cfg.round, this.clientId, seed), shareCommitments };
  }

  /** collect-masked-vectors: checks the shares' tags, then the update plus self-mask plus pair masks with the participating neighbours. */
  collect(ins: CollectIns, update: ArrayLike<number>, keys: RoundKeys): CollectRes {
    if (this.phase !== 'shared' && this.phase !== 'new') {
      this.violation('collect-masked-vectors', 'already sent a masked vector this round; masking again with the same key slices would be a two-time pad');
    }
    const cfg = this.expect('collect-masked-vectors', 'shared', ins.round);
    const parts = sorted(new Set(ins.participants));
    for (const p of parts) {
      if (!this.neighbours.includes(p)) this.violation('collect-masked-vectors', `participant ${p} is not a neighbour of this client`);
    }
    if (parts.length + 1 < cfg.threshold) {
      throw new SecAggError('below-threshold', 'collect-masked-vectors', `client ${this.clientId}: ${parts.length} neighbours shared, fewer than t - 1 = ${cfg.threshold - 1}`);
    }
    const badShares: number[] = [];
    for (const s of ins.shares) {
      if (s.to !== this.clientId || !parts.includes(s.from) || s.ciphertext.length !== SHARE_BYTES || s.tag.length !== TAG_BYTES) {
        this.violation('collect-masked-vectors', `malformed share from ${s.from} to ${s.to}`);
      }
      if (this.received.has(s.from) || badShares.includes(s.from)) this.violation('collect-masked-vectors', `two shares from client ${s.from}`);
      const slice = keys.share(s.from, this.clientId);
      if (!equalBytes(shareTag(s.ciphertext, slice), s.tag)) {
        // Altered by its sender or on the way: never used, and reported.
        badShares.push(s.from);
        continue;
      }
      this.received.set(s.from, xor(s.ciphertext, slice.subarray(MAC_KEY_BYTES)));
    }
    for (const p of parts) {
      if (!this.received.has(p) && !badShares.includes(p)) this.violation('collect-masked-vectors', `no share from participant ${p}`);
    }
    if (update.length !== cfg.length) fail('update', `has ${update.length} entries, the round expects ${cfg.length}`);
    checkResidues(update, cfg.modulus, 'update');
    const y = Float64Array.from(update);
    addSelfMask(y, this.seed!, cfg.modulus, 1);
    const scratch = new Float64Array(cfg.length);
    for (const p of parts) {
      const k = keys.mask(this.clientId, p);
      this.maskKeys.set(p, k);
      addMaskInPlace(y, k, cfg.modulus, pairSign(this.clientId, p), scratch);
    }
    this.participants = parts;
    this.phase = 'masked';
    return { kind: 'collect-res', round: cfg.round, clientId: this.clientId, masked: y, badShares };
  }

  /** consistency-check: tags the survivor list it was told, for each surviving neighbour. */
  consistency(ins: ConsistencyIns, keys: RoundKeys): ConsistencyRes {
    const cfg = this.expect('consistency-check', 'masked', ins.round);
    const survivors = ascendingIds(ins.survivors);
    if (!holds(survivors, this.clientId)) this.violation('consistency-check', 'this client sent its masked vector but is not listed as a survivor');
    // Both lists ascending: one merge walk checks every survivor is one of the round's clients.
    for (let a = 0, b = 0; a < survivors.length; a++) {
      while (b < cfg.clientIds.length && cfg.clientIds[b]! < survivors[a]!) b++;
      if (cfg.clientIds[b] !== survivors[a]) this.violation('consistency-check', `survivor ${survivors[a]} is not one of the round's clients`);
    }
    for (const j of this.neighbours) {
      if (holds(survivors, j) && !this.participants.includes(j)) this.violation('consistency-check', `survivor ${j} never shared its seed with this client`);
    }
    const alive = this.participants.filter((p) => holds(survivors, p));
    if (alive.length + 1 < cfg.threshold) {
      throw new SecAggError(
        'below-threshold',
        'consistency-check',
        `client ${this.clientId}: only ${alive.length + 1} of its ${this.neighbours.length + 1} share holders survived, fewer than t = ${cfg.threshold}; nothing revealed`,
      );
    }
    const digest = listDigest(cfg.round, survivors);
    this.survivors = alive;
    this.digest = digest;
    this.phase = 'checked';
    return {
      kind: 'consistency-res',
      round: cfg.round,
      clientId: this.clientId,
      tags: alive.map((to) => ({ from: this.clientId, to, tag: poly1305(digest, keys.consistency(this.clientId, to)) })),
    };
  }

  /**
   * unmask: answers only when t holders (itself and neighbours whose tag
   * checks) vouch for the list it was told; then per participating neighbour
   * the seed share (survivor) or the pair slice (dropped), never both.
   */
  unmask(ins: UnmaskIns, keys: RoundKeys): UnmaskRes {
    if (this.phase === 'done') this.violation('unmask', 'already answered an unmask request this round');
    const cfg = this.expect('unmask', 'checked', ins.round);
    const vouched = new Set<number>([this.clientId]);
    for (const t of ins.tags) {
      if (t.to !== this.clientId || !this.survivors.includes(t.from) || vouched.has(t.from)) continue;
      if (t.tag.length === TAG_BYTES && equalBytes(poly1305(this.digest!, keys.consistency(t.from, this.clientId)), t.tag)) vouched.add(t.from);
    }
    if (vouched.size < cfg.threshold) {
      this.phase = 'done';
      throw new SecAggError(
        'inconsistent-view',
        'unmask',
        `client ${this.clientId}: only ${vouched.size} of its share holders (itself included) signed the survivor list it was told, fewer than t = ${cfg.threshold}; ` +
          'the server may be telling clients different lists: refusing to unmask',
      );
    }
    const seedShares: RevealedShare[] = [{ owner: this.clientId, share: this.ownShare! }];
    const pairKeys: RevealedPairKey[] = [];
    for (const p of this.participants) {
      if (this.survivors.includes(p)) {
        const share = this.received.get(p);
        if (share !== undefined) seedShares.push({ owner: p, share });
      } else pairKeys.push({ peer: p, key: this.maskKeys.get(p)! });
    }
    this.phase = 'done';
    this.seed?.fill(0);
    this.seed = undefined;
    return { kind: 'unmask-res', round: cfg.round, clientId: this.clientId, seedShares, pairKeys };
  }
}

// ---------------------------------------------------------------------------
// Server

/** A message the server refused, or a share found altered; `clientId` names who is to blame. */
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
  private readonly commitments = new Map<number, ShareKeysRes>();
  private readonly checked = new Set<number>();
  private readonly roundSet: ReadonlySet<number>;
  private readonly graph: ReadonlyMap<number, readonly number[]>;
  private participantSet: ReadonlySet<number> = new Set();
  private survivorSet: ReadonlySet<number> = new Set();

  constructor(cfg: SecAggConfig) {
    checkConfig(cfg);
    this.cfg = { ...cfg, clientIds: sorted(cfg.clientIds) };
    this.roundSet = new Set(this.cfg.clientIds);
    this.graph = roundGraph(this.cfg.clientIds, this.cfg.degree, this.cfg.graphSeed);
  }

  private belowThreshold(stage: SecAggStage, detail: string): never {
    throw new SecAggError('below-threshold', stage, `round ${this.cfg.round}: ${detail}, fewer than the threshold t = ${this.cfg.threshold}; round aborted, no mask was removed`);
  }

  private reject(clientId: number, stage: SecAggStage, reason: string): void {
    this.rejected.push({ clientId, stage, reason });
  }

  /** A client's neighbours in the round's graph. */
  neighbours(id: number): readonly number[] {
    return this.graph.get(id) ?? [];
  }

  /** share-keys: the instruction for each client. */
  shareKeysIns(): ShareKeysIns[] {
    return this.cfg.clientIds.map((clientId) => ({ kind: 'share-keys-ins', ...this.cfg, clientId }));
  }

  /** Routes the padded shares; U1 = the clients that answered well. */
  collectIns(res: readonly ShareKeysRes[]): CollectIns[] {
    const ok = new Map<number, ShareKeysRes>();
    for (const r of res) {
      const why = this.checkShares(r, ok);
      if (why === undefined) ok.set(r.clientId, r);
      else this.reject(r.clientId, 'share-keys', why);
    }
    this.participants = sorted(ok.keys());
    this.participantSet = new Set(this.participants);
    if (this.participants.length < this.cfg.threshold) this.belowThreshold('share-keys', `only ${this.participants.length} of ${this.cfg.clientIds.length} clients shared their seed`);
    const inbox = new Map<number, EncryptedShare[]>();
    for (const r of ok.values()) {
      this.commitments.set(r.clientId, r);
      for (const s of r.shares) {
        this.view.routedShares.push(s);
        if (ok.has(s.to)) (inbox.get(s.to) ?? inbox.set(s.to, []).get(s.to)!).push(s);
      }
    }
    return this.participants.map((clientId) => ({
      kind: 'collect-ins',
      round: this.cfg.round,
      clientId,
      participants: this.neighbours(clientId).filter((j) => ok.has(j)),
      shares: inbox.get(clientId) ?? [],
    }));
  }

  private checkShares(r: ShareKeysRes, ok: ReadonlyMap<number, ShareKeysRes>): string | undefined {
    if (r.round !== this.cfg.round) return `round ${r.round}, expected ${this.cfg.round}`;
    if (!this.roundSet.has(r.clientId)) return "not one of the round's clients";
    if (ok.has(r.clientId)) return 'answered twice';
    const nb = this.neighbours(r.clientId);
    const to = sorted(r.shares.map((s) => s.to));
    if (to.length !== nb.length || to.some((id, k) => id !== nb[k])) return 'must send one share to each neighbour';
    for (const s of r.shares) {
      if (s.from !== r.clientId || s.ciphertext.length !== SHARE_BYTES || s.tag.length !== TAG_BYTES) return `malformed share for client ${s.to}`;
    }
    const holders = sorted(r.shareCommitments.map((c) => c.holder));
    const want = sorted([...nb, r.clientId]);
    if (holders.length !== want.length || holders.some((h, k) => h !== want[k])) return 'must commit to one share per holder';
    if (r.seedCommitment.length !== COMMIT_BYTES || r.shareCommitments.some((c) => c.commitment.length !== COMMIT_BYTES)) return `commitments must be ${COMMIT_BYTES} bytes`;
    return undefined;
  }

  /** Sums the masked vectors that arrived; U2 = their senders. Shares reported as altered are named. */
  consistencyIns(res: readonly CollectRes[]): ConsistencyIns[] {
    const { modulus, length, round } = this.cfg;
    const sum = new Float64Array(length);
    const got = this.view.masked;
    for (const r of res) {
      let why: string | undefined;
      if (r.round !== round) why = `round ${r.round}, expected ${round}`;
      else if (!this.participantSet.has(r.clientId)) why = 'not a participant (shared no seed)';
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
      for (const from of r.badShares) {
        this.reject(from, 'collect-masked-vectors', `its share for client ${r.clientId} failed authentication (altered by its sender or on the way); not used`);
      }
      got.set(r.clientId, r.masked);
      for (let k = 0; k < length; k++) {
        const s = sum[k]! + r.masked[k]!;
        sum[k] = s >= modulus ? s - modulus : s;
      }
    }
    this.survivors = sorted(got.keys());
    this.survivorSet = new Set(this.survivors);
    this.dropped = this.participants.filter((id) => !got.has(id));
    if (this.survivors.length < this.cfg.threshold) this.belowThreshold('collect-masked-vectors', `only ${this.survivors.length} clients sent a masked vector`);
    this.sum = sum;
    return this.survivors.map((clientId) => ({ kind: 'consistency-ins', round, clientId, survivors: this.survivors }));
  }

  /** Routes the list tags to their addressees; the clients that tagged are asked to unmask. */
  unmaskIns(res: readonly ConsistencyRes[]): UnmaskIns[] {
    const inbox = new Map<number, ListTag[]>();
    const answered: number[] = [];
    for (const r of res) {
      if (r.round !== this.cfg.round || !this.survivorSet.has(r.clientId) || this.checked.has(r.clientId)) {
        this.reject(r.clientId, 'consistency-check', 'not a survivor, wrong round or answered twice');
        continue;
      }
      this.checked.add(r.clientId);
      answered.push(r.clientId);
      for (const t of r.tags) if (t.from === r.clientId) (inbox.get(t.to) ?? inbox.set(t.to, []).get(t.to)!).push(t);
    }
    return answered.map((clientId) => ({ kind: 'unmask-ins', round: this.cfg.round, clientId, tags: inbox.get(clientId) ?? [] }));
  }

  /** Removes the survivors' self-masks and the pair masks with the dropped. */
  finish(res: readonly UnmaskRes[]): SecAggOutput {
    const { modulus, threshold, round } = this.cfg;
    if (this.sum === undefined) fail('secagg', 'finish() before consistencyIns()');
    const answers = new Map<number, UnmaskRes>();
    for (const r of res) {
      if (r.round !== round || !this.survivorSet.has(r.clientId) || answers.has(r.clientId)) {
        this.reject(r.clientId, 'unmask', 'not a survivor, wrong round or answered twice');
        continue;
      }
      answers.set(r.clientId, r);
    }
    const sum = this.sum;
    // Each answer's shares by owner, each dealer's commitments by holder.
    const revealed = new Map([...answers].map(([id, a]) => [id, new Map(a.seedShares.map((x) => [x.owner, x.share]))]));
    for (const s of this.survivors) {
      const c = this.commitments.get(s)!;
      const committed = new Map(c.shareCommitments.map((x) => [x.holder, x.commitment]));
      const good: Share[] = [];
      for (const holder of [s, ...this.neighbours(s)]) {
        const share = revealed.get(holder)?.get(s);
        if (share === undefined) continue;
        const want = committed.get(holder)!;
        if (share.length !== SHARE_BYTES || !equalBytes(shareCommitment(round, s, holder, share), want)) {
          this.reject(holder, 'unmask', `revealed a share of client ${s}'s seed that does not match ${s}'s commitment; not used`);
          continue;
        }
        good.push(shareFromBytes(xOf(holder), share));
        if (good.length === threshold) break;
      }
      if (good.length < threshold) {
        throw new SecAggError('below-threshold', 'unmask', `round ${round}: only ${good.length} valid shares of survivor ${s}'s seed, fewer than t = ${threshold}; round aborted`);
      }
      const seed = shamirCombine(good, SEED_BYTES);
      if (!equalBytes(seedCommitment(round, s, seed), c.seedCommitment)) {
        throw new SecAggError('protocol-violation', 'unmask', `round ${round}: the shares of client ${s}'s seed do not rebuild the seed it committed to (client ${s} dealt inconsistent shares); round aborted`);
      }
      this.view.seeds.set(s, seed);
      addSelfMask(sum, seed, modulus, -1);
    }
    const scratch = new Float64Array(sum.length);
    for (const d of this.dropped) {
      for (const s of this.neighbours(d)) {
        if (!this.survivorSet.has(s)) continue;
        const key = answers.get(s)?.pairKeys.find((k) => k.peer === d)?.key;
        if (key === undefined || key.length < bytesFor(this.cfg.length * modulusBits(modulus))) {
          throw new SecAggError(
            'unrecoverable-dropout',
            'unmask',
            `round ${round}: survivor ${s} did not reveal its pair slice with the dropped client ${d}, and only it holds it; the masks cannot be removed, round aborted`,
          );
        }
        this.view.pairKeys.push({ survivor: s, dropped: d, key });
        addMaskInPlace(sum, key, modulus, pairSign(s, d) === 1 ? -1 : 1, scratch);
      }
    }
    this.sum = undefined;
    return { sum, survivors: this.survivors, dropped: this.dropped };
  }
}
