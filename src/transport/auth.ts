import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../util/errors.js';
import { checkNodeName, parseClientIds, ranges } from './protocol.js';

export { AUTH_CONTEXT, challengeMessage, checkNodeName, MIN_CHALLENGE_BYTES } from './protocol.js';

/**
 * Node authentication by Ed25519 challenge-response. The server sends a fresh
 * random challenge; the node signs `challengeMessage(challenge, name)` with its
 * key; the server accepts if the signature verifies under a public key on its
 * allow-list. TLS (with the client pinning the dev CA) authenticates the
 * server, this authenticates the node.
 *
 * Example:
 *   const key = loadNodeKey('certs/node-0.key');
 *   const sig = key.sign(challengeMessage(challenge, 'node-0'));
 *   allow.nameOf(key.publicKey) === 'node-0' && verifySignature(key.publicKey, challengeMessage(challenge, 'node-0'), sig);
 */

export const ALLOWLIST_FILE = 'allowlist.txt';


const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

export type NodeKey = { publicKey: string; sign(message: Uint8Array): Uint8Array };


export function nodeKeyFileName(name: string): string {
  return `${checkNodeName(name)}.key`;
}

/** Raw 32-byte public key as base64, from an Ed25519 key object (JWK `x` is exactly those bytes, base64url). */
function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('base64');
}

/**
 * The 32 raw key bytes if `b64` is canonical base64 of exactly that many, else
 * a reason. Canonical (re-encodes to itself) because Node's decoder skips bad
 * characters silently, and two spellings of one key would dodge duplicate checks.
 */
function decodePublicKey(b64: string): Buffer | string {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64') !== b64) return 'is not valid base64';
  if (bytes.length !== PUBLIC_KEY_BYTES) return `must be ${PUBLIC_KEY_BYTES} bytes (a raw Ed25519 public key), got ${bytes.length}`;
  return bytes;
}

export function generateNodeKey(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: rawPublicKey(publicKey) };
}

export function loadNodeKey(path: string): NodeKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail(path, `cannot read node key (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let key: KeyObject | undefined;
  if (text.includes('-----BEGIN PRIVATE KEY-----')) {
    try {
      key = createPrivateKey({ key: text, format: 'pem' });
    } catch {
      key = undefined;
    }
  }
  if (key?.asymmetricKeyType !== 'ed25519') fail(path, 'is not an Ed25519 private key in PKCS#8 PEM (make one with `qfl certs node NAME --out DIR`)');
  const privateKey = key;
  return {
    publicKey: rawPublicKey(createPublicKey(privateKey)),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** True only for a valid signature; malformed keys or signatures give false, never an exception. */
export function verifySignature(publicKeyB64: string, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (typeof publicKeyB64 !== 'string' || !(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false;
    const raw = decodePublicKey(publicKeyB64);
    if (typeof raw === 'string') return false;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * The clients an allow-list entry may host: ids and ranges (`0-2,7`), or `*`
 * for any client of the run.
 */
export type HostedClients = '*' | ReadonlySet<number>;

/** `0-2,7` or `*`, as an allow-list line spells it. */
export function formatClients(c: HostedClients): string {
  return c === '*' ? '*' : ranges([...c]);
}

/**
 * Nodes admitted by the server: one `<name> <base64 public key> <clients>` a
 * line, where `<clients>` are the client ids that key may host (`0-2,7`, or
 * `*` for any); `#` comments and blank lines ignored. Binding keys to clients
 * keeps one admitted node from claiming the others' clients (and locking the
 * rightful nodes out).
 */
export class AllowList {
  private readonly byKey = new Map<string, string>();
  private readonly byName = new Map<string, string>();
  private readonly clientsByKey = new Map<string, HostedClients>();

  private constructor() {}

  static load(path: string): AllowList {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      return fail(path, `cannot read allow-list (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    return AllowList.parse(text, path);
  }

  /** `source` names the text in errors, as `source:line`. */
  static parse(text: string, source: string): AllowList {
    const list = new AllowList();
    text.split(/\r?\n/).forEach((raw, i) => {
      const at = `${source}:${i + 1}`;
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') return;
      const parts = line.split(/\s+/);
      if (parts.length === 2) fail(at, `entry '${parts[0]}' names no clients: add the client ids this key may host ('0-2,7', or '*' for any), as '<name> <key> <clients>'`);
      if (parts.length !== 3) fail(at, `expected '<name> <base64 public key> <clients>', got '${line.slice(0, 200)}'`);
      const [name, key, clients] = parts as [string, string, string];
      checkNodeName(name, at);
      const hosted: HostedClients = clients === '*' ? '*' : new Set(parseClientIds(clients, at));
      const raw32 = decodePublicKey(key);
      if (typeof raw32 === 'string') fail(at, `public key of '${name}' ${raw32}`);
      if (list.byName.has(name)) fail(at, `duplicate node name '${name}'`);
      const other = list.byKey.get(key);
      if (other !== undefined) fail(at, `public key of '${name}' is already listed for '${other}'`);
      list.byKey.set(key, name);
      list.byName.set(name, key);
      list.clientsByKey.set(key, hosted);
    });
    return list;
  }

  has(publicKey: string): boolean {
    return this.byKey.has(publicKey);
  }

  nameOf(publicKey: string): string | undefined {
    return this.byKey.get(publicKey);
  }

  /** The clients `publicKey` may host (undefined for a key not on the list). */
  clientsOf(publicKey: string): HostedClients | undefined {
    return this.clientsByKey.get(publicKey);
  }

  keyOf(name: string): string | undefined {
    return this.byName.get(name);
  }

  get size(): number {
    return this.byKey.size;
  }
}

/**
 * Appends `<name> <publicKey> <clients>` to the allow-list at `path` (created
 * if missing), after checking the file still parses and has neither the name
 * nor the key already.
 */
export function appendToAllowList(path: string, name: string, publicKey: string, clients: HostedClients): void {
  checkNodeName(name);
  const raw = decodePublicKey(publicKey);
  if (typeof raw === 'string') fail('publicKey', raw);
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const list = AllowList.parse(before, path);
  if (list.keyOf(name) !== undefined) fail(path, `already lists a node named '${name}'`);
  const other = list.nameOf(publicKey);
  if (other !== undefined) fail(path, `already lists this public key, for '${other}'`);
  const sep = before === '' || before.endsWith('\n') ? '' : '\n';
  appendFileSync(path, `${sep}${name} ${publicKey} ${formatClients(clients)}\n`, { mode: 0o644 });
}

/**
 * Makes a node key: writes `dir/<name>.key` (0o600, refusing to overwrite) and
 * adds the node, with the clients it may host, to `dir/allowlist.txt`.
 * Returns the public key.
 */
export function writeNodeKey(dir: string, name: string, clients: HostedClients): string {
  const keyPath = join(dir, nodeKeyFileName(name));
  const listPath = join(dir, ALLOWLIST_FILE);
  // Check the allow-list first so a refused name leaves no orphan key file behind.
  if (existsSync(listPath) && AllowList.load(listPath).keyOf(name) !== undefined) fail(listPath, `already lists a node named '${name}'`);
  const key = generateNodeKey();
  try {
    writeFileSync(keyPath, key.privateKeyPem, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') fail(keyPath, 'already exists; remove it first to replace this node key');
    throw e;
  }
  chmodSync(keyPath, 0o600);
  appendToAllowList(listPath, name, key.publicKey, clients);
  return key.publicKey;
}
