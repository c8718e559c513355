import assert from 'node:assert/strict';
import test from 'node:test';
import { linkAt, transferTimeS } from '../qnet/sagin/links.js';
import type { SaginNode } from '../qnet/sagin/topology.js';
import { NetworkClock, NetworkSchema } from './network.js';

const nodes = [
  { kind: 'ground', id: 'gs', latDeg: 0, lonDeg: 0, altKm: 0 },
  { kind: 'uav', id: 'near', altKm: 1, mobility: { model: 'hover', at: { latDeg: 0.1, lonDeg: 0 } } },
  { kind: 'uav', id: 'far', altKm: 1, mobility: { model: 'hover', at: { latDeg: 8, lonDeg: 0 } } },
];

function clock(onLinkDown: 'skip' | 'wait' = 'skip') {
  const config = NetworkSchema.parse({ server: 'gs', clients: ['near', 'far'], nodes, samples_per_second: 100, on_link_down: onLinkDown, max_wait_s: 60 });
  return new NetworkClock(config, 2);
}

test('a round on a tiny network takes down + compute + up of its slowest client, in simulated time', () => {
  const c = clock();
  const params = 1000;
  const reach = c.reachable([0, 1], params);
  assert.deepEqual(reach.ok, [0]);
  assert.deepEqual(reach.missed, [1], 'the UAV 890 km away has no line of sight to the ground station');
  const r = c.round(reach.ok, [400], params, reach.waitS, reach.missed);
  // By hand: one hop each way; 400 samples at 100 samples/s = 4 s of training.
  const link = linkAt(nodes[0] as SaginNode, nodes[1] as SaginNode, 0, '2026-01-01T00:00:00Z');
  assert.ok(link.up);
  const hop = transferTimeS(link, params * 32);
  assert.equal(r.clients.length, 1);
  assert.ok(Math.abs(r.clients[0]!.downS - hop) < 1e-12);
  assert.equal(r.clients[0]!.computeS, 4);
  assert.ok(Math.abs(r.endS - (r.clients[0]!.downS + 4 + r.clients[0]!.upS)) < 1e-12);
  assert.equal(c.seconds, r.endS);
  assert.deepEqual(r.missed, [1]);
});

test('with on_link_down: wait, a round waits up to max_wait_s and then skips the unreachable client', () => {
  const c = clock('wait');
  const reach = c.reachable([0, 1], 10);
  assert.deepEqual(reach.missed, [1]);
  assert.equal(reach.waitS, 60);
  assert.equal(c.seconds, 60);
});

test('a network config naming unknown nodes is refused', () => {
  const config = NetworkSchema.parse({ server: 'nowhere', clients: ['near'], nodes });
  assert.throws(() => new NetworkClock(config, 1), /network\.server: 'nowhere' is not a node id/);
});

test('hierarchical aggregation: a client reports through its edge, which forwards once its last client is in', () => {
  const withRelay = [...nodes, { kind: 'uav', id: 'relay', altKm: 1, mobility: { model: 'hover', at: { latDeg: 0.05, lonDeg: 0.05 } } }];
  const config = NetworkSchema.parse({ server: 'gs', clients: ['near', 'far'], nodes: withRelay, samples_per_second: 100, edges: { relay: ['near'] } });
  const c = new NetworkClock(config, 2);
  const r = c.round([0], [200], 100, 0, []);
  const t = r.clients[0]!;
  assert.equal(t.edge, 'relay');
  const epoch = '2026-01-01T00:00:00Z';
  const hop = (a: number, b: number, at: number) => transferTimeS(linkAt(withRelay[a] as SaginNode, withRelay[b] as SaginNode, at, epoch), 100 * 32);
  const down = hop(0, 3, 0) + hop(3, 1, hop(0, 3, 0));
  assert.ok(Math.abs(t.downS - down) < 1e-12);
  const atEdge = down + 2 + hop(1, 3, down + 2);
  assert.ok(Math.abs(t.arrivalS - (atEdge + hop(3, 0, atEdge))) < 1e-12);
  assert.equal(r.endS, t.arrivalS);
});

test('semi-asynchronous rounds end at the deadline and mark later arrivals late', () => {
  const twoNear = [...nodes, { kind: 'uav', id: 'near2', altKm: 1, mobility: { model: 'hover', at: { latDeg: -0.1, lonDeg: 0 } } }];
  const config = NetworkSchema.parse({ server: 'gs', clients: ['near', 'near2'], nodes: twoNear, samples_per_second: 100, deadline_s: 3 });
  const c = new NetworkClock(config, 2);
  const r = c.round([0, 1], [100, 1000], 10, 0, []);
  assert.deepEqual(r.clients.map((t) => t.late), [false, true]);
  assert.equal(r.endS, 3);
});

test('per-node speeds: an id wins over its kind, the kind over the default; unknown keys are refused', () => {
  const config = NetworkSchema.parse({ server: 'gs', clients: ['near', 'far'], nodes, samples_per_second: 100, node_samples_per_second: { uav: 5, far: 2 } });
  const c = new NetworkClock(config, 2);
  assert.equal(c.speedOf('near'), 5);
  assert.equal(c.speedOf('far'), 2);
  assert.equal(c.speedOf('gs'), 100);
  const r = c.round([0], [400], 10, 0, []);
  assert.equal(r.clients[0]!.computeS, 80); // 400 samples at the UAVs' 5 samples/s
  const bad = NetworkSchema.parse({ server: 'gs', clients: ['near', 'far'], nodes, node_samples_per_second: { blimp: 3 } });
  assert.throws(() => new NetworkClock(bad, 2), /network\.node_samples_per_second\.blimp: is neither a node id .* nor a node kind/);
});
