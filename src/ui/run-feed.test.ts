import assert from 'node:assert/strict';
import { appendFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';
import type { RoundEvent, StartEvent } from '../experiments/events.js';
import { tmp } from './fixtures.js';
import type { StreamMessage } from './protocol.js';
import { RunFeed, STALE_MS } from './run-feed.js';

const start: StartEvent = { type: 'start', time: 't', name: 'feed', rounds: 3, clients: 2, parameters: 4 };
const round = (n: number): RoundEvent => ({
  type: 'round',
  time: 't',
  round: n,
  seconds: { total: 0.1, fit: 0.1, evaluate: 0, aggregate: 0 },
  fit: { sampled: 2, completed: 2, failures: [], trainLoss: 1, trainAccuracy: 0.5 },
  clients: [],
  bytes: { up: 1, down: 1 },
  metrics: {},
});
const line = (e: object) => JSON.stringify(e) + '\n';

test('a followed run: lines that are not events are counted, a file that shrank is read again from the start', () => {
  const dir = tmp();
  const path = join(dir, 'events.jsonl');
  writeFileSync(path, line(start) + line(round(1)) + 'not json\n' + line({ type: 'round', round: 2 }) + line(round(2)));
  const feed = new RunFeed(dir, { mode: 'read-only' });
  const got: StreamMessage[] = [];
  const stop = feed.subscribe((m) => got.push(m));
  try {
    let s = feed.snapshot();
    assert.deepEqual(s.rounds.map((r) => r.round), [1, 2]);
    assert.equal(s.skipped, 2);
    assert.equal(s.name, 'feed');
    // Replaced (a new run in the same directory): smaller than what was read.
    writeFileSync(path, line({ ...start, name: 'again' }));
    feed.poll();
    const snap = got.find((m) => m.kind === 'snapshot');
    assert.ok(snap && snap.kind === 'snapshot' && snap.run.rounds.length === 0 && snap.run.name === 'again');
    appendFileSync(path, line(round(1)));
    feed.poll();
    s = feed.snapshot();
    assert.deepEqual(s.rounds.map((r) => r.round), [1]);
    assert.equal(s.skipped, 0);
  } finally {
    stop();
    feed.close();
  }
});

test('a run without an end whose file stopped changing long ago is shown as stopped', () => {
  const dir = tmp();
  const path = join(dir, 'events.jsonl');
  writeFileSync(path, line(start) + line(round(1)));
  const old = new Date(Date.now() - 2 * STALE_MS);
  utimesSync(path, old, old);
  assert.equal(new RunFeed(dir, { mode: 'read-only' }).snapshot().state, 'stopped');
  assert.equal(new RunFeed(dir, { mode: 'read-only', now: () => old.getTime() + 1000 }).snapshot().state, 'running');
  appendFileSync(path, line({ type: 'end', time: 't', rounds: 1, seconds: 0.1 }));
  assert.equal(new RunFeed(dir, { mode: 'read-only' }).snapshot().state, 'finished');
  assert.equal(new RunFeed(join(dir, 'none'), { mode: 'read-only' }).snapshot().state, 'waiting');
});
