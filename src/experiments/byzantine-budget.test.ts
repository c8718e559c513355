import assert from 'node:assert/strict';
import test from 'node:test';
import { QflError } from '../util/errors.js';
import { checkByzantineBudget } from './byzantine-budget.js';
import { readConfig } from './config.js';
import { RunConfigSchema } from './run-schema.js';
import { expandSweep } from './sweep.js';
import { validate } from './validate.js';

const config = (aggregator: object, clients: number[] | number) =>
  validate(RunConfigSchema, {
    name: 'budget',
    data: { name: 'entanglement', qubits: 3, samples: 100 },
    model: { kind: 'qstate', layers: 1 },
    federation: { clients: 10, rounds: 1 },
    strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 10, aggregator },
    local: { epochs: 1, batch_size: 8, lr: 0.05 },
    attacks: [{ kind: 'sign_flip', scale: 3, clients }],
  });

test('attackers beyond a declared f are refused at validation; --allow-unsafe runs with a warning', () => {
  assert.throws(
    () => checkByzantineBudget(config({ name: 'krum', f: 1 }, [0, 1, 2])),
    (e: unknown) => e instanceof QflError && e.field === 'strategy.aggregator.f' && /make 3 malicious client\(s\), but krum\(f=1\) is configured to tolerate f = 1.*--allow-unsafe/.test(e.detail),
  );
  const warnings: string[] = [];
  checkByzantineBudget(config({ name: 'krum', f: 1 }, [0, 1, 2]), { allowUnsafe: true, warn: (l) => warnings.push(l) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /^warning: strategy\.aggregator: .*krum\(f=1\).*\(--allow-unsafe\)$/);
  checkByzantineBudget(config({ name: 'krum', f: 3 }, [0, 1, 2]));
});

test('without a declared f, the largest the rule allows for the round counts: the median against 6 of 10', () => {
  assert.throws(
    () => checkByzantineBudget(config({ name: 'median' }, 0.6)),
    (e: unknown) => e instanceof QflError && e.field === 'strategy.aggregator' && /6 malicious client\(s\), but median\(f=0\) tolerates at most 4 of the 10 clients per round/.test(e.detail),
  );
  checkByzantineBudget(config({ name: 'median' }, 0.4));
  // The plain mean claims nothing, so it is not checked.
  checkByzantineBudget(config({ name: 'mean' }, 0.6));
});

test('every point of examples/byzantine.yaml stays within its rule\'s budget', () => {
  const points = expandSweep(readConfig('examples/byzantine.yaml', RunConfigSchema));
  for (const p of points) checkByzantineBudget(p.config);
  assert.equal(points.length, 180); // 36 settings x 5 seeds (the sweep of issue 19)
});
