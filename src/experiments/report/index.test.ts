import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import { jsonl, messyRunText, roundEvent, startEvent, writeRunDir } from './fixtures.js';
import { findSweepPoints, writeRunReport, writeSweepReport } from './index.js';

const tmp = mkdtempSync(join(tmpdir(), 'qfl-report-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const count = (s: string, sub: string): number => s.split(sub).length - 1;

describe('writeRunReport', () => {
  const dir = writeRunDir(join(tmp, 'run-a'), messyRunText());

  test('writes a self-contained report.html with inline SVGs, final metrics and config, and PNG copies', async () => {
    const path = await writeRunReport(dir, { generated: '2025-01-02T03:04:05.000Z' });
    assert.equal(path, join(dir, 'report.html'));
    const html = readFileSync(path, 'utf8');
    assert.match(html, /<h1>fedavg-demo<\/h1>/);
    assert.equal(count(html, '<svg'), 5); // accuracy, loss, client loss, bytes, time
    assert.match(html, /final accuracy<\/th><td>87\.50%/);
    assert.match(html, /central-test loss \/ accuracy, round 4<\/th><td>0\.165 \/ 87\.50%/);
    assert.match(html, /resumed<\/th><td>1 time/);
    assert.match(html, /strategy: fedavg/); // the config, pretty-printed (flow maps become block maps)
    assert.doesNotMatch(html, /<script|<link|src="http|@import/);
    for (const name of ['accuracy', 'loss', 'client-loss', 'bytes', 'time']) {
      const png = join(dir, 'plots', `${name}.png`);
      assert.ok(existsSync(png), png);
      assert.deepEqual(readFileSync(png).subarray(0, 8), PNG_SIGNATURE);
      assert.match(html, new RegExp(`href="plots/${name}\\.png"`));
    }
  });

  test('a run with no rounds yet gets a page without plots; skipped lines are listed', async () => {
    const d = writeRunDir(join(tmp, 'run-empty'), jsonl([startEvent('just-started')]) + 'oops\n{"type":"start"', null);
    const html = readFileSync(await writeRunReport(d, { png: false }), 'utf8');
    assert.equal(count(html, '<svg'), 0);
    assert.match(html, /No rounds recorded yet/);
    assert.match(html, /line 2: not valid JSON/);
    assert.match(html, /No config\.yaml/);
    assert.ok(!existsSync(join(d, 'plots')));
  });

  test('names and config are escaped', async () => {
    const d = writeRunDir(join(tmp, 'run-esc'), jsonl([startEvent('<b>&"x"'), roundEvent(1, 0.5)]), 'note: "<script>alert(1)</script>"\n');
    const html = readFileSync(await writeRunReport(d, { png: false }), 'utf8');
    assert.match(html, /<h1>&lt;b&gt;&amp;&quot;x&quot;<\/h1>/);
    assert.doesNotMatch(html, /<script>/);
  });

  test('no events.jsonl: a QflError naming the directory', async () => {
    await assert.rejects(writeRunReport(tmp), (e: unknown) => e instanceof QflError && e.field === tmp && /no events\.jsonl/.test(e.message));
  });
});

describe('writeSweepReport', () => {
  const sweep = join(tmp, 'sweep');
  writeRunDir(join(sweep, 'lr-0.1'), jsonl([startEvent('lr-0.1'), roundEvent(1, 0.4), roundEvent(2, 0.5)]), 'fl: {lr: 0.1, rounds: 2}\n');
  writeRunDir(join(sweep, 'lr-0.3'), jsonl([startEvent('lr-0.3'), roundEvent(1, 0.6), roundEvent(2, 0.8)]), 'fl: {lr: 0.3, rounds: 2}\n');
  mkdirSync(join(sweep, 'lr-1.0')); // a point that never started
  writeFileSync(join(sweep, 'summary.csv'), 'label\n');

  test('finds the points and what they vary', () => {
    assert.deepEqual(findSweepPoints(sweep), [
      { label: 'lr-0.1', dir: 'lr-0.1', overrides: { 'fl.lr': 0.1 } },
      { label: 'lr-0.3', dir: 'lr-0.3', overrides: { 'fl.lr': 0.3 } },
    ]);
  });

  test('writes summary.html: all points on shared plots, the table, links', async () => {
    await writeRunReport(join(sweep, 'lr-0.3'), { png: false });
    const points = [...findSweepPoints(sweep), { label: 'lr=1, broken', dir: 'lr-1.0', overrides: { 'fl.lr': 1 } }];
    const path = await writeSweepReport(sweep, points);
    assert.equal(path, join(sweep, 'summary.html'));
    const html = readFileSync(path, 'utf8');
    assert.equal(count(html, '<svg'), 5); // accuracy, loss (central), train loss, bytes, time
    for (const label of ['lr-0.1', 'lr-0.3']) assert.ok(count(html, `>${label}<`) >= 1, label); // table row
    for (const label of ['lr=0.1', 'lr=0.3']) assert.ok(count(html, label) >= 2, label); // legends name what the point varies
    assert.match(html, /<th>fl\.lr<\/th>/);
    assert.match(html, /<td>lr=1, broken<\/td><td>1<\/td><td>no events<\/td>/);
    assert.match(html, /<a href="lr-0\.3\/report\.html">lr-0\.3<\/a>/);
    assert.match(html, /82\.00%/); // lr-0.3's final (central) accuracy
    assert.match(html, /href="summary\.csv"/);
    assert.equal(readFileSync(join(sweep, 'summary.csv'), 'utf8'), 'label\n'); // left as the sweep wrote it
    assert.deepEqual(readFileSync(join(sweep, 'plots', 'accuracy.png')).subarray(0, 8), PNG_SIGNATURE);
  });
});
