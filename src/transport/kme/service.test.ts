import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { EtsiCallError } from './etsi014.js';
import { pairName, resolveLinks, type LinkSpecInput } from './links.js';
import { pairFile } from './pair-state.js';
import { KmeService, type KmeOptions } from './service.js';
import { parseLinkSpec } from './links.js';

const SAES = ['a', 'b', 'c'];

function setup(t: test.TestContext, spec: LinkSpecInput, extra: Partial<KmeOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-kme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = { ms: 1_000_000 };
  const links = resolveLinks(SAES, parseLinkSpec(spec, 'spec'));
  const open = (more: Partial<KmeOptions> = {}) => new KmeService({ kmeId: 'kme-1', saes: SAES, links, stateDir: dir, now: () => clock.ms, ...extra, ...more });
  return { dir, clock, open };
}

/** Runs `fn` and returns the EtsiCallError it throws. */
function callError(fn: () => unknown): EtsiCallError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EtsiCallError) return e;
    throw e;
  }
  assert.fail('expected an EtsiCallError');
}

test('key accrues at the link rate in wall-clock time, up to max_key_count keys', (t) => {
  const { clock, open } = setup(t, { model: 'rate', bits_per_second: 1000 }, { limits: { maxKeyCount: 20 } });
  const kme = open();
  t.after(() => kme.close());
  assert.equal(kme.status('a', 'b').stored_key_count, 0);
  clock.ms += 2_000;
  const s = kme.status('a', 'b');
  assert.equal(s.stored_key_count, 7); // floor(2000 / 256)
  assert.equal(s.master_SAE_ID, 'a');
  assert.equal(s.slave_SAE_ID, 'b');
  assert.equal(s.source_KME_ID, 'kme-1');
  assert.equal(s.max_SAE_ID_count, 0);
  clock.ms += 1e6;
  assert.equal(kme.status('a', 'b').stored_key_count, 20);
  assert.equal(kme.status('b', 'a').stored_key_count, 20, 'one link per unordered pair');
});

test('a key goes once to the master and once to the slave, then it is erased', (t) => {
  const { open } = setup(t, { model: 'rate', bits_per_second: 1e4 }, { prefillSeconds: 10 });
  const kme = open();
  t.after(() => kme.close());
  const before = kme.status('a', 'b').stored_key_count;
  const { keys } = kme.encKeys('a', 'b', { number: 3, size: 64 });
  assert.equal(keys.length, 3);
  assert.equal(new Set(keys.map((k) => k.key)).size, 3, 'fresh key each');
  for (const k of keys) assert.equal(Buffer.from(k.key, 'base64').length, 8);
  assert.equal(kme.status('a', 'b').stored_key_count, before - 1, '192 bits of 256-bit keys taken from the store');

  // the master itself, or a third SAE, cannot fetch them
  assert.equal(callError(() => kme.decKeys('a', 'b', [keys[0]!.key_ID])).status, 401);
  assert.equal(callError(() => kme.decKeys('c', 'a', [keys[0]!.key_ID])).status, 400);

  const got = kme.decKeys('b', 'a', [keys[2]!.key_ID, keys[0]!.key_ID]);
  assert.deepEqual(got.keys, [keys[2], keys[0]]);
  const twice = callError(() => kme.decKeys('b', 'a', [keys[1]!.key_ID, keys[0]!.key_ID]));
  assert.equal(twice.status, 400);
  assert.deepEqual(twice.body.details, [{ key_ID_not_found: [keys[0]!.key_ID] }]);
  assert.deepEqual(kme.decKeys('b', 'a', [keys[1]!.key_ID]).keys, [keys[1]], 'a refused request erases nothing');
  assert.equal(callError(() => kme.decKeys('b', 'a', [keys[1]!.key_ID])).status, 400);
});

test('requests outside the limits are 400; a link without enough key is 503 with the wait', (t) => {
  const { open } = setup(t, { model: 'rate', bits_per_second: 100 }, { prefillSeconds: 10 });
  const kme = open();
  t.after(() => kme.close());
  for (const [req, detail] of [
    [{ number: 0 }, 'number_unsupported'],
    [{ number: 129 }, 'number_unsupported'],
    [{ size: 12 }, 'size_unsupported'],
    [{ size: 65_544 }, 'size_unsupported'],
    [{ additional_slave_SAE_IDs: ['c'] }, 'additional_slave_SAE_IDs_unsupported'],
    [{ extension_mandatory: [{ abc_route_type: 'direct' }] }, 'extension_mandatory_unsupported'],
  ] as const) {
    const e = callError(() => kme.encKeys('a', 'b', req));
    assert.equal(e.status, 400, JSON.stringify(req));
    assert.ok(Object.keys(e.body.details?.[0] ?? {}).includes(detail), e.message);
  }
  assert.equal(callError(() => kme.encKeys('a', 'z', {})).status, 400, 'unknown slave');
  assert.equal(callError(() => kme.encKeys('a', 'a', {})).status, 400, 'itself');
  assert.equal(kme.encKeys('a', 'b', { extension_optional: [{ x: 1 }] }).keys.length, 1, 'optional extensions are ignored');
  const short = callError(() => kme.encKeys('a', 'b', { number: 4, size: 256 }));
  assert.equal(short.status, 503);
  assert.deepEqual(short.body.details, [{ requested_bits: 1024, stored_bits: 744, seconds_until_available: 2.8 }]);
});

