import type { NodeIdentity } from './node-loop.js';

/**
 * A node key in Web Crypto: the Ed25519 PKCS#8 PEM that `qfl certs` writes
 * (NAME.key), imported with `crypto.subtle` so a browser tab's Web Worker
 * signs the server's challenge the way `qfl client` does (auth.ts) and joins
 * a server that requires allow-listed keys. No Node-only imports; it runs in
 * Node too (its Web Crypto), which is how it is tested.
 *
 * `crypto.subtle` exists only in secure contexts: a page over https, or over
 * plain http from 127.0.0.1 / localhost (the dashboard's default address).
 * A dashboard reached over plain http from another host has none, and the
 * error below says so.
 *
 * @example const id = await importNodeKey('tab-0', pemText); await id.sign(challengeMessage(challenge, 'tab-0'));
 */
export async function importNodeKey(name: string, pem: string): Promise<Required<NodeIdentity>> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new Error('this page has no Web Crypto (crypto.subtle): open it over https, or over http from 127.0.0.1 or localhost');
  }
  const der = pemBody(pem);
  let key: Awaited<ReturnType<typeof subtle.importKey>>;
  try {
    // Extractable only so the public half can be read off the JWK (its `x`); the key never leaves this worker.
    key = await subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
  } catch (e) {
    throw new Error(`the node key is not an Ed25519 private key in PKCS#8 PEM (make one with \`qfl certs node NAME --out DIR\`): ${(e as Error).message}`);
  }
  const jwk = await subtle.exportKey('jwk', key);
  if (typeof jwk.x !== 'string') throw new Error('the node key has no public half (JWK x)');
  const publicKey = base64(fromBase64Url(jwk.x));
  return {
    name,
    publicKey,
    sign: async (message) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, message as Uint8Array<ArrayBuffer>)),
  };
}

const BEGIN = '-----BEGIN PRIVATE KEY-----';
const END = '-----END PRIVATE KEY-----';

/** The DER bytes between the PKCS#8 PEM markers. */
function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const a = pem.indexOf(BEGIN);
  const b = pem.indexOf(END);
  if (a === -1 || b < a) throw new Error(`the node key is not a PKCS#8 PEM file (no '${BEGIN}' ... '${END}'); give the NAME.key that qfl certs wrote`);
  const body = pem.slice(a + BEGIN.length, b).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error('the node key PEM holds characters that are not base64');
  return fromBase64(body);
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function fromBase64Url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
