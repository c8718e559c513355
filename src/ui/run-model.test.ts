import assert from 'node:assert/strict';
import test from 'node:test';
import type { RoundEvent, RunEvent, StartEvent } from '../experiments/events.js';
import { parseEvents } from '../experiments/report/read.js';
import { liveCells, roundCells, RunModel } from './run-model.js';

const start = (extra: Partial<StartEvent> = {}): StartEvent => ({ type: 'start', time: 't', name: 'm', rounds: 4, clients: 5, parameters: 10, ...extra });

function round(n: number, extra: Partial<RoundEvent> = {}): RoundEvent {
  return {
    type: 'round',
    time: 't',
    round: n,
    seconds: { total: 1, fit: 1, evaluate: 0, aggregate: 0 },
    fit: { sampled: 4, completed: 2, failures: [], trainLoss: 1 / n, trainAccuracy: 0.5 },
    clients: [],
    bytes: { up: 100, down: 200 },
    metrics: {},
    ...extra,
  };
}

const client = (id: number) => ({ id, numExamples: 10, trainLoss: 0.5, trainAccuracy: 0.5, seconds: 0.1 });

test('a round event gives each client its cell: done, flagged, failed with the reason, dropped, not sampled', () => {
  const e = round(1, {
    clients: [client(0), client(1), client(4)],
    fit: { sampled: 5, completed: 3, failures: [{ clientId: 2, reason: 'timeout after 5 ms' }, { clientId: 3, reason: 'no link to the server (network)' }], trainLoss: 1, trainAccuracy: 0.5 },
    flagged: [1, 2],
    secure: { bits: 8, modulusBits: 11, survivors: 2, dropped: [4], keyBits: 64, keyWaitSeconds: 0, bytesUpPayload: 1, bytesUpFloat32: 4 },
  });
  assert.deepEqual(roundCells(e, 6), [
    { id: 0, status: 'done' },
    { id: 1, status: 'flagged', reason: 'flagged by the robust aggregator' },
    // Flagging marks used updates only; a failed client stays failed.
    { id: 2, status: 'failed', reason: 'timeout after 5 ms' },
    { id: 3, status: 'dropped', reason: 'no link to the server (network)' },
    { id: 4, status: 'dropped', reason: 'dropped out of secure aggregation' },
    { id: 5, status: 'idle' },
  ]);
});

test('live statuses fill the cells of the round in progress until its event arrives', () => {
  const m = new RunModel();
  m.apply(start());
  m.client(1, 0, 'training');
  m.client(1, 3, 'training');
  m.client(1, 3, 'failed', 'boom');
  assert.deepEqual(m.currentCells(), {
    round: 1,
    live: true,
    cells: [{ id: 0, status: 'training' }, { id: 1, status: 'idle' }, { id: 2, status: 'idle' }, { id: 3, status: 'failed', reason: 'boom' }, { id: 4, status: 'idle' }],
  });
  m.apply(round(1, { clients: [client(0)] }));
  assert.equal(m.live, undefined);
  assert.equal(m.currentCells()?.live, false);
  assert.deepEqual(liveCells({ round: 2, clients: [{ id: 6, status: 'done' }] }, 2).map((c) => c.status), ['idle', 'idle', 'idle', 'idle', 'idle', 'idle', 'done']);
});

test('events applied one by one give what reading events.jsonl gives: resumes drop later rounds, repeated rounds replace', () => {
  const events: RunEvent[] = [
    start(),
    round(1),
    round(2),
    round(3),
    start({ resumedAfterRound: 2 }),
    round(3, { fit: { sampled: 4, completed: 4, failures: [], trainLoss: 0.1, trainAccuracy: 0.9 } }),
    round(4),
    { type: 'end', time: 't', rounds: 4, seconds: 4 },
    start({ resumedAfterRound: 3 }),
    round(4, { bytes: { up: 1, down: 1 } }),
  ];
  const m = new RunModel();
  for (const e of events) m.apply(e);
  const log = parseEvents(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  assert.deepEqual(m.rounds, log.rounds);
  assert.deepEqual(m.resumes, log.resumes);
  assert.equal(m.end, log.end);
  assert.equal(m.start, events[0]);
  assert.equal(m.rounds[2]!.fit.trainLoss, 0.1);
  // A snapshot's model is the same model.
  const again = RunModel.from({ id: '', name: 'm', dir: '/', mode: 'read-only', state: 'running', network: false, resumes: m.resumes, rounds: m.rounds, skipped: 0, ...(m.start ? { start: m.start } : {}) });
  assert.deepEqual(again.rounds, m.rounds);
});
