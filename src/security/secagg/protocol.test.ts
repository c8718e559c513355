import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { KeyPool } from './keys.js';
import { addMaskInPlace, modulusBits, pairSign, subMod, sumMod } from './masking.js';
import {
  addSelfMask,
  RoundKeyLedger,
  roundKeyBitsPerPair,
  SecAggClient,
  SecAggError,
  SecAggServer,
  secureAggregate,
  SECAGG_STAGES,
  SHARE_KEY_BITS,
  wireBytes,
  type SecAggConfig,
} from './protocol.js';
import { QUANT_BITS, workingModulus } from './quantize.js';

/** n updates of `length` levels in [0, 2^q), deterministic. */
function levels(n: number, length: number, q: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => Float64Array.from({ length }, (_, k) => (i * 7919 + k * 104729) % 2 ** q));
}

const plainSum = (xs: readonly Float64Array[], modulus: number) => sumMod(xs, modulus, xs[0]!.length);

const isSecAgg = (code: SecAggError['code'], re: RegExp) => (e: unknown) => e instanceof SecAggError && e.code === code && re.test(e.message);

test('a round without dropouts: exact sum, key and byte accounting', async () => {
  const n = 4;
  const length = 10;
  const { modulus, bits } = workingModulus(8, n); // 2^10
  const xs = levels(n, length, 8);
  const perPair = roundKeyBitsPerPair(length, modulus);
  assert.equal(perPair, 2 * 264 + 10 * 10);
  const keys = KeyPool.random([0, 1, 2, 3], 3 * perPair);
  const r = await secureAggregate({ updates: xs, modulus, keys, threshold: 3 });
  assert.deepEqual(r.sum, plainSum(xs, modulus));
  assert.deepEqual(r.survivors, [0, 1, 2, 3]);
  assert.deepEqual(r.dropped, []);
  assert.equal(r.accounting.keyBits.length, 6);
  for (const p of r.accounting.keyBits) assert.equal(p.bits, perPair);
  for (const u of keys.usageAll()) assert.deepEqual([u.used, u.left], [perPair, 2 * perPair]);
  // Bytes: one row per client and stage; the masked vector is 10 entries of 10 bits = 13 bytes + 8 bytes header.
  assert.equal(r.accounting.bytes.length, n * SECAGG_STAGES.length);
  const row = (id: number, st: string) => r.accounting.bytes.find((b) => b.clientId === id && b.stage === st)!;
  assert.equal(row(2, 'collect-masked-vectors').up, 8 + Math.ceil((length * bits) / 8));
  assert.equal(row(2, 'share-keys').up, 12 + 3 * (4 + 33));
  assert.equal(row(2, 'unmask').up, 8 + 4 + n * (4 + 33) + 4);
  assert.equal(r.serverView.seeds.size, n);
  assert.equal(r.serverView.pairKeys.length, 0);
});

test('dropouts after masking: survivors reveal only pair keys with the dropped, and the sum is exact over survivors', async () => {
  const n = 5;
  const length = 6;
  const { modulus } = workingModulus(16, n);
  const xs = levels(n, length, 16);
  const keys = KeyPool.random([0, 1, 2, 3, 4], roundKeyBitsPerPair(length, modulus));
  const r = await secureAggregate({ updates: xs, modulus, keys, threshold: 3, dropoutsAfterMasking: [1, 3], round: 7 });
  assert.deepEqual(r.survivors, [0, 2, 4]);
  assert.deepEqual(r.dropped, [1, 3]);
  assert.deepEqual(r.sum, plainSum([xs[0]!, xs[2]!, xs[4]!], modulus));
  // Seeds only of survivors; pair keys only between a survivor and a dropped client: never both for one client.
  assert.deepEqual([...r.serverView.seeds.keys()].sort(), [0, 2, 4]);
  assert.equal(r.serverView.pairKeys.length, 6);
  for (const k of r.serverView.pairKeys) {
    assert.ok([0, 2, 4].includes(k.survivor) && [1, 3].includes(k.dropped));
  }
  // Every pair used the same key (even with the dropped: their masks were fixed).
  for (const p of r.accounting.keyBits) assert.equal(p.bits, roundKeyBitsPerPair(length, modulus));
  // A dropped client's vector arriving late stays hidden: removing every revealed mask leaves x + its self-mask.
  const late = Float64Array.from(r.late.get(1)!);
  for (const k of r.serverView.pairKeys.filter((p) => p.dropped === 1)) addMaskInPlace(late, k.key, modulus, pairSign(k.survivor, 1) === 1 ? 1 : -1);
  // The pair mask between the two dropped clients is still in it, and the self-mask was never rebuilt.
  assert.notDeepEqual(late, xs[1]);
  assert.equal(r.serverView.seeds.has(1), false);
});

