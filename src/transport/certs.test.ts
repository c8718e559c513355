import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import forge from 'node-forge';
import { run as certsCommand } from '../cli/commands/certs.js';
import { QflError } from '../util/errors.js';
import { AllowList, loadNodeKey } from './auth.js';
import { makeDevCertificates, normalizeHosts, saeCertFiles, writeDevCertificates, writeSaeCertificate, type DevCertificates } from './certs.js';

/** RSA keys cost ~0.1 s each, so two certificate sets are made once and shared. */
let a: DevCertificates;
let b: DevCertificates;
const dirs: string[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'qfl-certs-'));
  dirs.push(d);
  return d;
}

before(() => {
  a = makeDevCertificates({ hosts: ['FL.example', '10.9.8.7', 'fl.example'] });
  b = makeDevCertificates({ hosts: [], days: 30 });
});

after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function throwsQfl(fn: () => unknown, field: string | RegExp, detail?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    if (typeof field === 'string') assert.equal(e.field, field);
    else assert.match(e.field, field);
    if (detail) assert.match(e.detail, detail);
    return true;
  });
}

describe('makeDevCertificates', () => {
  test('server certificate: SANs for every host plus localhost and 127.0.0.1, serverAuth, signed by the CA', () => {
    const ca = new X509Certificate(a.caCert);
    const server = new X509Certificate(a.serverCert);
    assert.equal(server.subjectAltName, 'DNS:fl.example, IP Address:10.9.8.7, DNS:localhost, IP Address:127.0.0.1');
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(server.ca, false);
    assert.ok(server.checkIssued(ca));
    assert.ok(server.verify(ca.publicKey));
    assert.equal(server.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(server.checkPrivateKey(createPrivateKey(a.serverKey)));
  });

  test('CA: self-signed, cA true, keyCertSign, its own name', () => {
    const ca = new X509Certificate(a.caCert);
    assert.equal(ca.ca, true);
    assert.ok(ca.verify(ca.publicKey));
    assert.ok(ca.checkPrivateKey(createPrivateKey(a.caKey)));
    const parsed = forge.pki.certificateFromPem(a.caCert);
    const usage = parsed.getExtension('keyUsage') as { keyCertSign?: boolean } | null;
    assert.equal(usage?.keyCertSign, true);
    assert.notEqual(ca.subject, new X509Certificate(b.caCert).subject);
  });

  test('serials are random and positive; validity is `days` (default 825)', () => {
    const serials = [a.caCert, a.serverCert, b.caCert, b.serverCert].map((p) => new X509Certificate(p).serialNumber);
    assert.equal(new Set(serials).size, 4);
    for (const s of serials) assert.ok(parseInt(s.slice(0, 2), 16) < 0x80, s);
    const days = (pem: string) => {
      const c = new X509Certificate(pem);
      return (Date.parse(c.validTo) - Date.parse(c.validFrom)) / 86_400_000;
    };
    assert.ok(Math.abs(days(a.serverCert) - 825) < 0.01);
    assert.ok(Math.abs(days(b.caCert) - 30) < 0.01);
  });

  test('hosts are checked: no scheme or port; IPv6 in brackets is accepted', () => {
    assert.deepEqual(normalizeHosts(['[::1]', 'LOCALHOST']), ['::1', 'localhost', '127.0.0.1']);
    throwsQfl(() => normalizeHosts(['https://fl.example:8443']), 'hosts', /neither an IP address nor a DNS name/);
    throwsQfl(() => normalizeHosts(['bad host']), 'hosts');
    throwsQfl(() => makeDevCertificates({ hosts: [], days: 0 }), 'days');
  });
});

/** An HTTPS GET to the server on 127.0.0.1: the body, or the TLS error code. */
function get(port: number, ca: string, servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, ca, agent: false, ...(servername ? { servername } : {}) }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', (e: NodeJS.ErrnoException) => reject(Object.assign(new Error(e.message), { code: e.code })));
  });
}

