import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { chooseDegree } from './graph.js';
import { KeyPool } from './keys.js';
import { addMaskInPlace, modulusBits, pairSign, subMod, sumMod } from './masking.js';
import {
  addSelfMask,
  RoundKeyLedger,
  roundKeyBitsPerPair,
  SecAggClient,
  SecAggError,
  SecAggServer,
  SECAGG_STAGES,
  SHARE_BYTES,
  SHARE_KEY_BITS,
  wireBytes,
  type CollectRes,
  type SecAggConfig,
  type UnmaskRes,
} from './protocol.js';
import { QUANT_BITS, workingModulus } from './quantize.js';
import { secureAggregate } from './round.js';

/** n updates of `length` levels in [0, 2^q), deterministic. */
function levels(n: number, length: number, q: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length }, (_, k) => (i * 7919 + k * 104729) % 2 ** q));
}

const plainSum = (xs: readonly Float64Array[], modulus: number) => sumMod(xs, modulus, xs[0]!.length);

const isSecAgg = (code: SecAggError['code'], re: RegExp) => (e: unknown) => e instanceof SecAggError && e.code === code && re.test(e.message);

const ids = (n: number) => Array.from({ length: n }, (_, i) => i);

test('a round without dropouts: exact sum, key and byte accounting', async () => {
  const n = 4;
  const length = 10;
  const { modulus, bits } = workingModulus(8, n); // 2^10
  const xs = levels(n, length, 8);
  const perPair = roundKeyBitsPerPair(length, modulus);
  assert.equal(perPair, 2 * SHARE_KEY_BITS + 2 * 256 + 10 * 10);
  const keys = KeyPool.random(ids(n), 3 * perPair);
  const r = await secureAggregate({ updates: xs, modulus, keys, threshold: 3 });
  assert.deepEqual(r.sum, plainSum(xs, modulus));
  assert.deepEqual(r.survivors, [0, 1, 2, 3]);
  assert.deepEqual(r.dropped, []);
  assert.deepEqual(r.rejected, []);
  assert.equal(r.accounting.keyBits.length, 6);
  for (const p of r.accounting.keyBits) assert.equal(p.bits, perPair);
  for (const u of keys.usageAll()) assert.deepEqual([u.used, u.left], [perPair, 2 * perPair]);
  assert.equal(r.accounting.bytes.length, n * SECAGG_STAGES.length);
  const row = (id: number, st: string) => r.accounting.bytes.find((b) => b.clientId === id && b.stage === st)!;
  // The masked vector: 10 entries of 10 bits = 13 bytes, an 8-byte header, an empty list of bad shares.
  assert.equal(row(2, 'collect-masked-vectors').up, 8 + Math.ceil((length * bits) / 8) + 4);
  assert.equal(r.serverView.seeds.size, n);
  assert.equal(r.serverView.pairKeys.length, 0);
});

test('dropouts after masking: survivors reveal only pair keys with the dropped, and the sum is exact over survivors', async () => {
  const n = 5;
  const length = 6;
  const { modulus } = workingModulus(16, n);
  const xs = levels(n, length, 16);
  const keys = KeyPool.random(ids(n), roundKeyBitsPerPair(length, modulus));
  const r = await secureAggregate({ updates: xs, modulus, keys, threshold: 3, dropoutsAfterMasking: [1, 3], round: 7 });
  assert.deepEqual(r.survivors, [0, 2, 4]);
  assert.deepEqual(r.dropped, [1, 3]);
  assert.deepEqual(r.sum, plainSum([xs[0]!, xs[2]!, xs[4]!], modulus));
  assert.deepEqual([...r.serverView.seeds.keys()].sort(), [0, 2, 4]);
  assert.equal(r.serverView.pairKeys.length, 6);
  for (const k of r.serverView.pairKeys) assert.ok([0, 2, 4].includes(k.survivor) && [1, 3].includes(k.dropped));
  // A dropped client's vector arriving late stays hidden: its self-mask and the pair mask between the dropped remain.
  const late = Float64Array.from(r.late.get(1)!);
  for (const k of r.serverView.pairKeys.filter((p) => p.dropped === 1)) addMaskInPlace(late, k.key, modulus, pairSign(k.survivor, 1) === 1 ? 1 : -1);
  assert.notDeepEqual(late, xs[1]);
  assert.equal(r.serverView.seeds.has(1), false);
});

