import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundEvent } from '../experiments/events.js';
import { appConfigOf, runFederation } from '../experiments/runner.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { validate } from '../experiments/validate.js';
import { createClientApp } from '../experiments/client-app.js';
import { FleetServer } from '../transport/server.js';
import { fail } from '../util/errors.js';
import { fmt, printTable } from './timing.js';

/**
 * `qfl bench server`: a real `qfl server` federation (the runner over the
 * Fleet service on HTTP/2, insecure loopback) with N simulated nodes in a
 * second process, one connection and one client each, answering at once
 * with zero updates. Reports rounds per minute, wire bytes per round (all
 * HTTP/2 traffic the server's sockets saw), the server's CPU (this process:
 * the runner, aggregation and the RPC handlers) and its peak memory. Bounded:
 * at most 1000 nodes, and each size stops after `maxSeconds`.
 */
export const MAX_NODES = 1000;

export async function benchServer(opts: { nodes?: readonly number[]; rounds?: number; maxSeconds?: number; hidden?: readonly number[] } = {}): Promise<void> {
  const { nodes = [10, 100, 1000], rounds = 5, maxSeconds = 120, hidden = [64] } = opts;
  for (const n of nodes) if (!(Number.isInteger(n) && n >= 1 && n <= MAX_NODES)) fail('--nodes', `each count must be an integer in 1..${MAX_NODES}, got ${n}`);
  console.log('\n== qfl bench server ==');
  const rows: (string | number)[][] = [];
  let params = 0;
  for (const n of nodes) {
    const r = await one(n, rounds, maxSeconds, hidden);
    params = r.params;
    rows.push([n, r.rounds, fmt(r.roundsPerMinute), fmt(r.bytesPerRound / 2 ** 20), fmt(r.floatBytesPerRound / 2 ** 20), `${(100 * r.cpuShare).toFixed(0)} %`, fmt(r.peakRssMiB)]);
  }
  console.log(`MNIST 4x4, MLP 16-${hidden.join('-')}-10 (${params} parameters), FedAvg, all clients every round, no evaluation; simulated nodes answer at once with zero updates (no training)`);
  printTable(['nodes', 'rounds', 'rounds/min', 'MiB on the wire/round', 'MiB of float64 vectors/round', 'server CPU', 'server peak RSS MiB'], rows);
  console.log('server CPU = CPU seconds of the server process / wall seconds of the measured rounds (1 core = 100 %); round 1 (connections warming up) is not measured');
}

async function one(n: number, rounds: number, maxSeconds: number, hidden: readonly number[]) {
  const config = validate(RunConfigSchema, {
    name: `bench-server-${n}`,
    seed: 1,
    data: { name: 'mnist', downsample: [4, 4], train_limit: Math.max(6000, 10 * n), test_limit: 100 },
    model: { kind: 'mlp', hidden },
    federation: { clients: n, rounds: rounds + 1, partition: { kind: 'iid' }, test_fraction: 0 },
    strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: n, fraction_evaluate: 0 },
    local: { epochs: 1, batch_size: 32, lr: 0.01 },
    evaluation: { central: false },
    runtime: { workers: 0, client_timeout_s: 120 },
  });
  const app = createClientApp(appConfigOf(config));
  const params = app.model().paramCount;
  const server = new FleetServer({
    host: '127.0.0.1',
    port: 0,
    heartbeatIntervalS: 5,
    silenceTimeoutS: 120,
    maxMessageBytes: 1 << 30,
    run: { runId: `bench-${n}`, name: config.name, appConfigJson: '{}', pipelineJson: '[]', numClients: n, rounds: rounds + 1, numParameters: params },
  });
  const url = await server.listen();
  const dir = mkdtempSync(join(tmpdir(), 'qfl-bench-server-'));
  const loaders: ChildProcess[] = [];
  const perProcess = 250; // connections per load process
  for (let first = 0; first < n; first += perProcess) {
    loaders.push(fork(new URL('./server-load.js', import.meta.url), [url, String(first), String(Math.min(perProcess, n - first))], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }
  const stop = new AbortController();
  let measureFrom: { t: number; cpu: NodeJS.CpuUsage; bytes: { read: number; written: number } } | undefined;
  const timer = setTimeout(() => stop.abort(), maxSeconds * 1000);
  try {
    await server.fleet.waitForClients(Array.from({ length: n }, (_, i) => i), 120);
    const monitor = {
      event: (e: { type: string; round?: number }) => {
        if (e.type === 'round' && e.round === 1) measureFrom = { t: performance.now(), cpu: process.cpuUsage(), bytes: server.traffic() };
      },
    };
    const result = await runFederation({ config, runDir: dir, executor: server.executor(), monitor, signal: stop.signal });
    const t1 = performance.now();
    const cpu = process.cpuUsage(measureFrom!.cpu);
    const bytes = server.traffic();
    const measured = result.rounds - 1;
    const wall = (t1 - measureFrom!.t) / 1000;
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RoundEvent).filter((e) => e.type === 'round' && e.round > 1);
    await server.finish(10_000);
    return {
      params,
      rounds: measured,
      roundsPerMinute: (60 * measured) / wall,
      bytesPerRound: (bytes.read + bytes.written - measureFrom!.bytes.read - measureFrom!.bytes.written) / measured,
      floatBytesPerRound: events.reduce((s, e) => s + e.bytes.up + e.bytes.down, 0) / measured,
      cpuShare: (cpu.user + cpu.system) / 1e6 / wall,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    clearTimeout(timer);
    for (const l of loaders) l.kill();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
