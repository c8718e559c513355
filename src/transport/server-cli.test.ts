import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { stringify } from 'yaml';
import { systemErrorLine } from '../cli/system-errors.js';
import { startDashboard } from '../ui/dashboard-server.js';
import { writeDevCertificates } from './certs.js';
import { qfl, serverUrl } from './testing.js';

/** `qfl server` as a user starts it: TLS and the dashboard port, resume checks, system errors. */
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qfl-servercli-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const small = {
  name: 'cli',
  seed: 5,
  data: { name: 'entanglement', qubits: 3, samples: 120 },
  model: { kind: 'qstate', layers: 1 },
  federation: { clients: 2, rounds: 1 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0 },
};
const writeConfig = (dir: string, name: string, c: object) => {
  const p = join(dir, name);
  writeFileSync(p, stringify(c));
  return p;
};

test('with TLS on, the dashboard is HTTPS with the server certificate: no plain path to the Fleet service, and over TLS it checks node keys', async () => {
  const dir = tmp();
  const certs = join(dir, 'certs');
  writeDevCertificates(certs, { hosts: ['127.0.0.1'], nodes: 1 });
  const server = qfl([
    'server', writeConfig(dir, 'c.yaml', small), '--host', '127.0.0.1', '--port', '0', '--out', join(dir, 'run'), '--ui-port', '0',
    '--tls-cert', join(certs, 'server.pem'), '--tls-key', join(certs, 'server-key.pem'), '--allowlist', join(certs, 'allowlist.txt'),
  ]);
  try {
    await serverUrl(server);
    const line = await server.waitFor(/^dashboard: /);
    const ui = new URL(/dashboard: (\S+)/.exec(line)![1]!);
    assert.equal(ui.protocol, 'https:', line);
    const body = '{"name":"intruder","publicKey":""}';
    // Plain HTTP/1.1 to the same port: the TLS server never hands it to the Fleet service.
    const plain = await fetch(`http://127.0.0.1:${ui.port}/qfl.fleet.v1.FleetService/GetChallenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.notEqual(plain, 200, 'a node must not reach the Fleet service over plain HTTP/1.1');
    // Over TLS (pinning the dev CA) the Fleet service answers, and refuses a name that is not allow-listed.
    const { request } = await import('node:https');
    const { readFileSync } = await import('node:fs');
    const tls = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: ui.port, path: '/qfl.fleet.v1.FleetService/GetChallenge', method: 'POST', ca: readFileSync(join(certs, 'ca.pem')), headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    assert.notEqual(tls.status, 200, tls.text);
    assert.match(tls.text, /allow-list/);
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
  }
});

test('the dashboard on 0.0.0.0 still refuses a foreign Host header (DNS rebinding)', async () => {
  const ui = await startDashboard({ runDir: tmp(), host: '0.0.0.0', port: 0 });
  try {
    const port = new URL(ui.url).port;
    const get = (host: string) => new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/info', headers: { Host: host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    assert.equal(await get('evil.example'), 403);
    assert.equal(await get(`127.0.0.1:${port}`), 200);
  } finally {
    await ui.close();
  }
});

test('qfl server --resume with another run\'s config is refused before it listens', async () => {
  const dir = tmp();
  const runDir = join(dir, 'run');
  writeFileSync(join(dir, 'placeholder'), '');
  const first = qfl(['run', writeConfig(dir, 'a.yaml', small), '--out', runDir, '--quiet', '--no-ui']);
  assert.equal(await first.exited, 0, first.lines.join('\n'));
  const other = qfl(['server', writeConfig(dir, 'b.yaml', { ...small, seed: 6 }), '--insecure', '--port', '0', '--no-ui', '--resume', runDir]);
  assert.equal(await other.exited, 1);
  assert.ok(other.lines.some((l) => /--resume: the config differs/.test(l)), other.lines.join('\n'));
  assert.ok(!other.lines.some((l) => /listening on/.test(l)), 'it never listened');
});

test('a port in use is one line naming the port, not a stack trace', async () => {
  const dir = tmp();
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  try {
    const p = qfl(['server', writeConfig(dir, 'c.yaml', small), '--insecure', '--port', String(port), '--no-ui', '--out', join(dir, 'run')]);
    assert.equal(await p.exited, 1);
    const errors = p.lines.filter((l) => /EADDRINUSE/.test(l));
    assert.deepEqual(errors, [`qfl server: 127.0.0.1:${port}: the port is in use (another process listens there; give another with --port, or 0 for any) (EADDRINUSE)`]);
    assert.ok(!p.lines.some((l) => /^\s+at /.test(l)), p.lines.join('\n'));
  } finally {
    blocker.close();
  }
});

test('disk full and read-only directories are one line naming the path', () => {
  const err = (code: string, path: string) => Object.assign(new Error(`${code}: x, write`), { code, path, syscall: 'write' });
  assert.equal(systemErrorLine(err('ENOSPC', 'runs/a/events.jsonl'), 'run'), 'qfl run: runs/a/events.jsonl: no space left on the device (ENOSPC)');
  assert.equal(systemErrorLine(err('EROFS', 'runs/a'), 'run'), 'qfl run: runs/a: the file system is read-only (EROFS)');
  assert.equal(systemErrorLine(new Error('other'), 'run'), undefined);
});
