import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo } from 'node:net';
import test, { after } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { isFailure } from '../fl/pipeline.js';
import { AllowList, generateNodeKey, loadNodeKey, type NodeKey } from './auth.js';
import { evaluateResult, fitResult } from './codec.js';
import { fitIns, fitRes, nodeRpc, PARAMS, refusedCode, startFleet } from './fleet-testing.js';
import { ResultSchema } from './gen/qfl/fleet/v1/fleet_pb.js';
import type { Refusal } from './fleet.js';
import { checkMetrics, l2, normBound, screenNorms } from './plausibility.js';

/**
 * The server trusts no node: each case an attacker (or a broken node) tried
 * on the server, over real RPCs on 127.0.0.1.
 */
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Train partition of client k holds 10 + k samples, its test partition 5. */
const expectedExamples = (k: number, kind: 'fit' | 'evaluate') => (kind === 'fit' ? 10 + k : 5);

test('implausible metrics and num_examples are refused, naming node and reason, as refusal reports', async () => {
  const refusals: Refusal[] = [];
  const { server, url } = await startFleet({ plausibility: { expectedExamples }, onRefusal: (r) => refusals.push(r) });
  try {
    const node = nodeRpc(url);
    await node.join([0, 1, 2], 'mallory');
    const outcomes = server.executor().fit([fitIns(0), fitIns(1), fitIns(2)], { timeoutMs: 20_000 });
    const { instructions } = await node.client.pullInstructions({ waitS: 5 });
    const [a, b, c] = instructions;
    const u = new Float64Array(PARAMS).fill(0.01);
    const { acks } = await node.client.pushResults({
      results: [
        fitResult(a!.id, fitRes(0, u, { numExamples: 9e15, metrics: { loss: 1, accuracy: 1e9 } })),
        fitResult(b!.id, fitRes(1, u, { numExamples: 1e15 })),
        fitResult(c!.id, fitRes(2, u, { numExamples: 12, metrics: { loss: Infinity } })),
      ],
    });
    assert.deepEqual(acks.map((k) => k.accepted), [false, false, false]);
    assert.match(acks[0]!.error, /metric accuracy = 1000000000 is outside its range \[0, 1\]/);
    assert.match(acks[1]!.error, /num_examples = 1000000000000000, but client 1's training partition holds 11 samples/);
    assert.match(acks[2]!.error, /metric loss is Infinity; metrics must be finite/);
    const got = await outcomes;
    assert.ok(got.every((o) => isFailure(o) && /^node mallory#1 sent an implausible result/.test(o.reason)), JSON.stringify(got));
    assert.deepEqual(refusals.map((r) => [r.node, r.clientId, r.round, r.kind]), [['mallory#1', 0, 1, 'fit'], ['mallory#1', 1, 1, 'fit'], ['mallory#1', 2, 1, 'fit']]);

    // Evaluation results too: an accuracy of 1000 never reaches the weighted mean.
    const evals = server.executor().evaluate([{ round: 1, clientId: 0, params: new Float64Array(PARAMS) }, { round: 1, clientId: 1, params: new Float64Array(PARAMS) }], { timeoutMs: 20_000 });
    const pulled = (await node.client.pullInstructions({ waitS: 5 })).instructions;
    const e = await node.client.pushResults({
      results: [
        evaluateResult(pulled[0]!.id, { round: 1, clientId: 0, loss: 0.5, numExamples: 5, metrics: { accuracy: 1000 } }),
        evaluateResult(pulled[1]!.id, { round: 1, clientId: 1, loss: 0.5, numExamples: 5, metrics: { accuracy: 0.75 } }),
      ],
    });
    assert.deepEqual(e.acks.map((k) => k.accepted), [false, true]);
    const ev = await evals;
    assert.ok(isFailure(ev[0]!) && !isFailure(ev[1]!));
    assert.equal(refusals.length, 4);
  } finally {
    await server.close();
  }
});

test('an update far above the round\'s median norm is refused (or clipped), and 1.7e308 never reaches the aggregate', async () => {
  for (const action of ['refuse', 'clip'] as const) {
    const refusals: Refusal[] = [];
    const { server, url } = await startFleet({ norms: { normMultiple: 10, action }, onRefusal: (r) => refusals.push(r) });
    try {
      const node = nodeRpc(url);
      await node.join([0, 1, 2]);
      const outcomes = server.executor().fit([fitIns(0), fitIns(1), fitIns(2)], { timeoutMs: 20_000 });
      const { instructions } = await node.client.pullInstructions({ waitS: 5 });
      const honest = Float64Array.of(0.1, -0.2, 0.05, 0);
      const huge = Float64Array.of(1.7e308, 1.7e308, -1.7e308, 1e300);
      const { acks } = await node.client.pushResults({ results: instructions.map((i) => fitResult(i.id, fitRes(i.clientId, i.clientId === 2 ? huge : honest))) });
      assert.ok(acks.every((k) => k.accepted));
      const got = await outcomes;
      assert.ok(!isFailure(got[0]!) && !isFailure(got[1]!));
      if (action === 'refuse') {
        assert.ok(isFailure(got[2]!) && /update norm .* exceeds the round's bound .*10 x the median norm/.test(got[2].reason), JSON.stringify(got[2]));
        assert.deepEqual(refusals.map((r) => r.clientId), [2]);
      } else {
        const clipped = got[2]!;
        assert.ok(!isFailure(clipped));
        assert.ok(Math.abs(l2(clipped.update) - 10 * l2(honest)) < 1e-9 * l2(honest), `clipped to the bound: ${l2(clipped.update)}`);
        assert.equal(refusals.length, 0);
      }
    } finally {
      await server.close();
    }
  }
});

test('norm bound: lower median, absolute cap, zero updates, no mutation', () => {
  assert.equal(normBound([1, 2, 100], { normMultiple: 10 }), 20);
  // Two updates: the larger cannot set its own bound.
  assert.equal(normBound([1, 1e300], { normMultiple: 10 }), 10);
  assert.equal(normBound([1, 2, 3], { normMultiple: 10, maxNorm: 5 }), 5);
  assert.equal(normBound([0, 0], { normMultiple: 10 }), Infinity);
  assert.ok(Math.abs(l2(Float64Array.of(3e200, 4e200)) / 5e200 - 1) < 1e-15);
  const big = { clientId: 1, update: Float64Array.of(30, 40) };
  const small = { clientId: 0, update: Float64Array.of(0.3, 0.4) };
  const r = screenNorms([small, small, big], { normMultiple: 10, action: 'clip' });
  assert.deepEqual([...r.kept[2]!.update].map((x) => +x.toFixed(12)), [3, 4]);
  assert.deepEqual([...big.update], [30, 40], 'input not mutated');
  assert.equal(checkMetrics({ [`k${'x'.repeat(100)}`]: 1 })?.includes('metric name of'), true);
  assert.equal(checkMetrics(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, 0]))), '65 metrics, at most 64 accepted');
  assert.equal(checkMetrics({ loss: 0.3, accuracy: 0.9, clip_norm: 2 }), undefined);
});

function keyFile(dir: string, name: string): { key: NodeKey; publicKey: string } {
  const k = generateNodeKey();
  writeFileSync(join(dir, `${name}.key`), k.privateKeyPem);
  return { key: loadNodeKey(join(dir, `${name}.key`)), publicKey: k.publicKey };
}

test('allow-list keys are bound to their clients; a live holder keeps its clients, a silent one loses them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-trust-'));
  dirs.push(dir);
  const n0 = keyFile(dir, 'node-0');
  const n2 = keyFile(dir, 'node-2');
  const spare = keyFile(dir, 'spare');
  const list = AllowList.parse(`node-0 ${n0.publicKey} 0-1\nnode-2 ${n2.publicKey} 2\nspare ${spare.publicKey} *\n`, 'allow.txt');
  const { server, url, logs } = await startFleet({ allowList: list, silenceTimeoutS: 1 });
  try {
    // node-2's key claiming clients 0-2 (the attack on main: the run started with it alone).
    assert.equal(await refusedCode(nodeRpc(url).join([0, 1, 2], 'node-2', n2.key)), Code.PermissionDenied);
    assert.ok(logs.some((l) => /node node-2: its key may host clients 2 \(allow-list\), not client 0/.test(l)), logs.join('\n'));
    // The legitimate nodes join, whenever they come.
    const first = nodeRpc(url);
    await first.join([0, 1], 'node-0', n0.key);
    await nodeRpc(url).join([2], 'node-2', n2.key);
    // A key allowed everything still cannot take a client from a live holder.
    const hb = setInterval(() => void first.client.heartbeat({}).catch(() => undefined), 100);
    try {
      assert.equal(await refusedCode(nodeRpc(url).join([1], 'spare', spare.key)), Code.AlreadyExists);
    } finally {
      clearInterval(hb);
    }
    // Once the holder is silent past the timeout it is no longer alive: the newcomer is admitted.
    await new Promise((r) => setTimeout(r, 1300));
    const r = await nodeRpc(url).join([1], 'spare', spare.key);
    assert.ok(r.sessionToken.length > 0);
  } finally {
    await server.close();
  }
});