describe('TLS handshake with the dev certificates', () => {
  let server: https.Server;
  let port = 0;
  before(async () => {
    server = https.createServer({ cert: a.serverCert, key: a.serverKey }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('a client trusting ca.pem connects by IP and by a DNS name in the SANs', async () => {
    assert.equal(await get(port, a.caCert), 'ok');
    assert.equal(await get(port, a.caCert, 'fl.example'), 'ok');
  });

  test('a client trusting another dev CA fails on the certificate', async () => {
    await assert.rejects(get(port, b.caCert), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  test('a host name not in the SANs fails', async () => {
    await assert.rejects(get(port, a.caCert, 'elsewhere.example'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('HTTP/2 (what the transport speaks) negotiates over the same certificate', async () => {
    const h2 = http2.createSecureServer({ cert: a.serverCert, key: a.serverKey }, (_req, res) => res.end('h2 ok'));
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    const session = http2.connect(`https://127.0.0.1:${(h2.address() as AddressInfo).port}`, { ca: a.caCert });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        session.on('error', reject);
        const req = session.request({ ':path': '/' });
        let text = '';
        req.on('data', (c: Buffer) => (text += c.toString()));
        req.on('end', () => resolve(text));
        req.on('error', reject);
        req.end();
      });
      assert.equal(body, 'h2 ok');
      assert.equal(session.alpnProtocol, 'h2');
    } finally {
      session.close();
      h2.close();
    }
  });
});

describe('writeDevCertificates', () => {
  const mode = (p: string) => statSync(p).mode & 0o777;

  test('writes certificates, keys (0o600), node keys and an allow-list that lists them', () => {
    const dir = tempDir();
    const { files } = writeDevCertificates(dir, { hosts: ['fl.example'], nodes: 2 });
    const names = ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem', 'node-0.key', 'node-1.key', 'allowlist.txt'];
    assert.deepEqual(files, names.map((n) => join(dir, n)));
    for (const n of ['ca-key.pem', 'server-key.pem', 'node-0.key', 'node-1.key']) assert.equal(mode(join(dir, n)), 0o600, n);
    for (const n of ['ca.pem', 'server.pem', 'allowlist.txt']) assert.equal(mode(join(dir, n)), 0o644, n);
    const allow = AllowList.load(join(dir, 'allowlist.txt'));
    assert.equal(allow.size, 2);
    assert.equal(allow.nameOf(loadNodeKey(join(dir, 'node-1.key')).publicKey), 'node-1');
    assert.deepEqual([...(allow.clientsOf(loadNodeKey(join(dir, 'node-1.key')).publicKey) as Set<number>)], [1], 'node-k may host client k');
    assert.ok(new X509Certificate(readFileSync(join(dir, 'server.pem'))).checkIssued(new X509Certificate(readFileSync(join(dir, 'ca.pem')))));

    // Refused without force, naming the file, and nothing is touched.
    const before = readFileSync(join(dir, 'ca.pem'), 'utf8');
    throwsQfl(() => writeDevCertificates(dir, { hosts: [] }), join(dir, 'ca.pem'), /already exists.*--force/);
    assert.equal(readFileSync(join(dir, 'ca.pem'), 'utf8'), before);

    // With force: new material, and a loosened key file gets 0o600 back.
    chmodSync(join(dir, 'server-key.pem'), 0o644);
    writeDevCertificates(dir, { hosts: [], force: true });
    assert.notEqual(readFileSync(join(dir, 'ca.pem'), 'utf8'), before);
    assert.equal(mode(join(dir, 'server-key.pem')), 0o600);
  });

  test('a lone existing node key or allow-list also blocks the write', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'allowlist.txt'), '');
    throwsQfl(() => writeDevCertificates(dir, { hosts: [], nodes: 1 }), join(dir, 'allowlist.txt'));
    throwsQfl(() => writeDevCertificates(dir, { hosts: [], nodes: 1.5 }), 'nodes');
  });
});

describe('qfl certs', () => {
  async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const log = console.log;
    console.log = (...x: unknown[]) => void out.push(x.map(String).join(' '));
    try {
      return { code: await certsCommand(argv), out: out.join('\n') };
    } finally {
      console.log = log;
    }
  }

  test('makes a directory, prints the server and client commands, and adds a node', async () => {
    const dir = join(tempDir(), 'certs');
    const made = await cli('--out', dir, '--hosts', 'fl.example,10.0.0.5', '--nodes', '1', '--days', '10');
    assert.equal(made.code, 0);
    assert.match(made.out, new RegExp(`qfl server CONFIG --tls-cert ${join(dir, 'server.pem')} --tls-key ${join(dir, 'server-key.pem')} --allowlist ${join(dir, 'allowlist.txt')}`));
    assert.match(made.out, new RegExp(`qfl client --server https://fl.example:9092 --ca ${join(dir, 'ca.pem')} --key ${join(dir, 'node-0.key')}`));

    await assert.rejects(cli('node', 'edge-7', '--out', dir), (e: unknown) => e instanceof QflError && e.field === '--clients');
    const added = await cli('node', 'edge-7', '--clients', '3-4', '--out', dir);
    assert.equal(added.code, 0);
    const allow = AllowList.load(join(dir, 'allowlist.txt'));
    assert.equal(allow.size, 2);
    assert.equal(allow.nameOf(loadNodeKey(join(dir, 'edge-7.key')).publicKey), 'edge-7');

    assert.deepEqual([...(allow.clientsOf(loadNodeKey(join(dir, 'edge-7.key')).publicKey) as Set<number>)], [3, 4]);
    await assert.rejects(cli('node', 'edge-7', '--clients', '*', '--out', dir), QflError);
    await assert.rejects(cli('node', 'x', '--clients', '*', '--out', join(dir, 'missing')), (e: unknown) => e instanceof QflError && e.field === '--out');
    await assert.rejects(cli('--hosts', 'a'), (e: unknown) => e instanceof QflError && e.field === '--out');
    await assert.rejects(cli('--out', dir, '--nodes=-1'), (e: unknown) => e instanceof QflError && e.field === '--nodes');
  });
});

describe('SAE client certificates (qfl kme with mutual TLS)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-certs-sae-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the CN is the SAE ID, clientAuth, signed by the CA; keys 0o600; a duplicate or bad name is refused', async () => {
    writeDevCertificates(dir, { hosts: [], saes: ['n0', 'n1'] });
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    for (const sae of ['n0', 'n1']) {
      const cert = new X509Certificate(readFileSync(join(dir, saeCertFiles(sae).cert)));
      assert.match(cert.subject, new RegExp(`CN=${sae}`));
      assert.ok(cert.verify(ca.publicKey));
      assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, saeCertFiles(sae).key)))));
      assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth');
      assert.equal(statSync(join(dir, saeCertFiles(sae).key)).mode & 0o777, 0o600);
    }
    assert.throws(() => writeDevCertificates(join(dir, 'x'), { hosts: [], saes: ['a', 'a'] }), /listed twice/);
    assert.throws(() => writeDevCertificates(join(dir, 'x'), { hosts: [], saes: ['../a'] }), /is not an SAE ID/);
    assert.throws(() => writeSaeCertificate(dir, 'n0'), /already exists/);
    const quiet = console.log;
    console.log = () => {};
    try {
      assert.equal(await certsCommand(['sae', 'n2', '--out', dir]), 0);
    } finally {
      console.log = quiet;
    }
    assert.ok(new X509Certificate(readFileSync(join(dir, saeCertFiles('n2').cert))).verify(ca.publicKey));
    assert.throws(() => writeSaeCertificate(join(dir, 'missing'), 'n3'), /holds no ca\.pem/);
  });
});
