import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { validate } from '../validate.js';
import { QdpStudySchema, runQdpStudy } from './qdp.js';

test('the QDP study trains per noise level in a federation and never finds an attack inside a certificate', async () => {
  const spec = validate(QdpStudySchema, { seed: 2, p: [0, 0.6], clients: 2, rounds: 1, train_limit: 300, test_limit: 40, epsilons: [0.05, 0.3] });
  const dir = mkdtempSync(join(tmpdir(), 'qfl-qdp-'));
  const lines: string[] = [];
  const html = readFileSync(await runQdpStudy(spec, dir, (s) => lines.push(s)), 'utf8');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /p 0: .*epsilon ∞, median certified radius 0\.00e\+0/);
  // epsilon of a global depolarizing channel with p = 0.6 on d = 16: ln(1 + 16 * 0.4 / 0.6).
  assert.match(html, new RegExp(`<td>0\\.6</td><td>${Math.log1p((16 * 0.4) / 0.6).toFixed(3)}</td>`));
  const violations = [...html.matchAll(/<td>(\d+)<\/td><\/tr>/g)].map((m) => Number(m[1]));
  assert.deepEqual(violations, [0, 0]);
});
