import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { validate } from '../validate.js';
import { InversionStudySchema, runInversionStudy } from './inversion.js';

test('an inversion study writes its report with the images and the barren-plateau table', async () => {
  const spec = validate(InversionStudySchema, {
    seed: 2,
    models: [{ kind: 'mlp', hidden: [4] }],
    defenses: [[], [{ kind: 'secagg', clients: 3 }]],
    trials: 1,
    attack: { iterations: 40, restarts: 1 },
    barren: { qubits: [2, 3], layers: [2], samples: 10 },
  });
  const dir = mkdtempSync(join(tmpdir(), 'qfl-inv-'));
  const lines: string[] = [];
  const path = await runInversionStudy(spec, dir, (s) => lines.push(s));
  assert.equal(lines.length, 2);
  const html = readFileSync(path, 'utf8');
  assert.match(html, /Originals \(left\) and reconstructions \(right\)/);
  assert.equal((html.match(/<figure style/g) ?? []).length, 2);
  assert.match(html, /Barren plateau/);
  assert.ok(existsSync(join(dir, 'plots', 'barren-plateau.png')));
  assert.equal(JSON.parse(readFileSync(join(dir, 'rows.json'), 'utf8')).length, 2);
});

test('study configs are validated with paths', () => {
  assert.throws(() => validate(InversionStudySchema, { models: [{ kind: 'vqc', qubits: [0], layers: [1] }] }, 'inv.yaml'), /models\.0\.qubits\.0: /);
});
