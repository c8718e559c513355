import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ALLOWLIST_FILE } from './auth.js';
import { CERT_FILES } from './certs.js';

/**
 * The files of `qfl certs` as Kubernetes Secrets (deploy/k8s mounts them):
 *
 *   - qfl-server-tls  (kubernetes.io/tls): tls.crt, tls.key for the server;
 *   - qfl-ca          ca.crt, which every node pins;
 *   - qfl-allowlist   allowlist.txt, the node keys the server admits;
 *   - qfl-node-keys   node-0.key .. node-{N-1}.key: a node pod mounts it and
 *                     uses the key of its own completion index.
 *
 * The CA's private key stays out of the cluster. Every node pod can read every
 * node key in qfl-node-keys (an Indexed Job has one pod template); a cluster
 * that must keep nodes apart runs one Job per node with its own Secret.
 */
export const K8S_SECRET_NAMES = { serverTls: 'qfl-server-tls', ca: 'qfl-ca', allowlist: 'qfl-allowlist', nodeKeys: 'qfl-node-keys' } as const;
export const K8S_SECRETS_FILE = 'k8s-secrets.yaml';

const b64 = (path: string) => readFileSync(path).toString('base64');

function secret(name: string, data: Record<string, string>, namespace: string | undefined, type = 'Opaque'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, ...(namespace ? { namespace } : {}), labels: { 'app.kubernetes.io/part-of': 'qfl' } },
    type,
    data,
  };
}

/** Multi-document YAML of the Secrets for the certificates and `nodes` node keys in `dir`. */
export function k8sSecretsYaml(dir: string, nodes: number, namespace?: string): string {
  const docs = [
    secret(K8S_SECRET_NAMES.serverTls, { 'tls.crt': b64(join(dir, CERT_FILES.serverCert)), 'tls.key': b64(join(dir, CERT_FILES.serverKey)) }, namespace, 'kubernetes.io/tls'),
    secret(K8S_SECRET_NAMES.ca, { 'ca.crt': b64(join(dir, CERT_FILES.caCert)) }, namespace),
  ];
  if (nodes > 0) {
    docs.push(secret(K8S_SECRET_NAMES.allowlist, { [ALLOWLIST_FILE]: b64(join(dir, ALLOWLIST_FILE)) }, namespace));
    const keys: Record<string, string> = {};
    for (let i = 0; i < nodes; i++) keys[`node-${i}.key`] = b64(join(dir, `node-${i}.key`));
    docs.push(secret(K8S_SECRET_NAMES.nodeKeys, keys, namespace));
  }
  return docs.map((d) => stringify(d)).join('---\n');
}
