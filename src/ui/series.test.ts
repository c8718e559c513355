import assert from 'node:assert/strict';
import test from 'node:test';
import type { RoundEvent } from '../experiments/events.js';
import { accuracyCurves, bytesCurves, etaSeconds, keyCurves, lossCurves, networkTimes, privacyCurves, totals } from './series.js';

function round(n: number, extra: Partial<RoundEvent> = {}): RoundEvent {
  return {
    type: 'round',
    time: 't',
    round: n,
    seconds: { total: n, fit: n, evaluate: 0, aggregate: 0 },
    fit: { sampled: 2, completed: 2, failures: [], trainLoss: 1 / n, trainAccuracy: 0.5 },
    clients: [],
    bytes: { up: 10 * n, down: 20 * n },
    metrics: {},
    ...extra,
  };
}

const robust = (a: number, b: number) => [
  { attack: 'fgsm', points: [{ eps: 0, accuracy: 0.9 }, { eps: 0.1, accuracy: a }] },
  { attack: 'pgd', points: [{ eps: 0.1, accuracy: b }] },
];

test('accuracy curves: clean test, client eval, train, each attack and radius above 0, backdoor; null where a round has none', () => {
  const rounds = [
    round(1, { central: { loss: 1, accuracy: 0.6 }, robust: robust(0.4, 0.3) }),
    round(2, { evaluate: { loss: 0.9, accuracy: 0.7, clients: 2 } }),
    round(3, { central: { loss: 0.8, accuracy: NaN }, robust: robust(0.5, 0.35) }),
  ];
  const c = accuracyCurves(rounds);
  assert.deepEqual(c.x, [1, 2, 3]);
  assert.deepEqual(
    c.curves.map((k) => [k.label, k.role, k.values]),
    [
      ['test (clean)', 'test', [0.6, null, null]],
      ['client eval', 'client', [null, 0.7, null]],
      ['train', 'train', [0.5, 0.5, 0.5]],
      ['fgsm ε=0.1', 'robust', [0.4, null, 0.5]],
      ['pgd ε=0.1', 'robust', [0.3, null, 0.35]],
    ],
  );
  assert.deepEqual(lossCurves(rounds).curves.map((k) => k.label), ['test', 'client eval', 'train']);
  assert.deepEqual(bytesCurves(rounds).curves[0]!.values, [10, 20, 30]);
  assert.equal(keyCurves(rounds).curves.length, 0, 'no secure aggregation, no key curves');
});

test('privacy: ε spent (client-level DP) and each round’s ε of distributed DP', () => {
  const secure = { bits: 8, modulusBits: 11, survivors: 2, dropped: [], keyBits: 64, keyWaitSeconds: 0.5, bytesUpPayload: 1, bytesUpFloat32: 4 };
  const rounds = [
    round(1, { dp: { epsilon: 0.5, delta: 1e-5, clipNorm: 1, noiseStd: 0.1 } }),
    round(2, { dp: { epsilon: 0.8, delta: 1e-5, clipNorm: 1, noiseStd: 0.1 }, secure: { ...secure, dp: { epsilon: 3, allButOneEpsilon: 9, delta: 1e-5, sigma: 1 } } }),
  ];
  assert.deepEqual(privacyCurves(rounds).curves.map((k) => k.values), [[0.5, 0.8], [null, 3], [null, 9]]);
  assert.deepEqual(keyCurves(rounds).curves.map((k) => k.values), [[null, 64], [null, 0.5]]);
  const t = totals(rounds);
  assert.equal(t.epsilon, 0.8);
  assert.equal(t.keyBits, 64);
  assert.equal(t.bytesUp, 30);
});

test('ETA: mean round time since the last (re)start times the rounds left', () => {
  const rounds = [round(1), round(2), round(3)];
  assert.equal(etaSeconds(rounds, 10), 7 * 2);
  assert.equal(etaSeconds(rounds, 10, 2), 7 * 3);
  assert.equal(etaSeconds([], 10), undefined);
});

test('network rounds: the slowest client per part and the waits', () => {
  const net = {
    startS: 0,
    endS: 40,
    missed: [1],
    clients: [
      { client: 0, downS: 1, computeS: 20, upS: 2, hops: 1, arrivalS: 23, late: false },
      { client: 2, downS: 3, computeS: 10, upS: 5, hops: 2, arrivalS: 18, late: false },
    ],
    waitS: 7,
    keyWaitS: 4,
    linksUp: 3,
    linkPairs: 6,
  };
  assert.deepEqual(networkTimes([round(1), round(2, { network: net })]), [
    { round: 2, startS: 0, endS: 40, parts: { 'model down': 3, 'local training': 20, 'update up': 5, 'waiting for links': 7, 'waiting for QKD key': 4 } },
  ]);
});