test('dropouts before sharing and silent survivors (none dropped after masking) still give the exact sum', async () => {
  const { modulus } = workingModulus(8, 6);
  const xs = levels(6, 5, 8);
  const keys = KeyPool.random(ids(6), roundKeyBitsPerPair(5, modulus));
  const r = await secureAggregate({ updates: xs, modulus, keys, threshold: 4, dropoutsBeforeSharing: [5], dropoutsDuringUnmask: [0] });
  assert.deepEqual(r.survivors, [0, 1, 2, 3, 4]);
  assert.deepEqual(r.sum, plainSum(xs.slice(0, 5), modulus));
  // Client 5 never shared, but the others padded their shares to it: each of its pairs spent one round's slice.
  const with5 = r.accounting.keyBits.filter((p) => p.j === 5);
  assert.equal(with5.length, 5);
  assert.ok(with5.every((p) => p.bits === roundKeyBitsPerPair(5, modulus)));
});

test('below the threshold the round aborts cleanly, at every stage', async () => {
  const { modulus } = workingModulus(8, 4);
  const xs = levels(4, 3, 8);
  const fresh = () => KeyPool.random(ids(4), roundKeyBitsPerPair(3, modulus));
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys: fresh(), threshold: 3, dropoutsAfterMasking: [0, 1] }),
    isSecAgg('below-threshold', /secagg\.collect-masked-vectors: round 0: only 2 clients sent a masked vector, fewer than the threshold t = 3; round aborted/),
  );
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys: fresh(), threshold: 3, dropoutsBeforeSharing: [0, 1] }),
    isSecAgg('below-threshold', /secagg\.share-keys: .*only 2 of 4 clients shared their seed/),
  );
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys: fresh(), threshold: 3, dropoutsDuringUnmask: [1, 2] }),
    isSecAgg('below-threshold', /secagg\.unmask: .*only 2 valid shares of survivor 0's seed, fewer than t = 3/),
  );
  // A silent survivor that shared a mask with a dropped client: only the two of them hold that key.
  const xs5 = levels(5, 3, 8);
  await assert.rejects(
    secureAggregate({ updates: xs5, modulus, keys: KeyPool.random(ids(5), roundKeyBitsPerPair(3, modulus)), threshold: 3, dropoutsAfterMasking: [3], dropoutsDuringUnmask: [0] }),
    isSecAgg('unrecoverable-dropout', /survivor 0 did not reveal its pair slice with the dropped client 3/),
  );
});

test('key shortage: an error or a wait, decided before any key is used', async () => {
  const { modulus } = workingModulus(8, 3);
  const xs = levels(3, 4, 8);
  const need = roundKeyBitsPerPair(4, modulus);
  const keys = KeyPool.random(ids(3), need);
  keys.take(1, 2, 1);
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys, threshold: 2 }),
    isSecAgg('key-shortage', new RegExp(`pair 1,2 holds ${need - 1} key bits, a round of 4 entries mod 1024 needs ${need}; no key was used`)),
  );
  const w = await secureAggregate({ updates: xs, modulus, keys, threshold: 2, onKeyShortage: 'wait' });
  assert.deepEqual(w, { status: 'wait', shortages: [{ i: 1, j: 2, needed: need, available: need - 1 }] });
  assert.deepEqual(keys.usageAll().map((u) => u.used), [0, 0, 1]);
  keys.deposit(1, 2, new Uint8Array(1), 1);
  const ok = await secureAggregate({ updates: xs, modulus, keys, threshold: 2, onKeyShortage: 'wait' });
  assert.equal(ok.status, 'done');
  // The round's keys are spent: the same round again cannot reuse them.
  await assert.rejects(secureAggregate({ updates: xs, modulus, keys, threshold: 2 }), isSecAgg('key-shortage', /holds 0 key bits/));
});

