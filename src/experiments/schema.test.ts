import assert from 'node:assert/strict';
import test from 'node:test';
import { TrainConfigSchema } from './schema.js';
import { validate } from './validate.js';

const good = {
  seed: 1,
  data: { name: 'mnist', classes: [0, 1], downsample: [4, 4] },
  model: { kind: 'vqc', qubits: 4, layers: 3, embedding: 'amplitude' },
  train: { epochs: 1 },
};

test('a valid config gets its defaults filled in', () => {
  const c = validate(TrainConfigSchema, good);
  assert.equal(c.train.batch_size, 32);
  assert.equal(c.train.optimizer, 'adam');
  assert.equal(c.data.scale, 'none');
});

test('every mistake is reported with its path', () => {
  const bad = { ...good, data: { ...good.data, classes: [0] }, model: { ...good.model, layers: 0 }, train: { epochs: 1, batch_size: -2, lr: 'x' } };
  assert.throws(
    () => validate(TrainConfigSchema, bad, 'c.yaml'),
    (e: Error) =>
      /^c\.yaml: invalid:/.test(e.message) &&
      /data\.classes: /.test(e.message) &&
      /model\.layers: /.test(e.message) &&
      /train\.batch_size: /.test(e.message) &&
      /train\.lr: /.test(e.message),
  );
});

test('unknown keys and unknown model kinds are refused', () => {
  assert.throws(() => validate(TrainConfigSchema, { ...good, trian: {} }), /\(root\): .*trian/);
  assert.throws(() => validate(TrainConfigSchema, { ...good, model: { kind: 'transformer' } }), /model\.kind: /);
});
