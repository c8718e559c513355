import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALLOWLIST_FILE, formatClients, nodeKeyFileName, writeNodeKey } from '../../transport/auth.js';
import { parseClientIds } from '../../transport/protocol.js';
import { CERT_FILES, DEFAULT_DAYS, normalizeHosts, saeCertFiles, writeDevCertificates, writeSaeCertificate } from '../../transport/certs.js';
import { fail } from '../../util/errors.js';
import { K8S_SECRETS_FILE, k8sSecretsYaml } from '../../transport/k8s-secrets.js';

/**
 * `qfl certs`: development TLS material and node keys for a deployed
 * federation (`src/transport/certs.ts`, `src/transport/auth.ts`). The server
 * presents server.pem; clients pin ca.pem and prove who they are with an
 * Ed25519 node key listed in allowlist.txt.
 */

const USAGE = `usage: qfl certs --out DIR [--hosts H1,H2] [--nodes N] [--clients-per-node M] [--saes ID1,ID2] [--days D] [--force] [--k8s [--namespace NS]]
       qfl certs node NAME --clients IDS --out DIR
       qfl certs sae ID --out DIR

qfl certs: a development CA, a server certificate it signs, and N node keys
  --out DIR      directory to write (created if missing)
  --hosts LIST   comma-separated names and IP addresses clients will dial;
                 localhost and 127.0.0.1 are always included
  --nodes N      node keys node-0.key .. node-{N-1}.key plus allowlist.txt (default 0)
  --clients-per-node M
                 node-k may host clients kM..kM+M-1 (default 1: node-k hosts client k);
                 the allow-list binds every key to its clients
  --saes LIST    client certificates sae-ID.pem (+ sae-ID-key.pem) for the SAEs of
                 'qfl kme --tls-dir DIR' (their CN is the SAE ID)
  --days D       validity of the certificates (default ${DEFAULT_DAYS})
  --force        overwrite files already in DIR
  --k8s          also write DIR/${K8S_SECRETS_FILE}: the server's TLS secret, the CA, the
                 allow-list and the node keys as Kubernetes Secrets (for deploy/k8s)
  --namespace NS namespace of those Secrets (default: kubectl's current one)

qfl certs node NAME: one more node key, NAME.key, added to DIR/allowlist.txt
  --clients IDS  the clients this key may host: ids and ranges (0-2,7), or '*' for any
  --out DIR      an existing directory made by 'qfl certs'

qfl certs sae ID: one more SAE client certificate, signed by DIR/ca-key.pem
  --out DIR      an existing directory made by 'qfl certs'`;

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'node') return node(argv.slice(1));
  if (argv[0] === 'sae') return sae(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      hosts: { type: 'string' },
      nodes: { type: 'string' },
      'clients-per-node': { type: 'string' },
      saes: { type: 'string' },
      days: { type: 'string' },
      force: { type: 'boolean' },
      k8s: { type: 'boolean' },
      namespace: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 0) fail('subcommand', `unknown certs subcommand '${positionals[0]}'; choose from node, sae`);
  if (values.out === undefined) fail('--out', 'is required: the directory to write');
  const hosts = normalizeHosts((values.hosts ?? '').split(',').filter((h) => h.trim() !== ''));
  const nodes = wholeNumber('--nodes', values.nodes, 0, 10_000) ?? 0;
  const days = wholeNumber('--days', values.days, 1, 36_500) ?? DEFAULT_DAYS;
  const clientsPerNode = wholeNumber('--clients-per-node', values['clients-per-node'], 1, 100_000) ?? 1;

  const dir = values.out;
  const saes = (values.saes ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const { files } = writeDevCertificates(dir, { hosts, days, nodes, clientsPerNode, saes, force: values.force ?? false });
  console.log(`wrote ${files.length} files to ${dir} (server certificate for ${hosts.join(', ')}; valid ${days} days):`);
  for (const f of files) console.log(`  ${f}`);
  console.log('');
  printUsage(dir, hosts[0]!, nodes > 0 ? 'node-0' : undefined);
  if (values.namespace !== undefined && !values.k8s) fail('--namespace', 'only applies with --k8s');
  if (values.k8s) {
    if (values.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(values.namespace)) {
      fail('--namespace', `must be a DNS label (lower-case letters, digits, '-'), got '${values.namespace}'`);
    }
    const path = join(dir, K8S_SECRETS_FILE);
    writeFileSync(path, k8sSecretsYaml(dir, nodes, values.namespace), { mode: 0o600 });
    console.log(`\nKubernetes Secrets: ${path} (holds private keys: apply it, then delete it)\n  kubectl apply -f ${path}`);
  }
  if (saes.length > 0) printKmeUsage(dir, hosts[0]!, saes);
  return 0;
}

