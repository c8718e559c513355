/**
 * Pair secrets for secure aggregation across machines, from either of two
 * sources with one shape: a key stream per ordered pair (master -> slave).
 *
 * - `KmePairKeys` (source 'qkd-kme'): the master asks its KME for fresh QKD
 *   key shared with the slave (ETSI 014 Get key) and sends the slave the
 *   key_IDs, never the key; the slave fetches the same bits with Get key with
 *   key IDs. Each bit is one-time: a round's masks consume fresh key.
 * - `X25519PairKeys` (source 'x25519'): what Flower's SecAgg+ does on
 *   classical networks. Each node holds an X25519 key pair from the OS
 *   CSPRNG and publishes its public key; the shared secret X25519(sk_i, pk_j)
 *   goes through HKDF-SHA256 (RFC 5869; Flower: length 32, info
 *   "encryption key") to a 32-byte key, which seeds a ChaCha20 key stream
 *   as long as asked. The master's offer carries its public key and a fresh
 *   salt, so every offer gives a new stream.
 *
 * An offer is what the server forwards from master to slave: key IDs or a
 * public key and salt, never key material.
 *
 * @example
 * const [key, offer] = await alice.offer('bob', 1024).then((o) => [o.key, o.offer]);
 * // the server forwards `offer` to bob
 * const same = await bob.accept('alice', offer, 1024);   // equal to key
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { fail } from '../../util/errors.js';
import type { KmeClient } from './client.js';
import { isBase64, isSaeId, isUuid, type EtsiStatus } from './etsi014.js';

export const PAIR_KEY_SOURCES = ['qkd-kme', 'x25519'] as const;
export type PairKeySourceName = (typeof PAIR_KEY_SOURCES)[number];

/** What the master sends the slave (through the server) so that both hold the same bits. */
export type PairKeyOffer =
  | { readonly source: 'qkd-kme'; readonly keyIds: readonly string[] }
  | { readonly source: 'x25519'; readonly publicKey: string; readonly salt: string };

export interface PairKeySource {
  readonly source: PairKeySourceName;
  /** This node's name: its SAE ID for a KME, any agreed name for X25519. */
  readonly self: string;
  /** Master of (self -> peer): `bits` fresh bits (packed LSB first, unused high bits of the last byte 0) and the offer for the peer. */
  offer(peer: string, bits: number): Promise<{ key: Uint8Array; offer: PairKeyOffer }>;
  /** Slave of (peer -> self): the bits of `peer`'s offer. */
  accept(peer: string, offer: PairKeyOffer, bits: number): Promise<Uint8Array>;
}

/** Largest stream one offer makes, bits (64 MiB). */
export const MAX_PAIR_KEY_BITS = 8 * 64 * 1024 * 1024;

function checkBits(bits: number): number {
  if (!Number.isSafeInteger(bits) || bits < 1 || bits > MAX_PAIR_KEY_BITS) fail('bits', `must be a whole number in [1, ${MAX_PAIR_KEY_BITS}], got ${bits}`);
  return bits;
}

/** The first `bits` bits of `bytes`, with the rest of the last byte cleared. */
function truncateBits(bytes: Uint8Array, bits: number): Uint8Array {
  const out = bytes.slice(0, (bits + 7) >>> 3);
  if (out.length * 8 < bits) fail('key', `${out.length * 8} bits available, ${bits} needed`);
  const rem = bits & 7;
  if (rem !== 0) out[out.length - 1]! &= (1 << rem) - 1;
  return out;
}

// ------------------------------------------------------------ QKD / KME ----

/**
 * Pair keys from an ETSI 014 KME. One offer asks for as few keys as the KME's
 * limits allow (each at most max_key_size bits, at most max_key_per_request
 * per call) and concatenates them in key_ID order.
 */
export class KmePairKeys implements PairKeySource {
  readonly source = 'qkd-kme' as const;
  private readonly limits = new Map<string, Promise<EtsiStatus>>();

  constructor(
    readonly self: string,
    private readonly kme: KmeClient,
  ) {
    if (!isSaeId(self)) fail('self', `'${self}' is not an SAE ID`);
  }

  async offer(peer: string, bits: number): Promise<{ key: Uint8Array; offer: PairKeyOffer }> {
    checkBits(bits);
    const status = await this.status(peer);
    const bytes = (bits + 7) >>> 3;
    const maxBytes = Math.floor(status.max_key_size / 8);
    const minBytes = Math.ceil(status.min_key_size / 8);
    if (maxBytes < 1) fail('kme', `max_key_size ${status.max_key_size} is under one byte`);
    const count = Math.ceil(bytes / maxBytes);
    const size = Math.max(minBytes, Math.ceil(bytes / count)) * 8;
    const keyIds: string[] = [];
    const parts: Uint8Array[] = [];
    for (let left = count; left > 0; ) {
      const number = Math.min(left, Math.max(1, status.max_key_per_request));
      const { keys } = await this.kme.getKeys(peer, { number, size });
      for (const k of keys) {
        keyIds.push(k.key_ID);
        parts.push(Buffer.from(k.key, 'base64'));
      }
      left -= number;
    }
    return { key: truncateBits(Buffer.concat(parts), bits), offer: { source: 'qkd-kme', keyIds } };
  }

