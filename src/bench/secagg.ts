import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundEvent } from '../experiments/events.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { runFederation } from '../experiments/runner.js';
import { validate } from '../experiments/validate.js';
import { cascade } from '../qnet/cascade.js';
import { secretKeyLength, toeplitzHash, toeplitzSeed } from '../qnet/privacy.js';
import { Rng } from '../util/random.js';
import { fmt, nowMs, printTable } from './timing.js';

/**
 * Secure-aggregation benchmark (paper 002): (1) a 200-client round with
 * 8-bit quantization and QKD masks against plain FedAvg on the same clients,
 * as a ratio of round times (round 2 of each, after a warm-up round);
 * (2) QKD post-processing throughput: sifted bits per second through
 * Cascade (4 passes) and Toeplitz privacy amplification at 3 % QBER.
 */
async function roundSeconds(secure: boolean, clients: number): Promise<RoundEvent> {
  const config = validate(RunConfigSchema, {
    name: 'bench-secagg',
    seed: 1,
    data: { name: 'mnist', classes: [0, 1], downsample: [4, 4], test_limit: 500 },
    model: { kind: 'vqc', qubits: 4, layers: 3, embedding: 'amplitude' },
    federation: { clients, rounds: 2, partition: { kind: 'iid' }, test_fraction: 0 },
    strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: clients },
    local: { epochs: 1, batch_size: 16, lr: 0.05 },
    runtime: { workers: availableParallelism() },
    ...(secure ? { secure_aggregation: { bits: 8 } } : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'qfl-bench-secagg-'));
  try {
    await runFederation({ config, runDir: dir });
    const rounds = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RoundEvent)
      .filter((e) => e.type === 'round');
    return rounds[rounds.length - 1]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function postProcessing(siftedBits: number, qber: number): { bitsPerSecond: number; leaked: number; finalBits: number } {
  const rng = new Rng(3);
  const alice = new Uint8Array(siftedBits);
  const bob = new Uint8Array(siftedBits);
  for (let i = 0; i < siftedBits; i++) {
    alice[i] = rng.int(2);
    bob[i] = rng.uniform() < qber ? 1 - alice[i]! : alice[i]!;
  }
  const t0 = nowMs();
  const ec = cascade(alice, bob, { qber, rng });
  const finalBits = secretKeyLength({ reconciledBits: siftedBits, qber, leakedBits: ec.leakedBits });
  toeplitzHash(ec.corrected, finalBits, toeplitzSeed(siftedBits, finalBits, rng));
  const seconds = (nowMs() - t0) / 1000;
  return { bitsPerSecond: siftedBits / seconds, leaked: ec.leakedBits, finalBits };
}

export async function benchSecagg(clients = 200): Promise<void> {
  console.log('\n== qfl bench secagg ==');
  const plain = await roundSeconds(false, clients);
  const secure = await roundSeconds(true, clients);
  printTable(
    ['round', 'seconds', 'fit s', 'aggregate s', 'bytes up'],
    [
      ['plain FedAvg (float64 deltas)', fmt(plain.seconds.total), fmt(plain.seconds.fit), fmt(plain.seconds.aggregate), plain.bytes.up],
      ['8-bit + QKD masks (SecAgg stages)', fmt(secure.seconds.total), fmt(secure.seconds.fit), fmt(secure.seconds.aggregate), secure.bytes.up],
    ],
  );
  console.log(`${clients} clients, 4-qubit model (28 parameters): secure / plain round time = ${(secure.seconds.total / plain.seconds.total).toFixed(2)}x (aim: at most 1.15x)`);
  const rows = [10_000, 100_000].map((n) => {
    const r = postProcessing(n, 0.03);
    return [n, fmt(r.bitsPerSecond / 1e3), r.leaked, r.finalBits];
  });
  console.log('\nQKD post-processing at QBER 3 % (Cascade, 4 passes; Toeplitz hashing):');
  printTable(['sifted bits', 'kbit/s through', 'leaked bits', 'final key bits'], rows);
}
