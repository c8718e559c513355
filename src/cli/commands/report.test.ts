import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, mock, test } from 'node:test';
import { messyRunText, writeRunDir } from '../../experiments/report/fixtures.js';
import { QflError } from '../../util/errors.js';
import { run } from './report.js';

const tmp = mkdtempSync(join(tmpdir(), 'qfl-report-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the command with console.log captured. */
async function report(...argv: string[]): Promise<{ code: number; out: string }> {
  const log = mock.method(console, 'log', () => undefined);
  try {
    const code = await run(argv);
    return { code, out: log.mock.calls.map((c) => c.arguments.join(' ')).join('\n') };
  } finally {
    log.mock.restore();
  }
}

describe('qfl report', () => {
  test('--help', async () => {
    const r = await report('--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: qfl report DIR/);
  });

  test('a run directory: writes report.html and prints its path', async () => {
    const dir = writeRunDir(join(tmp, 'run'), messyRunText());
    const r = await report(dir, '--no-png');
    assert.equal(r.code, 0);
    assert.equal(r.out, join(dir, 'report.html'));
    assert.ok(existsSync(r.out));
    assert.ok(!existsSync(join(dir, 'plots')));
  });

  test('a sweep directory: writes summary.html', async () => {
    const sweep = join(tmp, 'sweep');
    writeRunDir(join(sweep, 'p1'), messyRunText('p1'));
    writeRunDir(join(sweep, 'p2'), messyRunText('p2'));
    const r = await report(sweep, '--no-png');
    assert.equal(r.out, join(sweep, 'summary.html'));
    assert.ok(existsSync(r.out));
  });

  test('clear errors: no events.jsonl, no directory, wrong arguments', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const err = (re: RegExp) => (e: unknown) => e instanceof QflError && re.test(e.message);
    await assert.rejects(run([empty]), err(/empty: has no events\.jsonl, and no subdirectory has one/));
    await assert.rejects(run([join(tmp, 'missing')]), err(/missing: no such directory/));
    await assert.rejects(run([]), err(/^DIR: missing/));
    await assert.rejects(run(['a', 'b']), err(/expected one directory/));
    await assert.rejects(run(['--bogus']), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  });
});
