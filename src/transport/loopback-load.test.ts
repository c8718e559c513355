import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { stringify } from 'yaml';
import type { RoundEvent } from '../experiments/events.js';
import { qfl, serverUrl } from './testing.js';

/**
 * The loopback SIGKILL case on a machine whose every core is busy: one
 * CPU-burning process per core runs beside the server and the nodes. The
 * healthy nodes must keep their sessions (heartbeats are not starved by
 * training or by the server's own work); only the killed one is dropped.
 */
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const config = {
  name: 'load',
  seed: 7,
  data: { name: 'entanglement', qubits: 8, samples: 240 },
  model: { kind: 'qstate', layers: 4 },
  federation: { clients: 4, rounds: 2 },
  strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 2 },
  local: { epochs: 4, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0, client_timeout_s: 300, node_grace_s: 0 },
};

function burners(): ChildProcess[] {
  return Array.from({ length: 4 * availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

test('under CPU load, a killed client is dropped and the healthy ones are not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-load-'));
  dirs.push(dir);
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(config));
  const runDir = join(dir, 'run');
  const burn = burners();
  try {
    const server = qfl(['server', path, '--insecure', '--port', '0', '--no-ui', '--out', runDir, '--heartbeat', '0.2', '--silence-timeout', '1.5']);
    const url = await serverUrl(server);
    const nodes = [0, 1, 2, 3].map((k) => qfl(['client', '--server', url, '--insecure', '--partition', String(k), '--name', `n${k}`, '--reconnect-timeout', '60']));
    await nodes[3]!.waitFor(/round 1: fit/, 120_000).catch((e) => { throw new Error(`${(e as Error).message}\nserver:\n${server.lines.join("\n")}`); });
    nodes[3]!.child.kill('SIGKILL');
    assert.equal(await server.exited, 0, server.lines.join('\n'));
    for (const n of nodes.slice(0, 3)) assert.equal(await n.exited, 0, n.lines.join('\n'));
    // ('left' is how every node ends: it unregisters when the run is over.)
    const silent = server.lines.filter((l) => / dropped: went silent/.test(l));
    assert.ok(silent.length >= 1 && silent.every((l) => /node n3#/.test(l)), `only the killed node goes silent:\n${silent.join('\n')}`);
    const rounds = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RoundEvent).filter((e) => e.type === 'round');
    assert.deepEqual(rounds.map((r) => r.fit.completed), [3, 3]);
  } finally {
    for (const b of burn) b.kill('SIGKILL');
  }
});
