import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundEvent } from '../experiments/events.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { runFederation } from '../experiments/runner.js';
import { validate } from '../experiments/validate.js';
import { cascade } from '../qnet/cascade.js';
import { secretKeyLength, toeplitzHash, toeplitzSeed } from '../qnet/privacy.js';
import { fail } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { fmt, nowMs, printTable } from './timing.js';

/**
 * Secure-aggregation benchmark (paper 002): (1) a round of N clients (200 by
 * default) with 8-bit quantization and SecAgg+ masks from QKD keys against
 * plain FedAvg on the same clients and the same updates (same seed), as a
 * ratio of round times (round 2 of each, after a warm-up round), with the
 * bytes each client sends up; (2) QKD post-processing throughput: sifted
 * bits per second through Cascade (4 passes) and Toeplitz privacy
 * amplification at 3 % QBER.
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

/** One line of `--json`: the masked and plain round times, their ratio, and bytes up per client. */
export interface SecaggBenchLine {
  readonly clients: number;
  readonly masked_ms: number;
  readonly plain_ms: number;
  readonly ratio: number;
  readonly bytes_per_client: number;
}

export async function benchSecagg(options: { readonly clients?: number; readonly json?: boolean } = {}): Promise<SecaggBenchLine> {
  const clients = options.clients ?? 200;
  if (!(Number.isInteger(clients) && clients >= 3 && clients <= 10_000)) fail('--clients', `must be an integer in [3, 10000], got ${clients}`);
  if (!options.json) console.log('\n== qfl bench secagg ==');
  const plain = await roundSeconds(false, clients);
  const secure = await roundSeconds(true, clients);
  const line: SecaggBenchLine = {
    clients,
    masked_ms: Math.round(secure.seconds.total * 1000),
    plain_ms: Math.round(plain.seconds.total * 1000),
    ratio: Number((secure.seconds.total / plain.seconds.total).toFixed(3)),
    bytes_per_client: Math.round(secure.bytes.up / clients),
  };
  if (options.json) {
    console.log(JSON.stringify(line));
    return line;
  }
  printTable(
    ['round', 'seconds', 'fit s', 'aggregate s', 'bytes up', 'bytes up / client'],
    [
      ['plain FedAvg (float64 deltas)', fmt(plain.seconds.total), fmt(plain.seconds.fit), fmt(plain.seconds.aggregate), plain.bytes.up, Math.round(plain.bytes.up / clients)],
      ['8-bit + SecAgg+ masks (QKD keys)', fmt(secure.seconds.total), fmt(secure.seconds.fit), fmt(secure.seconds.aggregate), secure.bytes.up, line.bytes_per_client],
    ],
  );
  console.log(
    `${clients} clients, 4-qubit model (28 parameters), SecAgg+ degree k = ${secure.secure?.degree ?? '?'}, t = ${secure.secure?.threshold ?? '?'}: ` +
      `masked / plain round time = ${line.ratio.toFixed(2)}x (targets: <= 1.5x at 200 clients, <= 2x at 1000)`,
  );
  const s = secure.secure;
  if (s?.clientMs !== undefined && s.serverMs !== undefined) {
    console.log(
      `masking round: ${fmt(s.clientMs / 1000)} s in the ${clients} simulated clients' halves (run one after another here; ` +
        `${fmt(s.clientMs / clients)} ms per client), ${fmt(s.serverMs / 1000)} s in the server's`,
    );
  }
  const rows = [10_000, 100_000].map((n) => {
    const r = postProcessing(n, 0.03);
    return [n, fmt(r.bitsPerSecond / 1e3), r.leaked, r.finalBits];
  });
  console.log('\nQKD post-processing at QBER 3 % (Cascade, 4 passes; Toeplitz hashing):');
  printTable(['sifted bits', 'kbit/s through', 'leaked bits', 'final key bits'], rows);
  return line;
}
