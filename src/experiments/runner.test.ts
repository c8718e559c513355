import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { readCheckpoint } from '../fl/checkpoint.js';
import { RunConfigSchema, type RunConfig } from './run-schema.js';
import { runFederation } from './runner.js';
import { validate } from './validate.js';

/** A small, fast federation on generated 3-qubit quantum data. */
function smallConfig(overrides: Record<string, unknown> = {}): RunConfig {
  return validate(RunConfigSchema, {
    name: 'small',
    seed: 5,
    data: { name: 'entanglement', qubits: 3, samples: 160 },
    model: { kind: 'qstate', layers: 2 },
    federation: { clients: 4, rounds: 4, partition: { kind: 'dirichlet', alpha: 1 } },
    strategy: { name: 'fedadam', fraction_fit: 0.75, min_fit_clients: 2, server_lr: 0.05, fraction_evaluate: 0.5, min_evaluate_clients: 1 },
    local: { epochs: 1, batch_size: 8, lr: 0.05 },
    runtime: { workers: 0 },
    ...overrides,
  });
}

const tmp = () => mkdtempSync(join(tmpdir(), 'qfl-run-'));

test('a run writes config, events, checkpoint; an interrupted run resumed ends bit-identical', async () => {
  const config = smallConfig();
  const full = await runFederation({ config, runDir: tmp() });
  assert.equal(full.rounds, 4);

  const dir = tmp();
  const stop = new AbortController();
  const progress = { update: () => {}, done: () => {}, log: (l: string) => l.includes('round 2/4') && stop.abort() };
  const first = await runFederation({ config, runDir: dir, progress, signal: stop.signal });
  assert.equal(first.stopped, true);
  assert.equal(readCheckpoint(dir)!.round, 2);
  const resumed = await runFederation({ config, runDir: dir, resume: true });
  assert.equal(resumed.rounds, 4);
  assert.deepEqual([...resumed.params], [...full.params]);

  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; round?: number });
  assert.deepEqual(events.map((e) => e.type), ['start', 'round', 'round', 'start', 'round', 'round', 'end']);
  assert.ok(existsSync(join(dir, 'config.yaml')));
});

test('clients in a worker pool give the same model as clients in-process', async () => {
  const a = await runFederation({ config: smallConfig({ federation: { clients: 4, rounds: 2 } }), runDir: tmp() });
  const pooled = smallConfig({ federation: { clients: 4, rounds: 2 }, runtime: { workers: 2 } });
  const b = await runFederation({ config: pooled, runDir: tmp() });
  assert.deepEqual([...b.params], [...a.params]);
});

test('resume refuses a different config', async () => {
  const dir = tmp();
  await runFederation({ config: smallConfig({ federation: { clients: 4, rounds: 1 } }), runDir: dir });
  await assert.rejects(
    runFederation({ config: smallConfig({ federation: { clients: 4, rounds: 1 }, seed: 6 }), runDir: dir, resume: true }),
    /--resume: the config differs from .*config\.yaml beyond its runtime section/,
  );
});

test('a round without enough results is retried, then the run stops with the reasons', async () => {
  const config = smallConfig({ runtime: { workers: 0, client_timeout_s: 1e-9, retries: 1 } });
  await assert.rejects(runFederation({ config, runDir: tmp() }), (e: Error) => {
    assert.match(e.message, /^round 1: only 0 of 3 clients returned a usable update \(min_fit_clients is 2\) after 2 attempts; failures: client \d+: timeout after/);
    return true;
  });
});

