import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decoyBb84Rate, maxDistance, mdiRate } from '../../qnet/rates.js';
import { QflError } from '../../util/errors.js';
import { run } from './qkd.js';

/**
 * `qkd` is not in src/cli/main.ts's command table yet, so the command module's
 * `run()` is tested directly with console output captured.
 */
async function qkd(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    const code = await run(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

async function json(...argv: string[]): Promise<Record<string, unknown>> {
  const r = await qkd(...argv);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n').length, 1, r.out);
  return JSON.parse(r.out) as Record<string, unknown>;
}

async function refused(field: string, ...argv: string[]): Promise<void> {
  await assert.rejects(qkd(...argv), (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    assert.equal(e.field, field);
    return true;
  });
}

describe('qfl qkd rate', () => {
  test('--json prints ratePerPulse and ratePerSecond (1 GHz by default) first', async () => {
    const out = await json('rate', '--protocol', 'bb84-decoy', '--distance-km', '50', '--json');
    assert.deepEqual(Object.keys(out).slice(0, 2), ['ratePerPulse', 'ratePerSecond']);
    assert.equal(out.ratePerPulse, decoyBb84Rate(50).ratePerPulse);
    assert.equal(out.ratePerSecond, (out.ratePerPulse as number) * 1e9);
    assert.equal(out.repRateHz, 1e9);
  });

  test('every model flag reaches the model', async () => {
    const out = await json('rate', '--protocol', 'mdi', '--distance-km', '100', '--decoys', 'vacuum-weak', '--nu', '0.005', '--mu', '0.55',
      '--alpha-db-per-km', '0.18', '--eta-detector', '0.2', '--y0', '1e-6', '--e-detector', '0.01', '--f-ec', '1.1', '--rep-rate-hz', '2e6', '--json');
    const want = mdiRate(100, { decoys: 'vacuum-weak', nu: 0.005, mu: 0.55, alphaDbPerKm: 0.18, etaDetector: 0.2, y0: 1e-6, eDetector: 0.01, fEc: 1.1 });
    assert.equal(out.ratePerPulse, want.ratePerPulse);
    assert.equal(out.ratePerSecond, want.ratePerPulse * 2e6);
    assert.equal(out.mu, 0.55);
    assert.equal(out.nu, 0.005);
  });

  test('--max-distance prints where the rate reaches zero', async () => {
    const out = await json('rate', '--protocol', 'bb84-decoy', '--max-distance', '--json');
    assert.equal(out.maxDistanceKm, maxDistance('bb84-decoy'));
    assert.ok(Math.abs((out.maxDistanceKm as number) - 142.2) < 0.1);
    const text = await qkd('rate', '--protocol', 'mdi', '--max-distance');
    assert.match(text.out, /^mdi \(infinite decoys\): key rate reaches zero at 232\.\d\d km/);
  });

  test('human-readable output without --json', async () => {
    const r = await qkd('rate', '--distance-km', '25');
    assert.equal(r.code, 0);
    assert.match(r.out, /^bb84-decoy \(infinite decoys\) at 25 km: \d\.\d{4}e-\d bits per pulse, \d\.\d{4}e\+\d bit\/s at 1\.00e\+9 Hz\nmu = 0\.4\d{3}/);
  });

  test('errors name the flag', async () => {
    await refused('--mu', 'rate', '--distance-km', '10', '--mu', 'abc');
    await refused('--mu', 'rate', '--distance-km', '10', '--mu', '0');
    await refused('--protocol', 'rate', '--protocol', 'bb85', '--distance-km', '10');
    await refused('--decoys', 'rate', '--distance-km', '10', '--decoys', 'three');
    await refused('--nu', 'rate', '--distance-km', '10', '--nu', '0.1');
    await refused('--mu', 'rate', '--distance-km', '10', '--decoys', 'vacuum-weak', '--nu', '0.2', '--mu', '0.1');
    await refused('--distance-km', 'rate', '--json');
    await refused('--distance-km', 'rate', '--distance-km=-3');
    await refused('--distance-km', 'rate', '--distance-km', '10', '--max-distance');
    await refused('--e-detector', 'rate', '--distance-km', '10', '--e-detector', '0.6');
    await refused('--f-ec', 'rate', '--distance-km', '10', '--f-ec', '0.5');
    await refused('--rep-rate-hz', 'rate', '--distance-km', '10', '--rep-rate-hz', '0');
    await refused('subcommand', 'keys');
    await assert.rejects(qkd('rate', '--distance', '10'), (e: unknown) => String((e as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS'));
  });

  test('help and a missing subcommand', async () => {
    const help = await qkd('--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /^usage: qfl qkd rate/);
    assert.equal((await qkd('rate', '--help')).code, 0);
    const none = await qkd();
    assert.equal(none.code, 2);
    assert.match(none.err, /^usage: qfl qkd/);
  });
});

describe('qfl qkd bb84', () => {
  test('prints the counts of one session as JSON; the same seed gives the same counts', async () => {
    const a = await json('bb84', '--distance-km', '20', '--pulses', '1000000', '--seed', '4');
    const b = await json('bb84', '--distance-km', '20', '--pulses', '1000000', '--seed', '4');
    assert.deepEqual(a, b);
    assert.equal(a.status, 'ok');
    assert.equal(a.sent, 1_000_000);
    for (const k of ['detected', 'sifted', 'sampleSize', 'qber', 'leakedBits', 'finalKeyLength']) assert.equal(typeof a[k], 'number', k);
    assert.ok((a.finalKeyLength as number) > 0);
    assert.equal(a.key, undefined, 'key bits are not printed');
  });

  test('--eve: QBER near 25 %, key refused', async () => {
    const out = await json('bb84', '--distance-km', '20', '--pulses', '1000000', '--seed', '4', '--eve');
    assert.equal(out.eve, true);
    assert.ok((out.qber as number) > 0.18 && (out.qber as number) < 0.34, String(out.qber));
    assert.equal(out.status, 'aborted');
    assert.equal(out.reason, 'qber-above-threshold');
    assert.equal(out.finalKeyLength, 0);
  });

  test('errors name the flag', async () => {
    await refused('--distance-km', 'bb84', '--pulses', '10');
    await refused('--pulses', 'bb84', '--distance-km', '1', '--pulses', '1.5');
    await refused('--pulses', 'bb84', '--distance-km', '1', '--pulses', '0');
    await refused('--seed', 'bb84', '--distance-km', '1', '--seed', 'x');
    await refused('--sample-fraction', 'bb84', '--distance-km', '1', '--sample-fraction', '1');
    await refused('--dark-count', 'bb84', '--distance-km', '1', '--dark-count=-1');
  });
});