test('an eavesdropper raises the QBER over the threshold and the link is refused', (t) => {
  const { open } = setup(t, { model: 'bb84-decoy', distance_km: 20, eve: 1 }, { prefillSeconds: 1 });
  const kme = open();
  t.after(() => kme.close());
  const ext = kme.status('a', 'b').status_extension as { qfl_link: { qber: number; refused?: string } };
  assert.ok(ext.qfl_link.qber > 0.11, `QBER ${ext.qfl_link.qber}`);
  assert.match(ext.qfl_link.refused ?? '', /eavesdropper/);
  assert.equal(kme.status('a', 'b').stored_key_count, 0);
  const e = callError(() => kme.encKeys('a', 'b', {}));
  assert.equal(e.status, 503);
  assert.match(e.body.message, /QBER .* above the 11 % threshold/);
});

test('a restart keeps every key owed to a slave and never hands out a key twice', (t) => {
  const { dir, clock, open } = setup(t, { model: 'rate', bits_per_second: 1000 }, { prefillSeconds: 5 });
  let kme = open();
  const { keys } = kme.encKeys('a', 'b', { number: 2, size: 128 });
  kme.decKeys('b', 'a', [keys[0]!.key_ID]);
  const stored = kme.status('a', 'c').stored_key_count;
  const storedAb = kme.links().find((l) => l.pair === pairName('a', 'b'))!.storedBits;
  assert.throws(() => open(), /another KME \(pid \d+\) holds this key store/);
  kme.close();

  clock.ms += 60_000; // down for a minute: no key accrues meanwhile
  kme = open({ prefillSeconds: 1000 }); // a prefill applies to new stores only
  t.after(() => kme.close());
  assert.equal(kme.links().find((l) => l.pair === pairName('a', 'b'))!.storedBits, storedAb);
  assert.equal(kme.status('a', 'c').stored_key_count, stored);
  assert.deepEqual(kme.decKeys('b', 'a', [keys[1]!.key_ID]).keys, [keys[1]]);
  assert.equal(callError(() => kme.decKeys('b', 'a', [keys[0]!.key_ID])).status, 400);
  // the file on disk holds no key once its slave has it
  const text = readFileSync(pairFile(dir, 'a', 'b'), 'utf8');
  for (const k of keys) assert.ok(!text.includes(k.key));
});

test('a damaged key store is refused with its path, not replaced', (t) => {
  const { dir, open } = setup(t, { model: 'rate', bits_per_second: 1 });
  open().close();
  writeFileSync(pairFile(dir, 'a', 'b'), '{"version":1,"a":"a","b":"b","stored_bits":-3}');
  assert.throws(() => open(), (e: Error) => e.message.includes('pair-a~b.json') && /bad stored_bits/.test(e.message));
  writeFileSync(pairFile(dir, 'a', 'b'), 'not json');
  assert.throws(() => open(), /is not JSON.*not replaced/);
});

test('a bb84-session link serves the key of simulated BB84 sessions (Cascade and privacy amplification)', (t) => {
  const { clock, open } = setup(t, { model: 'bb84-session', distance_km: 5, pulses: 100_000, rep_rate_hz: 1e6 }, { seed: 3, limits: { maxKeyCount: 64 } });
  const kme = open();
  t.after(() => kme.close());
  clock.ms += 1_000; // ten sessions
  const link = kme.links()[0]!;
  assert.ok(link.bitsPerSecond > 1000, `${link.bitsPerSecond} bit/s`);
  assert.ok(link.storedBits > 0 && link.storedBits % 8 === 0);
  const { keys } = kme.encKeys('a', 'b', { number: 2, size: 64 });
  assert.deepEqual(kme.decKeys('b', 'a', keys.map((k) => k.key_ID)).keys, keys);
  assert.equal(kme.links()[0]!.storedBits, link.storedBits - 128);

  const eve = setup(t, { model: 'bb84-session', distance_km: 5, pulses: 100_000, eve: 1 }, { seed: 3 }).open();
  t.after(() => eve.close());
  assert.match(eve.links()[0]!.refused ?? '', /BB84 session aborted: estimated QBER/);
});

test('keys waiting for their slave are bounded: max_key_count keys per link', (t) => {
  const { open } = setup(t, { model: 'rate', bits_per_second: 1e6 }, { prefillSeconds: 10, limits: { maxKeyCount: 4, maxKeyPerRequest: 8 } });
  const kme = open();
  t.after(() => kme.close());
  const { keys } = kme.encKeys('a', 'b', { number: 4, size: 8 });
  const full = callError(() => kme.encKeys('a', 'b', { number: 1, size: 8 }));
  assert.equal(full.status, 503);
  assert.match(full.body.message, /4 keys .* wait for their slave/);
  kme.decKeys('b', 'a', [keys[0]!.key_ID]);
  assert.equal(kme.encKeys('a', 'b', { number: 1, size: 8 }).keys.length, 1, 'room again once the slave fetched one');
});
