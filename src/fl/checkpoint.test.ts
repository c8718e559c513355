import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';

test('checkpoints round-trip bit for bit and leave no temporary files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-ckpt-'));
  assert.equal(readCheckpoint(dir), undefined);
  const params = Float64Array.of(0.1, -0, Math.PI, 1e-300, -123456.789);
  writeCheckpoint(dir, { version: 1, round: 3, params, strategyState: { m: [1, 2] }, rngState: [1, 2, 3, 4], elapsedSeconds: 2.5 });
  writeCheckpoint(dir, { version: 1, round: 4, params, strategyState: { m: [3, 4] }, rngState: [5, 6, 7, 8], elapsedSeconds: 3 });
  const c = readCheckpoint(dir)!;
  assert.equal(c.round, 4);
  assert.deepEqual([...c.params].map((v) => Object.is(v, -0) ? '-0' : v), [0.1, '-0', Math.PI, 1e-300, -123456.789]);
  assert.deepEqual(c.strategyState, { m: [3, 4] });
  assert.deepEqual(c.rngState, [5, 6, 7, 8]);
  assert.deepEqual(readdirSync(dir), ['checkpoint.json']);
});

test('a corrupt checkpoint is reported with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-ckpt-'));
  writeFileSync(join(dir, 'checkpoint.json'), '{"round": 1');
  assert.throws(() => readCheckpoint(dir), /checkpoint\.json: is not a readable checkpoint/);
});
