import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { isFailure } from '../updates/pipeline.js';
import { AllowList, challengeMessage, generateNodeKey, loadNodeKey } from './auth.js';
import { encodeVector, fitResult } from './codec.js';
import { PROTOCOL_VERSION, ranges } from './fleet.js';
import { ResultSchema, TensorSchema } from './gen/qfl/fleet/v1/fleet_pb.js';
import { fitIns, fitRes, nodeRpc, PARAMS, refusedCode, startFleet } from './fleet-testing.js';
import { decodeDataset } from './codec.js';
import type { Dataset } from '../data/dataset.js';

/** The server's rules, over real RPCs on 127.0.0.1 (no child processes). */
const start = (extra: Parameters<typeof startFleet>[0] = {}) => startFleet(extra);
const rpc = nodeRpc;
const code = refusedCode;
const res = (clientId: number, update: Float64Array) => fitRes(clientId, update);

test('a registered node pulls its instruction; a valid result settles the task bit for bit', async () => {
  const { server, url } = await start();
  try {
    const node = rpc(url);
    const reg = await node.join([0, 1]);
    assert.equal(reg.run?.numParameters, PARAMS);
    const outcomes = server.executor().fit([fitIns(0), fitIns(1)], { timeoutMs: 10_000 });
    const { instructions } = await node.client.pullInstructions({ waitS: 5 });
    assert.deepEqual(instructions.map((i) => i.clientId), [0, 1]);
    const update = Float64Array.of(0.1, -2, 1e-300, 3);
    const { acks } = await node.client.pushResults({ results: instructions.map((i) => fitResult(i.id, res(i.clientId, update))) });
    assert.ok(acks.every((a) => a.accepted));
    const got = await outcomes;
    assert.deepEqual(got.map((o) => (isFailure(o) ? o.reason : [...o.update])), [[...update], [...update]]);
  } finally {
    await server.close();
  }
});

test('invalid results are refused to the sender, logged, and fail only their task', async () => {
  const { server, url, logs } = await start();
  try {
    const node = rpc(url);
    await node.join([0, 1, 2]);
    const outcomes = server.executor().fit([fitIns(0), fitIns(1), fitIns(2)], { timeoutMs: 10_000 });
    const { instructions } = await node.client.pullInstructions({ waitS: 5 });
    const [a, b, c] = instructions;
    const nan = fitResult(a!.id, res(0, Float64Array.of(0, NaN, 0, 0)));
    const short = create(ResultSchema, { instructionId: b!.id, clientId: 1, round: 1, outcome: { case: 'fit', value: { update: encodeVector(new Float64Array(3)), numExamples: 1 } } });
    const lying = fitResult(c!.id, res(0, new Float64Array(PARAMS))); // claims client 0 for client 2's task
    const { acks } = await node.client.pushResults({ results: [nan, short, lying] });
    assert.deepEqual(acks.map((k) => k.accepted), [false, false, false]);
    assert.match(acks[0]!.error, /element 1 is NaN/);
    assert.match(acks[1]!.error, /shape.*must be \[4\]/);
    assert.match(acks[2]!.error, /client_id: must be 2/);
    const got = await outcomes;
    assert.ok(got.every((o) => isFailure(o) && /invalid result/.test(o.reason)));
    assert.equal(logs.filter((l) => /refused an invalid result/.test(l)).length, 3);
    // Late or repeated answers are refused too.
    const again = await node.client.pushResults({ results: [fitResult(a!.id, res(0, new Float64Array(PARAMS)))] });
    assert.match(again.acks[0]!.error, /unknown, expired/);
  } finally {
    await server.close();
  }
});

test('deadlines, silent nodes and clients without a node give failures, not a stuck round', async () => {
  const { server, url } = await start({ silenceTimeoutS: 0.5 });
  try {
    const node = rpc(url);
    await node.join([0]);
    const [timedOut] = await server.executor().fit([fitIns(0)], { timeoutMs: 200 });
    assert.match(isFailure(timedOut!) ? timedOut.reason : '', /timeout after 200 ms/);
    const [orphan] = await server.executor().fit([fitIns(2)], { timeoutMs: 10_000 });
    assert.match(isFailure(orphan!) ? orphan.reason : '', /no node hosts this client/);
    const [silent] = await server.executor().fit([fitIns(0)]); // no deadline: only the silence rule can end it
    assert.match(isFailure(silent!) ? silent.reason : '', /went silent/);
    assert.equal(await code(node.client.heartbeat({})), Code.Unauthenticated, 'a dropped session must register again');
    await node.join([0]);
    await node.client.heartbeat({});
  } finally {
    await server.close();
  }
});

