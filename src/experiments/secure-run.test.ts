import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { readCheckpoint } from '../fl/checkpoint.js';
import { KeyPool } from '../qnet/key-pool.js';
import type { RoundEvent } from './events.js';
import { RunConfigSchema, type RunConfig } from './run-schema.js';
import { runFederation } from './runner.js';
import { validate } from './validate.js';

/** Secure aggregation inside whole runs: weighted means, retries, key use across resume, workers. */
function config(overrides: Record<string, unknown> = {}): RunConfig {
  return validate(RunConfigSchema, {
    name: 'secure',
    seed: 11,
    data: { name: 'entanglement', qubits: 3, samples: 240 },
    model: { kind: 'qstate', layers: 2 },
    federation: { clients: 6, rounds: 2, partition: { kind: 'dirichlet', alpha: 0.5 } },
    strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 3 },
    local: { epochs: 1, batch_size: 8, lr: 0.05 },
    evaluation: { central: false },
    runtime: { workers: 0 },
    ...overrides,
  });
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qfl-secure-'));
  dirs.push(d);
  return d;
};
test.after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const roundsOf = (dir: string): RoundEvent[] =>
  readFileSync(join(dir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RoundEvent)
    .filter((e) => e.type === 'round');

test('under masking the mean is FedAvg\'s weighted mean, to quantization error; unweighted it is not', async () => {
  const one = { clients: 6, rounds: 1, partition: { kind: 'dirichlet', alpha: 0.3 } };
  const plain = await runFederation({ config: config({ federation: one }), runDir: tmp() });
  const sa = { bits: 16, clip: 1, rounding: 'deterministic' };
  const dir = tmp();
  const weighted = await runFederation({ config: config({ federation: one, secure_aggregation: sa }), runDir: dir });
  const unweighted = await runFederation({ config: config({ federation: one, secure_aggregation: { ...sa, weighted: false } }), runDir: tmp() });
  const e = roundsOf(dir)[0]!;
  const sizes = e.clients.map((c) => c.numExamples);
  const N = sizes.reduce((a, b) => a + b, 0);
  const W = Math.max(...sizes);
  // Each client's scaled delta is off by at most c / L = 1 / 65535; the mean by W m c / (L N).
  const bound = (W * sizes.length) / (65535 * N);
  const gap = (p: Float64Array) => Math.max(...p.map((v, i) => Math.abs(v - plain.params[i]!)));
  assert.ok(gap(weighted.params) <= bound * (1 + 1e-9), `weighted gap ${gap(weighted.params)} > bound ${bound}`);
  assert.ok(gap(unweighted.params) > 10 * bound, `unweighted gap ${gap(unweighted.params)} should exceed the bound ${bound}`);
  assert.equal(e.secure!.survivors, 6);
});

test('secure aggregation gives bit-identical models in-process and in a worker pool', async () => {
  const sa = { secure_aggregation: { bits: 8, rounding: 'stochastic', dropout: 0.2 } };
  const a = await runFederation({ config: config(sa), runDir: tmp() });
  const b = await runFederation({ config: config({ ...sa, runtime: { workers: 2 } }), runDir: tmp() });
  assert.deepEqual([...b.params], [...a.params]);
});

test('dropout 0.25 with 6 clients: rounds that lose too many clients are retried with a fresh sample, and the run finishes', async () => {
  const dir = tmp();
  const r = await runFederation({ config: config({ federation: { clients: 6, rounds: 12 }, secure_aggregation: { bits: 8, dropout: 0.25 } }), runDir: dir });
  assert.equal(r.rounds, 12);
  const rounds = roundsOf(dir);
  const attempts = rounds.map((e) => e.secure!.attempts!);
  assert.ok(attempts.some((a) => a > 1), `no round needed a retry: ${attempts.join(', ')}`);
  for (const e of rounds) assert.ok(e.secure!.survivors >= e.secure!.threshold!, `round ${e.round}: ${e.secure!.survivors} survivors, t = ${e.secure!.threshold}`);
});

test('no key slice is used twice across a kill and resume; pads are not derived from the config seed', async () => {
  // Every slice handed out, as [pair, first bit, bits], and the first bytes of the first slice of each run.
  const slices: [string, number, number][] = [];
  const firstBytes: string[] = [];
  const take = KeyPool.prototype.take;
  KeyPool.prototype.take = function (this: KeyPool, i: number, j: number, bits: number) {
    const start = this.account(i, j).usedBits;
    const key = take.call(this, i, j, bits);
    slices.push([`${Math.min(i, j)},${Math.max(i, j)}`, start, bits]);
    if (slices.length === 1) firstBytes.push(Buffer.from(key).toString('hex'));
    return key;
  };
  try {
    const c = config({ federation: { clients: 5, rounds: 4 }, secure_aggregation: { bits: 8, dropout: 0.1 } });
    const dir = tmp();
    const stop = new AbortController();
    const progress = { update: () => {}, done: () => {}, log: (l: string) => l.includes('round 2/4') && stop.abort() };
    await runFederation({ config: c, runDir: dir, progress, signal: stop.signal });
    assert.equal(readCheckpoint(dir)!.round, 2);
    const before = slices.length;
    assert.ok(before > 0);
    await runFederation({ config: c, runDir: dir, resume: true });
    assert.ok(slices.length > before);
    const byPair = new Map<string, [number, number][]>();
    for (const [p, s, b] of slices) (byPair.get(p) ?? byPair.set(p, []).get(p)!).push([s, s + b]);
    for (const [p, spans] of byPair) {
      spans.sort((x, y) => x[0] - y[0]);
      for (let k = 1; k < spans.length; k++) assert.ok(spans[k]![0] >= spans[k - 1]![1], `pair ${p}: bits ${spans[k]![0]}.. used again`);
    }
    // The same config from scratch: another master key from the CSPRNG, so other pads.
    slices.length = 0;
    await runFederation({ config: c, runDir: tmp() });
    assert.equal(firstBytes.length, 2);
    assert.notEqual(firstBytes[0], firstBytes[1]);
  } finally {
    KeyPool.prototype.take = take;
  }
});

test('300 clients with 8-bit masking and dropout 0.1 finish (SecAgg+ graph, no 255 cap)', async () => {
  const dir = tmp();
  const c = config({
    data: { name: 'entanglement', qubits: 3, samples: 1500 },
    federation: { clients: 300, rounds: 2, partition: { kind: 'iid' } },
    strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 200 },
    secure_aggregation: { bits: 8, dropout: 0.1 },
  });
  const r = await runFederation({ config: c, runDir: dir });
  assert.equal(r.rounds, 2);
  for (const e of roundsOf(dir)) {
    assert.ok(e.secure!.degree! < 299, `k = ${e.secure!.degree}`);
    assert.ok(e.secure!.survivors > 200);
  }
});

test('a threshold of one half or less is refused at validation, saying why', () => {
  assert.throws(() => config({ secure_aggregation: { threshold: 0.01 } }), /secure_aggregation\.threshold: must be > 0\.5: with t at most half of the share holders/);
  assert.throws(() => config({ secure_aggregation: { noise: { sigma: 1, clip_norm: 1 }, weighted: true } }), /secure_aggregation\.weighted: cannot be true with noise/);
  assert.throws(() => config({ pipeline: [{ type: 'secagg', bits: 8 }] }), /pipeline\.0\.type: secagg is added by the secure_aggregation block/);
});
