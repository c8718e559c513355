import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { validate } from '../validate.js';
import { CuttingStudySchema, runCuttingStudy } from './cutting.js';

test('the cutting study trains, cuts, perturbs a node, detects it, and runs the nodes in worker threads', async () => {
  const spec = validate(CuttingStudySchema, { seed: 3, train_limit: 400, test_limit: 20, epochs: 1, eps: [0, 0.8], detection: { shots: 500, trials: 30, samples: 1 } });
  const dir = mkdtempSync(join(tmpdir(), 'qfl-cut-'));
  const path = await runCuttingStudy(spec, dir, () => {});
  const html = readFileSync(path, 'utf8');
  const rows = [...html.matchAll(/<tr><td>([\d.]+)<\/td><td>([\d.]+)<\/td><td>([\d.]+)<\/td>/g)].map((m) => m.slice(1).map(Number));
  assert.deepEqual(rows.map((r) => r[0]), [0, 0.8]);
  assert.equal(rows[0]![1], 0);
  assert.ok(rows[1]![1]! > 0.01, 'a large perturbation moves the reconstructed output');
  assert.match(html, /matches the in-process one to 0\.0e\+0|matches the in-process one to \d\.\de-1[0-9]/);
  assert.ok(existsSync(join(dir, 'plots', 'cutting-detection.png')));
});
