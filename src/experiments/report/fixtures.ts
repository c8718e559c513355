import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndEvent, RoundEvent, StartEvent } from '../events.js';

/** Synthetic run directories for the report tests. */

export function startEvent(name: string, extra: Partial<StartEvent> = {}): StartEvent {
  return { type: 'start', time: '2025-01-01T00:00:00.000Z', name, rounds: 5, clients: 3, parameters: 24, ...extra };
}

/** A round whose accuracies are `acc` (train), acc + 0.01 (client eval), acc + 0.02 (central). */
export function roundEvent(round: number, acc: number, clients = 3): RoundEvent {
  return {
    type: 'round',
    time: '2025-01-01T00:00:00.000Z',
    round,
    seconds: { total: 1.5, fit: 1, evaluate: 0.3, aggregate: 0.1 },
    fit: { sampled: clients, completed: clients, failures: [], trainLoss: 1 - acc, trainAccuracy: acc },
    clients: Array.from({ length: clients }, (_, id) => ({ id, numExamples: 100, trainLoss: 1 - acc + 0.05 * id, trainAccuracy: acc, seconds: 0.9 })),
    evaluate: { loss: 1.01 - acc, accuracy: acc + 0.01, clients },
    central: { loss: 1.02 - acc, accuracy: acc + 0.02 },
    bytes: { up: 3 * 2048 * round, down: 3 * 2048 },
    metrics: {},
  };
}

export function endEvent(rounds: number, final?: EndEvent['final']): EndEvent {
  return { type: 'end', time: '2025-01-01T00:01:00.000Z', rounds, seconds: 12.5, ...(final && { final }) };
}

export const jsonl = (events: readonly unknown[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

/**
 * A run that was killed after round 3 (mid-write of round 4), resumed from
 * the checkpoint of round 2, and finished 4 rounds; round 4 was then written
 * twice, and a last line is cut off. Final central accuracy 0.875.
 */
export function messyRunText(name = 'fedavg-demo'): string {
  return (
    jsonl([
      startEvent(name, { rounds: 4 }),
      roundEvent(1, 0.5),
      roundEvent(2, 0.6),
      roundEvent(3, 0.1), // from the attempt that was killed: replaced after the resume
      { type: 'attack', round: 3, kind: 'label-flip' }, // a kind of event the reader does not know
      startEvent(name, { rounds: 4, resumedAfterRound: 2 }),
      roundEvent(3, 0.7),
      roundEvent(4, 0.2),
      roundEvent(4, 0.855), // written again: the later one counts
      endEvent(4),
    ]) + '{"type":"round","round":5,"seconds":{"tot'
  );
}

export const CONFIG_YAML = `name: fedavg-demo
seed: 7
fl: {rounds: 4, clients: 3, strategy: fedavg, lr: 0.1}
model: {kind: vqc, qubits: 4, layers: 2}
`;

/** Writes a run directory: config.yaml (unless config is null) and events.jsonl. */
export function writeRunDir(dir: string, events: string, config: string | null = CONFIG_YAML): string {
  mkdirSync(dir, { recursive: true });
  if (config !== null) writeFileSync(join(dir, 'config.yaml'), config);
  writeFileSync(join(dir, 'events.jsonl'), events);
  return dir;
}
