import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { readCheckpoint } from '../fl/checkpoint.js';
import { parseEvents } from './report/read.js';
import { eventLine, repairEvents } from './run-files.js';
import { RunConfigSchema } from './run-schema.js';
import { runFederation } from './runner.js';
import { validate } from './validate.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qfl-runfiles-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const config = validate(RunConfigSchema, {
  name: 'files',
  seed: 3,
  data: { name: 'entanglement', qubits: 3, samples: 120 },
  model: { kind: 'qstate', layers: 1 },
  federation: { clients: 3, rounds: 3 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0 },
});

test('Infinity is written as null and listed under nonFinite, never lost silently', () => {
  const line = eventLine({ type: 'x', a: { b: Infinity, c: [1, -Infinity] }, d: NaN });
  const back = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual(back['nonFinite'], { 'a.b': 'Infinity', 'a.c.1': '-Infinity' });
  assert.equal((back['a'] as { b: unknown }).b, null);
});

test('a torn last events line is repaired on resume: cut off when partial, completed when whole', async () => {
  const dir = tmp();
  const stop = new AbortController();
  const progress = { update: () => {}, done: () => {}, log: (l: string) => l.includes('round 2/3') && stop.abort() };
  await runFederation({ config, runDir: dir, progress, signal: stop.signal });
  const path = join(dir, 'events.jsonl');
  // A short write: half of a round line, no newline (what a kill or a full disk leaves).
  writeFileSync(path, `${readFileSync(path, 'utf8')}{"type":"round","round":3,"seco`);
  assert.match(repairEvents(path) ?? '', /cut off/);
  assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
  const whole = `{"type":"note","x":1}`;
  writeFileSync(path, `${readFileSync(path, 'utf8')}${whole}`);
  assert.match(repairEvents(path) ?? '', /completed/);
  assert.ok(readFileSync(path, 'utf8').endsWith(`${whole}\n`));
  // Resumed after a partial write, every round's record is read back.
  writeFileSync(path, `${readFileSync(path, 'utf8')}{"type":"rou`);
  const logs: string[] = [];
  await runFederation({ config, runDir: dir, resume: true, progress: { update: () => {}, done: () => {}, log: (l) => logs.push(l) } });
  assert.ok(logs.some((l) => /last line was cut off/.test(l)), logs.join('\n'));
  const log = parseEvents(readFileSync(path, 'utf8'));
  assert.deepEqual(log.rounds.map((r) => r.round), [1, 2, 3]);
  assert.deepEqual(log.skipped, []);
});

test('a finished run is not re-run by --resume; leftover temp files are removed', async () => {
  const dir = tmp();
  const first = await runFederation({ config, runDir: dir });
  const path = join(dir, 'events.jsonl');
  const before = readFileSync(path, 'utf8');
  writeFileSync(join(dir, 'checkpoint.json.tmp-99999'), '{"half');
  const logs: string[] = [];
  const again = await runFederation({ config, runDir: dir, resume: true, progress: { update: () => {}, done: () => {}, log: (l) => logs.push(l) } });
  assert.equal(readFileSync(path, 'utf8'), before, 'no start or end events appended');
  assert.deepEqual([...again.params], [...first.params]);
  assert.deepEqual(again.final, first.final);
  assert.ok(logs.some((l) => /already finished \(3 rounds\)/.test(l)));
  assert.ok(logs.some((l) => /removed .*checkpoint\.json\.tmp-99999/.test(l)));
  assert.equal(readCheckpoint(dir)!.round, 3);
});