test('dropouts before sharing and during unmask (none dropped after masking) still give the exact sum', async () => {
  const { modulus } = workingModulus(8, 6);
  const xs = levels(6, 5, 8);
  const keys = KeyPool.random([0, 1, 2, 3, 4, 5], roundKeyBitsPerPair(5, modulus));
  const r = await secureAggregate({ updates: xs, modulus, keys, threshold: 3, dropoutsBeforeSharing: [5], dropoutsDuringUnmask: [0, 2] });
  assert.deepEqual(r.survivors, [0, 1, 2, 3, 4]);
  assert.deepEqual(r.sum, plainSum(xs.slice(0, 5), modulus));
  // Client 5 never shared: the others padded their shares to it, but no mask with it was cut.
  const with5 = r.accounting.keyBits.filter((p) => p.j === 5);
  assert.ok(with5.every((p) => p.bits === SHARE_KEY_BITS));
});

test('below the threshold the round aborts cleanly, at every stage', async () => {
  const { modulus } = workingModulus(8, 4);
  const xs = levels(4, 3, 8);
  const fresh = () => KeyPool.random([0, 1, 2, 3], roundKeyBitsPerPair(3, modulus));
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys: fresh(), threshold: 3, dropoutsAfterMasking: [0, 1] }),
    isSecAgg('below-threshold', /secagg\.collect-masked-vectors: round 0: only 2 of 4 clients sent a masked vector, fewer than the threshold t = 3; round aborted/),
  );
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys: fresh(), threshold: 3, dropoutsBeforeSharing: [0, 1] }),
    isSecAgg('below-threshold', /secagg\.share-keys: .*only 2 of 4 clients shared their seed/),
  );
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys: fresh(), threshold: 3, dropoutsDuringUnmask: [1, 2] }),
    isSecAgg('below-threshold', /secagg\.unmask: .*only 2 of 4 clients answered the unmask request/),
  );
  // A silent survivor that shared a mask with a dropped client: only the two of them hold that key.
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys: fresh(), threshold: 2, dropoutsAfterMasking: [3], dropoutsDuringUnmask: [0] }),
    isSecAgg('unrecoverable-dropout', /survivor 0 did not answer, and only it holds its pair keys with the dropped 3/),
  );
});

