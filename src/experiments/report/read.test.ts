import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { endEvent, jsonl, messyRunText, roundEvent, startEvent, writeRunDir } from './fixtures.js';
import { parseEvents, readRunConfig, readRunEvents } from './read.js';

const tmp = mkdtempSync(join(tmpdir(), 'qfl-read-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseEvents', () => {
  test('a resumed, killed run: one event per round, the later one wins, the cut-off line is dropped quietly', () => {
    const log = parseEvents(messyRunText());
    assert.equal(log.start?.name, 'fedavg-demo');
    assert.equal(log.resumes.length, 1);
    assert.equal(log.resumes[0]?.resumedAfterRound, 2);
    assert.deepEqual(log.rounds.map((r) => r.round), [1, 2, 3, 4]);
    assert.equal(log.rounds[2]?.fit.trainAccuracy, 0.7);
    assert.equal(log.rounds[3]?.fit.trainAccuracy, 0.855);
    assert.equal(log.end?.rounds, 4);
    assert.deepEqual(log.skipped, []);
  });

  test('a resume drops the rounds after its checkpoint that were not written again', () => {
    const log = parseEvents(jsonl([startEvent('r'), roundEvent(1, 0.5), roundEvent(2, 0.6), roundEvent(3, 0.7), startEvent('r', { resumedAfterRound: 1 }), roundEvent(2, 0.65)]));
    assert.deepEqual(log.rounds.map((r) => [r.round, r.fit.trainAccuracy]), [[1, 0.5], [2, 0.65]]);
    assert.equal(log.end, undefined);
  });

  test('a resume after an end event makes the run unfinished again', () => {
    const log = parseEvents(jsonl([startEvent('r'), roundEvent(1, 0.5), endEvent(1), startEvent('r', { resumedAfterRound: 1 })]));
    assert.equal(log.end, undefined);
    assert.equal(log.rounds.length, 1);
  });

  test('bad lines in the middle are skipped and listed with their line numbers', () => {
    const text = jsonl([startEvent('r'), roundEvent(1, 0.5)]) + 'garbage\n' + '{"type":"round","round":"two"}\n[1,2]\n' + jsonl([roundEvent(2, 0.6)]);
    const log = parseEvents(text);
    assert.deepEqual(log.rounds.map((r) => r.round), [1, 2]);
    assert.deepEqual(log.skipped, [
      { line: 3, reason: 'not valid JSON' },
      { line: 4, reason: "round event: 'round' is not a round number" },
      { line: 5, reason: "not an event (no 'type')" },
    ]);
  });

  test('a complete last line that does not parse is reported (it was not cut off by a kill)', () => {
    const log = parseEvents(jsonl([startEvent('r')]) + '{"type":\n');
    assert.deepEqual(log.skipped, [{ line: 2, reason: 'not valid JSON' }]);
  });

  test('NaN metrics (null in JSON) are accepted; empty text is an empty log', () => {
    const e = { ...roundEvent(1, 0.5), fit: { ...roundEvent(1, 0.5).fit, trainLoss: null } };
    assert.equal(parseEvents(jsonl([e])).rounds.length, 1);
    assert.deepEqual(parseEvents(''), { resumes: [], rounds: [], skipped: [] });
  });
});

describe('readRunEvents', () => {
  test('reads events.jsonl and config.yaml of a run directory', () => {
    const dir = writeRunDir(join(tmp, 'run'), messyRunText());
    assert.equal(readRunEvents(dir).rounds.length, 4);
    const cfg = readRunConfig(dir);
    assert.deepEqual((cfg?.value as { fl: { lr: number } }).fl.lr, 0.1);
  });

  test('a directory without events.jsonl is a clear error', () => {
    assert.throws(() => readRunEvents(tmp), (e: unknown) => e instanceof QflError && /has no events\.jsonl/.test(e.message));
    assert.throws(() => readRunEvents(join(tmp, 'nope')), (e: unknown) => e instanceof QflError && /no such directory/.test(e.message));
  });
});
