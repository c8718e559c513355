import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { QflError } from '../util/errors.js';
import { AllowList, appendToAllowList, challengeMessage, generateNodeKey, loadNodeKey, verifySignature, writeNodeKey } from './auth.js';

const dir = mkdtempSync(join(tmpdir(), 'qfl-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function keyFile(name: string): { path: string; publicKey: string } {
  const k = generateNodeKey();
  const path = join(dir, `${name}.pem`);
  writeFileSync(path, k.privateKeyPem, { mode: 0o600 });
  return { path, publicKey: k.publicKey };
}

function throwsQfl(fn: () => unknown, field: string, detail?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    assert.equal(e.field, field);
    if (detail) assert.match(e.detail, detail);
    return true;
  });
}

describe('challenge-response signatures', () => {
  const alice = keyFile('alice');
  const node = loadNodeKey(alice.path);
  const challenge = randomBytes(32);
  const message = challengeMessage(challenge, 'alice');
  const signature = node.sign(message);

  test('keys: base64 of 32 raw bytes, and loading gives the same public key', () => {
    assert.equal(Buffer.from(alice.publicKey, 'base64').length, 32);
    assert.equal(node.publicKey, alice.publicKey);
    assert.equal(signature.length, 64);
  });

  test('a signature verifies under its key', () => {
    assert.equal(verifySignature(alice.publicKey, message, signature), true);
  });

  test('the signed bytes are the context, the name and the challenge, NUL-separated', () => {
    const c = Uint8Array.from({ length: 16 }, (_, i) => i);
    assert.deepEqual(Buffer.from(challengeMessage(c, 'n-1')), Buffer.concat([Buffer.from('qfl-node-auth-v1\0n-1\0'), c]));
  });

  test('another challenge, name or tampered byte fails', () => {
    assert.equal(verifySignature(alice.publicKey, challengeMessage(randomBytes(32), 'alice'), signature), false);
    assert.equal(verifySignature(alice.publicKey, challengeMessage(challenge, 'alicf'), signature), false);
    const tampered = Uint8Array.from(message);
    tampered[tampered.length - 1]! ^= 1;
    assert.equal(verifySignature(alice.publicKey, tampered, signature), false);
    const badSig = Uint8Array.from(signature);
    badSig[0]! ^= 1;
    assert.equal(verifySignature(alice.publicKey, message, badSig), false);
    // A signature over the bare challenge (made for some other protocol) is no response.
    assert.equal(verifySignature(alice.publicKey, message, node.sign(challenge)), false);
  });

  test('another key fails', () => {
    assert.equal(verifySignature(generateNodeKey().publicKey, message, signature), false);
  });

  test('malformed keys and signatures give false, not exceptions', () => {
    for (const key of ['', 'not base64!', alice.publicKey.slice(0, -4), `${alice.publicKey}AAAA`, Buffer.alloc(32).toString('base64'), 42 as unknown as string]) {
      assert.equal(verifySignature(key, message, signature), false, String(key));
    }
    for (const sig of [new Uint8Array(0), signature.subarray(0, 63), new Uint8Array(65), new Uint8Array(64), 'sig' as unknown as Uint8Array]) {
      assert.equal(verifySignature(alice.publicKey, message, sig), false);
    }
  });

  test('challenges must be 16+ bytes and names plain tokens', () => {
    throwsQfl(() => challengeMessage(randomBytes(15), 'alice'), 'challenge');
    throwsQfl(() => challengeMessage(challenge, 'a\0b'), 'nodeName');
    throwsQfl(() => challengeMessage(challenge, 'a b'), 'nodeName');
    throwsQfl(() => challengeMessage(challenge, '../x'), 'nodeName');
  });

  test('loadNodeKey names the path of a missing or non-Ed25519 key', () => {
    throwsQfl(() => loadNodeKey(join(dir, 'missing.key')), join(dir, 'missing.key'), /cannot read.*ENOENT/);
    const rsa = join(dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    throwsQfl(() => loadNodeKey(rsa), rsa, /not an Ed25519 private key/);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    throwsQfl(() => loadNodeKey(junk), junk, /not an Ed25519/);
  });
});

describe('AllowList', () => {
  const k1 = generateNodeKey().publicKey;
  const k2 = generateNodeKey().publicKey;

  test('parses names and keys, skipping comments and blank lines', () => {
    const list = AllowList.parse(`# nodes\n\nnode-0 ${k1} 0-2,5   # lab\r\n  node-1\t${k2} *\n`, 'allow.txt');
    assert.equal(list.size, 2);
    assert.deepEqual([...(list.clientsOf(k1) as Set<number>)], [0, 1, 2, 5]);
    assert.equal(list.clientsOf(k2), '*');
    assert.equal(list.has(k1), true);
    assert.equal(list.nameOf(k2), 'node-1');
    assert.equal(list.nameOf(generateNodeKey().publicKey), undefined);
    assert.equal(list.has('node-0'), false);
    assert.equal(AllowList.parse('', 'empty').size, 0);
  });

  test('errors name the source and line', () => {
    const bad = (text: string, line: number, detail: RegExp) => throwsQfl(() => AllowList.parse(text, 'allow.txt'), `allow.txt:${line}`, detail);
    bad(`# c\nnode-0 ${k1} 0\nnode-1 ${k1.slice(1)} 1`, 3, /not valid base64/);
    bad(`node-0 ${Buffer.alloc(31).toString('base64')} 0`, 1, /must be 32 bytes.*got 31/);
    bad(`node-0 ${k1} 0\n\nnode-0 ${k2} 1`, 3, /duplicate node name 'node-0'/);
    bad(`node-0 ${k1} 0\nnode-1 ${k1} 1`, 2, /already listed for 'node-0'/);
    bad(`node-0`, 1, /expected '<name> <base64 public key> <clients>'/);
    // A key bound to no clients could claim any: refused, with what to write.
    bad(`node-0 ${k1}`, 1, /names no clients.*'\*' for any/);
    bad(`node-0 ${k1} extra`, 1, /client ids and ranges/);
    bad(`node-0 ${k1} 3-1`, 1, /runs backwards/);
    bad(`node-0 ${k1} 0 x`, 1, /expected/);
    bad(`no/slash ${k1} 0`, 1, /not a node name/);
  });

  test('load names the file', () => {
    const path = join(dir, 'list-bad.txt');
    writeFileSync(path, `a ${k1} 0\nb zz 1\n`);
    throwsQfl(() => AllowList.load(path), `${path}:2`);
    throwsQfl(() => AllowList.load(join(dir, 'nope.txt')), join(dir, 'nope.txt'), /cannot read allow-list/);
  });

  test('appendToAllowList creates the file, adds lines and refuses duplicates', () => {
    const path = join(dir, 'append.txt');
    appendToAllowList(path, 'a', k1, new Set([0, 1]));
    writeFileSync(path, `${readFileSync(path, 'utf8')}# no newline at end`);
    appendToAllowList(path, 'b', k2, '*');
    const list = AllowList.load(path);
    assert.deepEqual([list.nameOf(k1), list.nameOf(k2)], ['a', 'b']);
    assert.deepEqual([...(list.clientsOf(k1) as Set<number>)], [0, 1]);
    throwsQfl(() => appendToAllowList(path, 'a', generateNodeKey().publicKey, '*'), path, /named 'a'/);
    throwsQfl(() => appendToAllowList(path, 'c', k1, '*'), path, /for 'a'/);
    throwsQfl(() => appendToAllowList(path, 'd', 'short', '*'), 'publicKey');
    assert.equal(AllowList.load(path).size, 2);
  });

  test('writeNodeKey writes NAME.key (0o600) and lists its public key', () => {
    const sub = mkdtempSync(join(dir, 'nodes-'));
    const pub = writeNodeKey(sub, 'edge-1', new Set([4]));
    assert.equal(statSync(join(sub, 'edge-1.key')).mode & 0o777, 0o600);
    assert.equal(loadNodeKey(join(sub, 'edge-1.key')).publicKey, pub);
    assert.equal(AllowList.load(join(sub, 'allowlist.txt')).nameOf(pub), 'edge-1');
    throwsQfl(() => writeNodeKey(sub, 'edge-1', new Set([4])), join(sub, 'allowlist.txt'), /already lists/);
    writeFileSync(join(sub, 'edge-2.key'), 'x');
    throwsQfl(() => writeNodeKey(sub, 'edge-2', '*'), join(sub, 'edge-2.key'), /already exists/);
    throwsQfl(() => writeNodeKey(sub, '../evil', '*'), 'name');
    assert.equal(AllowList.load(join(sub, 'allowlist.txt')).size, 1);
  });
});