test('input errors name the field; a threshold of half the holders or less is refused with the reason', async () => {
  const keys = new KeyPool();
  await assert.rejects(secureAggregate({ updates: [[1]], modulus: 16, keys, threshold: 1 }), /secagg\.clientIds: a round needs at least 2 clients/);
  await assert.rejects(
    secureAggregate({ updates: [[1], [2], [3], [4]], modulus: 16, keys, threshold: 2 }),
    /secagg\.threshold: must be an integer with 4 \/ 2 < t <= 4 .*got 2: with t at most half, a server that tells two halves different survivor lists unmasks a client/,
  );
  await assert.rejects(secureAggregate({ updates: [[1], [2]], modulus: 10, keys, threshold: 2 }), /secagg\.modulus: must be a power of two/);
  await assert.rejects(secureAggregate({ updates: [[1], [16]], modulus: 16, keys, threshold: 2 }), /updates\[1\]\[0\]: must be an integer in \[0, 16\)/);
  await assert.rejects(secureAggregate({ updates: levels(6, 1, 2), modulus: 16, keys, threshold: 3, degree: 3 }), /secagg\.degree: must be an even integer below 5, or 5/);
  await assert.rejects(
    secureAggregate({ updates: [[1], [2]], modulus: 16, keys, threshold: 2, dropoutsAfterMasking: [5] }),
    /dropoutsAfterMasking: client 5 is not one of the round's clients/,
  );
});

test('SecAgg+: 400 clients in one round on a sparse graph (no 255 cap), keys only between neighbours, with dropouts', async () => {
  const n = 400;
  const length = 4;
  const { k, t } = chooseDegree({ clients: n, dropout: 0.05, corrupted: 0.05, threshold: 0.6 });
  assert.ok(k < 120 && k % 2 === 0, `k = ${k}`);
  const { modulus } = workingModulus(8, n);
  const xs = levels(n, length, 8);
  const keys = KeyPool.random([], 0);
  const graphSeed = 5;
  // Keys only where the graph has edges: fill lazily through a wrapper that counts pairs.
  const pairs = new Set<string>();
  const need = roundKeyBitsPerPair(length, modulus);
  const source = {
    available: (i: number, j: number) => {
      pairs.add(`${Math.min(i, j)},${Math.max(i, j)}`);
      return need;
    },
    take: (i: number, j: number, bits: number) => {
      if (keys.available(i, j) < bits) keys.fill([i, j], need);
      return keys.take(i, j, bits);
    },
  };
  const dropped = [3, 50, 51, 52, 200, 399];
  const r = await secureAggregate({ updates: xs, modulus, keys: source, threshold: t, degree: k, graphSeed, dropoutsAfterMasking: dropped });
  assert.equal(pairs.size, (n * k) / 2);
  assert.deepEqual(r.sum, plainSum(xs.filter((_, i) => !dropped.includes(i)), modulus));
  assert.equal(r.survivors.length, n - dropped.length);
});

/** Runs share-keys and collect-masked-vectors honestly for n clients; the test then plays the server. */
function twoStages(n: number, t: number, length = 3) {
  const cfg: SecAggConfig = { round: 1, clientIds: ids(n), threshold: t, degree: n - 1, graphSeed: 0, modulus: 2 ** 10, length };
  const keys = KeyPool.random(ids(n), roundKeyBitsPerPair(length, cfg.modulus));
  const ledger = new RoundKeyLedger(keys, length * 10);
  const server = new SecAggServer(cfg);
  const clients = cfg.clientIds.map((id) => new SecAggClient(id));
  const xs = levels(n, length, 8);
  const shares = server.shareKeysIns().map((ins, k) => clients[k]!.shareKeys(ins, ledger));
  const collectIns = server.collectIns(shares);
  return { cfg, ledger, server, clients, xs, collectIns };
}

/**
 * The lying-server attack measured on the old protocol: the server tells the
 * victim v that the neighbours J dropped (so v reveals its pair masks with J),
 * tells J that everyone survived (so J reveals shares of v's seed, t with v's
 * own), and tells the rest that v dropped (so they reveal their pair masks
 * with v). With all of them the server would strip every mask off y_v.
 */
