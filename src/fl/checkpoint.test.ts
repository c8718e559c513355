import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { QflError } from '../util/errors.js';
import { readCheckpoint, removeTempFiles, writeCheckpoint, type Checkpoint } from './checkpoint.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'qfl-ckpt-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const params = Float64Array.of(0.1, -0, Math.PI, 1e-300, -123456.789);
const ckpt = (round: number, extra: Partial<Checkpoint> = {}): Checkpoint => ({
  version: 1,
  round,
  params,
  strategyState: { m: [round] },
  rngState: [1, 2, 3, round],
  elapsedSeconds: round / 2,
  ...extra,
});

/** Rewrites checkpoint.json's JSON as `edit` says (keeping or recomputing nothing: the checksum stays as it was). */
function edit(dir: string, f: (raw: Record<string, unknown>) => void): void {
  const path = join(dir, 'checkpoint.json');
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  f(raw);
  writeFileSync(path, JSON.stringify(raw));
}

const refused = (dir: string, field: RegExp, detail: RegExp) =>
  assert.throws(
    () => readCheckpoint(dir),
    (e: unknown) => e instanceof QflError && field.test(e.field) && detail.test(e.detail),
  );

test('checkpoints round-trip bit for bit; the previous one is kept; no temporary files', () => {
  const dir = tmp();
  assert.equal(readCheckpoint(dir), undefined);
  writeCheckpoint(dir, ckpt(3));
  writeCheckpoint(dir, ckpt(4, { rngState: [5, 6, 7, 8] }));
  const c = readCheckpoint(dir)!;
  assert.equal(c.round, 4);
  assert.deepEqual([...c.params].map((v) => (Object.is(v, -0) ? '-0' : v)), [0.1, '-0', Math.PI, 1e-300, -123456.789]);
  assert.deepEqual(c.strategyState, { m: [4] });
  assert.deepEqual(c.rngState, [5, 6, 7, 8]);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'checkpoint.prev.json']);
  assert.equal(readCheckpoint(dir, { rollback: true })!.round, 3);
});

test('a corrupt checkpoint is reported with its path', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'checkpoint.json'), '{"round": 1');
  assert.throws(() => readCheckpoint(dir), /checkpoint\.json: is not a readable checkpoint/);
});

test('one flipped bit in the parameters is refused by the checksum, with the rollback named', () => {
  const dir = tmp();
  writeCheckpoint(dir, ckpt(6));
  writeCheckpoint(dir, ckpt(7));
  const path = join(dir, 'checkpoint.json');
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf('"params":"') + 12;
  // Flip one bit of one base64 character (A <-> B, etc.), keeping it valid base64.
  const c = text.charCodeAt(at);
  writeFileSync(path, text.slice(0, at) + String.fromCharCode(c ^ 1) + text.slice(at + 1));
  refused(dir, /checkpoint\.json: sha256$/, /does not match.*corrupt.*previous checkpoint \(round 6\) is intact.*--rollback/);
  const back = readCheckpoint(dir, { rollback: true })!;
  assert.equal(back.round, 6);
  assert.deepEqual([...back.params], [...params]);
});

test('every field is checked: round, params, strategyState, rngState, elapsedSeconds, checksum', () => {
  const dir = tmp();
  // A field changed together with a recomputed checksum still has to be valid: write through writeCheckpoint.
  const bad = (c: Checkpoint, field: RegExp, detail: RegExp) => {
    rmSync(join(dir, 'checkpoint.json'), { force: true });
    rmSync(join(dir, 'checkpoint.prev.json'), { force: true });
    writeCheckpoint(dir, c);
    refused(dir, field, detail);
  };
  bad(ckpt(7.5), /: round$/, /whole number >= 0, got 7\.5/);
  bad(ckpt(-3), /: round$/, /whole number >= 0, got -3/);
  bad(ckpt(2, { strategyState: undefined }), /: strategyState$/, /must be an object, got nothing/);
  bad(ckpt(2, { rngState: [0, 0, 0, 0] }), /: rngState$/, /4 32-bit words/);
  bad(ckpt(2, { elapsedSeconds: -1 }), /: elapsedSeconds$/, /finite number >= 0/);
  bad(ckpt(2, { params: Float64Array.of(1, NaN) }), /: params$/, /entry 1 is NaN/);
  writeCheckpoint(dir, ckpt(2));
  edit(dir, (raw) => delete raw['sha256']);
  refused(dir, /: sha256$/, /is missing/);
});

test('temporary files of interrupted writes are removed', () => {
  const dir = tmp();
  writeCheckpoint(dir, ckpt(1));
  writeFileSync(join(dir, 'checkpoint.json.tmp-4242'), '{"half');
  writeFileSync(join(dir, 'notes.tmp-x'), 'kept: not a temp file of ours');
  assert.deepEqual(removeTempFiles(dir), ['checkpoint.json.tmp-4242']);
  assert.deepEqual(readdirSync(dir).sort(), ['checkpoint.json', 'notes.tmp-x']);
});
