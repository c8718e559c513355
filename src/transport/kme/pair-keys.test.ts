import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync } from 'node:crypto';
import test from 'node:test';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { X25519PairKeys, x25519Stream } from './pair-keys.js';

function trio() {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => new X25519PairKeys(n));
  for (const x of [a!, b!, c!]) for (const y of [a!, b!, c!]) if (x !== y) x.addPeer(y.self, y.publicKey);
  return [a!, b!, c!] as const;
}

test('X25519 pair keys: master and slave get the same stream, fresh for every offer', async () => {
  const [a, b, c] = trio();
  const { key, offer } = await a.offer('b', 1003);
  assert.equal(key.length, 126);
  assert.equal(key[125]! >> 3, 0, 'bits past the 1003rd are 0');
  assert.deepEqual(await b.accept('a', offer, 1003), key);
  const again = await a.offer('b', 1003);
  assert.notDeepEqual(again.key, key, 'a new salt, a new stream');
  const toC = await a.offer('c', 1003);
  assert.notDeepEqual(toC.key, key);
  assert.deepEqual(await c.accept('a', toC.offer, 1003), toC.key);
  // the reverse direction is another stream
  const back = await b.offer('a', 1003);
  assert.deepEqual(await a.accept('b', back.offer, 1003), back.key);
  assert.notDeepEqual(back.key, key);
  // the offer holds a public key and a salt, no key material
  assert.deepEqual(Object.keys(offer).sort(), ['publicKey', 'salt', 'source']);
});

test('the stream is HKDF-SHA256 of the X25519 secret keying ChaCha20 (RFC 7748, RFC 5869)', () => {
  const ka = generateKeyPairSync('x25519');
  const kb = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: ka.privateKey, publicKey: kb.publicKey });
  assert.deepEqual(shared, diffieHellman({ privateKey: kb.privateKey, publicKey: ka.publicKey }));
  const salt = new Uint8Array(16).fill(7);
  const seed = new Uint8Array(hkdfSync('sha256', shared, salt, Buffer.from('qfl/pair-key/x25519/v1 encryption key\0a\0b'), 32));
  assert.deepEqual(x25519Stream(shared, salt, 'a', 'b', 256), chacha20(seed, new Uint8Array(12), new Uint8Array(32)));
  // a kept key pair gives the same public key
  const pem = ka.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const kept = new X25519PairKeys('a', pem);
  const raw = createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' }).subarray(-32).toString('base64');
  assert.equal(kept.publicKey, raw);
});

test('X25519 pair keys refuse a swapped public key, a small-order point and bad offers', async () => {
  const [a, b] = trio();
  const mallory = new X25519PairKeys('m');
  mallory.addPeer('b', b.publicKey);
  const forged = await mallory.offer('b', 64);
  await assert.rejects(b.accept('a', forged.offer, 64), /offer\.publicKey: is not the public key 'a' published/);
  const zero = Buffer.alloc(32).toString('base64');
  const victim = new X25519PairKeys('v');
  victim.addPeer('z', zero);
  await assert.rejects(victim.offer('z', 64), /small-order/);
  assert.throws(() => victim.addPeer('y', 'AAAA'), /32 bytes/);
  const { offer } = await a.offer('b', 64);
  await assert.rejects(b.accept('a', { ...offer, salt: 'AA==' } as typeof offer, 64), /offer\.salt/);
  await assert.rejects(b.accept('a', { source: 'qkd-kme', keyIds: [] }, 64), /expects 'x25519'/);
  await assert.rejects(a.offer('nobody', 64), /no public key for 'nobody'/);
  await assert.rejects(a.offer('b', 0), /bits: must be/);
  assert.throws(() => new X25519PairKeys('a', generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()), /must be an X25519 key/);
});
