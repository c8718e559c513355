import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endEvent, jsonl, messyRunText, roundEvent, startEvent } from './fixtures.js';
import { parseEvents } from './read.js';
import { configOverrides, csvField, summarizeRun, summaryCsv, summaryRow } from './summary.js';

describe('summarizeRun', () => {
  test('final metrics are the last round after resumes; sums cover the kept rounds', () => {
    const s = summarizeRun(parseEvents(messyRunText()));
    assert.equal(s.status, 'finished');
    assert.equal(s.rounds, 4);
    assert.equal(s.plannedRounds, 4);
    assert.equal(s.centralAccuracy, 0.875);
    assert.equal(s.finalAccuracy, 0.875); // no final in the end event: the last central accuracy
    assert.equal(s.bestAccuracy, 0.875);
    assert.equal(s.bestRound, 4);
    assert.equal(s.bytesUp, 3 * 2048 * (1 + 2 + 3 + 4));
    assert.equal(s.seconds, 12.5);
    assert.equal(s.resumes, 1);
  });

  test("the end event's final evaluation wins; an unfinished run sums its rounds' time", () => {
    assert.equal(summarizeRun(parseEvents(jsonl([roundEvent(1, 0.5), endEvent(1, { loss: 0.3, accuracy: 0.9 })]))).finalAccuracy, 0.9);
    const s = summarizeRun(parseEvents(jsonl([startEvent('r'), roundEvent(1, 0.5), roundEvent(2, 0.5)])));
    assert.equal(s.status, 'incomplete');
    assert.equal(s.seconds, 3);
    assert.equal(summarizeRun(undefined).status, 'no events');
  });
});

describe('summaryCsv', () => {
  test('quotes commas, quotes, line breaks and edge spaces; absent values are empty', () => {
    const csv = summaryCsv([
      { label: 'lr=0.1, mu=0', note: 'say "hi"', final_accuracy: 0.91 },
      { label: 'two\nlines', note: ' padded', final_accuracy: undefined, extra: { a: 1 } },
    ]);
    assert.equal(csv, 'label,note,final_accuracy,extra\n"lr=0.1, mu=0","say ""hi""",0.91,\n"two\nlines"," padded",,"{""a"":1}"\n');
  });

  test('explicit columns, header quoting, plain fields stay bare', () => {
    assert.equal(summaryCsv([{ a: 1, 'b,c': 'x' }], ['b,c', 'a']), '"b,c",a\nx,1\n');
    assert.equal(csvField('plain-text_1.5'), 'plain-text_1.5');
    assert.equal(summaryCsv([]), '\n');
  });

  test('a sweep row: label, dir, overrides, then the metrics', () => {
    const row = summaryRow({ label: 'p0', dir: 'p0', overrides: { 'fl.lr': 0.1 } }, summarizeRun(parseEvents(messyRunText())));
    assert.deepEqual(Object.keys(row).slice(0, 5), ['label', 'dir', 'fl.lr', 'status', 'rounds']);
    assert.equal(summaryCsv([row]).split('\n')[1]?.startsWith('p0,p0,0.1,finished,4,0.875,'), true);
  });
});

describe('configOverrides', () => {
  test('keeps the keys whose values differ, as dotted paths', () => {
    const o = configOverrides([{ fl: { lr: 0.1, rounds: 5 }, tags: ['a'] }, { fl: { lr: 0.3, rounds: 5 }, tags: ['a', 'b'] }, undefined]);
    assert.deepEqual(o, [{ 'fl.lr': 0.1, tags: ['a'] }, { 'fl.lr': 0.3, tags: ['a', 'b'] }, {}]);
  });
});