test('key shortage: an error or a wait, decided before any key is used', async () => {
  const { modulus } = workingModulus(8, 3);
  const xs = levels(3, 4, 8);
  const need = roundKeyBitsPerPair(4, modulus);
  const keys = KeyPool.random([0, 1, 2], need);
  keys.take(1, 2, 1);
  await assert.rejects(
    secureAggregate({ updates: xs, modulus, keys, threshold: 2 }),
    isSecAgg('key-shortage', /pair 1,2 holds 567 key bits, a round of 4 entries mod 1024 needs 568; no key was used/),
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

test('input errors name the field', async () => {
  const keys = new KeyPool();
  await assert.rejects(secureAggregate({ updates: [[1]], modulus: 16, keys, threshold: 2 }), /secagg\.clientIds: a round needs 2\.\.255 clients/);
  await assert.rejects(secureAggregate({ updates: [[1], [2]], modulus: 16, keys, threshold: 1 }), /secagg\.threshold: must be an integer in 2\.\.2/);
  await assert.rejects(secureAggregate({ updates: [[1], [2]], modulus: 10, keys, threshold: 2 }), /secagg\.modulus: must be a power of two/);
  await assert.rejects(secureAggregate({ updates: [[1], [16]], modulus: 16, keys, threshold: 2 }), /updates\[1\]\[0\]: must be an integer in \[0, 16\)/);
  await assert.rejects(
    secureAggregate({ updates: [[1], [2]], modulus: 16, keys, threshold: 2, dropoutsAfterMasking: [5] }),
    /dropoutsAfterMasking: client 5 is not one of the round's clients 0, 1/,
  );
  const many = Array.from({ length: 256 }, () => [0]);
  await assert.rejects(secureAggregate({ updates: many, modulus: 16, keys, threshold: 2 }), /got 256/);
});

/** Drives the stages by hand for the client-side refusals. */
async function staged(): Promise<{ cfg: SecAggConfig; clients: SecAggClient[]; server: SecAggServer; ledger: RoundKeyLedger }> {
  const cfg: SecAggConfig = { round: 1, clientIds: [0, 1, 2], threshold: 2, modulus: 256, length: 3 };
  const keys = KeyPool.random([0, 1, 2], roundKeyBitsPerPair(3, 256));
  const ledger = new RoundKeyLedger(keys, 3 * 8);
  const server = new SecAggServer(cfg);
  const clients = cfg.clientIds.map((id) => new SecAggClient(id));
  const shares = await Promise.all(server.shareKeysIns().map((ins, k) => clients[k]!.shareKeys(ins, ledger)));
  const collect = server.collectIns(shares);
  const masked = collect.map((ins, k) => clients[k]!.collect(ins, [1, 2, 3], ledger));
  server.unmaskIns(masked.slice(0, 2)); // client 2 dropped
  return { cfg, clients, server, ledger };
}

test('clients refuse to reveal both masks of one client, to answer twice, or to mask twice', async () => {
  const { clients, ledger } = await staged();
  const c0 = clients[0]!;
  assert.throws(
    () => c0.unmask({ kind: 'unmask-ins', round: 1, clientId: 0, survivors: [0, 1, 2], dropped: [2] }),
    isSecAgg('protocol-violation', /client 2 is listed as both survivor and dropped/),
  );
  assert.throws(
    () => c0.unmask({ kind: 'unmask-ins', round: 1, clientId: 0, survivors: [0, 1], dropped: [] }),
    isSecAgg('protocol-violation', /must partition the participants 0, 1, 2/),
  );
  const res = c0.unmask({ kind: 'unmask-ins', round: 1, clientId: 0, survivors: [0, 1], dropped: [2] });
  assert.deepEqual(res.seedShares.map((s) => s.owner), [0, 1]);
  assert.deepEqual(res.pairKeys.map((k) => k.peer), [2]);
  // A late change of mind ("2 survived after all") gets nothing more.
  assert.throws(
    () => c0.unmask({ kind: 'unmask-ins', round: 1, clientId: 0, survivors: [0, 1, 2], dropped: [] }),
    isSecAgg('protocol-violation', /already answered an unmask request/),
  );
  assert.throws(
    () => clients[1]!.collect({ kind: 'collect-ins', round: 1, clientId: 1, participants: [0, 1, 2], shares: [] }, [0, 0, 0], ledger),
    isSecAgg('protocol-violation', /two-time pad/),
  );
});

test('self-mask: ChaCha20 keystream, removed exactly by subtracting it', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, k) => k);
  const v = Float64Array.of(1, 2, 3, 4, 5);
  const masked = addSelfMask(Float64Array.from(v), seed, 2 ** 20, 1);
  assert.notDeepEqual(masked, v);
  assert.deepEqual(addSelfMask(masked, seed, 2 ** 20, -1), v);
  assert.deepEqual(addSelfMask(new Float64Array(5), seed, 2 ** 20, 1), addSelfMask(new Float64Array(5), seed, 2 ** 20, 1));
});

test('wireBytes: bit-packed vectors at log2 M bits per entry', () => {
  assert.equal(wireBytes({ kind: 'collect-res', round: 0, clientId: 0, masked: new Float64Array(10) }, 2 ** 10), 8 + 13);
  assert.equal(
    wireBytes({ kind: 'unmask-ins', round: 0, clientId: 0, survivors: [0, 1, 2], dropped: [3] }, 2 ** 10),
    8 + 4 + 12 + 4 + 4,
  );
});

test('property: random rounds give the exact survivor sum or a clean abort', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 7 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          t: fc.integer({ min: 2, max: n }),
          q: fc.constantFrom(...QUANT_BITS),
          length: fc.integer({ min: 1, max: 8 }),
          fate: fc.array(fc.constantFrom('stay', 'stay', 'stay', 'before', 'after', 'silent'), { minLength: n, maxLength: n }),
        }),
      ),
      async ({ n, t, q, length, fate }) => {
        const { modulus } = workingModulus(q, n);
        const xs = levels(n, length, q);
        const ids = xs.map((_, i) => i);
        const keys = KeyPool.random(ids, roundKeyBitsPerPair(length, modulus));
        const pick = (f: string) => ids.filter((i) => fate[i] === f);
        const input = {
          updates: xs,
          modulus,
          keys,
          threshold: t,
          dropoutsBeforeSharing: pick('before'),
          dropoutsAfterMasking: pick('after'),
          dropoutsDuringUnmask: pick('silent'),
        };
        const shared = n - pick('before').length;
        const survivors = shared - pick('after').length;
        const answering = survivors - pick('silent').length;
        const expectOk = shared >= t && survivors >= t && answering >= t && (pick('after').length === 0 || pick('silent').length === 0);
        try {
          const r = await secureAggregate(input);
          assert.ok(expectOk, 'should have aborted');
          const stay = ids.filter((i) => fate[i] === 'stay' || fate[i] === 'silent');
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

test('subMod by hand', () => {
  const m = 64;
  assert.deepEqual([...subMod([3, 60], [5, 1], m)], [62, 59]);
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
