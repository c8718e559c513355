import assert from 'node:assert/strict';
import test from 'node:test';
import { RunConfigSchema } from './run-schema.js';
import { expandSweep } from './sweep.js';
import { validate } from './validate.js';

const base = {
  name: 's',
  data: { name: 'mnist', downsample: [4, 4] },
  model: { kind: 'vqc', qubits: 4, layers: 2, embedding: 'amplitude' },
  federation: { clients: 4, rounds: 1 },
  local: { epochs: 1 },
};

test('a grid is a product of its keys, repeated per seed; zipped keys move together', () => {
  const config = validate(RunConfigSchema, {
    ...base,
    sweep: {
      grid: { 'federation.clients': [2, 4], 'model.embedding,data.downsample': [['amplitude', [4, 4]], ['angle', [2, 2]]] },
      seeds: [1, 2],
    },
  });
  const points = expandSweep(config);
  assert.equal(points.length, 8);
  const angle = points.filter((p) => p.config.model.kind === 'vqc' && p.config.model.embedding === 'angle');
  assert.equal(angle.length, 4);
  assert.ok(angle.every((p) => p.config.data.downsample![0] === 2));
  assert.equal(new Set(points.map((p) => p.label)).size, 8);
  assert.ok(points.every((p) => p.config.sweep === undefined));
});

test('a bad grid value is reported with the point it belongs to', () => {
  const config = validate(RunConfigSchema, { ...base, sweep: { grid: { 'federation.clients': [0] } } });
  assert.throws(() => expandSweep(config), /sweep point federation\.clients=0: invalid:\n {2}federation\.clients: /);
  const zipped = validate(RunConfigSchema, { ...base, sweep: { grid: { 'model.embedding,model.layers': [['angle']] } } });
  assert.throws(() => expandSweep(zipped), /sweep\.grid\.model\.embedding,model\.layers\[0\]: must list 2 values, one per key/);
});

test('grid values are copied: a later key writing inside an earlier key object changes only its own point', () => {
  const config = validate(RunConfigSchema, {
    ...base,
    attacks: [{ kind: 'sign_flip', clients: 0 }],
    sweep: { grid: { 'attacks.0': [{ kind: 'sign_flip', scale: 2 }], 'attacks.0.clients': [0.1, 0.3] } },
  });
  const points = expandSweep(config);
  assert.deepEqual(points.map((p) => p.config.attacks[0]!.clients), [0.1, 0.3]);
  assert.deepEqual(points.map((p) => p.overrides['attacks.0']), [{ kind: 'sign_flip', scale: 2 }, { kind: 'sign_flip', scale: 2 }]);
});
