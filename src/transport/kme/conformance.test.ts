import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { CERT_FILES, saeCertFiles, writeDevCertificates } from '../certs.js';
import { qfl, serverUrl, type Proc } from '../testing.js';
import { KmeClient } from './client.js';
import { EtsiCallError, isUuid } from './etsi014.js';
import { KmePairKeys } from './pair-keys.js';

/**
 * `qfl kme` as a separate process with mutual TLS, called over the wire
 * exactly as ETSI GS QKD 014 V1.1.1 describes: the three calls in their POST
 * and GET forms, every Status field, and the error codes 400 / 401 / 503
 * with the Error format; then a SIGKILL and a restart on the same key store.
 */
const dir = mkdtempSync(join(tmpdir(), 'qfl-kme-conf-'));
const certs = join(dir, 'certs');
const state = join(dir, 'state');
writeDevCertificates(certs, { hosts: [], saes: ['n0', 'n1', 'n2', 'n3', 'n9'] });
const topology = join(dir, 'topology.yaml');
writeFileSync(topology, 'links:\n  - { between: [n2, n3], model: bb84-decoy, distance_km: 10, eve: 1 }\n');
const pem = (f: string) => readFileSync(join(certs, f), 'utf8');
const ca = pem(CERT_FILES.caCert);
const identity = (sae: string) => ({ cert: pem(saeCertFiles(sae).cert), key: pem(saeCertFiles(sae).key) });

const start = (): Proc =>
  qfl(['kme', '--sae', 'n0,n1,n2,n3', '--tls-dir', certs, '--port', '0', '--host', '127.0.0.1', '--state-dir', state, '--model', 'rate', '--bits-per-second', '100000', '--prefill', '100', '--topology', topology]);

let kme: Proc;
let base: string;