test('registration checks client ids, protocol version and the allow-list challenge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-fleet-'));
  const member = generateNodeKey();
  writeFileSync(join(dir, 'm.key'), member.privateKeyPem);
  const key = loadNodeKey(join(dir, 'm.key'));
  const stranger = generateNodeKey();
  const { server, url, logs } = await start({ allowList: AllowList.parse(`m ${member.publicKey} *\n`, 'test') });
  try {
    const { client } = rpc(url);
    const base = { name: 'm', publicKey: key.publicKey, clientIds: [0], protocolVersion: PROTOCOL_VERSION, kind: 'node' };
    assert.equal(await code(client.getChallenge({ name: 'x', publicKey: stranger.publicKey })), Code.PermissionDenied);
    let { challenge } = await client.getChallenge({ name: 'm', publicKey: key.publicKey });
    assert.equal(await code(client.registerNode({ ...base, challenge, signature: new Uint8Array(64) })), Code.Unauthenticated);
    // A challenge is good for one attempt: the right signature on a used challenge fails.
    assert.equal(await code(client.registerNode({ ...base, challenge, signature: key.sign(challengeMessage(challenge, 'm')) })), Code.Unauthenticated);
    ({ challenge } = await client.getChallenge({ name: 'm', publicKey: key.publicKey }));
    const signature = key.sign(challengeMessage(challenge, 'm'));
    assert.equal(await code(client.registerNode({ ...base, challenge, signature, clientIds: [3] })), Code.InvalidArgument);
    ({ challenge } = await client.getChallenge({ name: 'm', publicKey: key.publicKey }));
    assert.equal(await code(client.registerNode({ ...base, challenge, signature: key.sign(challengeMessage(challenge, 'm')), protocolVersion: 99 })), Code.FailedPrecondition);
    ({ challenge } = await client.getChallenge({ name: 'm', publicKey: key.publicKey }));
    const ok = await client.registerNode({ ...base, challenge, signature: key.sign(challengeMessage(challenge, 'm')) });
    assert.ok(ok.sessionToken.length > 20);
    assert.ok(logs.some((l) => /not on the server's allow-list/.test(l)));
    await assert.rejects(server.fleet.waitForClients([0, 1, 2], 0.3), /clients 1-2 have none/);
  } finally {
    await server.close();
  }
});

test('garbage bytes and oversized messages are refused and the server stays up', async () => {
  const { server, url } = await start({ maxMessageBytes: 64 * 1024 });
  try {
    const port = Number(new URL(url).port);
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end(Buffer.from('GET / HTTP/1.1\r\n\r\n\x00\xff garbage \x16\x03\x01')));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    const node = rpc(url);
    assert.equal(await code(node.client.getChallenge({ name: 'x'.repeat(200_000), publicKey: '' })), Code.ResourceExhausted);
    await node.join([0]);
    const outcomes = server.executor().fit([fitIns(0)], { timeoutMs: 10_000 });
    const { instructions } = await node.client.pullInstructions({ waitS: 5 });
    const huge = create(ResultSchema, {
      instructionId: instructions[0]!.id,
      clientId: 0,
      round: 1,
      outcome: { case: 'fit', value: { update: create(TensorSchema, { dtype: 'float64', shape: [PARAMS], data: new Uint8Array(100_000) }), numExamples: 1 } },
    });
    assert.equal(await code(node.client.pushResults({ results: [huge] })), Code.ResourceExhausted);
    // Still serving: the proper answer goes through.
    const { acks } = await node.client.pushResults({ results: [fitResult(instructions[0]!.id, res(0, new Float64Array(PARAMS)))] });
    assert.ok(acks[0]!.accepted);
    assert.ok(!isFailure((await outcomes)[0]!));
  } finally {
    await server.close();
  }
});

test('ranges prints client ids compactly', () => {
  assert.equal(ranges([7, 0, 1, 2, 3, 9, 10]), '0-3, 7, 9-10');
});

test('GetPartition serves a node its own clients\' data, exactly, and only when enabled', async () => {
  const data = (k: number): Dataset => ({ x: Float64Array.from({ length: 6 }, (_, i) => k + i / 7), y: Int32Array.of(k % 2, 1), n: 2, shape: [3], classes: 2 });
  const { server, url } = await start({ partitions: (k) => ({ train: data(k), test: data(k + 1), range: [0, 1] }) });
  try {
    const node = rpc(url);
    await node.join([1]);
    const p = await node.client.getPartition({ clientId: 1 });
    const train = decodeDataset(p.trainX, p.trainY, p.classes, 'train');
    assert.deepEqual(train, data(1));
    assert.deepEqual(decodeDataset(p.testX, p.testY, p.classes, 'test'), data(2));
    assert.deepEqual(p.range, [0, 1]);
    assert.equal(await code(node.client.getPartition({ clientId: 0 })), Code.PermissionDenied);
  } finally {
    await server.close();
  }
  const plain = await start();
  try {
    const node = rpc(plain.url);
    await node.join([0]);
    assert.equal(await code(node.client.getPartition({ clientId: 0 })), Code.FailedPrecondition);
  } finally {
    await plain.server.close();
  }
});