test('kill -9 of a real qfl run, then --resume, ends with the same model as an uninterrupted run', async () => {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const dir = tmp();
  const raw = {
    name: 'killed',
    seed: 2,
    data: { name: 'entanglement', qubits: 5, samples: 600 },
    model: { kind: 'qstate', layers: 3 },
    federation: { clients: 3, rounds: 6 },
    local: { epochs: 2, batch_size: 4, lr: 0.05 },
    runtime: { workers: 0 },
  };
  const cfg = join(dir, 'c.yaml');
  writeFileSync(cfg, stringify(raw));
  const runDir = join(dir, 'run');
  const child = spawn(process.execPath, [cli, 'run', cfg, '--out', runDir, '--quiet'], { stdio: 'ignore' });
  // Kill as soon as two rounds are on disk.
  const events = join(runDir, 'events.jsonl');
  const rounds = () => (existsSync(events) ? readFileSync(events, 'utf8').split('"type":"round"').length - 1 : 0);
  const deadline = Date.now() + 60_000;
  while (rounds() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  const saved = readCheckpoint(runDir);
  assert.ok(saved && saved.round >= 1 && saved.round < 6, `killed mid-run (checkpoint after round ${saved?.round})`);

  const resumed = spawnSync(process.execPath, [cli, 'run', cfg, '--resume', runDir, '--quiet'], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  const whole = join(dir, 'whole');
  const again = spawnSync(process.execPath, [cli, 'run', cfg, '--out', whole, '--quiet'], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(readCheckpoint(runDir)!.round, 6);
  assert.deepEqual([...readCheckpoint(runDir)!.params], [...readCheckpoint(whole)!.params]);
});

test('federated adversarial training: the chosen share of clients trains on attacks; robust accuracy is recorded per round', async () => {
  const config = smallConfig({
    federation: { clients: 5, rounds: 2 },
    adversarial: { coverage: 0.4, attack: 'fgsm', eps: 0.1, share: 0.5 },
    evaluation: { robust: { attacks: ['fgsm', 'pgd'], epsilons: [0, 0.05, 0.3], limit: 20, steps: 2 } },
  });
  const dir = tmp();
  const plain = await runFederation({ config: smallConfig({ federation: { clients: 5, rounds: 2 } }), runDir: tmp() });
  const adv = await runFederation({ config, runDir: dir });
  // Adversarial batches change what the chosen clients learn.
  assert.notDeepEqual([...adv.params], [...plain.params]);
  const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal((lines[0]!['adversarialClients'] as number[]).length, 2);
  const round = lines.find((e) => e['type'] === 'round') as { robust: { attack: string; points: { eps: number; accuracy: number }[] }[]; central: { accuracy: number } };
  assert.deepEqual(round.robust.map((r) => r.attack), ['fgsm', 'pgd']);
  assert.deepEqual(round.robust[0]!.points.map((p) => p.eps), [0, 0.05, 0.3]);
  // Quantum-state attacks at radius 0 leave the accuracy as it is.
  for (const r of round.robust) assert.ok(r.points[0]!.accuracy >= 0 && r.points[0]!.accuracy <= 1);
  assert.equal(round.robust[0]!.points[0]!.accuracy, round.robust[1]!.points[0]!.accuracy);
});

test('evaluation.robust.every attacks every k-th round and always after the last one', async () => {
  const dir = tmp();
  const config = smallConfig({ federation: { clients: 2, rounds: 3 }, evaluation: { robust: { attacks: ['fgsm'], epsilons: [0.1], limit: 10, every: 2 } } });
  await runFederation({ config, runDir: dir });
  const rounds = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; round: number; robust?: unknown }).filter((e) => e.type === 'round');
  assert.deepEqual(rounds.map((e) => e.robust !== undefined), [false, true, true]);
});

test('secure aggregation: 16-bit masked sums give nearly the plain model; keys, dropouts and traffic are recorded', async () => {
  const fed = { clients: 4, rounds: 2 };
  const plain = await runFederation({ config: smallConfig({ federation: fed, strategy: { name: 'fedavg', min_fit_clients: 2 } }), runDir: tmp() });
  const dir = tmp();
  const secure = await runFederation({
    config: smallConfig({ federation: fed, strategy: { name: 'fedavg', min_fit_clients: 2 }, secure_aggregation: { bits: 16, clip: 1, rounding: 'deterministic' } }),
    runDir: dir,
  });
  // The masked mean is unweighted; with equal-sized IID partitions the difference is quantization and weighting only.
  const gap = Math.max(...secure.params.map((v, i) => Math.abs(v - plain.params[i]!)));
  assert.ok(gap < 0.05, `secure vs plain parameters differ by ${gap}`);
  const rounds = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; secure?: { keyBits: number; survivors: number; bits: number } });
  const r = rounds.filter((e) => e.type === 'round');
  assert.equal(r.length, 2);
  for (const e of r) {
    assert.equal(e.secure!.bits, 16);
    assert.equal(e.secure!.survivors, 4);
    assert.ok(e.secure!.keyBits > 0);
  }
});

test('secure aggregation refuses a round that lacks key when told to', async () => {
  const config = smallConfig({
    federation: { clients: 3, rounds: 1 },
    strategy: { name: 'fedavg', min_fit_clients: 2 },
    secure_aggregation: { bits: 8, key_rate_bps: 1, on_key_shortage: 'refuse' },
  });
  await assert.rejects(runFederation({ config, runDir: tmp() }), /round 1: secure aggregation lacks key on 3 pair\(s\)/);
});

test('configs that cannot work together are refused at validation', () => {
  assert.throws(
    () => smallConfig({ secure_aggregation: { bits: 8 }, strategy: { name: 'fedavg', aggregator: { name: 'median' } } }),
    /secure_aggregation: cannot be combined with a robust aggregator/,
  );
});

test('a semi-asynchronous federation over a network: late updates join the next round; resume is bit-identical', async () => {
  const network = {
    server: 'gs',
    clients: ['a', 'b', 'c'],
    samples_per_second: 10,
    deadline_s: 3.5,
    nodes: [
      { kind: 'ground', id: 'gs', latDeg: 0, lonDeg: 0 },
      { kind: 'uav', id: 'a', altKm: 1, mobility: { model: 'hover', at: { latDeg: 0.1, lonDeg: 0 } } },
      { kind: 'uav', id: 'b', altKm: 1, mobility: { model: 'hover', at: { latDeg: -0.1, lonDeg: 0 } } },
      { kind: 'uav', id: 'c', altKm: 1, mobility: { model: 'hover', at: { latDeg: 0, lonDeg: 0.1 } } },
    ],
  };
  const config = smallConfig({ federation: { clients: 3, rounds: 4, partition: { kind: 'dirichlet', alpha: 0.3 } }, strategy: { name: 'fedavg', min_fit_clients: 1 }, network });
  const full = await runFederation({ config, runDir: tmp() });
  const dir = tmp();
  const events = readFileSync(join((await runFederation({ config, runDir: dir })).runDir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; network?: { endS: number; clients: { late: boolean }[] } });
  const rounds = events.filter((e) => e.type === 'round');
  assert.ok(rounds.some((e) => e.network!.clients.some((t) => t.late)), 'some client misses the deadline');
  assert.ok(rounds.every((e, i) => i === 0 || e.network!.endS > rounds[i - 1]!.network!.endS));
  const stopDir = tmp();
  const stop = new AbortController();
  await runFederation({ config, runDir: stopDir, signal: stop.signal, progress: { update: () => {}, done: () => {}, log: (l) => l.includes('round 2/4') && stop.abort() } });
  const resumed = await runFederation({ config, runDir: stopDir, resume: true });
  assert.deepEqual([...resumed.params], [...full.params]);
});
