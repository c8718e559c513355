import assert from 'node:assert/strict';
import test from 'node:test';
import { relayKeyRate } from '../../experiments/relay-keys.js';
import { GYS_PARAMS, keyRate } from '../../qnet/rates.js';
import { Rng } from '../../util/random.js';
import { linkModel, pairName, parseLinkSpec, parseSaeList, resolveLinks, withEve } from './links.js';

test('intercept-resend adds f (1/4 - e/2) to the error rate: 25 % at e = 0, f = 1', () => {
  assert.equal(withEve(0, 1), 0.25);
  assert.equal(withEve(0.1, 0), 0.1);
  assert.ok(Math.abs(withEve(0.033, 0.5) - (0.033 + 0.5 * (0.25 - 0.0165))) < 1e-15);
});

test('rate links give the qnet models times the repetition rate', () => {
  const rng = new Rng(1);
  const bb84 = linkModel(parseLinkSpec({ model: 'bb84-decoy', distance_km: 50 }, 'l'), rng);
  assert.equal(bb84.bitsPerSecond, keyRate('bb84-decoy', 50, { eDetector: GYS_PARAMS.eDetector }).ratePerPulse * 1e9);
  assert.equal(bb84.refused, undefined);
  const mdi = linkModel(parseLinkSpec({ model: 'mdi', distance_km: 100, rep_rate_hz: 1e8 }, 'l'), rng);
  assert.ok(Math.abs(mdi.bitsPerSecond - keyRate('mdi', 100).ratePerPulse * 1e8) <= 1e-9 * mdi.bitsPerSecond);
  const chain = linkModel(parseLinkSpec({ model: 'relay-chain', segments_km: [20, 20] }, 'l'), rng);
  const ref = relayKeyRate({ segments_km: [20, 20], pair_rate_hz: 1e8, detector_efficiency: 0.5, dark_counts_per_second: 100, misalignment: 0.01 });
  assert.equal(chain.bitsPerSecond, ref.bitsPerSecond);
  assert.ok(chain.bitsPerSecond > 0);
  const far = linkModel(parseLinkSpec({ model: 'bb84-decoy', distance_km: 300 }, 'l'), rng);
  assert.match(far.refused ?? '', /QBER 50.00 % is above the 11 % threshold/);
  for (const spec of [{ model: 'bb84-decoy', distance_km: 10, eve: 1 }, { model: 'relay-chain', segments_km: [10], eve: 1 }]) {
    const m = linkModel(parseLinkSpec(spec, 'l'), rng);
    assert.ok(m.qber > 0.11 && m.bitsPerSecond === 0 && /eavesdropper/.test(m.refused ?? ''), JSON.stringify(m));
  }
});

test('link specs and topologies are checked with the field named', () => {
  assert.throws(() => parseLinkSpec({ model: 'bb84-decoy' }, 'l'), /^QflError: l\.distance_km/);
  assert.throws(() => parseLinkSpec({ model: 'warp' }, 'l'), /l\.model/);
  assert.throws(() => parseLinkSpec({ model: 'rate', bits_per_second: 1, extra: 2 }, 'l'), /extra/);
  const saes = ['n0', 'n1', 'n2'];
  const base = parseLinkSpec({ model: 'rate', bits_per_second: 5 }, 'l');
  const links = resolveLinks(saes, base, { links: [{ between: ['n2', 'n0'], model: 'mdi', distance_km: 30 }] });
  assert.equal(links.size, 3);
  assert.equal(links.get(pairName('n0', 'n2'))!.model, 'mdi');
  assert.equal(links.get(pairName('n1', 'n2'))!.model, 'rate');
  assert.throws(() => resolveLinks(saes, base, { links: [{ between: ['n0', 'n9'], model: 'rate', bits_per_second: 1 }] }), /links\[0\]\.between: 'n9' is not one of the SAEs/);
  assert.throws(() => resolveLinks(saes, base, { links: [{ between: ['n0', 'n0'], model: 'rate', bits_per_second: 1 }] }), /two different SAEs/);
  assert.throws(() => resolveLinks(saes, base, { links: [{ between: ['n0', 'n1'], model: 'rate', bits_per_second: 1 }, { between: ['n1', 'n0'], model: 'rate', bits_per_second: 2 }] }), /named twice/);
  assert.throws(() => resolveLinks(saes, base, { links: [{ between: ['n0', 'n1'], model: 'mdi' }] }), /topology\.links\[0\]\.distance_km/);
  assert.throws(() => parseSaeList('n0'), /at least two/);
  assert.throws(() => parseSaeList('n0,n0'), /listed twice/);
  assert.throws(() => parseSaeList('n0,../x'), /is not an SAE ID/);
});
