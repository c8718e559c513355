import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { RoundEvent } from './events.js';
import { RunConfigSchema } from './run-schema.js';
import { runFederation } from './runner.js';
import { validate } from './validate.js';

const config = {
  name: 'fedbuff', seed: 4,
  data: { name: 'magic', qubits: 3, samples: 200 },
  model: { kind: 'qstate', layers: 1 },
  federation: { clients: 8, rounds: 5 },
  strategy: { name: 'fedbuff', buffer_size: 3, concurrency: 6, client_speed_sigma: 1 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0 },
};

async function inDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-fedbuff-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rounds = (dir: string) =>
  readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RoundEvent).filter((e) => e.type === 'round');

describe('FedBuff in qfl run', () => {
  test('each round steps with K buffered updates; 6 start, then K per round; stale updates join; a resumed run ends the same', () =>
    inDir(async (dir) => {
      const c = validate(RunConfigSchema, config);
      const full = await runFederation({ config: c, runDir: join(dir, 'full') });
      const events = rounds(join(dir, 'full'));
      assert.deepEqual(events.map((e) => e.fit.sampled), [6, 3, 3, 3, 3]);
      assert.ok(events.every((e) => e.metrics['num_clients'] === 3 && e.metrics['in_flight'] === 3));
      assert.ok(events.some((e) => (e.metrics['staleness_max'] ?? 0) >= 1), 'some update is stale');
      assert.ok(events.every((e, i) => i === 0 || e.metrics['simulated_time']! >= events[i - 1]!.metrics['simulated_time']!));
      assert.ok(events.every((e) => e.central && Number.isFinite(e.central.accuracy)));

      const stop = new AbortController();
      const stopDir = join(dir, 'stopped');
      const log = (l: string) => void (l.includes('round 2/5') && stop.abort());
      await runFederation({ config: c, runDir: stopDir, signal: stop.signal, progress: { update: () => {}, done: () => {}, log } });
      const resumed = await runFederation({ config: c, runDir: stopDir, resume: true });
      assert.deepEqual([...resumed.params], [...full.params], 'the updates in flight are in the checkpoint');
    }));

  test('refused with what it cannot be combined with, naming the key', () => {
    const bad = (patch: object, pattern: RegExp) => assert.throws(() => validate(RunConfigSchema, { ...config, ...patch }), pattern);
    bad({ strategy: { name: 'fedbuff' } }, /strategy\.buffer_size: fedbuff needs buffer_size/);
    bad({ strategy: { name: 'fedbuff', buffer_size: 4, concurrency: 2 } }, /strategy\.concurrency: must be at least buffer_size \(4\)/);
    bad({ strategy: { name: 'fedbuff', buffer_size: 2, min_fit_clients: 3 } }, /strategy\.min_fit_clients: must be at most buffer_size/);
    bad({ secure_aggregation: {} }, /secure_aggregation: cannot be combined with fedbuff/);
    bad({ strategy: { ...config.strategy, aggregator: { name: 'median' } } }, /strategy\.aggregator: cannot be combined with fedbuff/);
  });
});

describe('runtime.round_timeout_s in a run', () => {
  test('clients past the deadline are dropped as failures with the reason, and too few results stop the run', () =>
    inDir(async (dir) => {
      const c = validate(RunConfigSchema, { ...config, strategy: { name: 'fedavg', min_fit_clients: 2 }, runtime: { workers: 0, retries: 0, round_timeout_s: 1e-6 } });
      await assert.rejects(runFederation({ config: c, runDir: join(dir, 'run') }), /round 1: only 0 of 8 clients .* round timeout: not back within round_timeout_s = 0\.000001 s/);
      assert.throws(() => validate(RunConfigSchema, { ...config, runtime: { round_timeout_s: [] } }), /runtime\.round_timeout_s/);
    }));
});
