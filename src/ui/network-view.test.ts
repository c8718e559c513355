import assert from 'node:assert/strict';
import test from 'node:test';
import type { RoundEvent } from '../experiments/events.js';
import { networkView } from './network-view.js';

const nodes = [
  { kind: 'ground', id: 'gs', latDeg: 10, lonDeg: 20, altKm: 0 },
  { kind: 'uav', id: 'near', altKm: 1, mobility: { model: 'hover', at: { latDeg: 10.1, lonDeg: 20 } } },
  { kind: 'uav', id: 'far', altKm: 1, mobility: { model: 'hover', at: { latDeg: 18, lonDeg: 20 } } },
];

test('the map of a network run: nodes with their roles and positions from the config, up links, availability per client', () => {
  const v = networkView({ server: 'gs', clients: ['near', 'far'], nodes }, []);
  assert.deepEqual(v.nodes.map((n) => [n.id, n.role, n.client]), [['gs', 'server', undefined], ['near', 'client', 0], ['far', 'client', 1]]);
  const gs = v.nodes[0]!;
  assert.equal(gs.track.length, 1);
  assert.ok(Math.abs(gs.now[0] - 20) < 1e-9 && Math.abs(gs.now[1] - 10) < 1e-9, `gs at ${gs.now}`);
  assert.ok(Math.abs(v.nodes[2]!.now[1] - 18) < 1e-6);
  // The far UAV is 890 km away, beyond line of sight: only the near one has a link.
  assert.deepEqual(v.linksUp, [['gs', 'near']]);
  assert.deepEqual(v.availability.map((a) => [a.from, a.to, a.intervals.length]), [['near', 'gs', 1], ['far', 'gs', 0]]);
  assert.deepEqual(v.availability[0]!.intervals[0], [0, 600]);
  assert.equal(v.nowS, 0);

  const withRound = networkView({ server: 'gs', clients: ['near', 'far'], nodes }, [
    { round: 1, network: { startS: 0, endS: 900, missed: [1], clients: [], waitS: 0, linksUp: 1, linkPairs: 3 } } as unknown as RoundEvent,
  ]);
  assert.equal(withRound.endS, 900);
  assert.deepEqual(withRound.availability[0]!.intervals[0], [0, 900]);
});

test('a network section that is not valid is an error naming the field', () => {
  assert.throws(() => networkView({ server: 'gs', clients: [], nodes }, []), /clients/);
});
