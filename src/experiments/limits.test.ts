import assert from 'node:assert/strict';
import test from 'node:test';
import { QflError } from '../util/errors.js';
import { checkResources, checkSweepSize, defaultLimits } from './limits.js';
import { RunConfigSchema, type RunConfig } from './run-schema.js';
import { expandSweep } from './sweep.js';
import { validate } from './validate.js';

/** Configs that hung or ran the machine out of memory are refused before anything is allocated. */
const base = {
  name: 'limits',
  data: { name: 'entanglement', qubits: 3, samples: 100 },
  model: { kind: 'qstate', layers: 2 },
  federation: { clients: 2, rounds: 1 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0 },
};
const config = (over: Record<string, unknown> = {}): RunConfig => validate(RunConfigSchema, { ...base, ...over });
const limits = defaultLimits({ memoryBytes: 4 * 2 ** 30, workers: 8, sweepPoints: 100 });

const refused = (f: () => void, field: string, detail: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof QflError && e.field === field && detail.test(e.detail), `expected ${field}: ${detail}`);

test('model.layers: 1000000000 is refused with its estimate and the limit', () => {
  refused(() => checkResources(config({ model: { kind: 'qstate', layers: 1_000_000_000 } }), limits), 'model.layers', /1000000000 layers of 3 qubits make about 1\.20e\+10 circuit operations per sample; the limit is 2\.00e\+6/);
  refused(() => checkResources(config({ model: { kind: 'mlp', hidden: [100_000, 100_000] } }), limits), 'model.hidden', /about 1\.01e\+10 parameters need 1\.20e\+3 GiB; the limit is 4\.00 GiB; raise the limit with --max-memory-gb/);
  checkResources(config(), limits);
});

test('runtime.workers: 100000 is refused against the cores; --max-workers raises the limit', () => {
  refused(() => checkResources(config({ runtime: { workers: 100_000 } }), limits), 'runtime.workers', /100000 worker threads on \d+ cores; the limit is 8 .*--max-workers/);
  checkResources(config({ runtime: { workers: 100_000 } }), { ...limits, workers: 100_000 });
});

test('circuit states: 20 qubits x batch 4096 are refused by their size; noise counts density matrices', () => {
  refused(() => checkResources(config({ model: { kind: 'vqc', qubits: 20, layers: 1, embedding: 'angle' }, local: { ...base.local, batch_size: 4096 } }), limits), 'local.batch_size', /20 qubits x batch 4096 x 1 worker\(s\): the circuit states need 256 GiB; the limit is 4\.00 GiB/);
  refused(() => checkResources(config({ data: { name: 'entanglement', qubits: 10, samples: 100 }, model: { kind: 'qstate', layers: 1, noise: { depolarizing: 0.01 } }, local: { ...base.local, batch_size: 512 } }), limits), 'model.noise', /with noise \(density matrices\)/);
});

test('a sweep of 10^12 points is refused without expanding it', () => {
  const big = config({ sweep: { grid: { 'local.lr': Array.from({ length: 10_000 }, (_, i) => (i + 1) / 1e5), 'local.epochs': Array.from({ length: 10_000 }, (_, i) => i + 1), 'seed': Array.from({ length: 10_000 }, (_, i) => i) } } });
  refused(() => checkSweepSize(big, limits), 'sweep.grid.local.lr', /1\.00e\+12 points \(grid product x seeds\); the limit is 100 \(raise it with --max-sweep-points\)/);
  refused(() => expandSweep(big, limits), 'sweep.grid.local.lr', /points/);
  assert.equal(expandSweep(config({ sweep: { grid: { 'local.lr': [0.1, 0.2] } } }), limits).length, 2);
});

test('a 50 MB name is refused by the schema', () => {
  assert.throws(() => config({ name: 'x'.repeat(50 * 2 ** 20) }), (e: unknown) => e instanceof QflError && /name/.test(e.message) && /200/.test(e.message));
});
