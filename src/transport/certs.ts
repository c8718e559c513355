import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { fail } from '../util/errors.js';
import { generateNodeKey, nodeKeyFileName, ALLOWLIST_FILE } from './auth.js';

/**
 * Development TLS material for a federation: a self-signed CA and a server
 * certificate it signs. Clients pin the CA (`--ca ca.pem`), so nothing here
 * needs a public CA; it is not meant for production PKI (no revocation, no
 * intermediate, the CA key sits beside the certificates).
 *
 * Example:
 *   const { caCert, serverCert, serverKey } = makeDevCertificates({ hosts: ['fl.lan', '10.0.0.5'] });
 *   https.createServer({ cert: serverCert, key: serverKey }, handler);
 */

export type DevCertificates = { caCert: string; caKey: string; serverCert: string; serverKey: string };
export type CertOptions = { hosts: string[]; days?: number };
/** `clientsPerNode` M: node-k may host clients kM..kM+M-1 (default 1: node-k hosts client k). */
export type WriteCertOptions = CertOptions & { nodes?: number; clientsPerNode?: number; saes?: readonly string[]; force?: boolean };

/** 825 days: the longest server-certificate life Apple platforms accept (and under browsers' old 27-month cap). */
export const DEFAULT_DAYS = 825;

/** Always in the server certificate, so local runs work whatever `hosts` says. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1'];

const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const CERT_FILES = { caCert: 'ca.pem', caKey: 'ca-key.pem', serverCert: 'server.pem', serverKey: 'server-key.pem' } as const;

/** The hosts, checked, lower-cased and deduplicated, with localhost and 127.0.0.1 added. */
export function normalizeHosts(hosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of [...hosts, ...LOCAL_HOSTS]) {
    const h = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (isIP(h) === 0 && (h.length > 253 || !DNS_NAME.test(h))) {
      fail('hosts', `'${raw}' is neither an IP address nor a DNS name (give a bare host, no scheme or port)`);
    }
    if (!out.includes(h)) out.push(h);
  }
  return out;
}

function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 36500) fail('days', `must be a whole number of days in [1, 36500], got ${days}`);
  return days;
}

/**
 * A positive serial of 127 random bits: X.509 serials are signed DER integers,
 * so the top bit is cleared, and the first byte is non-zero so the DER
 * encoding is minimal.
 */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) || 0x01;
  return b.toString('hex');
}

/** RSA 2048 from Node's native generator (tens of ms; forge's pure-JS one takes seconds). */
function rsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem);
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem };
}

/** Valid from a minute ago (clock skew between machines) for `days` days. */
function setValidity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + days * 86_400_000);
}

export function makeDevCertificates(opts: CertOptions): DevCertificates {
  const hosts = normalizeHosts(opts.hosts);
  const days = checkDays(opts.days ?? DEFAULT_DAYS);

  // A random suffix gives each dev CA its own name, so a client pinning another
  // federation's CA fails on the issuer rather than on a signature mismatch.
  const ca = rsaKeyPair();
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = ca.publicKey;
  caCert.serialNumber = randomSerial();
  setValidity(caCert, days);
  const caName = [
    { name: 'commonName', value: `qfl development CA ${randomBytes(4).toString('hex')}` },
    { name: 'organizationName', value: 'qfl' },
  ];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.privateKey, forge.md.sha256.create());

  const server = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = server.publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, days);
  cert.setSubject([{ name: 'commonName', value: hosts[0]! }, { name: 'organizationName', value: 'qfl' }]);
  cert.setIssuer(caName);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.privateKey, forge.md.sha256.create());

  return {
    caCert: forge.pki.certificateToPem(caCert),
    caKey: ca.pem,
    serverCert: forge.pki.certificateToPem(cert),
    serverKey: server.pem,
  };
}

/** The files of an SAE's client certificate (`qfl kme` with mutual TLS). */
export function saeCertFiles(name: string): { cert: string; key: string } {
  return { cert: `sae-${name}.pem`, key: `sae-${name}-key.pem` };
}

/** SAE names double as certificate common names and file names. */
const SAE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkSaeName(name: string): string {
  if (!SAE_NAME.test(name)) fail('sae', `'${name.slice(0, 80)}' is not an SAE ID (letters, digits, '_', '.', '-'; at most 64; first a letter or digit)`);
  return name;
}

/**
 * A client certificate for SAE `name` (its common name: the KME reads the
 * caller's SAE ID there), signed by the CA of `makeDevCertificates`. ETSI GS
 * QKD 014 asks for mutual TLS between SAE and KME; this is its development PKI.
 */
