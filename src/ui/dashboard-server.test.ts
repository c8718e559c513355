import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import test from 'node:test';
import type { RunEvent } from '../experiments/events.js';
import { runFederation } from '../experiments/runner.js';
import { configYaml } from '../experiments/runner.js';
import { startDashboard } from './dashboard-server.js';
import { get, SseReader, tinyConfig, tmp } from './fixtures.js';
import type { DashboardInfo, RunList, RunSnapshot, StreamMessage } from './protocol.js';

/** One finished tiny run, shared by the tests that only read it. */
let finished: Promise<string> | undefined;
function finishedRun(): Promise<string> {
  finished ??= (async () => {
    const dir = join(tmp(), 'run');
    await runFederation({ config: tinyConfig(), runDir: dir });
    return dir;
  })();
  return finished;
}

/** A page folder with an index and a script, and a secret next to it that must never be served. */
function staticDir(): string {
  const base = tmp('qfl-ui-static-');
  const web = join(base, 'web');
  mkdirSync(join(web, 'sub', 'deep'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><p>index</p>');
  writeFileSync(join(web, 'app.js'), 'console.log("app")');
  writeFileSync(join(web, 'sub', 'x.js'), 'one level down');
  writeFileSync(join(web, 'sub', 'deep', 'y.js'), 'nested');
  writeFileSync(join(base, 'secret.txt'), 'SECRET');
  return web;
}

const json = async <T>(base: string, path: string): Promise<T> => {
  const r = await get(base, path);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  return JSON.parse(r.body) as T;
};

const isEvent = (type: RunEvent['type'], round?: number) => (m: StreamMessage) => m.kind === 'event' && m.event.type === type && (round === undefined || (m.event.type === 'round' && m.event.round === round));

test('a finished run directory is served read-only: info, snapshot, runs, stream; close ends the stream', async () => {
  const dir = await finishedRun();
  const ui = await startDashboard({ runDir: dir, port: 0, staticDir: staticDir() });
  try {
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const info = await json<DashboardInfo>(ui.url, '/api/info');
    assert.deepEqual({ mode: info.mode, name: info.name }, { mode: 'run', name: 'tiny' });
    const run = await json<RunSnapshot>(ui.url, '/api/run');
    assert.equal(run.mode, 'read-only');
    assert.equal(run.state, 'finished');
    assert.deepEqual(run.rounds.map((r) => r.round), [1, 2, 3]);
    assert.equal(run.start?.clients, 4);
    assert.match(run.config ?? '', /^name: tiny$/m);
    assert.equal(run.network, false);
    const list = await json<RunList>(ui.url, '/api/runs');
    assert.equal(list.runs.length, 1);
    assert.equal(list.runs[0]!.finalAccuracy, run.end?.final?.accuracy);
    assert.equal((await get(ui.url, '/api/network')).status, 404);
    assert.equal((await get(ui.url, '/api/run?run=other')).status, 404);

    const sse = await SseReader.open(ui.url, '/api/events');
    const first = await sse.until(() => true);
    assert.equal(first.kind, 'snapshot');
    assert.equal(first.kind === 'snapshot' && first.run.rounds.length, 3);
    await ui.close();
    await sse.until((m) => m.kind === 'closing');
    await sse.end();
  } finally {
    await ui.close();
  }
  await assert.rejects(get(ui.url, '/api/info'), /ECONNREFUSED/);
});

test('only the page folder’s own files are served (one folder level: join/): paths out of it, deeper files and other methods are refused', async () => {
  const dir = await finishedRun();
  const ui = await startDashboard({ runDir: dir, port: 0, staticDir: staticDir() });
  try {
    const index = await get(ui.url, '/');
    assert.equal(index.status, 200);
    assert.match(index.body, /index/);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    const app = await get(ui.url, '/app.js');
    assert.equal(app.status, 200);
    assert.match(String(app.headers['content-type']), /^text\/javascript/);
    assert.equal(app.headers['x-content-type-options'], 'nosniff');
    for (const path of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/app.js/../../secret.txt', '/..\\secret.txt', '//etc/passwd', '/sub/deep/y.js', '/sub%2fdeep%2fy.js', '/sub/../../secret.txt', '/index.html%00', '/events.jsonl', '/config.yaml']) {
      const r = await get(ui.url, path);
      assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, /SECRET|nested|"type":"start"/, path);
    }
    const sub = await get(ui.url, '/sub/x.js');
    assert.equal(sub.status, 200);
    assert.equal(sub.body, 'one level down');
    assert.equal((await get(ui.url, '/sub')).status, 404, 'a folder without index.html');
    assert.equal((await get(ui.url, '/api/info', { method: 'POST' })).status, 405);
    assert.equal((await get(ui.url, '/api/info', { method: 'DELETE' })).status, 405);
    // On a loopback address only local host names are answered (DNS rebinding).
    assert.equal((await get(ui.url, '/api/info', { headers: { Host: 'evil.example:80' } })).status, 403);
    assert.equal((await get(ui.url, '/api/info', { headers: { Host: 'localhost' } })).status, 200);
  } finally {
    await ui.close();
  }
});

test('another service can be mounted under a path prefix (any method); the dashboard keeps the rest', async () => {
  const dir = await finishedRun();
  const ui = await startDashboard({
    runDir: dir,
    port: 0,
    staticDir: staticDir(),
    mounts: [{ prefix: '/svc.v1.Echo/', handle: (req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`${req.method} ${req.url}`) }],
  });
  try {
    assert.equal((await get(ui.url, '/svc.v1.Echo/Say', { method: 'POST' })).body, 'POST /svc.v1.Echo/Say');
    assert.equal((await get(ui.url, '/svc.v1.Echo', { method: 'POST' })).status, 405);
    assert.equal((await get(ui.url, '/svc.v1.Echo/Say', { headers: { Host: 'evil.example' } })).status, 403);
  } finally {
    await ui.close();
  }
  await assert.rejects(startDashboard({ runDir: dir, port: 0, mounts: [{ prefix: '/api/x', handle: () => undefined }] }), /mounts: prefix '\/api\/x' must start with/);
});

test('browsing a directory of runs: a tree of runs is listed, and run ids outside it are refused', async () => {
  const src = await finishedRun();
  const root = tmp('qfl-ui-runs-');
  cpSync(src, join(root, 'sweep', 'p2'), { recursive: true });
  cpSync(src, join(root, 'sweep', 'p10'), { recursive: true });
  cpSync(src, join(root, 'single'), { recursive: true });
  mkdirSync(join(root, 'empty'));
  cpSync(src, join(root, 'sweep', 'plots'), { recursive: true }); // report plots, never a run
  const outside = tmp('qfl-ui-outside-');
  cpSync(src, join(outside, 'run'), { recursive: true });
  symlinkSync(join(outside, 'run'), join(root, 'link'));
  const ui = await startDashboard({ runDir: root, port: 0, staticDir: staticDir() });
  try {
    assert.equal((await json<DashboardInfo>(ui.url, '/api/info')).mode, 'browse');
    const list = await json<RunList>(ui.url, '/api/runs');
    assert.deepEqual(list.runs.map((r) => r.id), ['single', 'sweep/p2', 'sweep/p10']);
    assert.deepEqual(list.runs.map((r) => r.state), ['finished', 'finished', 'finished']);
    assert.equal(list.runs[0]!.rounds, 3);
    const one = await json<RunSnapshot>(ui.url, '/api/run?run=sweep%2Fp10');
    assert.equal(one.id, 'sweep/p10');
    assert.equal(one.rounds.length, 3);
    for (const id of ['', '..', '../run', `${outside}/run`, 'sweep/../single', 'sweep/./p2', 'link', 'empty', 'sweep', 'sweep\\p2', 'single%00']) {
      const r = await get(ui.url, `/api/run?run=${encodeURIComponent(id)}`);
      assert.equal(r.status, 404, `run id ${JSON.stringify(id)}: ${r.status}`);
      assert.equal((await get(ui.url, `/api/events?run=${encodeURIComponent(id)}`)).status, 404);
    }
  } finally {
    await ui.close();
  }
});

test('the stream delivers events appended to events.jsonl by another process, a line once it is complete', async () => {
  const lines = readFileSync(join(await finishedRun(), 'events.jsonl'), 'utf8').trim().split('\n');
  const dir = tmp();
  writeFileSync(join(dir, 'config.yaml'), configYaml(tinyConfig()));
  writeFileSync(join(dir, 'events.jsonl'), lines[0]! + '\n');
  const ui = await startDashboard({ runDir: dir, port: 0, pollMs: 20, staticDir: staticDir() });
  try {
    const sse = await SseReader.open(ui.url, '/api/events');
    const snap = await sse.until((m) => m.kind === 'snapshot');
    assert.ok(snap.kind === 'snapshot' && snap.run.state === 'running' && snap.run.rounds.length === 0);
    const round1 = lines[1]!;
    appendFileSync(join(dir, 'events.jsonl'), round1.slice(0, 40));
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(!sse.messages.some(isEvent('round')), 'half a line is not an event');
    appendFileSync(join(dir, 'events.jsonl'), round1.slice(40) + '\n');
    await sse.until(isEvent('round', 1));
    appendFileSync(join(dir, 'events.jsonl'), lines.slice(2).join('\n') + '\n');
    await sse.until(isEvent('round', 3));
    await sse.until(isEvent('end'));
    await sse.until((m) => m.kind === 'state' && m.state === 'finished');
    const run = await json<RunSnapshot>(ui.url, '/api/run');
    assert.deepEqual(run.rounds.map((r) => r.round), [1, 2, 3]);
    sse.destroy();
  } finally {
    await ui.close();
  }
});

test('a live run feeds the dashboard: config, client statuses and rounds as they happen, then the end', async () => {
  const dir = join(tmp(), 'live');
  const ui = await startDashboard({ runDir: dir, live: true, port: 0, staticDir: staticDir() });
  try {
    const sse = await SseReader.open(ui.url, '/api/events');
    const snap = await sse.until((m) => m.kind === 'snapshot');
    assert.ok(snap.kind === 'snapshot' && snap.run.state === 'waiting' && snap.run.mode === 'live');
    const result = await runFederation({ config: tinyConfig(), runDir: dir, monitor: ui.monitor });
    await sse.until(isEvent('end'));
    const kinds = sse.messages.map((m) => (m.kind === 'event' ? m.event.type : m.kind === 'client' ? `client:${m.status}` : m.kind));
    assert.equal(kinds[0], 'snapshot');
    assert.ok(kinds.indexOf('config') > 0 && kinds.indexOf('config') < kinds.indexOf('client:training'), kinds.join(' '));
    // Round 1: three clients sampled, each reported training then done, before the round's event.
    const round1 = sse.messages.filter((m): m is Extract<StreamMessage, { kind: 'client' }> => m.kind === 'client' && m.round === 1);
    assert.equal(round1.filter((m) => m.status === 'training').length, 3);
    assert.equal(round1.filter((m) => m.status === 'done').length, 3);
    assert.ok(kinds.lastIndexOf('client:done') < kinds.lastIndexOf('round'));
    assert.equal(kinds.filter((k) => k === 'round').length, 3);
    await sse.until((m) => m.kind === 'state' && m.state === 'finished');
    const run = await json<RunSnapshot>(ui.url, '/api/run');
    assert.equal(run.state, 'finished');
    assert.equal(run.live, undefined);
    assert.equal(run.end?.final?.accuracy, result.final?.accuracy);
    await ui.close();
    await sse.until((m) => m.kind === 'closing');
    await sse.end();
  } finally {
    await ui.close();
  }
});

function hold(port: number): Promise<Server | undefined> {
  return new Promise((ok) => {
    const s = createServer();
    s.once('error', () => ok(undefined));
    s.listen(port, '127.0.0.1', () => ok(s));
  });
}

test('a taken port moves on to the next; a port asked for whose next ones are all taken is an error; a foreign address is refused', async () => {
  const dir = await finishedRun();
  const first = (await hold(0))!;
  const port = (first.address() as { port: number }).port;
  const ui = await startDashboard({ runDir: dir, port, staticDir: staticDir() });
  const got = Number(new URL(ui.url).port);
  await ui.close();
  assert.ok(got > port && got < port + 10, `port ${got} after ${port}`);
  const held = [first, ...(await Promise.all(Array.from({ length: 9 }, (_, k) => hold(port + 1 + k))))];
  try {
    await assert.rejects(startDashboard({ runDir: dir, port, staticDir: staticDir() }), new RegExp(`^QflError: port: ${port}-${port + 9} are all in use`));
  } finally {
    for (const s of held) s?.close();
  }
  await assert.rejects(startDashboard({ runDir: dir, port: 0, host: '203.0.113.7' }), /host: cannot listen on '203\.0\.113\.7'/);
  await assert.rejects(startDashboard({ runDir: join(dir, 'nope'), port: 0 }), /nope: no such directory/);
});
