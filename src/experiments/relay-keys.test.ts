import assert from 'node:assert/strict';
import test from 'node:test';
import { relayKeyRate } from './relay-keys.js';

const base = { pair_rate_hz: 1e8, detector_efficiency: 0.6, dark_counts_per_second: 100, misalignment: 0.01 };

test('a relay chain gives a positive key rate that falls with distance and with relays', () => {
  const short = relayKeyRate({ ...base, segments_km: [20] });
  const long = relayKeyRate({ ...base, segments_km: [80] });
  const two = relayKeyRate({ ...base, segments_km: [20, 20] });
  assert.ok(short.bitsPerSecond > 0);
  assert.ok(long.bitsPerSecond < short.bitsPerSecond);
  assert.ok(two.bitsPerSecond < short.bitsPerSecond, 'a swap halves the rate and lowers the fidelity');
  assert.ok(two.fidelity < short.fidelity);
});

test('too much noise gives no key', () => {
  assert.equal(relayKeyRate({ ...base, misalignment: 0.2, segments_km: [10] }).bitsPerSecond, 0);
});
