import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { relayChain, type LinkLike } from './chain.js';
import { entanglementLink } from './link.js';
import { fidelityFromWerner, memoryFactor, teleportationFidelity } from './werner.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const refused = (fn: () => unknown, field: string): void =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, String(e));
    assert.equal(e.field, field, e.message);
    return true;
  });

const links: LinkLike[] = [
  { heraldedRateHz: 1000, werner: 0.95 },
  { heraldedRateHz: 200, werner: 0.9 },
  { heraldedRateHz: 500, werner: 0.98 },
];

describe('a relay chain', () => {
  test('one link is the link itself', () => {
    const c = relayChain([links[0]!], { memory: { t2Seconds: 1e-3 } });
    assert.equal(c.swaps, 0);
    assert.equal(c.rateHz, 1000);
    assert.equal(c.werner, 0.95);
    assert.equal(c.waitSeconds, 0);
    assert.equal(c.memoryFactor, 1, 'nothing waits');
  });

  test('rate = slowest link x p_swap^(n-1); w = prod w_i', () => {
    const c = relayChain(links);
    assert.equal(c.slowestLink, 1);
    close(c.rateHz, 200 * 0.25, 1e-12, 'default p_swap 1/2, two swaps');
    close(relayChain(links, { swapSuccess: 1 }).rateHz, 200, 1e-12, 'deterministic swaps');
    close(c.werner, 0.95 * 0.9 * 0.98, 1e-15, 'w');
    close(c.fidelity, fidelityFromWerner(c.werner), 1e-15, 'F');
    close(c.teleportationFidelity, (1 + c.werner) / 2, 1e-15, 'F_tel');
    close(c.qber, (1 - c.werner) / 2, 1e-15, 'QBER');
    close(relayChain(links, { bsmWerner: 0.97 }).werner, 0.95 * 0.9 * 0.98 * 0.97 * 0.97, 1e-15, 'imperfect Bell measurements');
  });

  test('swapping rate bounds: memoryless <= chain <= slowest link, and a longer chain is never faster', () => {
    for (const p of [0.25, 0.5, 1]) {
      const c = relayChain(links, { swapSuccess: p, clockHz: 1e4 });
      const minRate = Math.min(...links.map((l) => l.heraldedRateHz));
      assert.ok(c.rateHz <= minRate, `chain under its slowest link at p = ${p}`);
      assert.ok(c.rateHz >= minRate * Math.pow(p, links.length - 1) * (1 - 1e-12), 'at least min x p^(n-1)');
      assert.ok(c.memoryless !== undefined);
      // Memoryless: 1e4 x (0.1 x 0.02 x 0.05) x p^2 = 1 x p^2 per second.
      close(c.memoryless.rateHz, 1e4 * 0.1 * 0.02 * 0.05 * p * p, 1e-9, 'memoryless rate');
      assert.ok(c.memoryless.rateHz <= c.rateHz, 'memories never hurt the rate');
    }
    let last = Infinity;
    for (let n = 1; n <= 6; n++) {
      const c = relayChain(Array.from({ length: n }, () => ({ heraldedRateHz: 100, werner: 0.97 })));
      assert.ok(c.rateHz <= last, `n = ${n}`);
      close(c.werner, Math.pow(0.97, n), 1e-15, `w after ${n - 1} swaps`);
      last = c.rateHz;
    }
  });

  test('memories: each waiting pair decays for 1 / slowest rate on both qubits', () => {
    const memory = { t2Seconds: 0.02 };
    const c = relayChain(links, { memory });
    close(c.waitSeconds, 1 / 200, 1e-18, 'default wait');
    const lambda = memoryFactor(1 / 200, memory);
    close(lambda, Math.exp(-0.25), 1e-15, 'e^(-t/T2)');
    close(c.memoryFactor, Math.pow(lambda, 4), 1e-15, 'two waiting links, two qubits each');
    close(c.werner, 0.95 * 0.9 * 0.98 * Math.pow(lambda, 4), 1e-15, 'w with decoherence');
    close(c.teleportationFidelity, teleportationFidelity(c.werner), 1e-15, 'F_tel');
    const explicit = relayChain(links, { memory, waitSeconds: 0.001 });
    close(explicit.memoryFactor, Math.pow(memoryFactor(0.001, memory), 4), 1e-15, 'given wait');
    const longer = relayChain(links, { memory: { t2Seconds: 2 } });
    assert.ok(longer.werner > c.werner, 'a better memory keeps more');
  });

  test('a dead link stops the chain', () => {
    const c = relayChain([{ heraldedRateHz: 0, werner: 1 }, links[0]!], { memory: { t2Seconds: 1 } });
    assert.equal(c.rateHz, 0);
    assert.equal(c.waitSeconds, Infinity);
    assert.equal(c.werner, 0);
  });

  test('links from entanglementLink', () => {
    const arm = (km: number) => ({ channel: { kind: 'fiber' as const, lengthKm: km }, detectorEfficiency: 0.8 });
    const made = [20, 40].map((km) => entanglementLink({ pairRateHz: 1e6, armA: arm(km / 2), armB: arm(km / 2), coincidenceWindowS: 0 }));
    const c = relayChain(made, { swapSuccess: 1 });
    assert.equal(c.slowestLink, 1);
    close(c.rateHz, 1e6 * 0.64 * Math.pow(10, -0.8), 1e-6, '40 km link: two 20 km arms, 8 dB, and 0.8^2');
  });

  test('bad input names its field', () => {
    refused(() => relayChain([]), 'links');
    refused(() => relayChain(links, { swapSuccess: 0 }), 'swapSuccess');
    refused(() => relayChain([{ heraldedRateHz: 1, werner: 1.5 }]), 'links[0].werner');
    refused(() => relayChain([{ heraldedRateHz: NaN, werner: 1 }]), 'links[0].heraldedRateHz');
    refused(() => relayChain(links, { clockHz: 100 }), 'clockHz');
    refused(() => relayChain(links, { memory: { t2Seconds: -1 } }), 'memory.t2Seconds');
  });
});