export function makeSaeCertificate(ca: { caCert: string; caKey: string }, name: string, days = DEFAULT_DAYS): { cert: string; key: string } {
  checkSaeName(name);
  checkDays(days);
  const caCert = forge.pki.certificateFromPem(ca.caCert);
  const caKey = forge.pki.privateKeyFromPem(ca.caKey);
  const pair = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pair.publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, days);
  cert.setSubject([{ name: 'commonName', value: name }, { name: 'organizationName', value: 'qfl SAE' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: pair.pem };
}

/** Writes sae-NAME.pem and sae-NAME-key.pem into `dir`, signed by the CA already there (ca.pem, ca-key.pem). */
export function writeSaeCertificate(dir: string, name: string, opts: { days?: number; force?: boolean } = {}): string[] {
  const files = saeCertFiles(checkSaeName(name));
  const paths = [join(dir, files.cert), join(dir, files.key)];
  const caPath = join(dir, CERT_FILES.caCert);
  const caKeyPath = join(dir, CERT_FILES.caKey);
  if (!existsSync(caPath) || !existsSync(caKeyPath)) fail(dir, `holds no ${CERT_FILES.caCert} and ${CERT_FILES.caKey}; make them with 'qfl certs --out ${dir}'`);
  if (!opts.force) for (const p of paths) if (existsSync(p)) fail(p, 'already exists; pass force (--force) to overwrite it');
  const made = makeSaeCertificate({ caCert: readFileSync(caPath, 'utf8'), caKey: readFileSync(caKeyPath, 'utf8') }, name, opts.days ?? DEFAULT_DAYS);
  writeNew(paths[0]!, made.cert, 0o644, opts.force ?? false);
  writeNew(paths[1]!, made.key, 0o600, opts.force ?? false);
  return paths;
}

/**
 * Writes `contents` with `mode`. Without `force` the file must not exist
 * ('wx' also closes the race with another writer); with it the old file is
 * removed first so the new one gets `mode` rather than keeping the old one's.
 */
export function writeNew(path: string, contents: string, mode: number, force: boolean): void {
  if (force) rmSync(path, { force: true });
  try {
    writeFileSync(path, contents, { mode, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') fail(path, 'already exists; pass force (--force) to overwrite it');
    throw e;
  }
  chmodSync(path, mode); // writeFileSync's mode is filtered by the umask
}

/**
 * Writes ca.pem, ca-key.pem, server.pem, server-key.pem and, for `nodes` > 0,
 * node-0.key .. node-{n-1}.key with allowlist.txt naming them and the clients
 * each may host (node-k: client k, or a block of `clientsPerNode`), and for each of
 * `saes` a client certificate sae-NAME.pem with its key sae-NAME-key.pem. Private keys are
 * 0o600. Every target is checked before anything is written, so a refusal
 * leaves the directory as it was.
 */
export function writeDevCertificates(dir: string, opts: WriteCertOptions): { files: string[] } {
  const nodes = opts.nodes ?? 0;
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > 10_000) fail('nodes', `must be a whole number in [0, 10000], got ${nodes}`);
  const force = opts.force ?? false;
  const per = opts.clientsPerNode ?? 1;
  if (!Number.isInteger(per) || per < 1 || per * nodes > 1_000_000) fail('clientsPerNode', `must be a whole number >= 1 with nodes x clientsPerNode <= 1000000, got ${per}`);
  const nodeNames = Array.from({ length: nodes }, (_, i) => `node-${i}`);
  const saes = (opts.saes ?? []).map(checkSaeName);
  const dupSae = saes.find((n, k) => saes.indexOf(n) !== k);
  if (dupSae !== undefined) fail('saes', `'${dupSae}' is listed twice`);
  const saeNames = saes.flatMap((n) => [saeCertFiles(n).cert, saeCertFiles(n).key]);
  const names = [...Object.values(CERT_FILES), ...nodeNames.map(nodeKeyFileName), ...(nodes > 0 ? [ALLOWLIST_FILE] : []), ...saeNames];
  const paths = names.map((f) => join(dir, f));
  if (!force) {
    const existing = paths.filter((p) => existsSync(p));
    if (existing.length > 0) fail(existing[0]!, `already exists${existing.length > 1 ? ` (as do ${existing.length - 1} more of the files to write)` : ''}; pass force (--force) to overwrite`);
  }

  const certs = makeDevCertificates(opts);
  // In the order of `names`: CERT_FILES, node keys, allow-list.
  const contents: { text: string; mode: number }[] = [
    { text: certs.caCert, mode: 0o644 },
    { text: certs.caKey, mode: 0o600 },
    { text: certs.serverCert, mode: 0o644 },
    { text: certs.serverKey, mode: 0o600 },
  ];
  const lines = ['# qfl node allow-list: <name> <base64 Ed25519 public key> <client ids this key may host>'];
  nodeNames.forEach((name, k) => {
    const key = generateNodeKey();
    contents.push({ text: key.privateKeyPem, mode: 0o600 });
    lines.push(`${name} ${key.publicKey} ${per === 1 ? k : `${k * per}-${k * per + per - 1}`}`);
  });
  if (nodes > 0) contents.push({ text: `${lines.join('\n')}\n`, mode: 0o644 });
  for (const name of saes) {
    const sae = makeSaeCertificate(certs, name, opts.days ?? DEFAULT_DAYS);
    contents.push({ text: sae.cert, mode: 0o644 }, { text: sae.key, mode: 0o600 });
  }

  mkdirSync(dir, { recursive: true });
  contents.forEach((c, i) => writeNew(paths[i]!, c.text, c.mode, force));
  return { files: paths };
}