  async accept(peer: string, offer: PairKeyOffer, bits: number): Promise<Uint8Array> {
    checkBits(bits);
    if (offer.source !== 'qkd-kme') fail('offer.source', `a KME node expects 'qkd-kme' offers, got '${offer.source}'`);
    if (!Array.isArray(offer.keyIds) || offer.keyIds.length === 0 || !offer.keyIds.every(isUuid)) fail('offer.keyIds', 'must be a non-empty list of UUIDs');
    const status = await this.status(peer);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < offer.keyIds.length; at += status.max_key_per_request) {
      const { keys } = await this.kme.getKeysWithIds(peer, offer.keyIds.slice(at, at + status.max_key_per_request));
      for (const k of keys) parts.push(Buffer.from(k.key, 'base64'));
    }
    return truncateBits(Buffer.concat(parts), bits);
  }

  /** The KME's limits for this pair, asked once. */
  private status(peer: string): Promise<EtsiStatus> {
    let s = this.limits.get(peer);
    if (s === undefined) {
      s = this.kme.status(peer);
      s.catch(() => this.limits.delete(peer));
      this.limits.set(peer, s);
    }
    return s;
  }
}

// ------------------------------------------------------------- X25519 ----

/** HKDF info of a pair stream: Flower's "encryption key", qualified by the ordered pair. */
const HKDF_INFO = 'qfl/pair-key/x25519/v1 encryption key';
const SALT_BYTES = 16;
const NONCE = new Uint8Array(12);
// SubjectPublicKeyInfo prefix of a raw 32-byte X25519 key (RFC 8410).
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** An X25519 public key from its 32 raw bytes in base64, checked. */
export function x25519PublicKey(b64: string, field = 'publicKey'): KeyObject {
  if (!isBase64(b64)) fail(field, 'must be base64');
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 32) fail(field, `an X25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawPublicKey(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 32).toString('base64');
}

/**
 * The stream of ordered pair (master -> slave) from an X25519 shared secret:
 * HKDF-SHA256(ikm = shared, salt, info = HKDF_INFO | master | slave) -> 32
 * bytes, the ChaCha20 key of the stream's `bits` bits.
 */
export function x25519Stream(shared: Uint8Array, salt: Uint8Array, master: string, slave: string, bits: number): Uint8Array {
  const info = Buffer.from(`${HKDF_INFO}\0${master}\0${slave}`);
  const seed = new Uint8Array(hkdfSync('sha256', shared, salt, info, 32));
  const bytes = (bits + 7) >>> 3;
  return truncateBits(chacha20(seed, NONCE, new Uint8Array(bytes)), bits);
}

export class X25519PairKeys implements PairKeySource {
  readonly source = 'x25519' as const;
  /** This node's public key, raw 32 bytes in base64: what it publishes (through the server) to its peers. */
  readonly publicKey: string;
  private readonly privateKey: KeyObject;
  private readonly peers = new Map<string, KeyObject>();

  /** A fresh key pair from the OS CSPRNG, or `privateKeyPem` (PKCS#8) to keep one across restarts. */
  constructor(
    readonly self: string,
    privateKeyPem?: string,
  ) {
    if (privateKeyPem !== undefined) {
      this.privateKey = createPrivateKey(privateKeyPem);
      if (this.privateKey.asymmetricKeyType !== 'x25519') fail('privateKeyPem', `must be an X25519 key, got ${this.privateKey.asymmetricKeyType}`);
    } else this.privateKey = generateKeyPairSync('x25519').privateKey;
    this.publicKey = rawPublicKey(createPublicKey(this.privateKey));
  }

  /** Records `peer`'s published public key; offers to it need it, and its offers must carry it. */
  addPeer(peer: string, publicKeyB64: string): void {
    this.peers.set(peer, x25519PublicKey(publicKeyB64, `peers.${peer}.publicKey`));
  }

  async offer(peer: string, bits: number): Promise<{ key: Uint8Array; offer: PairKeyOffer }> {
    checkBits(bits);
    const theirs = this.peers.get(peer);
    if (theirs === undefined) fail('peer', `no public key for '${peer}': addPeer it first`);
    const salt = new Uint8Array(randomBytes(SALT_BYTES));
    const key = x25519Stream(this.shared(theirs), salt, this.self, peer, bits);
    return { key, offer: { source: 'x25519', publicKey: this.publicKey, salt: Buffer.from(salt).toString('base64') } };
  }

  async accept(peer: string, offer: PairKeyOffer, bits: number): Promise<Uint8Array> {
    checkBits(bits);
    if (offer.source !== 'x25519') fail('offer.source', `an X25519 node expects 'x25519' offers, got '${offer.source}'`);
    const known = this.peers.get(peer);
    if (known === undefined) fail('peer', `no public key for '${peer}': addPeer it first`);
    // The offer must come from the key the peer published: a server that swapped it would sit in the middle.
    if (offer.publicKey !== rawPublicKey(known)) fail('offer.publicKey', `is not the public key '${peer}' published`);
    if (!isBase64(offer.salt) || Buffer.from(offer.salt, 'base64').length !== SALT_BYTES) fail('offer.salt', `must be ${SALT_BYTES} bytes in base64`);
    return x25519Stream(this.shared(known), Buffer.from(offer.salt, 'base64'), peer, this.self, bits);
  }

  private shared(peer: KeyObject): Uint8Array {
    // A small-order public key gives the all-zero secret (RFC 7748 section 6.1); OpenSSL refuses it, and so do we.
    let secret: Buffer;
    try {
      secret = diffieHellman({ privateKey: this.privateKey, publicKey: peer });
    } catch (e) {
      return fail('publicKey', `gives no X25519 shared secret (a small-order point?): ${(e as Error).message}`);
    }
    if (secret.every((b) => b === 0)) fail('publicKey', 'is a small-order X25519 point (shared secret all zero)');
    return secret;
  }
}
