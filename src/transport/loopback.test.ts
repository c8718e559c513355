import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { stringify } from 'yaml';
import { readCheckpoint } from '../fl/checkpoint.js';
import type { RoundEvent } from '../experiments/events.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { runFederation } from '../experiments/runner.js';
import { validate } from '../experiments/validate.js';
import { generateNodeKey } from './auth.js';
import { writeDevCertificates } from './certs.js';
import { freePort, qfl, serverUrl, type Proc } from './testing.js';

/**
 * Real processes on 127.0.0.1: one `qfl server` and `qfl client` nodes, as a
 * user would start them on separate machines.
 */
const tmp = () => mkdtempSync(join(tmpdir(), 'qfl-deploy-'));

/** Fast clients (ms per fit) on generated 3-qubit data. */
const small = {
  name: 'small',
  seed: 5,
  data: { name: 'entanglement', qubits: 3, samples: 160 },
  model: { kind: 'qstate', layers: 2 },
  federation: { clients: 5, rounds: 3 },
  strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 2, fraction_evaluate: 0.4, min_evaluate_clients: 1 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0, client_timeout_s: 60 },
};

/** Clients that take a good part of a second per fit, so that a kill lands mid-round. */
const slow = {
  ...small,
  name: 'slow',
  seed: 7,
  data: { name: 'entanglement', qubits: 10, samples: 400 },
  model: { kind: 'qstate', layers: 6 },
  local: { epochs: 8, batch_size: 8, lr: 0.05 },
};

function writeConfig(dir: string, config: object): string {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

async function simulate(config: object): Promise<number[]> {
  const r = await runFederation({ config: validate(RunConfigSchema, config), runDir: tmp() });
  return [...r.params];
}

function rounds(runDir: string): RoundEvent[] {
  const lines = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  return lines.filter((e): e is RoundEvent => e.type === 'round');
}

const nodes = (url: string, ids: readonly number[], extra: readonly string[] = ['--insecure']): Proc[] =>
  ids.map((k) => qfl(['client', '--server', url, '--partition', String(k), '--name', `n${k}`, '--reconnect-timeout', '30', ...extra]));

async function finish(server: Proc, clients: readonly Proc[]): Promise<void> {
  const code = await server.exited;
  assert.equal(code, 0, `server failed:\n${server.lines.join('\n')}`);
  for (const c of clients) assert.equal(await c.exited, 0, `client failed:\n${c.lines.join('\n')}`);
}

test('a server and 5 client processes finish 3 rounds with the model of the in-process simulation', async () => {
  const dir = tmp();
  const runDir = join(dir, 'run');
  const server = qfl(['server', writeConfig(dir, small), '--insecure', '--port', '0', '--out', runDir, '--wait-timeout', '60']);
  const clients = nodes(await serverUrl(server), [0, 1, 2, 3, 4]);
  await finish(server, clients);
  assert.deepEqual([...readCheckpoint(runDir)!.params], await simulate(small));
  const events = rounds(runDir);
  assert.deepEqual(events.map((e) => e.fit.completed), [5, 5, 5]);
  assert.ok(events.every((e) => e.evaluate && e.evaluate.clients === 2), 'client-side evaluation ran on the nodes');
});

test('a client killed with SIGKILL mid-round is dropped; the round completes with the rest', async () => {
  const dir = tmp();
  const runDir = join(dir, 'run');
  const config = { ...slow, federation: { clients: 5, rounds: 2 } };
  const server = qfl(['server', writeConfig(dir, config), '--insecure', '--port', '0', '--out', runDir, '--heartbeat', '0.2', '--silence-timeout', '1.5']);
  const clients = nodes(await serverUrl(server), [0, 1, 2, 3, 4]);
  await clients[4]!.waitFor(/round 1: fit/);
  clients[4]!.child.kill('SIGKILL');
  assert.equal(await server.exited, 0, server.lines.join('\n'));
  const [r1, r2] = rounds(runDir);
  assert.equal(r1!.fit.completed, 4);
  assert.match(r1!.fit.failures.find((f) => f.clientId === 4)?.reason ?? '', /went silent/);
  assert.equal(r2!.fit.completed, 4);
  assert.match(r2!.fit.failures.find((f) => f.clientId === 4)?.reason ?? '', /no node hosts this client/);
  for (const c of clients.slice(0, 4)) assert.equal(await c.exited, 0);
});

test('a server killed with SIGKILL mid-run and restarted with --resume finishes with the uninterrupted result', async () => {
  const dir = tmp();
  const runDir = join(dir, 'run');
  const config = { ...slow, federation: { clients: 5, rounds: 3 } };
  const path = writeConfig(dir, config);
  const port = String(await freePort());
  const first = qfl(['server', path, '--insecure', '--port', port, '--out', runDir]);
  const clients = nodes(await serverUrl(first), [0, 1, 2, 3, 4]);
  await first.waitFor(/round 1\/3/);
  first.child.kill('SIGKILL');
  await first.exited;
  const second = qfl(['server', path, '--insecure', '--port', port, '--resume', runDir]);
  await finish(second, clients);
  assert.ok(clients.some((c) => c.lines.some((l) => /registering again/.test(l))), 'nodes re-registered by themselves');
  assert.deepEqual([...readCheckpoint(runDir)!.params], await simulate(config));
});

test('over TLS, allow-listed nodes join and a node with another key is refused', async () => {
  const dir = tmp();
  const certs = join(dir, 'certs');
  writeDevCertificates(certs, { hosts: ['127.0.0.1'], nodes: 2 });
  const intruderKey = join(dir, 'intruder.key');
  writeFileSync(intruderKey, generateNodeKey().privateKeyPem, { mode: 0o600 });
  const config = { ...small, federation: { clients: 2, rounds: 1 } };
  const runDir = join(dir, 'run');
  const server = qfl([
    'server', writeConfig(dir, config), '--host', '127.0.0.1', '--port', '0', '--out', runDir,
    '--tls-cert', join(certs, 'server.pem'), '--tls-key', join(certs, 'server-key.pem'), '--allowlist', join(certs, 'allowlist.txt'),
  ]);
  const url = await serverUrl(server);
  assert.match(url, /^https:/);
  const tls = (key: string) => ['--ca', join(certs, 'ca.pem'), '--key', key];
  const intruder = qfl(['client', '--server', url, '--partition', '0', ...tls(intruderKey)]);
  assert.equal(await intruder.exited, 1);
  assert.ok(intruder.lines.some((l) => /not on the server's allow-list/.test(l)), intruder.lines.join('\n'));
  const members = [0, 1].map((k) => qfl(['client', '--server', url, '--partition', String(k), ...tls(join(certs, `node-${k}.key`))]));
  await finish(server, members);
  assert.ok(server.lines.some((l) => /refused: node intruder/.test(l)), 'the refusal is logged');
});
