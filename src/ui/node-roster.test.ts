import assert from 'node:assert/strict';
import test from 'node:test';
import { NodeRoster, type ConnectedNode } from './node-roster.js';
import type { StreamMessage } from './protocol.js';
import { RunFeed } from './run-feed.js';
import { tmp } from './fixtures.js';

const T = Date.parse('2026-12-03T12:00:00.000Z');
const n = (id: string, clientIds: number[], secondsSinceSeen = 0, kind = 'node'): ConnectedNode => ({ id, name: id.split('#')[0]!, kind, clientIds, secondsSinceSeen });

test('the roster: connected nodes with their clients and last-seen time, nodes gone kept as disconnected, a name back replaces its old entry', () => {
  const r = new NodeRoster();
  assert.deepEqual(r.update([n('b#2', [2, 3], 1.5, 'browser'), n('a#1', [0, 1], 0.2)], T), [
    { id: 'a#1', name: 'a', kind: 'node', clientIds: [0, 1], connected: true, lastSeen: '2026-12-03T11:59:59.000Z' },
    { id: 'b#2', name: 'b', kind: 'browser', clientIds: [2, 3], connected: true, lastSeen: '2026-12-03T11:59:58.000Z' },
  ]);
  // a leaves: listed as disconnected, after the connected ones, with the time it was last heard from.
  const gone = r.update([n('b#2', [2, 3], 0)], T + 10_000);
  assert.deepEqual(gone.map((v) => [v.id, v.connected, v.lastSeen]), [
    ['b#2', true, '2026-12-03T12:00:10.000Z'],
    ['a#1', false, '2026-12-03T11:59:59.000Z'],
  ]);
  // a registers again (a new session id): the old entry goes.
  assert.deepEqual(r.update([n('a#3', [0, 1]), n('b#2', [2, 3])], T + 20_000).map((v) => [v.id, v.connected]), [
    ['a#3', true],
    ['b#2', true],
  ]);
});

test('the roster keeps at most keepGone disconnected nodes, the most recently seen', () => {
  const r = new NodeRoster(2);
  r.update([n('x#1', [0], 3), n('y#2', [1], 2), n('z#3', [2], 1)], T);
  assert.deepEqual(r.update([], T + 5000).map((v) => v.id), ['y#2', 'z#3']);
});

test('a live feed sends the nodes when they change and puts them in its snapshot', () => {
  const feed = new RunFeed(tmp(), { mode: 'live' });
  const got: StreamMessage[] = [];
  const stop = feed.subscribe((m) => got.push(m));
  try {
    assert.equal(feed.snapshot().nodes, undefined, 'a simulation has no nodes');
    const list = new NodeRoster().update([n('a#1', [0])], T);
    feed.nodes(list);
    feed.nodes([...list]); // the same list again: nothing sent
    assert.deepEqual(got, [{ kind: 'nodes', nodes: list }]);
    assert.deepEqual(feed.snapshot().nodes, list);
  } finally {
    stop();
    feed.close();
  }
});