test.before(async () => {
  kme = start();
  base = await serverUrl(kme);
});
test.after(async () => {
  kme.child.kill('SIGTERM');
  await kme.exited;
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One HTTPS call; `sae` picks the client certificate (none: no certificate). */
function call(method: string, path: string, sae: string | undefined, body?: string | object): Promise<Answer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, base),
      { method, ca, ...(sae !== undefined ? identity(sae) : {}), agent: false, headers: payload !== undefined ? { 'content-type': 'application/json' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

type Key = { key_ID: string; key: string };
const keysOf = (a: Answer): Key[] => a.body.keys as Key[];

function assertError(a: Answer, status: number, message: RegExp): void {
  assert.equal(a.status, status, JSON.stringify(a.body));
  assert.equal(typeof a.body.message, 'string');
  assert.match(a.body.message as string, message);
  if (a.body.details !== undefined) assert.ok(Array.isArray(a.body.details) && a.body.details.every((d) => typeof d === 'object' && d !== null && !Array.isArray(d)));
}

test('Get status: every field of the Status data format, sizes in bits', async () => {
  const a = await call('GET', '/api/v1/keys/n1/status', 'n0');
  assert.equal(a.status, 200);
  for (const f of ['source_KME_ID', 'target_KME_ID', 'master_SAE_ID', 'slave_SAE_ID']) assert.equal(typeof a.body[f], 'string', f);
  for (const f of ['key_size', 'stored_key_count', 'max_key_count', 'max_key_per_request', 'max_key_size', 'min_key_size', 'max_SAE_ID_count']) {
    assert.ok(Number.isInteger(a.body[f]), f);
  }
  assert.equal(a.body.master_SAE_ID, 'n0');
  assert.equal(a.body.slave_SAE_ID, 'n1');
  assert.equal(a.body.key_size, 256);
  assert.equal(a.body.stored_key_count, a.body.max_key_count, 'the prefill filled the store');
  assert.equal(a.body.max_SAE_ID_count, 0);
});

test('Get key (POST and GET) and Get key with key IDs (POST and GET): the same keys, once each', async () => {
  const post = await call('POST', '/api/v1/keys/n1/enc_keys', 'n0', { number: 2, size: 512 });
  assert.equal(post.status, 200);
  assert.equal(keysOf(post).length, 2);
  for (const k of keysOf(post)) {
    assert.ok(isUuid(k.key_ID) && /^[0-9a-f]{8}-[0-9a-f]{4}-4/.test(k.key_ID), k.key_ID);
    assert.equal(Buffer.from(k.key, 'base64').length, 64);
  }
  const get = await call('GET', '/api/v1/keys/n1/enc_keys?number=1&size=128', 'n0');
  assert.equal(Buffer.from(keysOf(get)[0]!.key, 'base64').length, 16);
  const dflt = await call('POST', '/api/v1/keys/n1/enc_keys', 'n0');
  assert.equal(Buffer.from(keysOf(dflt)[0]!.key, 'base64').length, 32, 'an empty request: one key of key_size bits');

  const ids = { key_IDs: keysOf(post).map((k) => ({ key_ID: k.key_ID })) };
  const dec = await call('POST', '/api/v1/keys/n0/dec_keys', 'n1', ids);
  assert.deepEqual(keysOf(dec), keysOf(post));
  const again = await call('POST', '/api/v1/keys/n0/dec_keys', 'n1', ids);
  assertError(again, 400, /not all keys could be retrieved/);
  assert.deepEqual(again.body.details, [{ key_ID_not_found: keysOf(post).map((k) => k.key_ID) }]);

  const one = keysOf(get)[0]!;
  assert.deepEqual(keysOf(await call('GET', `/api/v1/keys/n0/dec_keys?key_ID=${one.key_ID}`, 'n1')), [one]);
  assertError(await call('GET', `/api/v1/keys/n0/dec_keys?key_ID=${one.key_ID}`, 'n1'), 400, /already retrieved/);
  assert.deepEqual(keysOf(await call('POST', '/api/v1/keys/n0/dec_keys', 'n1', { key_IDs: [{ key_ID: keysOf(dflt)[0]!.key_ID }] })), keysOf(dflt));
});

test('400: malformed requests, each named', async () => {
  const enc = (body: string | object) => call('POST', '/api/v1/keys/n1/enc_keys', 'n0', body);
  assertError(await enc('{"number": 1'), 400, /not JSON/);
  assertError(await enc('[1]'), 400, /must be a JSON object/);
  assertError(await enc({ number: 1, colour: 'red' }), 400, /unknown field in Key request: colour/);
  assertError(await enc({ number: 1.5 }), 400, /number must be an integer/);
  assertError(await enc({ number: 1000 }), 400, /max_key_per_request/);
  assertError(await enc({ size: 100 }), 400, /multiple of 8/);
  assertError(await enc({ additional_slave_SAE_IDs: ['n2'] }), 400, /max_SAE_ID_count is 0/);
  assertError(await enc({ extension_mandatory: [{ abc_route_type: 'direct' }] }), 400, /extension_mandatory/);
  assertError(await enc('x'.repeat(70_000)), 400, /over the 65536/);
  assertError(await call('GET', '/api/v1/keys/n1/enc_keys?number=1e2', 'n0'), 400, /whole number/);
  assertError(await call('GET', '/api/v1/keys/n1/enc_keys?count=2', 'n0'), 400, /unknown query parameter: count/);
  assertError(await call('GET', '/api/v1/keys/n7/status', 'n0'), 400, /slave_SAE_ID 'n7' is not an SAE/);
  assertError(await call('GET', '/api/v1/keys/n0/status', 'n0'), 400, /the caller itself/);
  const dec = (body: object) => call('POST', '/api/v1/keys/n0/dec_keys', 'n1', body);
  assertError(await dec({ key_IDs: [] }), 400, /non-empty/);
  assertError(await dec({ key_IDs: [{ key_ID: 'not-a-uuid' }] }), 400, /must be a UUID/);
  const id = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
  assertError(await dec({ key_IDs: [{ key_ID: id }, { key_ID: id.toUpperCase() }] }), 400, /appears twice/);
  assertError(await call('GET', `/api/v1/keys/n0/dec_keys?key_ID=${id}&key_ID=${id}`, 'n1'), 400, /exactly one key_ID/);
  assert.equal((await call('GET', '/api/v1/nothing', 'n0')).status, 404);
  assert.equal((await call('DELETE', '/api/v1/keys/n1/enc_keys', 'n0')).status, 405);
});

test('401: no client certificate, a certificate of no SAE here, a key that is not the caller\'s', async () => {
  assertError(await call('GET', '/api/v1/keys/n1/status', undefined), 401, /no client certificate/);
  assertError(await call('GET', '/api/v1/keys/n1/status', 'n9'), 401, /'n9' is not an SAE of this KME/);
  const { key_ID } = keysOf(await call('POST', '/api/v1/keys/n1/enc_keys', 'n0', { number: 1 }))[0]!;
  // n0 is the master of that key: it cannot also fetch it as a slave
  assertError(await call('POST', '/api/v1/keys/n1/dec_keys', 'n0', { key_IDs: [{ key_ID }] }), 401, /not issued by n1 for n0/);
  // another slave cannot fetch it either (it is not on that pair's link)
  assertError(await call('POST', '/api/v1/keys/n0/dec_keys', 'n2', { key_IDs: [{ key_ID }] }), 400, /unknown for master n0/);
  assert.equal((await call('POST', '/api/v1/keys/n0/dec_keys', 'n1', { key_IDs: [{ key_ID }] })).status, 200);
});

test('503: an eavesdropped link, and more key than the link holds', async () => {
  const eve = await call('POST', '/api/v1/keys/n3/enc_keys', 'n2', {});
  assertError(eve, 503, /QBER .* above the 11 % threshold.*eavesdropper/);
  const status = await call('GET', '/api/v1/keys/n3/status', 'n2');
  assert.equal(status.body.stored_key_count, 0);
  assertError(await call('POST', '/api/v1/keys/n2/enc_keys', 'n0', { number: 128, size: 65_536 }), 503, /not enough key on link n0~n2/);
});

test('KmeClient over mutual TLS, and KME pair keys: offers carry key_IDs, both ends get the same bits', async () => {
  const c0 = new KmeClient({ url: base, ca, ...identity('n0') });
  const c1 = new KmeClient({ url: base, ca, ...identity('n1') });
  try {
    const s = await c0.status('n1');
    assert.equal(s.master_SAE_ID, 'n0');
    const { keys } = await c0.getKeys('n1', { number: 3, size: 64 });
    assert.deepEqual((await c1.getKeysWithIds('n0', keys.map((k) => k.key_ID))).keys, keys);
    await assert.rejects(c1.getKeysWithIds('n0', [keys[0]!.key_ID]), (e: EtsiCallError) => e.status === 400 && /not all keys/.test(e.body.message));
    await assert.rejects(c0.getKeys('n9'), (e: EtsiCallError) => e.status === 400);

    const p0 = new KmePairKeys('n0', c0);
    const p1 = new KmePairKeys('n1', c1);
    const { key, offer } = await p0.offer('n1', 100_003);
    assert.equal(offer.source, 'qkd-kme');
    assert.equal(offer.source === 'qkd-kme' && offer.keyIds.length, 2, 'two keys: max_key_size is 65536 bits');
    assert.ok(!JSON.stringify(offer).includes(Buffer.from(key.subarray(0, 12)).toString('base64').slice(0, 12)));
    assert.equal(key.length, 12_501);
    assert.equal(key[12_500]! >> 3, 0, 'bits past the 100,003rd are 0');
    assert.deepEqual(await p1.accept('n0', offer, 100_003), key);
    await assert.rejects(p1.accept('n0', offer, 100_003), /not all keys could be retrieved/);
  } finally {
    c0.close();
    c1.close();
  }
});

test('after a SIGKILL the restarted KME still owes the slave its key, and no key is handed out twice', async () => {
  const owed = keysOf(await call('POST', '/api/v1/keys/n1/enc_keys', 'n0', { number: 1 }))[0]!;
  const taken = keysOf(await call('POST', '/api/v1/keys/n2/enc_keys', 'n1', { number: 1 }))[0]!;
  assert.equal((await call('POST', '/api/v1/keys/n1/dec_keys', 'n2', { key_IDs: [{ key_ID: taken.key_ID }] })).status, 200);
  kme.child.kill('SIGKILL');
  await kme.exited;
  kme = start();
  base = await serverUrl(kme);
  assert.deepEqual(keysOf(await call('POST', '/api/v1/keys/n0/dec_keys', 'n1', { key_IDs: [{ key_ID: owed.key_ID }] })), [owed]);
  assertError(await call('POST', '/api/v1/keys/n1/dec_keys', 'n2', { key_IDs: [{ key_ID: taken.key_ID }] }), 400, /already retrieved/);
  // the log names calls and counts, never key material
  for (const k of [owed, taken]) assert.ok(!kme.lines.join('\n').includes(k.key));
});