function sae(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, days: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) fail('ID', `give exactly one SAE ID, got ${positionals.length}`);
  if (values.out === undefined) fail('--out', "is required: the directory made by 'qfl certs'");
  const days = wholeNumber('--days', values.days, 1, 36_500) ?? DEFAULT_DAYS;
  const files = writeSaeCertificate(values.out, positionals[0]!, { days, force: values.force ?? false });
  console.log(`wrote ${files.join(' and ')}`);
  return 0;
}

function printKmeUsage(dir: string, host: string, saes: readonly string[]): void {
  const files = saeCertFiles(saes[0]!);
  console.log(`  qfl kme --sae ${saes.join(',')} --tls-dir ${dir}`);
  console.log(`  SAE ${saes[0]} calls https://${host.includes(':') ? `[${host}]` : host}:8443 with --cacert ${join(dir, CERT_FILES.caCert)} --cert ${join(dir, files.cert)} --key ${join(dir, files.key)}`);
}

function node(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, clients: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) fail('NAME', `give exactly one node name, got ${positionals.length}`);
  const name = positionals[0]!;
  if (values.out === undefined) fail('--out', "is required: the directory made by 'qfl certs'");
  const dir = values.out;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail('--out', `'${dir}' is not a directory; make it with 'qfl certs --out ${dir}'`);

  if (values.clients === undefined) fail('--clients', "is required: the client ids this key may host (0-2,7), or '*' for any");
  const clients = values.clients.trim() === '*' ? '*' : new Set(parseClientIds(values.clients, '--clients'));
  const publicKey = writeNodeKey(dir, name, clients);
  console.log(`wrote ${join(dir, nodeKeyFileName(name))} and added '${name} ${publicKey} ${formatClients(clients)}' to ${join(dir, ALLOWLIST_FILE)}`);
  console.log('');
  printUsage(dir, 'HOST', name);
  return 0;
}

function printUsage(dir: string, host: string, nodeName: string | undefined): void {
  const p = (f: string) => join(dir, f);
  const url = `https://${host.includes(':') ? `[${host}]` : host}:9092`;
  console.log('use them with:');
  console.log(`  qfl server CONFIG --tls-cert ${p(CERT_FILES.serverCert)} --tls-key ${p(CERT_FILES.serverKey)} --allowlist ${p(ALLOWLIST_FILE)}`);
  if (nodeName !== undefined) {
    console.log(`  qfl client --server ${url} --ca ${p(CERT_FILES.caCert)} --key ${p(nodeKeyFileName(nodeName))} ...`);
  } else {
    console.log(`  qfl client --server ${url} --ca ${p(CERT_FILES.caCert)} --key ${p('NAME.key')} ...`);
    console.log(`  (no node keys yet: add one with 'qfl certs node NAME --out ${dir}')`);
  }
  console.log(`keep ${p(CERT_FILES.caKey)} and the *.key files private; copy each node only ${p(CERT_FILES.caCert)} and its own key.`);
}

function wholeNumber(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) fail(flag, `must be a whole number in [${min}, ${max}], got '${raw}'`);
  return v;
}
