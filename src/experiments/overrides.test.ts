import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { QflError } from '../util/errors.js';
import { readConfig } from './config.js';
import { applyOverrides, parseOverride } from './overrides.js';
import { RunConfigSchema } from './run-schema.js';

const set = (raw: unknown, ...flags: string[]) => applyOverrides(raw, flags.map(parseOverride));

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof QflError && pattern.test(e.message), `expected ${pattern}`);
}

describe('--set key.path=value', () => {
  test('values are YAML: numbers, strings, lists, maps, null', () => {
    assert.deepEqual(parseOverride('federation.rounds=20'), { path: ['federation', 'rounds'], value: 20, text: 'federation.rounds=20' });
    assert.equal(parseOverride('strategy.name=fedadam').value, 'fedadam');
    assert.equal(parseOverride("name='20'").value, '20');
    assert.deepEqual(parseOverride('data.classes=[0, 1]').value, [0, 1]);
    assert.deepEqual(parseOverride('federation.partition={kind: dirichlet, alpha: 0.1}').value, { kind: 'dirichlet', alpha: 0.1 });
    assert.equal(parseOverride('secure_aggregation=').value, null);
    assert.equal(parseOverride('a.b=x=y').value, 'x=y');
  });

  test('paths: keys, [i] and .i indices; missing maps are created; inputs are not changed', () => {
    const raw = { federation: { rounds: 10 }, pipeline: [{ type: 'clip', max_norm: 1 }] };
    const out = set(raw, 'federation.rounds=3', 'pipeline[0].max_norm=0.5', 'pipeline.1={type: clip, max_norm: 2}', 'dp.noise_multiplier=1.1');
    assert.deepEqual(out, {
      federation: { rounds: 3 },
      pipeline: [{ type: 'clip', max_norm: 0.5 }, { type: 'clip', max_norm: 2 }],
      dp: { noise_multiplier: 1.1 },
    });
    assert.deepEqual(raw, { federation: { rounds: 10 }, pipeline: [{ type: 'clip', max_norm: 1 }] });
    assert.deepEqual(parseOverride('a.b[2][0].c=1').path, ['a', 'b', 2, 0, 'c']);
  });

  test('refuses malformed flags and paths that do not fit the config, naming them', () => {
    refused(() => parseOverride('rounds'), /--set: expected key\.path=value, got 'rounds'/);
    refused(() => parseOverride('=3'), /expected key\.path=value/);
    refused(() => parseOverride('a..b=3'), /bad key path in 'a\.\.b=3'/);
    refused(() => parseOverride('a.b=[1, 2'), /the value of 'a\.b' is not valid YAML/);
    refused(() => set({ pipeline: [] }, 'pipeline[3].type=clip'), /index 3 is past the end of pipeline \(0 items; 0 appends\)/);
    refused(() => set({ pipeline: [] }, 'pipeline.type=clip'), /pipeline is a list; index it with \[i\], not 'type'/);
    refused(() => set({ federation: { rounds: 5 } }, 'federation.rounds.max=3'), /federation\.rounds is a value \(5\), not a map or list/);
  });

  test('readConfig applies overrides before validation: bad values are refused like the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qfl-set-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(file, stringify({
        data: { name: 'magic', qubits: 3, samples: 40 },
        model: { kind: 'qstate', layers: 1 },
        federation: { clients: 2, rounds: 2 },
        local: { epochs: 1, batch_size: 8, lr: 0.05 },
      }));
      const c = readConfig(file, RunConfigSchema, ['federation.rounds=7', 'strategy.name=fedadam']);
      assert.equal(c.federation.rounds, 7);
      assert.equal(c.strategy.name, 'fedadam');
      refused(() => readConfig(file, RunConfigSchema, ['federation.rounds=0']), /with --set federation\.rounds=0: invalid:\n {2}federation\.rounds: /);
      refused(() => readConfig(file, RunConfigSchema, ['strategy.name=fedmagic']), /strategy\.name: /);
      refused(() => readConfig(file, RunConfigSchema, ['federation.round=3']), /federation: Unrecognized key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
