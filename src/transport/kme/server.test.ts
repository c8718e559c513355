import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { qfl, serverUrl } from '../testing.js';
import { KmeClient } from './client.js';
import { EtsiCallError } from './etsi014.js';
import { parseLinkSpec, resolveLinks } from './links.js';
import { KmePairKeys } from './pair-keys.js';
import { startKmeServer } from './server.js';
import { KmeService } from './service.js';

test('--insecure: the caller names itself in X-SAE-ID; a missing or unknown name is 401', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-kme-insecure-'));
  const kme = qfl(['kme', '--sae', 'n0,n1', '--insecure', '--port', '0', '--state-dir', dir, '--model', 'rate', '--bits-per-second', '1000', '--prefill', '10', '--quiet']);
  t.after(async () => {
    kme.child.kill('SIGTERM');
    await kme.exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const url = await serverUrl(kme);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await fetch(`${url}/api/v1/keys/n1/status`)).status, 401);
  const unknown = await fetch(`${url}/api/v1/keys/n1/status`, { headers: { 'x-sae-id': 'n5' } });
  assert.equal(unknown.status, 401);
  assert.match(((await unknown.json()) as { message: string }).message, /'n5' is not an SAE/);
  const ok = await fetch(`${url}/api/v1/keys/n1/status`, { headers: { 'x-sae-id': 'n0' } });
  assert.equal(((await ok.json()) as { stored_key_count: number }).stored_key_count, 39); // 10 s at 1000 bit/s, 256-bit keys
});

test('KmePairKeys splits a long stream into as many keys and requests as the KME limits ask', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-kme-split-'));
  const saes = ['a', 'b'];
  const service = new KmeService({
    kmeId: 'k',
    saes,
    links: resolveLinks(saes, parseLinkSpec({ model: 'rate', bits_per_second: 1e6 }, 'l')),
    stateDir: dir,
    prefillSeconds: 1,
    limits: { maxKeySize: 512, maxKeyPerRequest: 3, keySize: 128 },
  });
  const server = await startKmeServer(service, { host: '127.0.0.1', port: 0, insecure: true });
  const [ca, cb] = saes.map((s) => new KmeClient({ url: server.url, saeId: s }));
  t.after(async () => {
    ca!.close();
    cb!.close();
    await server.close();
    service.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const a = new KmePairKeys('a', ca!);
  const b = new KmePairKeys('b', cb!);
  const { key, offer } = await a.offer('b', 4000); // 500 bytes: 8 keys of 504 bits, in 3 requests
  assert.equal(offer.source === 'qkd-kme' && offer.keyIds.length, 8);
  assert.deepEqual(await b.accept('a', offer, 4000), key);
  assert.equal(service.links()[0]!.pendingKeys, 0, 'every key fetched and erased');
  await assert.rejects(b.accept('a', offer, 4000), (e: EtsiCallError) => e.status === 400);
});