for (const [n, t] of [
  [5, 3],
  [7, 4],
] as const) {
  test(`an active server that tells clients different survivor lists learns nothing (n = ${n}, t = ${t})`, () => {
    const { ledger, clients, xs, collectIns } = twoStages(n, t);
    const masked: CollectRes[] = collectIns.map((ins, k) => clients[k]!.collect(ins, xs[k]!, ledger));
    const v = 0;
    const J = ids(n).slice(1, t); // t - 1 neighbours: with v's own share, t shares of v's seed
    const rest = ids(n).filter((i) => i !== v && !J.includes(i));
    const listFor = (i: number) => (i === v ? [v, ...rest] : J.includes(i) ? ids(n) : ids(n).filter((x) => x !== v));
    const checks = ids(n).map((i) => clients[i]!.consistency({ kind: 'consistency-ins', round: 1, clientId: i, survivors: listFor(i) }, ledger));
    const answers: UnmaskRes[] = [];
    const refusals: string[] = [];
    for (const i of ids(n)) {
      const tags = checks.flatMap((c) => c.tags).filter((x) => x.to === i);
      try {
        answers.push(clients[i]!.unmask({ kind: 'unmask-ins', round: 1, clientId: i, tags }, ledger));
      } catch (e) {
        assert.ok(e instanceof SecAggError && e.code === 'inconsistent-view', String(e));
        refusals.push(e.message);
      }
    }
    // What the server got about v: shares of its seed, and its pair masks.
    const seedShares = answers.filter((a) => a.seedShares.some((s) => s.owner === v)).length;
    const peersUnmasked = new Set([
      ...answers.filter((a) => a.clientId === v).flatMap((a) => a.pairKeys.map((k) => k.peer)),
      ...answers.filter((a) => a.pairKeys.some((k) => k.peer === v)).map((a) => a.clientId),
    ]);
    const exposed = seedShares >= t && peersUnmasked.size === n - 1;
    assert.equal(exposed, false);
    // Every client that was lied to refuses, saying why.
    assert.equal(refusals.length, n);
    assert.match(refusals[0]!, /only 1 of its share holders \(itself included\) signed the survivor list it was told, fewer than t = \d; the server may be telling clients different lists/);
    void masked;
  });
}

test('a client told a different list than its neighbours refuses; the others, who agree, still unmask the exact sum', () => {
  const n = 7;
  const { ledger, clients, xs, collectIns, server } = twoStages(n, 4);
  const masked = collectIns.map((ins, k) => clients[k]!.collect(ins, xs[k]!, ledger));
  const ins = server.consistencyIns(masked);
  // The server lies to client 6 alone: "client 5 dropped".
  const checks = ins.map((x) => clients[x.clientId]!.consistency(x.clientId === 6 ? { ...x, survivors: [0, 1, 2, 3, 4, 6] } : x, ledger));
  const unmaskIns = server.unmaskIns(checks);
  const answers: UnmaskRes[] = [];
  for (const u of unmaskIns) {
    try {
      answers.push(clients[u.clientId]!.unmask(u, ledger));
    } catch (e) {
      assert.equal(u.clientId, 6);
      assert.ok(e instanceof SecAggError && e.code === 'inconsistent-view');
    }
  }
  assert.equal(answers.length, 6);
  assert.deepEqual(server.finish(answers).sum, plainSum(xs, 2 ** 10));
});