test('node grace: a task whose node is away waits for it to come back and is sent again', async () => {
  const { server, url, logs } = await startFleet({ nodeGraceS: 60, silenceTimeoutS: 0.5 });
  try {
    const gone = nodeRpc(url);
    await gone.join([0]);
    const outcomes = server.executor().fit([fitIns(0)], { timeoutMs: 60_000 });
    // The node pulls its task and then goes silent: it is dropped mid-task.
    await gone.client.pullInstructions({ waitS: 5 });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (logs.some((l) => /waiting up to \d+ s for it to come back/.test(l))) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    // It comes back (a restarted node) and answers the task sent again.
    const back = nodeRpc(url);
    await back.join([0]);
    const { instructions } = await back.client.pullInstructions({ waitS: 5 });
    assert.equal(instructions.length, 1);
    const ack = await back.client.pushResults({ results: [fitResult(instructions[0]!.id, fitRes(0, new Float64Array(PARAMS).fill(0.5)))] });
    assert.ok(ack.acks[0]!.accepted);
    const [o] = await outcomes;
    assert.ok(!isFailure(o!), JSON.stringify(o));
  } finally {
    await server.close();
  }
  // Without grace, the same absence fails the task at once.
  const plain = await startFleet({ silenceTimeoutS: 30 });
  try {
    const [o] = await plain.server.executor().fit([fitIns(1)], { timeoutMs: 60_000 });
    assert.ok(isFailure(o!) && /no node hosts this client/.test(o.reason));
  } finally {
    await plain.server.close();
  }
});

