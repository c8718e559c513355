import { makeDataset, subset, type Dataset } from '../data/dataset.js';
import { iid } from '../data/partition.js';
import { mlp } from '../models/classical-zoo.js';
import { vqcClassifier } from '../models/quantum-zoo.js';
import type { Sequential } from '../models/sequential.js';
import { fail } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { ClientApp, ClientAppRef } from './client-app.js';

/**
 * A tiny client app for tests of the federation engine: two Gaussian blobs in
 * `features` dimensions (class c centred at 0.8 + 1.4 c in every coordinate,
 * noise 0.3), split IID over the clients, with a small MLP or a 2-qubit-per-
 * feature VQC. Flags make chosen clients misbehave, so that failure paths can
 * be tested in every execution mode:
 *
 * - `throwClients`: `trainData` / `testData` throw;
 * - `slowClients`: `trainData` busy-waits `slowMs` first (a straggler);
 * - `nanClients`: the client's features hold a NaN (training diverges).
 *
 * @example
 * const ref = testingAppRef({ clients: 4, slowClients: [2], slowMs: 5000 });
 * const ex = new PoolExecutor(ref, { threads: 2 });
 */
export interface TestingAppConfig {
  /** Default 4. */
  readonly clients?: number;
  /** Training samples per client; default 16. */
  readonly samplesPerClient?: number;
  /** Test samples per client; default 8. */
  readonly testPerClient?: number;
  /** Default 4. */
  readonly features?: number;
  /** Default 0. */
  readonly seed?: number;
  /** Default 'mlp'. */
  readonly model?: 'mlp' | 'vqc';
  /** MLP hidden widths; default [6]. */
  readonly hidden?: readonly number[];
  readonly throwClients?: readonly number[];
  readonly slowClients?: readonly number[];
  /** Default 1000. */
  readonly slowMs?: number;
  readonly nanClients?: readonly number[];
}

/** The URL of this module, for a `ClientAppRef`. */
export const TESTING_APP_URL = new URL('./testing-app.js', import.meta.url).href;

export function testingAppRef(config: TestingAppConfig = {}): ClientAppRef {
  return { module: TESTING_APP_URL, config };
}

/** Two blobs, labels alternating 0, 1, 0, ... */
function blobs(n: number, features: number, rng: Rng): Dataset {
  const x = new Float64Array(n * features);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let f = 0; f < features; f++) x[i * features + f] = 0.8 + 1.4 * y[i]! + 0.3 * rng.normal();
  }
  return makeDataset({ x, y, shape: [features], classes: 2 }, 'testing-app');
}

/** Blocks the thread (a CPU-bound straggler that only terminating the thread can stop). */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

function count(field: string, v: unknown, dflt: number): number {
  const n = v === undefined ? dflt : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail(`testing-app.${field}`, `must be an integer >= 1, got ${String(n)}`);
  return n;
}

export function createClientApp(config: unknown): ClientApp {
  const c = (config ?? {}) as TestingAppConfig;
  const clients = count('clients', c.clients, 4);
  const perClient = count('samplesPerClient', c.samplesPerClient, 16);
  const testPer = count('testPerClient', c.testPerClient, 8);
  const features = count('features', c.features, 4);
  const seed = c.seed ?? 0;
  const kind = c.model ?? 'mlp';
  if (kind !== 'mlp' && kind !== 'vqc') fail('testing-app.model', `must be 'mlp' or 'vqc', got ${String(kind)}`);
  const throwing = new Set(c.throwClients ?? []);
  const slow = new Set(c.slowClients ?? []);
  const nan = new Set(c.nanClients ?? []);
  const slowMs = c.slowMs ?? 1000;

  const rng = new Rng(seed);
  const train = blobs(clients * perClient, features, rng);
  const test = blobs(clients * testPer, features, rng);
  const trainParts = iid(train.n, clients, rng);
  const testParts = iid(test.n, clients, rng);
  const trainCache = new Map<number, Dataset>();
  const testCache = new Map<number, Dataset>();

  const local = (parts: Int32Array[], from: Dataset, cache: Map<number, Dataset>, id: number): Dataset => {
    if (throwing.has(id)) throw new Error(`testing-app: client ${id} is configured to throw`);
    let d = cache.get(id);
    if (!d) {
      d = subset(from, parts[id]!);
      if (nan.has(id)) d.x[0] = NaN;
      cache.set(id, d);
    }
    return d;
  };

  const model = (): Sequential => {
    const m =
      kind === 'mlp'
        ? mlp(features, c.hidden ?? [6], 2)
        : vqcClassifier({ nQubits: features, layers: 1, classes: 2, embedding: 'angle', features, angleScale: 1 });
    m.init(new Rng(seed + 1));
    return m;
  };

  return {
    numClients: clients,
    trainData(id) {
      if (slow.has(id)) spin(slowMs);
      return local(trainParts, train, trainCache, id);
    },
    testData: (id) => local(testParts, test, testCache, id),
    model,
  };
}