test('a share altered by the client that reveals it is detected, its revealer named, and never used', () => {
  for (let trial = 0; trial < 5; trial++) {
    const n = 5;
    const { ledger, clients, xs, collectIns, server } = twoStages(n, 3);
    const masked = collectIns.map((ins, k) => clients[k]!.collect(ins, xs[k]!, ledger));
    const unmaskIns = server.unmaskIns(server.consistencyIns(masked).map((x) => clients[x.clientId]!.consistency(x, ledger)));
    const answers = unmaskIns.map((u) => clients[u.clientId]!.unmask(u, ledger));
    // Client 1 flips one bit of its share of client 0's seed.
    const cheat = answers[1]!;
    answers[1] = {
      ...cheat,
      seedShares: cheat.seedShares.map((s) => (s.owner === 0 ? { owner: 0, share: s.share.map((b, k) => (k === trial ? b ^ 1 : b)) } : s)),
    };
    const out = server.finish(answers);
    assert.deepEqual(out.sum, plainSum(xs, 2 ** 10));
    assert.deepEqual(server.rejected.map((r) => [r.clientId, r.stage]), [[1, 'unmask']]);
    assert.match(server.rejected[0]!.reason, /revealed a share of client 0's seed that does not match 0's commitment; not used/);
  }
});

test('a share altered on the way (or by its sender) fails its tag at the recipient and is named', () => {
  const n = 5;
  const { ledger, clients, xs, collectIns, server } = twoStages(n, 3);
  const tampered = collectIns.map((ins) =>
    ins.clientId === 3 ? { ...ins, shares: ins.shares.map((s) => (s.from === 1 ? { ...s, ciphertext: s.ciphertext.map((b, k) => (k === 0 ? b ^ 0x80 : b)) } : s)) } : ins,
  );
  const masked = tampered.map((ins, k) => clients[k]!.collect(ins, xs[k]!, ledger));
  assert.deepEqual(masked[3]!.badShares, [1]);
  const unmaskIns = server.unmaskIns(server.consistencyIns(masked).map((x) => clients[x.clientId]!.consistency(x, ledger)));
  const answers = unmaskIns.map((u) => clients[u.clientId]!.unmask(u, ledger));
  // Client 3 holds no share of 1's seed: it reveals none, and the others suffice.
  assert.equal(answers[3]!.seedShares.some((s) => s.owner === 1), false);
  assert.deepEqual(server.finish(answers).sum, plainSum(xs, 2 ** 10));
  assert.deepEqual(server.rejected.map((r) => r.clientId), [1]);
  assert.match(server.rejected[0]!.reason, /its share for client 3 failed authentication/);
});

test('clients refuse to answer twice or to mask twice', () => {
  const { ledger, clients, xs, collectIns, server } = twoStages(3, 2);
  const masked = collectIns.map((ins, k) => clients[k]!.collect(ins, xs[k]!, ledger));
  assert.throws(() => clients[1]!.collect(collectIns[1]!, xs[1]!, ledger), isSecAgg('protocol-violation', /two-time pad/));
  const unmaskIns = server.unmaskIns(server.consistencyIns(masked).map((x) => clients[x.clientId]!.consistency(x, ledger)));
  clients[0]!.unmask(unmaskIns[0]!, ledger);
  assert.throws(() => clients[0]!.unmask(unmaskIns[0]!, ledger), isSecAgg('protocol-violation', /already answered an unmask request/));
  const other = twoStages(3, 2);
  const c1 = other.clients[1]!;
  c1.collect(other.collectIns[1]!, other.xs[1]!, other.ledger);
  assert.throws(
    () => c1.consistency({ kind: 'consistency-ins', round: 1, clientId: 1, survivors: [0, 2] }, other.ledger),
    isSecAgg('protocol-violation', /not listed as a survivor/),
  );
});

test('self-mask: ChaCha20 keystream, removed exactly by subtracting it', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, k) => k);
  const v = Float64Array.of(1, 2, 3, 4, 5);
  const masked = addSelfMask(Float64Array.from(v), seed, 2 ** 20, 1);
  assert.notDeepEqual(masked, v);
  assert.deepEqual(addSelfMask(masked, seed, 2 ** 20, -1), v);
});

test('wireBytes: bit-packed vectors at log2 M bits per entry, shares and tags as bytes', () => {
  assert.equal(wireBytes({ kind: 'collect-res', round: 0, clientId: 0, masked: new Float64Array(10), badShares: [] }, 2 ** 10), 8 + 13 + 4);
  assert.equal(wireBytes({ kind: 'unmask-res', round: 0, clientId: 0, seedShares: [{ owner: 1, share: new Uint8Array(SHARE_BYTES) }], pairKeys: [] }, 2 ** 10), 8 + 4 + 4 + SHARE_BYTES + 4);
});

