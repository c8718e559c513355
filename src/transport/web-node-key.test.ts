import assert from 'node:assert/strict';
import test from 'node:test';
import { challengeMessage, generateNodeKey, loadNodeKey, verifySignature } from './auth.js';
import { importNodeKey } from './web-node-key.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

test('a qfl certs node key imported through Web Crypto has the allow-listed public key and signs challenges the server accepts', async () => {
  const k = generateNodeKey();
  const id = await importNodeKey('tab-0', k.privateKeyPem);
  assert.equal(id.name, 'tab-0');
  assert.equal(id.publicKey, k.publicKey);
  const challenge = new Uint8Array(32).fill(7);
  const sig = await id.sign(challengeMessage(challenge, 'tab-0'));
  assert.ok(verifySignature(k.publicKey, challengeMessage(challenge, 'tab-0'), sig));
  assert.ok(!verifySignature(k.publicKey, challengeMessage(challenge, 'tab-1'), sig), 'bound to the name');
  // Ed25519 is deterministic: the same signature as the Node path (auth.ts loadNodeKey).
  const dir = mkdtempSync(join(tmpdir(), 'qfl-webkey-'));
  try {
    writeFileSync(join(dir, 'n.key'), k.privateKeyPem);
    assert.deepEqual([...sig], [...loadNodeKey(join(dir, 'n.key')).sign(challengeMessage(challenge, 'tab-0'))]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('importNodeKey refuses what is not an Ed25519 PKCS#8 PEM, saying what to give', async () => {
  await assert.rejects(importNodeKey('t', 'hello'), /not a PKCS#8 PEM file/);
  await assert.rejects(importNodeKey('t', '-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----'), /not base64/);
  await assert.rejects(importNodeKey('t', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'), /not an Ed25519 private key in PKCS#8 PEM/);
});
