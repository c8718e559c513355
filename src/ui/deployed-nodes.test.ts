import assert from 'node:assert/strict';
import { get } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { stringify } from 'yaml';
import { qfl, serverUrl } from '../transport/testing.js';
import type { FleetNodeView, StreamMessage } from './protocol.js';

/**
 * The dashboard of a `qfl server` run lists its nodes: a real server and
 * node process on loopback, the page's event stream read as the page reads
 * it. The node shows up connected with its clients, then disconnected once
 * the run is over, before the dashboard closes.
 */
const config = {
  name: 'nodes',
  seed: 2,
  data: { name: 'entanglement', qubits: 3, samples: 120 },
  model: { kind: 'qstate', layers: 2 },
  federation: { clients: 3, rounds: 2 },
  strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 3 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0, client_timeout_s: 60 },
};

/** Every message of the dashboard's event stream, as it comes; `until` resolves once one matches. */
function follow(url: string) {
  const got: StreamMessage[] = [];
  const waiters: { match: (m: StreamMessage) => boolean; resolve: (m: StreamMessage) => void }[] = [];
  const req = get(url, (res) => {
    let rest = '';
    res.on('data', (d: Buffer) => {
      rest += d.toString();
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        if (!l.startsWith('data: ')) continue;
        const m = JSON.parse(l.slice(6)) as StreamMessage;
        got.push(m);
        for (const w of [...waiters]) if (w.match(m)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(m);
      }
    });
  });
  req.on('error', () => undefined);
  return {
    got,
    close: () => req.destroy(),
    until(match: (m: StreamMessage) => boolean, what: string, timeoutMs = 60_000): Promise<StreamMessage> {
      const seen = got.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(got.map((m) => m.kind))}`)), timeoutMs);
        waiters.push({ match, resolve: (m) => (clearTimeout(t), resolve(m)) });
      });
    },
  };
}

const nodesOf = (m: StreamMessage): readonly FleetNodeView[] => (m.kind === 'nodes' ? m.nodes : m.kind === 'snapshot' ? (m.run.nodes ?? []) : []);

test('the dashboard of qfl server lists its nodes: connected with their clients and last-seen time, then disconnected', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-ui-nodes-'));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(config));
  const server = qfl(['server', path, '--insecure', '--port', '0', '--ui-port', '0', '--out', join(dir, 'run'), '--wait-timeout', '60']);
  try {
    const url = await serverUrl(server);
    const dashboard = /dashboard: (\S+)/.exec(await server.waitFor(/dashboard: http/))![1]!;
    const stream = follow(`${dashboard}api/events?run=`);
    try {
      await stream.until((m) => m.kind === 'snapshot', 'snapshot');
      const before = Date.now();
      const a = qfl(['client', '--server', url, '--insecure', '--partition', '0-1', '--name', 'alpha']);
      const joined = await stream.until((m) => nodesOf(m).some((n) => n.name === 'alpha' && n.connected), 'alpha connected');
      const alpha = nodesOf(joined).find((n) => n.name === 'alpha')!;
      assert.deepEqual([alpha.kind, alpha.clientIds], ['node', [0, 1]]);
      assert.match(alpha.id, /^alpha#\d+$/);
      // Whole seconds, so up to 1 s before the client started.
      assert.ok(Date.parse(alpha.lastSeen) >= before - 1000 && Date.parse(alpha.lastSeen) <= Date.now(), alpha.lastSeen);
      const b = qfl(['client', '--server', url, '--insecure', '--partition', '2', '--name', 'beta']);
      await stream.until((m) => nodesOf(m).filter((n) => n.connected).length === 2, 'both nodes connected');
      const gone = await stream.until((m) => nodesOf(m).length === 2 && nodesOf(m).every((n) => !n.connected), 'both nodes disconnected after the run');
      assert.deepEqual(nodesOf(gone).map((n) => [n.name, n.clientIds]), [['alpha', [0, 1]], ['beta', [2]]]);
      await stream.until((m) => m.kind === 'closing', 'closing');
      assert.equal(await server.exited, 0, server.lines.join('\n'));
      assert.equal(await a.exited, 0);
      assert.equal(await b.exited, 0);
    } finally {
      stream.close();
    }
  } finally {
    server.child.kill();
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