test('property: masks cancel for any dropout pattern the threshold allows; more dropouts abort cleanly', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 9 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          t: fc.integer({ min: Math.floor(n / 2) + 1, max: n }),
          q: fc.constantFrom(...QUANT_BITS),
          length: fc.integer({ min: 1, max: 6 }),
          fate: fc.array(fc.constantFrom('stay', 'stay', 'stay', 'before', 'after', 'silent'), { minLength: n, maxLength: n }),
        }),
      ),
      async ({ n, t, q, length, fate }) => {
        const { modulus } = workingModulus(q, n);
        const xs = levels(n, length, q);
        const all = ids(n);
        const keys = KeyPool.random(all, roundKeyBitsPerPair(length, modulus));
        const pick = (f: string) => all.filter((i) => fate[i] === f);
        const shared = n - pick('before').length;
        const survivors = shared - pick('after').length;
        const answering = survivors - pick('silent').length;
        const expectOk = shared >= t && survivors >= t && answering >= t && (pick('after').length === 0 || pick('silent').length === 0);
        try {
          const r = await secureAggregate({ updates: xs, modulus, keys, threshold: t, dropoutsBeforeSharing: pick('before'), dropoutsAfterMasking: pick('after'), dropoutsDuringUnmask: pick('silent') });
          assert.ok(expectOk, 'should have aborted');
          const stay = all.filter((i) => fate[i] === 'stay' || fate[i] === 'silent');
          assert.deepEqual(r.survivors, stay);
          assert.deepEqual(r.sum, plainSum(stay.map((i) => xs[i]!), modulus));
          assert.equal(modulusBits(modulus), q + Math.ceil(Math.log2(n)));
        } catch (e) {
          if (!(e instanceof SecAggError)) throw e;
          assert.ok(!expectOk, `unexpected abort: ${e.message}`);
        }
      },
    ),
    { numRuns: 80 },
  );
});

test('property: on a sparse graph, any dropout pattern leaving each client t holders gives the exact sum', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 30 }), fc.array(fc.integer({ min: 0, max: 29 }), { maxLength: 4 }), async (graphSeed, drops) => {
      const n = 30;
      const k = 8;
      const t = 6;
      const { modulus } = workingModulus(8, n);
      const xs = levels(n, 3, 8);
      const dropped = [...new Set(drops)];
      const keys = KeyPool.random(ids(n), roundKeyBitsPerPair(3, modulus));
      // t = 6 of 9 holders: a client survives up to 3 dropped neighbours, so only 4 dropouts can abort.
      try {
        const r = await secureAggregate({ updates: xs, modulus, keys, threshold: t, degree: k, graphSeed, dropoutsAfterMasking: dropped });
        assert.deepEqual(r.sum, plainSum(xs.filter((_, i) => !dropped.includes(i)), modulus));
      } catch (e) {
        if (!(e instanceof SecAggError)) throw e;
        assert.equal(e.code, 'below-threshold');
        assert.ok(dropped.length >= 4, `aborted with only ${dropped.length} dropouts: ${e.message}`);
      }
    }),
    { numRuns: 25 },
  );
});

test('subMod by hand', () => {
  assert.deepEqual([...subMod([3, 60], [5, 1], 64)], [62, 59]);
});

test('updates keyed by sparse client ids', async () => {
  const { modulus } = workingModulus(8, 3);
  const updates = new Map([
    [42, Float64Array.of(1, 2)],
    [3, Float64Array.of(250, 7)],
    [17, Float64Array.of(9, 9)],
  ]);
  const keys = KeyPool.random([3, 17, 42], roundKeyBitsPerPair(2, modulus));
  const r = await secureAggregate({ updates, modulus, keys, threshold: 2, dropoutsAfterMasking: [17] });
  assert.deepEqual(r.survivors, [3, 42]);
  assert.deepEqual([...r.sum], [251, 9]);
});