test('a result the codec cannot read is refused as before, and reported', async () => {
  const refusals: Refusal[] = [];
  const { server, url } = await startFleet({ onRefusal: (r) => refusals.push(r) });
  try {
    const node = nodeRpc(url);
    await node.join([0]);
    const outcomes = server.executor().fit([fitIns(0)], { timeoutMs: 20_000 });
    const { instructions } = await node.client.pullInstructions({ waitS: 5 });
    const empty = create(ResultSchema, { instructionId: instructions[0]!.id, clientId: 0, round: 1 });
    const { acks } = await node.client.pushResults({ results: [empty] });
    assert.equal(acks[0]!.accepted, false);
    assert.ok(isFailure((await outcomes)[0]!));
    assert.match(refusals[0]!.reason, /invalid result/);
  } finally {
    await server.close();
  }
});

test('a server whose event loop was blocked does not drop the healthy nodes whose calls were queued meanwhile', async () => {
  const { server, url, logs } = await startFleet({ silenceTimeoutS: 0.5 });
  try {
    const node = nodeRpc(url);
    const { sessionToken } = await node.join([0]);
    // A node's call that arrives while the server is busy is read only in the event loop's poll
    // phase, after the timers that fire late at the block's end: a socket plays that call.
    const wire = createServer((s) => s.on('data', () => server.fleet.session(sessionToken)));
    await new Promise<void>((r) => wire.listen(0, '127.0.0.1', () => r()));
    const sock = connect((wire.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    await new Promise((r) => setTimeout(r, 100));
    sock.write('heartbeat');
    const until = Date.now() + 1200;
    while (Date.now() < until); // the server busy (central evaluation on a loaded machine)
    await new Promise((r) => setTimeout(r, 50));
    sock.destroy();
    wire.close();
    assert.ok(!logs.some((l) => /dropped/.test(l)), logs.join('\n'));
    assert.equal(server.fleet.list().length, 1);
    // A node that really stays silent is still dropped.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (server.fleet.list().length === 0) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    assert.ok(logs.some((l) => /went silent/.test(l)));
  } finally {
    await server.close();
  }
});
