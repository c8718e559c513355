import { availableParallelism, totalmem } from 'node:os';
import { fail } from '../util/errors.js';
import type { RunConfig } from './run-schema.js';

/**
 * What a config asks of the machine, estimated before anything is
 * allocated: `model.layers: 1000000000` or `runtime.workers: 100000` would
 * otherwise run the machine out of memory minutes later. Each check refuses
 * with the field, the estimate and the limit; `--max-memory-gb` and
 * `--max-workers` raise the limits where a user means it.
 *
 * The estimates are upper bounds of the big allocations only:
 * - circuit state: a batch of statevectors, 16 bytes x 2^qubits per sample
 *   (4^qubits with noise: density matrices), times 4 for the adjoint pass's
 *   copies, times the worker threads that train at once;
 * - model: parameters (about 3 per qubit and layer, or the MLP's weights),
 *   8 bytes each, times 16 copies (optimizer moments, gradients, every
 *   client's update held by the server);
 * - generated data: samples x 2^qubits complex amplitudes;
 * - circuit length: operations per forward pass (about 4 per qubit and layer);
 * - a sweep: its points (grid product x seeds), counted without expanding it.
 */
export interface ResourceLimits {
  /** Bytes the estimates may reach (default: 3/4 of this machine's memory). */
  readonly memoryBytes: number;
  /** Worker threads (default: 4 per core). */
  readonly workers: number;
  /** Points of a sweep (default 10000). */
  readonly sweepPoints: number;
  /** Operations in one forward pass of the model's circuit (default 2e6). */
  readonly circuitOps: number;
}

export function defaultLimits(over: Partial<ResourceLimits> = {}): ResourceLimits {
  return {
    memoryBytes: Math.floor(0.75 * totalmem()),
    workers: 4 * availableParallelism(),
    sweepPoints: 10_000,
    circuitOps: 2_000_000,
    ...over,
  };
}

const GiB = 2 ** 30;
const size = (bytes: number) => (bytes >= GiB / 10 ? `${(bytes / GiB).toPrecision(3)} GiB` : `${(bytes / 2 ** 20).toPrecision(3)} MiB`);

/** The qubits of the model's circuit, when it has one (qstate reads them from the data). */
function circuitQubits(c: RunConfig): number | undefined {
  const m = c.model;
  if (m.kind === 'vqc' || m.kind === 'hybrid') return m.qubits;
  if (m.kind === 'qstate') return c.data.qubits;
  if (m.kind === 'sagin') return 4;
  return undefined;
}

const noisy = (c: RunConfig) => (c.model.kind === 'vqc' || c.model.kind === 'qstate') && c.model.noise !== undefined;

function workerCount(c: RunConfig): number {
  const w = c.runtime.workers;
  return w === 'auto' ? availableParallelism() : Math.max(1, w);
}

/** Refuses a config whose estimated needs pass the limits (the sweep is checked by `checkSweepSize`). */
export function checkResources(c: RunConfig, limits: ResourceLimits = defaultLimits()): void {
  const raise = '; raise the limit with --max-memory-gb if this machine can hold it';
  if (c.runtime.workers !== 'auto' && c.runtime.workers > limits.workers) {
    fail('runtime.workers', `${c.runtime.workers} worker threads on ${availableParallelism()} cores; the limit is ${limits.workers} (each holds its own data and model; raise it with --max-workers)`);
  }
  const q = circuitQubits(c);
  if (q !== undefined) {
    const layers = 'layers' in c.model ? c.model.layers : 1;
    const ops = 4 * q * layers;
    if (ops > limits.circuitOps) {
      fail('model.layers', `${layers} layers of ${q} qubits make about ${ops.toExponential(2)} circuit operations per sample; the limit is ${limits.circuitOps.toExponential(2)}`);
    }
    const params = 3 * q * layers;
    const modelBytes = params * 8 * 16;
    if (modelBytes > limits.memoryBytes) fail('model.layers', `${layers} layers of ${q} qubits: about ${params.toExponential(2)} parameters need ${size(modelBytes)}; the limit is ${size(limits.memoryBytes)}${raise}`);
    const perSample = 16 * (noisy(c) ? 4 ** q : 2 ** q);
    const stateBytes = perSample * c.local.batch_size * 4 * workerCount(c);
    if (stateBytes > limits.memoryBytes) {
      fail(
        noisy(c) ? 'model.noise' : 'local.batch_size',
        `${q} qubits${noisy(c) ? ' with noise (density matrices)' : ''} x batch ${c.local.batch_size} x ${workerCount(c)} worker(s): the circuit states need ${size(stateBytes)}; the limit is ${size(limits.memoryBytes)}${raise}`,
      );
    }
  }
  if (c.model.kind === 'mlp') {
    const widths = c.model.hidden;
    let params = 0;
    let prev = 784;
    for (const w of [...widths, 10]) {
      params += prev * w + w;
      prev = w;
    }
    const bytes = params * 8 * 16;
    if (bytes > limits.memoryBytes) fail('model.hidden', `about ${params.toExponential(2)} parameters need ${size(bytes)}; the limit is ${size(limits.memoryBytes)}${raise}`);
  }
  if (c.data.name !== 'mnist') {
    const bytes = c.data.samples * 16 * 2 ** c.data.qubits * 2;
    if (bytes > limits.memoryBytes) fail('data.samples', `${c.data.samples} samples of ${c.data.qubits} qubits need ${size(bytes)}; the limit is ${size(limits.memoryBytes)}${raise}`);
  }
}

/** Refuses a sweep with more points than the limit, counting them without expanding the grid. */
export function checkSweepSize(c: RunConfig, limits: Pick<ResourceLimits, 'sweepPoints'> = defaultLimits()): void {
  if (!c.sweep) return;
  let points = c.sweep.seeds?.length ?? 1;
  for (const [key, values] of Object.entries(c.sweep.grid)) {
    points *= values.length;
    if (points > limits.sweepPoints) {
      const total = Object.values(c.sweep.grid).reduce((p, v) => p * v.length, c.sweep.seeds?.length ?? 1);
      fail(`sweep.grid.${key}`, `the sweep has ${total.toExponential(2)} points (grid product x seeds); the limit is ${limits.sweepPoints} (raise it with --max-sweep-points)`);
    }
  }
}
