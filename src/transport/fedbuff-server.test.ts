import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { readCheckpoint } from '../fl/checkpoint.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { runFederation } from '../experiments/runner.js';
import { validate } from '../experiments/validate.js';
import { qfl, serverUrl } from './testing.js';

/** FedBuff over the network: a qfl server and 4 qfl client processes on loopback end with the simulation's model. */
const config = {
  name: 'fedbuff-server', seed: 6,
  data: { name: 'entanglement', qubits: 3, samples: 160 },
  model: { kind: 'qstate', layers: 2 },
  federation: { clients: 8, rounds: 4 },
  strategy: { name: 'fedbuff', buffer_size: 2, concurrency: 5, min_fit_clients: 1 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0, client_timeout_s: 60 },
};

test('qfl server runs FedBuff with nodes and ends with the model of qfl run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-fedbuff-server-'));
  try {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, stringify(config));
    const runDir = join(dir, 'run');
    const server = qfl(['server', path, '--insecure', '--port', '0', '--out', runDir, '--wait-timeout', '60', '--no-ui']);
    const url = await serverUrl(server);
    const nodes = [0, 1, 2, 3].map((i) => qfl(['client', '--server', url, '--insecure', '--partition-index', String(i), '--partitions-per-node', '2', '--reconnect-timeout', '30']));
    assert.equal(await server.exited, 0, server.lines.join('\n'));
    for (const n of nodes) assert.equal(await n.exited, 0, n.lines.join('\n'));
    const sim = await runFederation({ config: validate(RunConfigSchema, config), runDir: join(dir, 'sim') });
    assert.deepEqual([...readCheckpoint(runDir)!.params], [...sim.params]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
