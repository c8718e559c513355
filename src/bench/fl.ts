import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoundEvent } from '../experiments/events.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { runFederation } from '../experiments/runner.js';
import { validate } from '../experiments/validate.js';
import { fmt, printTable } from './timing.js';

/**
 * Federation scale benchmark (paper 002's scale): 200 simulated clients
 * sharing all 60,000 MNIST training images (4x4, 10 classes) train the
 * space-air-ground 4-qubit model for one local epoch in a worker pool. One
 * warm-up round (workers load the data) is run first; the next round is
 * measured. Training share = sum of the clients' training seconds / (pool
 * threads x round wall time); everything else (sampling, messages,
 * scheduling, aggregation, evaluation) is the rest.
 */
export async function benchFl(clients = 200): Promise<void> {
  console.log('\n== qfl bench fl ==');
  const threads = availableParallelism();
  const config = validate(RunConfigSchema, {
    name: 'bench-fl',
    seed: 1,
    data: { name: 'mnist', downsample: [4, 4] },
    model: { kind: 'sagin', layers: 2 },
    federation: { clients, rounds: 2, partition: { kind: 'iid' }, test_fraction: 0 },
    strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: clients },
    local: { epochs: 1, batch_size: 32, lr: 0.01 },
    evaluation: { central: true, test_limit: 2000 },
    runtime: { workers: threads },
  });
  const dir = mkdtempSync(join(tmpdir(), 'qfl-bench-fl-'));
  try {
    await runFederation({ config, runDir: dir });
    const rounds = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RoundEvent)
      .filter((e) => e.type === 'round');
    const rows = rounds.map((e) => {
      const train = e.clients.reduce((s, c) => s + c.seconds, 0);
      const share = train / (threads * e.seconds.total);
      return [
        e.round === 1 ? '1 (warm-up)' : String(e.round),
        e.fit.completed,
        fmt(e.seconds.total),
        fmt(e.seconds.fit),
        fmt(e.seconds.aggregate * 1000),
        fmt(e.seconds.evaluate),
        `${(100 * share).toFixed(1)} %`,
        `${(100 * (1 - share)).toFixed(1)} %`,
        `${(e.bytes.up / 1024).toFixed(0)} / ${(e.bytes.down / 1024).toFixed(0)}`,
      ];
    });
    console.log(`${clients} clients, ${threads} worker threads, MNIST 4x4 (60,000 images), 4-qubit model, 1 local epoch`);
    printTable(['round', 'clients', 'round s', 'fit s', 'aggregate ms', 'central eval s', 'training', 'everything else', 'KiB up / down'], rows);
    console.log(`peak memory (max RSS, main + workers): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
